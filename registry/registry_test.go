package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

var testNames = []string{"auth", "author", "billing", "cache", "db.reader", "db.writer", "email"}

func testRegistry() *registry.Registry[registry.Handler] {
	return registry.New(stubEntries(testNames...))
}

func TestLookup(t *testing.T) {
	r := testRegistry()
	tests := []struct {
		name string
		ok   bool
	}{
		{"auth", true},
		{"author", true},
		{"billing", true},
		{"email", true},
		{"db.reader", true},
		{"", false},
		{"a", false},
		{"aut", false},
		{"Auth", false},
		{"auth ", false},
		{"zzz", false},
		{"emails", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := r.Lookup(tt.name)
			if ok != tt.ok {
				t.Fatalf("Lookup(%q) ok = %v, want %v", tt.name, ok, tt.ok)
			}
			if ok && (e.Name != tt.name || e.Class != "example.com/handlers."+tt.name) {
				t.Errorf("Lookup(%q) = %+v", tt.name, e)
			}
			if !ok && e != nil {
				t.Errorf("Lookup(%q) returned an entry on a miss: %+v", tt.name, e)
			}
			// The entry is the registry's own, not a copy: every lookup
			// of a name returns the same one, and Entries agrees.
			if again, _ := r.Lookup(tt.name); ok && again != e {
				t.Errorf("Lookup(%q) twice returned two entries", tt.name)
			}
		})
	}
}

func TestLookupSizes(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 8, 100, 1001} {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("h%05d", i*2)
		}
		r := registry.New(stubEntries(names...))
		if r.Len() != n {
			t.Fatalf("Len = %d, want %d", r.Len(), n)
		}
		for i := 0; i <= 2*n; i++ {
			name := fmt.Sprintf("h%05d", i)
			e, ok := r.Lookup(name)
			if want := i%2 == 0 && i < 2*n; ok != want || (ok && e.Name != name) {
				t.Fatalf("n=%d: Lookup(%q) = %q, %v; want ok=%v", n, name, e.Name, ok, want)
			}
		}
	}
}

func TestNew(t *testing.T) {
	r := testRegistry()
	for _, name := range testNames {
		h1, err := r.New(context.Background(), name)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		h2, _ := r.New(context.Background(), name)
		if h1 == h2 {
			t.Errorf("New(%q) returned the same instance twice", name)
		}
		if got := h1.Describe().Name; got != name {
			t.Errorf("New(%q).Describe().Name = %q", name, got)
		}
	}
}

func TestNewPassesContext(t *testing.T) {
	type key struct{}
	var got any
	r := registry.New([]registry.Entry[int]{{Name: "x", New: func(ctx context.Context) (int, error) {
		got = ctx.Value(key{})
		return 7, nil
	}}})
	v, err := r.New(context.WithValue(context.Background(), key{}, "v"), "x")
	if err != nil || v != 7 || got != "v" {
		t.Fatalf("New = %v, %v; ctx value %v", v, err, got)
	}
	//lint:ignore SA1012 testing that a nil context is tolerated
	if _, err := r.New(nil, "x"); err != nil {
		t.Fatalf("New(nil ctx): %v", err)
	}
}

func TestNamesEntriesLen(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{nil, []string{}},
		{[]string{"a"}, []string{"a"}},
		{[]string{"a", "b", "c"}, []string{"a", "b", "c"}},
		{[]string{"c", "a", "b"}, []string{"a", "b", "c"}},
		{[]string{"b", "B", "a", "_"}, []string{"B", "_", "a", "b"}},
	}
	for _, tt := range tests {
		r := registry.New(stubEntries(tt.in...))
		if got := r.Names(); !slices.Equal(got, tt.want) || got == nil {
			t.Errorf("Names(%q) = %#v, want %q", tt.in, got, tt.want)
		}
		es := r.Entries()
		if len(es) != len(tt.want) || es == nil {
			t.Fatalf("Entries(%q) has %d entries, want %d", tt.in, len(es), len(tt.want))
		}
		for i, e := range es {
			if e.Name != tt.want[i] {
				t.Errorf("Entries(%q)[%d].Name = %q, want %q", tt.in, i, e.Name, tt.want[i])
			}
		}
		if r.Len() != len(tt.want) {
			t.Errorf("Len(%q) = %d", tt.in, r.Len())
		}
	}
}

