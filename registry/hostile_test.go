package registry_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"testing"

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
// containment logging, on any path: Registry.New, Audited.New,
// Contain (both paths), Contained's logging of a panic the caller sees, of
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
			a := r.WithAudit(log.logger(slog.LevelInfo))
			for _, e := range entries {
				_, err := r.New(context.Background(), e.Name)
				safely(t, "Registry.New's error of "+e.Name, func() {
					want := map[string]string{"ctor": `HANDLER_LOADER_052: handler "ctor" panicked in its constructor: panic: `, "fails": `HANDLER_LOADER_051: constructor of handler "fails" failed: `}[e.Name]
					if msg := err.Error(); !strings.HasPrefix(msg, want) {
						t.Errorf("message %q, want prefix %q", msg, want)
					}
				})
				safely(t, "Audited.New of "+e.Name, func() { a.New(context.Background(), e.Name) })
			}
			if recs := log.records(t); len(recs) != len(entries) {
				t.Errorf("%d audit records, want %d:\n%s", len(recs), len(entries), log.buf.String())
			}

			// Contain, without and with a logger, on both paths.
			log.buf.Reset()
			started, release := make(chan struct{}), make(chan struct{})
			c := registry.NewContained(registry.New([]registry.Entry[registry.Handler]{
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
				safely(t, "Contained's Execute", func() { ch.Execute(ctx, registry.Request{}) })
			}
			safely(t, "Contained's Describe", func() { ch.Describe() })
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
// panic: fmt's own text where fmt copes, else the value's type.
func TestHostileMessages(t *testing.T) {
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
