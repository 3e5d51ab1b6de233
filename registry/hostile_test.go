package registry_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handlergen/handlergen/registry"
)

// Values a handler panics with, or returns as its error, whose Error or
// String method panics. fmt recovers a panic in such a method, but when the
// value of that panic panics in turn when printed, fmt panics again: a
// *PanicError or an *Error formatted with fmt alone would then crash the
// caller that only asked for its message, or the logger.
type (
	// errSelf's Error panics with itself: printing that panic panics again.
	errSelf struct{}
	// strSelf is the same for a fmt.Stringer.
	strSelf struct{}
	// errOnce's Error panics with a plain string, which fmt prints.
	errOnce struct{}
	// errNilPtr's Error dereferences its receiver: a nil *errNilPtr.
	errNilPtr struct{ msg string }
	// fmtSelf's Format panics with itself.
	fmtSelf struct{}
)

func (e errSelf) Error() string          { panic(e) }
func (s strSelf) String() string         { panic(s) }
func (errOnce) Error() string            { panic("once") }
func (e *errNilPtr) Error() string       { return e.msg }
func (f fmtSelf) Format(fmt.State, rune) { panic(f) }

var hostile = []struct {
	name string
	v    any
}{
	{"Error panics with itself", errSelf{}},
	{"String panics with itself", strSelf{}},
	{"Format panics with itself", fmtSelf{}},
	{"Error panics once", errOnce{}},
	{"nil pointer receiver", (*errNilPtr)(nil)},
	{"a field's String panics with itself", struct{ S strSelf }{}},
}

// safely calls f and fails the test if it panics.
func safely(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if v := recover(); v != nil {
			t.Errorf("%s panicked with a %T", what, v)
		}
	}()
	f()
}

// TestHostileValues: a panic value or a constructor's error whose methods
// panic must not crash the caller that formats the error, nor the audit or
// containment logging, on any path: Registry.New, wrapped New,
// Contain (both paths), contained logging of a panic the caller sees, of
// a late panic in an abandoned call, and of a panic in Describe.
func TestHostileValues(t *testing.T) {
	for _, hv := range hostile {
		t.Run(hv.name, func(t *testing.T) {
			v := hv.v
			entries := []registry.Entry[registry.Handler]{{
				Name: "ctor", Contract: "c.yaml",
				New: func(context.Context) (registry.Handler, error) { panic(v) },
			}}
			if e, ok := v.(error); ok {
				entries = append(entries, registry.Entry[registry.Handler]{
					Name: "fails", Contract: "f.yaml",
					New: func(context.Context) (registry.Handler, error) { return nil, e },
				})
			}
			r := registry.New(entries)
			var log auditLog
			a := registry.Wrap(r, registry.WithLogger(log.logger(slog.LevelInfo)))
			for _, e := range entries {
				_, err := r.New(context.Background(), e.Name)
				safely(t, "Registry.New's error of "+e.Name, func() {
					want := map[string]string{"ctor": `HANDLER_LOADER_052: handler "ctor" panicked in its constructor: panic: `, "fails": `HANDLER_LOADER_051: constructor of handler "fails" failed: `}[e.Name]
					if msg := err.Error(); !strings.HasPrefix(msg, want) {
						t.Errorf("message %q, want prefix %q", msg, want)
					}
				})
				safely(t, "wrapped New of "+e.Name, func() { a.New(context.Background(), e.Name) })
			}
			if recs := log.records(t); len(recs) != len(entries) {
				t.Errorf("%d audit records, want %d:\n%s", len(recs), len(entries), log.buf.String())
			}

			// Contain, without and with a logger, on both paths.
			log.buf.Reset()
			started, release := make(chan struct{}), make(chan struct{})
			c := containedRegistry(registry.New([]registry.Entry[registry.Handler]{
				{Name: "p", New: func(context.Context) (registry.Handler, error) {
					return &probe{act: func(context.Context) { panic(v) }}, nil
				}},
				{Name: "late", New: func(context.Context) (registry.Handler, error) {
					return &probe{act: func(context.Context) { close(started); <-release; panic(v) }}, nil
				}},
			}), log.logger(slog.LevelInfo))
			ch, err := c.New(context.Background(), "p")
			if err != nil {
				t.Fatal(err)
			}
			cancellable, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, ctx := range []context.Context{context.Background(), cancellable} {
				safely(t, "Contain's Execute", func() {
					_, err := registry.Contain(&probe{act: func(context.Context) { panic(v) }}, nil).Execute(ctx, registry.Request{})
					if msg := err.Error(); !strings.HasPrefix(msg, "HANDLER_LOADER_052: handler panicked in Execute: panic: ") {
						t.Errorf("message %q", msg)
					}
				})
				safely(t, "contained Execute", func() { ch.Execute(ctx, registry.Request{}) })
			}
			safely(t, "contained Describe", func() { ch.Describe() })
			// The late panic of an abandoned call is logged on the
			// handler's goroutine, where nothing would recover a panic of
			// the logging: it would end the test binary.
			before := runtime.NumGoroutine()
			late, err := c.New(context.Background(), "late")
			if err != nil {
				t.Fatal(err)
			}
			lctx, lcancel := context.WithCancel(context.Background())
			go func() { <-started; lcancel() }()
			late.Shutdown(lctx)
			close(release)
			// Two Execute panics, Describe's, the abandoned call and its
			// late panic.
			recs := log.wait(t, 5)
			settle(t, before)
			if len(recs) != 5 {
				t.Errorf("%d records, want 5:\n%s", len(recs), log.buf.String())
			}
			for _, rec := range recs {
				if msg, _ := rec["error"].(string); !strings.HasPrefix(msg, "HANDLER_LOADER_05") {
					t.Errorf("record %v", rec)
				}
			}
		})
	}
}