func TestNamesEntriesAreCopies(t *testing.T) {
	r := testRegistry()
	n := r.Names()
	n[0] = "zzz"
	e := r.Entries()
	e[0].Name = "zzz"
	e[1] = registry.Entry[registry.Handler]{}
	if got := r.Names(); !slices.Equal(got, testNames) {
		t.Errorf("Names after modifying copies = %q", got)
	}
	if _, ok := r.Lookup("auth"); !ok {
		t.Error("Lookup(auth) failed after modifying copies")
	}
}

func TestUnsortedInputNotModified(t *testing.T) {
	in := stubEntries("c", "a", "b")
	r := registry.New(in)
	if in[0].Name != "c" || in[1].Name != "a" || in[2].Name != "b" {
		t.Errorf("New reordered its argument: %q %q %q", in[0].Name, in[1].Name, in[2].Name)
	}
	for _, n := range []string{"a", "b", "c"} {
		if e, ok := r.Lookup(n); !ok || e.Name != n {
			t.Errorf("Lookup(%q) = %q, %v", n, e.Name, ok)
		}
	}
}

func TestDuplicatePanics(t *testing.T) {
	for _, in := range [][]string{
		{"a", "a"},
		{"a", "b", "b", "c"},
		{"b", "a", "b"}, // unsorted: found after sorting
		{"x", "", ""},
	} {
		func() {
			defer func() {
				v := recover()
				msg, _ := v.(string)
				if v == nil || !strings.Contains(msg, "duplicate handler name") {
					t.Errorf("New(%q) panic = %v, want duplicate handler name", in, v)
				}
			}()
			registry.New(stubEntries(in...))
		}()
	}
}

func TestNilRegistry(t *testing.T) {
	var r *registry.Registry[registry.Handler]
	if r.Len() != 0 {
		t.Error("Len != 0")
	}
	if n := r.Names(); len(n) != 0 {
		t.Errorf("Names = %q", n)
	}
	if e := r.Entries(); len(e) != 0 {
		t.Errorf("Entries = %v", e)
	}
	if _, ok := r.Lookup("x"); ok {
		t.Error("Lookup ok on nil registry")
	}
	h, err := r.New(context.Background(), "x")
	if h != nil || !errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("New on nil registry = %v, %v", h, err)
	}
	empty := registry.New[registry.Handler](nil)
	if _, err := empty.New(context.Background(), "x"); !errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("New on empty registry: %v", err)
	}
}

func TestUnknownName(t *testing.T) {
	r := testRegistry()
	id := uuid.MustParse("6ba7b810-9dad-41d1-80b4-00c04fd430c8")
	tests := []struct {
		name string
		sugg []string
	}{
		{"atuh", []string{"auth"}},
		{"auht", []string{"auth"}},
		{"autor", []string{"author", "auth"}},
		{"Auth", []string{"auth", "author"}},
		{"AUTHOR", []string{"author", "auth"}},
		{"billin", []string{"billing"}},
		{"bill", []string{"billing"}},
		{"db", []string{"db.reader", "db.writer"}},
		{"db.raeder", []string{"db.reader"}},
		{"emial", []string{"email"}},
		{"a", nil}, // one letter is too little to suggest from
		{"cache2", []string{"cache"}},
		{"xyzzy", nil},
		{"completely_unrelated_name", nil},
		{"", nil},
		{strings.Repeat("auth", 100), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := r.New(registry.WithCorrelationID(context.Background(), id), tt.name)
			if h != nil {
				t.Errorf("h = %v, want nil", h)
			}
			var e *registry.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T %v, want *registry.Error", err, err)
			}
			if e.Code != registry.HandlerNotFound || e.Name != tt.name || e.CorrelationID != id {
				t.Errorf("err = %+v", e)
			}
			if !slices.Equal(e.Suggestions, tt.sugg) {
				t.Errorf("Suggestions = %q, want %q", e.Suggestions, tt.sugg)
			}
			msg := err.Error()
			for _, want := range []string{"HANDLER_LOADER_050", fmt.Sprintf("%q", tt.name), id.String()} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			for _, s := range tt.sugg {
				if !strings.Contains(msg, fmt.Sprintf("%q", s)) {
					t.Errorf("message %q does not mention suggestion %q", msg, s)
				}
			}
			if !errors.Is(err, registry.ErrHandlerNotFound) || errors.Is(err, registry.ErrConstructorFailed) {
				t.Errorf("errors.Is mismatch for %v", err)
			}
		})
	}
}

func TestSuggestionLimitAndOrder(t *testing.T) {
	r := registry.New(stubEntries("handler_a", "handler_b", "handler_c", "handler_d", "other"))
	_, err := r.New(context.Background(), "handler_x")
	var e *registry.Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	if want := []string{"handler_a", "handler_b", "handler_c"}; !slices.Equal(e.Suggestions, want) {
		t.Errorf("Suggestions = %q, want %q", e.Suggestions, want)
	}
	want := `HANDLER_LOADER_050: no handler registered as "handler_x" (did you mean "handler_a", "handler_b" or "handler_c"?) [correlation_id=`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message = %q, want prefix %q", err.Error(), want)
	}
}

// otherKey is a context key of another package.
type otherKey struct{}

func TestFreshCorrelationID(t *testing.T) {
	r := testRegistry()
	ids := map[uuid.UUID]bool{}
	for _, ctx := range []context.Context{
		context.Background(),
		registry.WithCorrelationID(context.Background(), uuid.Nil),
		context.WithValue(context.Background(), otherKey{}, "unrelated"),
	} {
		_, err := r.New(ctx, "nope")
		var e *registry.Error
		if !errors.As(err, &e) {
			t.Fatal(err)
		}
		if e.CorrelationID == uuid.Nil || e.CorrelationID.Version() != 4 || e.CorrelationID.Variant() != uuid.RFC4122 {
			t.Errorf("CorrelationID = %v (version %d), want a fresh v4", e.CorrelationID, e.CorrelationID.Version())
		}
		if ids[e.CorrelationID] {
			t.Errorf("CorrelationID %v reused", e.CorrelationID)
		}
		ids[e.CorrelationID] = true
		if !strings.Contains(err.Error(), "[correlation_id="+e.CorrelationID.String()+"]") {
			t.Errorf("message %q lacks the correlation ID", err)
		}
	}
}

func TestCorrelationIDContext(t *testing.T) {
	id := uuid.New()
	if _, ok := registry.CorrelationID(context.Background()); ok {
		t.Error("CorrelationID(Background) ok")
	}
	//lint:ignore SA1012 testing that a nil context is tolerated
	if _, ok := registry.CorrelationID(nil); ok {
		t.Error("CorrelationID(nil) ok")
	}
	ctx := registry.WithCorrelationID(context.Background(), id)
	if got, ok := registry.CorrelationID(ctx); !ok || got != id {
		t.Errorf("CorrelationID = %v, %v", got, ok)
	}
	// A derived context keeps it; an inner one overrides it.
	ctx2, cancel := context.WithCancel(ctx)
	defer cancel()
	if got, _ := registry.CorrelationID(ctx2); got != id {
		t.Errorf("derived CorrelationID = %v", got)
	}
	id2 := uuid.New()
	if got, _ := registry.CorrelationID(registry.WithCorrelationID(ctx2, id2)); got != id2 {
		t.Errorf("overridden CorrelationID = %v", got)
	}
	//lint:ignore SA1012 testing that a nil context is tolerated
	if got, ok := registry.CorrelationID(registry.WithCorrelationID(nil, id)); !ok || got != id {
		t.Errorf("WithCorrelationID(nil) = %v, %v", got, ok)
	}
	// A uuid.UUID under another key is not the correlation ID.
	if _, ok := registry.CorrelationID(context.WithValue(context.Background(), otherKey{}, id)); ok {
		t.Error("foreign key accepted")
	}
}

func TestConstructorError(t *testing.T) {
	cause := fmt.Errorf("dial db: %w", fs.ErrNotExist)
	id := uuid.New()
	r := registry.New([]registry.Entry[registry.Handler]{
		{Name: "broken", New: func(context.Context) (registry.Handler, error) { return &stub{}, cause }},
		{Name: "nilctor"},
		stubEntry("ok"),
	})
	ctx := registry.WithCorrelationID(context.Background(), id)

	h, err := r.New(ctx, "broken")
	if h != nil {
		t.Errorf("h = %v, want zero value on error", h)
	}
	var e *registry.Error
	if !errors.As(err, &e) || e.Code != registry.ConstructorFailed || e.Name != "broken" || e.CorrelationID != id {
		t.Fatalf("err = %#v", err)
	}
	if !errors.Is(err, cause) || !errors.Is(err, fs.ErrNotExist) || errors.Unwrap(err) != cause {
		t.Errorf("cause not wrapped: %v", err)
	}
	if !errors.Is(err, registry.ErrConstructorFailed) || errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("errors.Is by code wrong: %v", err)
	}
	if !errors.Is(err, &registry.Error{Code: registry.ConstructorFailed}) {
		t.Error("errors.Is with a fresh *Error of the same code failed")
	}
	want := `HANDLER_LOADER_051: constructor of handler "broken" failed: dial db: file does not exist [correlation_id=` + id.String() + "]"
	if err.Error() != want {
		t.Errorf("message = %q\nwant      %q", err.Error(), want)
	}

	h, err = r.New(ctx, "nilctor")
	if h != nil || !errors.Is(err, registry.ErrConstructorFailed) || !strings.Contains(err.Error(), `"nilctor"`) {
		t.Errorf("nil constructor: %v, %v", h, err)
	}
	if _, err := r.New(ctx, "ok"); err != nil {
		t.Errorf("ok: %v", err)
	}
}