// TestHostileMessages: what the message says of a value whose methods
// panic or block: fmt's own text where fmt copes, else the value's type.
func TestHostileMessages(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	defer func() { close(release); settle(t, before) }()
	for _, tt := range []struct {
		v    any
		want string
	}{
		{errSelf{}, "panic: (registry_test.errSelf: its Error method panicked)"},
		{strSelf{}, "panic: (registry_test.strSelf: its String method panicked)"},
		{fmtSelf{}, "panic: (registry_test.fmtSelf: its Format method panicked)"},
		{errOnce{}, "panic: %!v(PANIC=Error method: once)"},
		{struct{ S strSelf }{}, "panic: (struct { S registry_test.strSelf }: formatting it panicked)"},
		{[]any{1, errSelf{}}, "panic: ([]interface {}: formatting it panicked)"},
		{(*errNilPtr)(nil), "panic: <nil>"},
		{"plain", "panic: plain"},
		{strBlock{release}, "panic: (registry_test.strBlock: its String method did not return)"},
		{errBlock{release}, "panic: (registry_test.errBlock: its Error method did not return)"},
		{fmtBlock{release}, "panic: (registry_test.fmtBlock: its Format method did not return)"},
		{[]any{strBlock{release}}, "panic: ([]interface {}: formatting it did not return)"},
	} {
		var got string
		safely(t, fmt.Sprintf("Error of a panic with %T", tt.v), func() { got = (&registry.PanicError{Value: tt.v}).Error() })
		if got != tt.want {
			t.Errorf("PanicError{%T}.Error() = %q, want %q", tt.v, got, tt.want)
		}
	}
	err := &registry.Error{Code: registry.ConstructorFailed, Name: "n", Err: errSelf{}}
	var got string
	safely(t, "Error of a cause whose Error panics", func() { got = err.Error() })
	if want := `HANDLER_LOADER_051: constructor of handler "n" failed: (registry_test.errSelf: its Error method panicked)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// Values whose methods block until their release channel is closed (at the
// end of each test, so that no goroutine outlives it) or for 10 seconds,
// and errors whose Is,
// As or Unwrap method panics.
type (
	strBlock      struct{ release chan struct{} }
	errBlock      struct{ release chan struct{} }
	fmtBlock      struct{ release chan struct{} }
	isPanics      struct{}
	asPanics      struct{}
	unwrapPanics  struct{}
	unwrapsPanics struct{}
	// isSelf's Is panics with a value that panics when printed.
	isSelf struct{}
)

func (s strBlock) String() string { block(s.release); return "released" }
func (e errBlock) Error() string  { block(e.release); return "released" }
func (f fmtBlock) Format(s fmt.State, _ rune) {
	block(f.release)
	s.Write([]byte("released"))
}

// block returns when release is closed, or after 10 seconds, so that a
// test of a call that waits for it fails rather than hangs.
func block(release chan struct{}) {
	select {
	case <-release:
	case <-time.After(10 * time.Second):
	}
}
func (isPanics) Error() string        { return "is panics" }
func (isPanics) Is(error) bool        { panic("Is") }
func (asPanics) Error() string        { return "as panics" }
func (asPanics) As(any) bool          { panic("As") }
func (unwrapPanics) Error() string    { return "unwrap panics" }
func (unwrapPanics) Unwrap() error    { panic("Unwrap") }
func (unwrapsPanics) Error() string   { return "unwraps panics" }
func (unwrapsPanics) Unwrap() []error { panic("Unwrap") }
func (isSelf) Error() string          { return "is self" }
func (isSelf) Is(error) bool          { panic(errSelf{}) }

// hostileKind is a value a handler panics with; blocks: formatting it
// blocks until release is closed.
type hostileKind struct {
	name   string
	v      func(release chan struct{}) any
	blocks bool
}

var hostileKinds = []hostileKind{
	{"String blocks", func(r chan struct{}) any { return strBlock{r} }, true},
	{"Error blocks", func(r chan struct{}) any { return errBlock{r} }, true},
	{"Format blocks", func(r chan struct{}) any { return fmtBlock{r} }, true},
	{"a field's String blocks", func(r chan struct{}) any { return struct{ S strBlock }{strBlock{r}} }, true},
	{"Error panics with itself", func(chan struct{}) any { return errSelf{} }, false},
	{"String panics with itself", func(chan struct{}) any { return strSelf{} }, false},
	{"Format panics with itself", func(chan struct{}) any { return fmtSelf{} }, false},
	{"Is panics", func(chan struct{}) any { return isPanics{} }, false},
	{"Is panics with itself", func(chan struct{}) any { return isSelf{} }, false},
	{"As panics", func(chan struct{}) any { return asPanics{} }, false},
	{"Unwrap panics", func(chan struct{}) any { return unwrapPanics{} }, false},
	{"Unwrap []error panics", func(chan struct{}) any { return unwrapsPanics{} }, false},
	{"wraps one whose Is panics", func(chan struct{}) any { return fmt.Errorf("wrapped: %w", isPanics{}) }, false},
	{"joins one whose As panics", func(chan struct{}) any { return errors.Join(errBoom, asPanics{}) }, false},
}

// hostilePath is one way a panic reaches the caller: a contained method
// (under a context with a deadline, or one that cannot end), Describe or
// HandlerType, or a constructor. call panics with v there and returns
// the error the caller gets (nil for Describe and HandlerType) and how
// many records a logger gets.
type hostilePath struct {
	name string
	call func(t *testing.T, v any, log *slog.Logger) (int, error)
}

// hostileDeadline is the deadline of the calls that have one.
const hostileDeadline = 100 * time.Millisecond

func hostilePaths() []hostilePath {
	var paths []hostilePath
	contained := func(v any, log *slog.Logger) registry.Handler {
		h, err := containedRegistry(registry.New([]registry.Entry[registry.Handler]{{
			Name: "p", Contract: "handlers/p/contract.yaml",
			New: func(context.Context) (registry.Handler, error) {
				return healthProbe{&probe{act: func(context.Context) { panic(v) }}}, nil
			},
		}}), log).New(context.Background(), "p")
		if err != nil {
			panic(err)
		}
		return h
	}
	for _, m := range ctxMethods {
		paths = append(paths,
			hostilePath{m.name + "/deadline", func(t *testing.T, v any, log *slog.Logger) (int, error) {
				ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
				defer cancel()
				_, err := m.call(contained(v, log), ctx)
				return 1, err
			}},
			hostilePath{m.name + "/background", func(t *testing.T, v any, log *slog.Logger) (int, error) {
				_, err := m.call(contained(v, log), context.Background())
				return 1, err
			}},
		)
	}
	paths = append(paths,
		hostilePath{"Describe", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			contained(v, log).Describe()
			return 1, nil
		}},
		hostilePath{"HandlerType", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			contained(v, log).HandlerType()
			return 1, nil
		}},
		// The handler panics once the caller has its 053: the panic is
		// logged on the handler's goroutine.
		hostilePath{"Execute/late", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
			defer cancel()
			returned := make(chan struct{})
			defer close(returned)
			late := func() registry.Handler {
				return &probe{act: func(context.Context) { <-returned; panic(v) }}
			}
			h := registry.Contain(late(), nil)
			if log != nil {
				var err error
				h, err = containedRegistry(registry.New([]registry.Entry[registry.Handler]{{
					Name: "late", New: func(context.Context) (registry.Handler, error) { return late(), nil },
				}}), log).New(ctx, "late")
				if err != nil {
					t.Fatal(err)
				}
			}
			_, err := h.Execute(ctx, registry.Request{})
			return 2, err
		}},
	)
	ctor := func(v any) *registry.Registry[registry.Handler] {
		return registry.New([]registry.Entry[registry.Handler]{{
			Name: "ctor", Contract: "c.yaml",
			New: func(context.Context) (registry.Handler, error) { panic(v) },
		}})
	}
	paths = append(paths,
		hostilePath{"contained New/deadline", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			ctx, cancel := context.WithTimeout(context.Background(), hostileDeadline)
			defer cancel()
			_, err := containedRegistry(ctor(v), log).New(ctx, "ctor")
			return 1, err
		}},
		hostilePath{"contained New/background", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			_, err := containedRegistry(ctor(v), log).New(context.Background(), "ctor")
			return 1, err
		}},
		hostilePath{"Registry.New or wrapped New", func(t *testing.T, v any, log *slog.Logger) (int, error) {
			if log == nil {
				_, err := ctor(v).New(context.Background(), "ctor")
				return 0, err
			}
			_, err := registry.Wrap(ctor(v), registry.WithLogger(log)).New(context.Background(), "ctor")
			return 1, err
		}},
	)
	return paths
}

// TestHostileValuesDoNotHold: a value a handler or constructor panics
// with, however hostile its methods, does not hold the call past its
// deadline (nor, without one, for long), whether a logger is set or not;
// the error the caller gets is a 052 (a 053 for a late panic) that
// errors.Is and errors.As walk without a panic, and that formats without
// blocking for long; the logger records the failure, saying what did not
// return.
func TestHostileValuesDoNotHold(t *testing.T) {
	before := runtime.NumGoroutine()
	// The subtests run 8 at a time, outside t.Parallel's limit (GOMAXPROCS):
	// most of their time is waiting for a record.
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var releases []chan struct{}
	for _, logged := range []bool{false, true} {
		for _, k := range hostileKinds {
			for _, p := range hostilePaths() {
				release := make(chan struct{})
				releases = append(releases, release)
				name := k.name + "/" + p.name + "/" + map[bool]string{false: "no-logger", true: "logger"}[logged]
				sem <- struct{}{}
				wg.Go(func() {
					defer func() { <-sem }()
					t.Run(name, func(t *testing.T) { testHostilePath(t, k, p, logged, release) })
				})
			}
		}
	}
	wg.Wait()
	for _, r := range releases {
		close(r)
	}
	settle(t, before)
}

func testHostilePath(t *testing.T, k hostileKind, p hostilePath, logged bool, release chan struct{}) {
	var log auditLog
	var logger *slog.Logger
	if logged {
		logger = log.logger(slog.LevelInfo)
	}
	v := k.v(release)
	start := time.Now()
	var err error
	var nrec int
	safely(t, "the call", func() { nrec, err = p.call(t, v, logger) })
	// Generous: a call returns at once (after its deadline for a late
	// panic); the blocked method would hold it until the test ends.
	if d := time.Since(start); d > hostileDeadline+time.Second {
		t.Errorf("the call returned after %v", d)
	}
	if err != nil {
		want := registry.ErrHandlerPanicked
		if strings.HasSuffix(p.name, "/late") {
			want = registry.ErrCallAbandoned
		}
		safely(t, "errors.Is", func() {
			if !errors.Is(err, want) {
				t.Errorf("error %v, want %v", err, want)
			}
			for _, target := range []error{registry.ErrHandlerNotFound, context.Canceled, errBoom, isPanics{}, unwrapPanics{}} {
				errors.Is(err, target)
			}
		})
		safely(t, "errors.Is and errors.As of the value", func() {
			// They see through to the value: to it first, before any
			// method of it is called.
			if ev, ok := v.(error); ok && want == registry.ErrHandlerPanicked {
				if !errors.Is(err, ev) {
					t.Errorf("errors.Is(err, the value) is false")
				}
				target := reflect.New(reflect.TypeOf(v))
				if !errors.As(err, target.Interface()) || target.Elem().Interface() != v {
					t.Errorf("errors.As(err, *%T) is false", v)
				}
			}
		})
		safely(t, "errors.As", func() {
			var pe *registry.PanicError
			if errors.As(err, &pe) != (want == registry.ErrHandlerPanicked) {
				t.Errorf("errors.As(%T) found %v", pe, pe)
			}
			var timeout interface{ Timeout() bool }
			errors.As(err, &timeout)
			var ap asPanics
			errors.As(err, &ap)
			var up *unwrapPanics
			errors.As(err, &up)
		})
		safely(t, "Unwrap", func() {
			for e := err; e != nil; e = errors.Unwrap(e) {
			}
		})
		safely(t, "Error", func() {
			start := time.Now()
			msg := err.Error()
			if d := time.Since(start); d > time.Second {
				t.Errorf("Error returned after %v", d)
			}
			if k.blocks && want == registry.ErrHandlerPanicked && !strings.Contains(msg, "did not return") {
				t.Errorf("message %q does not say what did not return", msg)
			}
		})
	}
	if !logged {
		return
	}
	recs := log.wait(t, nrec)
	if len(recs) != nrec {
		t.Fatalf("%d records, want %d:\n%s", len(recs), nrec, log.buf.String())
	}
	for _, rec := range recs {
		msg, _ := rec["error"].(string)
		if !strings.HasPrefix(msg, "HANDLER_LOADER_05") {
			t.Errorf("record %v", rec)
		}
		if k.blocks && rec["code"] == "HANDLER_LOADER_052" && !strings.Contains(msg, "did not return") {
			t.Errorf("record %v does not say what did not return", rec)
		}
	}
}

// TestPanicErrorTextComes: the text of a panic value whose String method
// blocks is given by the value's type until the method returns, without
// waiting again once a wait has run out, and then by fmt.
func TestPanicErrorTextComes(t *testing.T) {
	before := runtime.NumGoroutine()
	release := make(chan struct{})
	p := registry.NewPanicError(strBlock{release})
	err := &registry.Error{Code: registry.HandlerPanicked, Err: p}
	const want = "HANDLER_LOADER_052: handler panicked: panic: (registry_test.strBlock: its String method did not return)"
	start := time.Now()
	if got := err.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	first := time.Since(start)
	start = time.Now()
	for range 10 {
		if got := p.Error(); got != strings.TrimPrefix(want, "HANDLER_LOADER_052: handler panicked: ") {
			t.Errorf("Error() = %q", got)
		}
	}
	if again := time.Since(start); first > time.Second || again > time.Second {
		t.Errorf("Error took %v, then %v for 10 more", first, again)
	}
	close(release)
	for start := time.Now(); p.Error() != "panic: released"; time.Sleep(time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("Error() = %q after the method returned", p.Error())
		}
	}
	settle(t, before)
}