// TestConstructorPanicIsCoded: whatever a constructor panics with (a value,
// an error, a runtime error, nil), New returns a HandlerPanicked error
// carrying the value, the stack, the name, the contract and the
// correlation ID, and the process goes on.
func TestConstructorPanicIsCoded(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name  string
		panic func()
		check func(v any) bool
	}{
		{"string", func() { panic("boom") }, func(v any) bool { return v == "boom" }},
		{"error", func() { panic(boom) }, func(v any) bool { return v == boom }},
		{"runtime", func() { writeNilMap(nil) }, func(v any) bool { _, ok := v.(runtime.Error); return ok }},
		{"nil", func() { panic(nil) }, func(v any) bool { _, ok := v.(*runtime.PanicNilError); return ok }},
	}
	id := uuid.MustParse("00000000-0000-4000-8000-000000000007")
	ctx := registry.WithCorrelationID(context.Background(), id)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := registry.New([]registry.Entry[int]{{Name: "p", Contract: "p/contract.yaml",
				New: func(context.Context) (int, error) { tt.panic(); return 1, nil }}})
			h, err := r.New(ctx, "p")
			var re *registry.Error
			if h != 0 || !errors.As(err, &re) || !errors.Is(err, registry.ErrHandlerPanicked) {
				t.Fatalf("New = %v, %v", h, err)
			}
			if re.Name != "p" || re.Contract != "p/contract.yaml" || re.Op != "New" || re.CorrelationID != id {
				t.Errorf("error = %+v", re)
			}
			var pe *registry.PanicError
			if !errors.As(err, &pe) || !tt.check(pe.Value) || !strings.Contains(string(pe.Stack), "registry_test.go") {
				t.Errorf("panic = %#v", pe)
			}
			if want := `HANDLER_LOADER_052: handler "p" panicked in its constructor: panic: `; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q, want prefix %q", err, want)
			}
		})
	}
	// A constructor's own error is never taken for a panic, whatever its type.
	own := &registry.PanicError{Value: "not a panic"}
	r := registry.New([]registry.Entry[int]{{Name: "e", New: func(context.Context) (int, error) { return 0, own }}})
	if _, err := r.New(ctx, "e"); !errors.Is(err, registry.ErrConstructorFailed) {
		t.Errorf("constructor returning a *PanicError: %v", err)
	}
}

func TestErrorFormatting(t *testing.T) {
	id := uuid.MustParse("00000000-0000-4000-8000-000000000001")
	tests := []struct {
		err  *registry.Error
		want string
	}{
		{registry.ErrHandlerNotFound, "HANDLER_LOADER_050: handler not found"},
		{registry.ErrConstructorFailed, "HANDLER_LOADER_051: handler constructor failed"},
		{&registry.Error{Code: registry.HandlerNotFound, Name: "x"}, `HANDLER_LOADER_050: no handler registered as "x"`},
		{&registry.Error{Code: registry.HandlerNotFound, Name: "x", Suggestions: []string{"y"}, CorrelationID: id},
			`HANDLER_LOADER_050: no handler registered as "x" (did you mean "y"?) [correlation_id=00000000-0000-4000-8000-000000000001]`},
		{&registry.Error{Code: registry.HandlerNotFound, Name: "x", Suggestions: []string{"y", "z"}},
			`HANDLER_LOADER_050: no handler registered as "x" (did you mean "y" or "z"?)`},
		{&registry.Error{Code: registry.ClassNotFound, Name: "x", Err: errors.New("boom")},
			`HANDLER_LOADER_011: class not found for handler "x": boom`},
		{&registry.Error{Code: 99}, `HANDLER_LOADER_099: error`},
		{registry.ErrHandlerPanicked, "HANDLER_LOADER_052: handler panicked"},
		{registry.ErrCallAbandoned, "HANDLER_LOADER_053: call abandoned"},
		{&registry.Error{Code: registry.HandlerPanicked, Name: "x", Op: "Execute", Err: &registry.PanicError{Value: "boom"}, CorrelationID: id},
			`HANDLER_LOADER_052: handler "x" panicked in Execute: panic: boom [correlation_id=00000000-0000-4000-8000-000000000001]`},
		{&registry.Error{Code: registry.CallAbandoned, Name: "x", Op: "Shutdown", Err: context.DeadlineExceeded},
			`HANDLER_LOADER_053: handler "x" abandoned in Shutdown: context deadline exceeded`},
		// Contain with no entry: no name to give.
		{&registry.Error{Code: registry.HandlerPanicked, Op: "Describe", Err: &registry.PanicError{Value: 1}},
			`HANDLER_LOADER_052: handler panicked in Describe: panic: 1`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q\nwant      %q", got, tt.want)
		}
	}
	var nilErr *registry.Error
	if nilErr.Error() != "<nil>" || nilErr.Unwrap() != nil || nilErr.Is(registry.ErrHandlerNotFound) {
		t.Error("nil *Error methods misbehave")
	}
	if registry.ErrHandlerNotFound.Is(nil) || registry.ErrHandlerNotFound.Is(errors.New("x")) {
		t.Error("Is matched a non-*Error")
	}
}

func TestLookupAllocs(t *testing.T) {
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("handler.%04d", i)
	}
	r := registry.New(stubEntries(names...))
	var sink bool
	for _, name := range []string{"handler.0000", "handler.0500", "handler.0999", "missing", ""} {
		if n := testing.AllocsPerRun(1000, func() { _, sink = r.Lookup(name) }); n != 0 {
			t.Errorf("Lookup(%q) allocates %v times, want 0", name, n)
		}
	}
	_ = sink
	var nilReg *registry.Registry[registry.Handler]
	if n := testing.AllocsPerRun(100, func() { _, sink = nilReg.Lookup("x") }); n != 0 {
		t.Errorf("nil Lookup allocates %v", n)
	}
	if n := testing.AllocsPerRun(100, func() { sink = r.Len() > 0 }); n != 0 {
		t.Errorf("Len allocates %v", n)
	}
}

func TestNewSortedDoesNotAllocate(t *testing.T) {
	in := stubEntries(testNames...)
	if n := testing.AllocsPerRun(100, func() { _ = registry.New(in) }); n > 1 {
		t.Errorf("New(sorted) allocates %v times, want at most 1 (the Registry)", n)
	}
}

func TestConcurrent(t *testing.T) {
	r := testRegistry()
	ctx := registry.WithCorrelationID(context.Background(), uuid.New())
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				name := testNames[(g+i)%len(testNames)]
				if e, ok := r.Lookup(name); !ok || e.Name != name {
					errs <- fmt.Errorf("Lookup(%q) = %q, %v", name, e.Name, ok)
					return
				}
				h, err := r.New(ctx, name)
				if err != nil || h.Describe().Name != name {
					errs <- fmt.Errorf("New(%q) = %v, %v", name, h, err)
					return
				}
				if _, err := r.New(ctx, name+"_missing"); !errors.Is(err, registry.ErrHandlerNotFound) {
					errs <- fmt.Errorf("New(missing) = %v", err)
					return
				}
				if i%20 == 0 {
					if got := r.Names(); !slices.Equal(got, testNames) {
						errs <- fmt.Errorf("Names = %q", got)
						return
					}
					if got := r.Entries(); len(got) != len(testNames) {
						errs <- fmt.Errorf("Entries len = %d", len(got))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestHealthCheckerOptional(t *testing.T) {
	var h registry.Handler = &stub{}
	if _, ok := h.(registry.HealthChecker); ok {
		t.Error("stub should not implement HealthChecker")
	}
	var hc registry.HealthChecker = healthy{}
	if got, err := hc.HealthCheck(context.Background()); err != nil || !got.Healthy {
		t.Errorf("HealthCheck = %+v, %v", got, err)
	}
}

type healthy struct{}

func (healthy) HealthCheck(context.Context) (registry.Health, error) {
	return registry.Health{Healthy: true, Detail: "ok"}, nil
}
