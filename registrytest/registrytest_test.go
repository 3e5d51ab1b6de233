package registrytest_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/internal/phash"
	"github.com/handlergen/handlergen/registry"
	"github.com/handlergen/handlergen/registrytest"
)

// handler is a registry.Handler whose answers a test case chooses.
type handler struct {
	typ  registry.Type
	desc registry.Descriptor
}

func (h *handler) HandlerType() registry.Type                       { return h.typ }
func (h *handler) Initialize(context.Context, map[string]any) error { return nil }
func (h *handler) Shutdown(context.Context) error                   { return nil }
func (h *handler) Describe() registry.Descriptor                    { return h.desc }
func (h *handler) Execute(context.Context, registry.Request) (registry.Response, error) {
	return registry.Response{}, nil
}

// panicking is a handler whose every method panics.
type panicking struct{ handler }

func (*panicking) HandlerType() registry.Type    { panic("not initialized") }
func (*panicking) Describe() registry.Descriptor { panic("not initialized") }

var v123 = registry.Version{Major: 1, Minor: 2, Patch: 3}

// entry is a registry entry whose handler agrees with it, after edit has
// changed the handler.
func entry(name string, typ registry.Type, edit func(*handler)) registry.Entry[registry.Handler] {
	return registry.Entry[registry.Handler]{
		Name: name, Type: typ, Version: v123, Contract: name + "/handler_contract.yaml",
		New: func(context.Context) (registry.Handler, error) {
			h := &handler{typ: typ, desc: registry.Descriptor{Name: name, Type: typ, Version: v123}}
			if edit != nil {
				edit(h)
			}
			return h, nil
		},
	}
}

func withNew(e registry.Entry[registry.Handler], f func(context.Context) (registry.Handler, error)) registry.Entry[registry.Handler] {
	e.New = f
	return e
}

func TestTestRegistry(t *testing.T) {
	tests := []struct {
		name     string
		entries  []registry.Entry[registry.Handler]
		expected []string
		want     []string // one substring per reported problem, in order
	}{
		{
			name:    "agreeing handlers",
			entries: []registry.Entry[registry.Handler]{entry("a", registry.Compute, nil), entry("b", registry.Effect, nil), entry("c", registry.NondeterministicCompute, nil)},
		},
		// A registry generated from no contracts is valid (go generate
		// warns, 001); only names expected of it make it fail.
		{name: "empty registry"},
		{
			name:     "empty registry, names expected",
			expected: []string{"a", "b"},
			want: []string{
				`handler "a": expected, but not registered: the registry has no handlers (do its go:generate inputs name the contracts' directories?)`,
				`handler "b": expected, but not registered: the registry has no handlers`,
			},
		},
		{
			name:     "expected names present",
			entries:  []registry.Entry[registry.Handler]{entry("a", registry.Compute, nil), entry("b", registry.Effect, nil)},
			expected: []string{"b", "a"},
		},
		{
			name:     "expected name missing",
			entries:  []registry.Entry[registry.Handler]{entry("a", registry.Compute, nil)},
			expected: []string{"a", "nope"},
			want:     []string{`handler "nope": expected, but not registered`},
		},
		{
			// The case the contract cannot catch: it says effect, the code compute.
			name:    "HandlerType disagrees with handler_type",
			entries: []registry.Entry[registry.Handler]{entry("a", registry.Effect, func(h *handler) { h.typ = registry.Compute })},
			want:    []string{`handler "a" (a/handler_contract.yaml): HandlerType() returns compute, but the contract's handler_type is effect`},
		},
		{
			name: "Describe disagrees in name, type and version",
			entries: []registry.Entry[registry.Handler]{entry("a", registry.Compute, func(h *handler) {
				h.desc = registry.Descriptor{Name: "b", Type: registry.Effect, Version: registry.Version{Major: 2}}
			})},
			want: []string{
				`handler "a" (a/handler_contract.yaml): Describe().Name is "b", but the contract's handler_name is "a"`,
				`Describe().Type is effect, but the contract's handler_type is compute`,
				`Describe().Version is 2.0.0, but the contract's handler_version is 1.2.3`,
			},
		},
		{
			name:    "Describe left empty",
			entries: []registry.Entry[registry.Handler]{entry("a", registry.Compute, func(h *handler) { h.desc = registry.Descriptor{} })},
			want:    []string{`Describe().Name is ""`, `Describe().Type is Type(0)`, `Describe().Version is 0.0.0`},
		},
		{
			name: "constructor fails",
			entries: []registry.Entry[registry.Handler]{withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) {
				return nil, errors.New("no database")
			})},
			want: []string{`handler "a" (a/handler_contract.yaml): constructor failed: HANDLER_LOADER_051`},
		},
		{
			// A constructor's own error is never taken for a panic, even
			// when it wraps a 052 (from a registry the constructor uses).
			name: "constructor fails with a 052 of its own",
			entries: []registry.Entry[registry.Handler]{withNew(entry("a", registry.Compute, nil), func(ctx context.Context) (registry.Handler, error) {
				inner := registry.New([]registry.Entry[registry.Handler]{withNew(entry("dep", registry.Compute, nil), func(context.Context) (registry.Handler, error) { panic("dep") })})
				_, err := inner.New(ctx, "dep")
				return nil, fmt.Errorf("making dep: %w", err)
			})},
			want: []string{`handler "a" (a/handler_contract.yaml): constructor failed: HANDLER_LOADER_051: constructor of handler "a" failed: making dep: HANDLER_LOADER_052`},
		},
		{
			name: "constructor panics, the next handler is still checked",
			entries: []registry.Entry[registry.Handler]{
				withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) { panic("boom") }),
				entry("b", registry.Effect, func(h *handler) { h.typ = registry.Compute }),
			},
			want: []string{`handler "a" (a/handler_contract.yaml): constructor panicked: boom`, `handler "b" (b/handler_contract.yaml): HandlerType() returns compute`},
		},
		{
			// Methods called on a handler that was never initialized may
			// panic; each panic is that handler's problem, and the next
			// handler is still checked.
			name: "HandlerType and Describe panic",
			entries: []registry.Entry[registry.Handler]{
				withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) { return &panicking{}, nil }),
				entry("b", registry.Effect, func(h *handler) { h.typ = registry.Compute }),
			},
			want: []string{
				`handler "a" (a/handler_contract.yaml): HandlerType() panicked: not initialized`,
				`handler "a" (a/handler_contract.yaml): Describe() panicked: not initialized`,
				`handler "b" (b/handler_contract.yaml): HandlerType() returns compute`,
			},
		},
		{
			name: "constructor returns a nil pointer",
			entries: []registry.Entry[registry.Handler]{withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) {
				return (*handler)(nil), nil
			})},
			want: []string{`handler "a" (a/handler_contract.yaml): constructor returned a nil *registrytest_test.handler and no error`},
		},
		{
			name: "constructor returns a nil interface",
			entries: []registry.Entry[registry.Handler]{withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) {
				return nil, nil
			})},
			want: []string{`handler "a" (a/handler_contract.yaml): constructor returned a nil <nil> and no error`},
		},
		{
			name:    "no constructor",
			entries: []registry.Entry[registry.Handler]{withNew(entry("a", registry.Compute, nil), nil)},
			want:    []string{`handler "a" (a/handler_contract.yaml): entry has no constructor`},
		},
		{
			name: "unknown handler_type",
			entries: []registry.Entry[registry.Handler]{entry("a", registry.Type(9), func(h *handler) {
				h.typ, h.desc.Type = registry.Type(9), registry.Type(9)
			})},
			want: []string{`handler "a" (a/handler_contract.yaml): handler_type Type(9) is not compute, effect or nondeterministic_compute`},
		},
		{
			name: "every problem of every handler",
			entries: []registry.Entry[registry.Handler]{
				entry("a", registry.Effect, func(h *handler) { h.typ = registry.Compute }),
				entry("b", registry.Compute, nil),
				entry("c", registry.Compute, func(h *handler) { h.desc.Version = registry.Version{} }),
				withNew(entry("d", registry.Compute, nil), func(context.Context) (registry.Handler, error) { return nil, errors.New("x") }),
			},
			expected: []string{"e"},
			want:     []string{`"e": expected`, `"a"`, `"c"`, `"d"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := registrytest.TestRegistry(context.Background(), registry.New(tt.entries), tt.expected...)
			checkErrors(t, err, tt.want)
		})
	}
}

func checkErrors(t *testing.T, err error, want []string) {
	t.Helper()
	var got []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		got = j.Unwrap()
	} else if err != nil {
		got = []error{err}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		if !strings.Contains(got[i].Error(), w) {
			t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
		}
	}
}

// An index computed for other names, as in a hand-edited generated file,
// makes the registry list entries it cannot find.
func TestIndexForOtherNames(t *testing.T) {
	tab, err := phash.Build([]string{"x", "y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	entries := []registry.Entry[registry.Handler]{entry("a", registry.Compute, nil), entry("b", registry.Compute, nil), entry("c", registry.Compute, nil)}
	reg := registry.NewIndexed(entries, registry.Index{Seed: tab.Seed, Pilots: tab.Pilots, Slots: tab.Slots})
	err = registrytest.TestRegistry(context.Background(), reg)
	if err == nil || !strings.Contains(err.Error(), "does not find the entry") {
		t.Errorf("got %v, want entries that Lookup does not find", err)
	}
	// The same entries with their own index agree.
	tab, err = phash.Build([]string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	reg = registry.NewIndexed(entries, registry.Index{Seed: tab.Seed, Pilots: tab.Pilots, Slots: tab.Slots})
	if err := registrytest.TestRegistry(context.Background(), reg); err != nil {
		t.Error(err)
	}
}

func TestNilRegistry(t *testing.T) {
	err := registrytest.TestRegistry[registry.Handler](context.Background(), nil)
	checkErrors(t, err, []string{"registry is nil"})
}

// custom is an interface of the user's own that does not embed
// registry.Handler: only the constructors can be checked.
type custom interface{ Run() string }

type runner struct{}

func (runner) Run() string { return "ran" }

func TestCustomInterface(t *testing.T) {
	ok := func(context.Context) (custom, error) { return runner{}, nil }
	reg := registry.New([]registry.Entry[custom]{
		{Name: "a", Type: registry.Compute, New: ok},
		{Name: "b", Type: registry.Effect, New: func(context.Context) (custom, error) { return nil, fmt.Errorf("broken") }},
	})
	checkErrors(t, registrytest.TestRegistry(context.Background(), reg), []string{`handler "b" (): constructor failed`})
}

// The context given to TestRegistry reaches the constructors.
func TestContextReachesConstructors(t *testing.T) {
	type key struct{}
	var seen []any
	reg := registry.New([]registry.Entry[custom]{{Name: "a", Type: registry.Compute, New: func(ctx context.Context) (custom, error) {
		seen = append(seen, ctx.Value(key{}))
		return runner{}, nil
	}}})
	if err := registrytest.TestRegistry(context.WithValue(context.Background(), key{}, "v"), reg); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0] != "v" {
		t.Errorf("constructor saw %v, want one call with the test's context", seen)
	}
}

// recorder is the testing.TB that Check reports to.
type recorder struct {
	testing.TB
	ctx    context.Context
	errors []string
}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Error(args ...any)        { r.errors = append(r.errors, fmt.Sprint(args...)) }

func TestCheckReportsEachProblem(t *testing.T) {
	reg := registry.New([]registry.Entry[registry.Handler]{
		entry("a", registry.Effect, func(h *handler) { h.typ = registry.Compute }),
		entry("b", registry.Compute, nil),
		entry("c", registry.Compute, func(h *handler) { h.desc.Name = "see" }),
	})
	r := &recorder{ctx: context.Background()}
	registrytest.Check(r, reg, "b")
	if len(r.errors) != 2 || !strings.Contains(r.errors[0], `"a"`) || !strings.Contains(r.errors[1], `"c"`) {
		t.Errorf("Check reported %q, want one error for a and one for c", r.errors)
	}
	r = &recorder{ctx: context.Background()}
	registrytest.Check(r, registry.New([]registry.Entry[registry.Handler]{entry("b", registry.Compute, nil)}))
	if len(r.errors) != 0 {
		t.Errorf("Check of an agreeing registry reported %q", r.errors)
	}
}

// Example shows the one call a user's test makes; Registry stands for the
// generated registry variable.
func ExampleCheck() {
	Registry := registry.New([]registry.Entry[registry.Handler]{entry("greet", registry.Effect, nil)})
	err := registrytest.TestRegistry(context.Background(), Registry, "greet")
	fmt.Println(err)
	// In a test: registrytest.Check(t, Registry, "greet")

	// Output: <nil>
}

// writeNilMap fails with a runtime error when m is nil (a literal nil map
// would be flagged by staticcheck).
func writeNilMap(m map[string]int) { m["x"]++ }

// errSelf's Error panics with itself: fmt, printing it, recovers that panic
// and then panics again printing the value it recovered.
type errSelf struct{}

func (e errSelf) Error() string { panic(e) }

// selfPanicking is a handler whose HandlerType and Describe panic with
// errSelf.
type selfPanicking struct{ handler }

func (*selfPanicking) HandlerType() registry.Type    { panic(errSelf{}) }
func (*selfPanicking) Describe() registry.Descriptor { panic(errSelf{}) }

// TestPanicsReported: a panic of a constructor (which Registry.New returns
// as HANDLER_LOADER_052) or of HandlerType or Describe is reported with its
// value and where it happened: the frames from the panic down to the call,
// without those of the registry, registrytest and testing. A value that
// fmt cannot print does not end the test binary.
func TestPanicsReported(t *testing.T) {
	reg := registry.New([]registry.Entry[registry.Handler]{
		withNew(entry("a", registry.Compute, nil), func(context.Context) (registry.Handler, error) { panic("boom") }),
		withNew(entry("b", registry.Compute, nil), func(context.Context) (registry.Handler, error) {
			writeNilMap(nil) // a runtime error, whose place is what the user needs
			return nil, nil
		}),
		withNew(entry("c", registry.Compute, nil), func(context.Context) (registry.Handler, error) { panic(errSelf{}) }),
		withNew(entry("d", registry.Compute, nil), func(context.Context) (registry.Handler, error) { return &selfPanicking{}, nil }),
		withNew(entry("e", registry.Compute, nil), func(context.Context) (registry.Handler, error) { return &panicking{}, nil }),
	})
	var err error
	func() {
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("TestRegistry panicked with a %T", v)
			}
		}()
		err = registrytest.TestRegistry(context.Background(), reg)
		_ = err.Error()
	}()
	checkErrors(t, err, []string{
		`handler "a" (a/handler_contract.yaml): constructor panicked: boom` + "\n",
		`handler "b" (b/handler_contract.yaml): constructor panicked: assignment to entry in nil map` + "\n",
		`handler "c" (c/handler_contract.yaml): constructor panicked: (registrytest_test.errSelf: its Error method panicked)` + "\n",
		`handler "d" (d/handler_contract.yaml): HandlerType() panicked: (registrytest_test.errSelf: its Error method panicked)` + "\n",
		`handler "d" (d/handler_contract.yaml): Describe() panicked: (registrytest_test.errSelf: its Error method panicked)` + "\n",
		`handler "e" (e/handler_contract.yaml): HandlerType() panicked: not initialized` + "\n",
		`handler "e" (e/handler_contract.yaml): Describe() panicked: not initialized` + "\n",
	})
	for _, p := range err.(interface{ Unwrap() []error }).Unwrap() {
		msg := p.Error()
		if !strings.Contains(msg, "registrytest_test.go:") {
			t.Errorf("problem without the place of the panic:\n%s", msg)
		}
		for _, frame := range []string{"runtime/debug.Stack", "registry.NewPanicError", "registrytest.newInstance", "registrytest.recovered", "testing.tRunner"} {
			if strings.Contains(msg, frame) {
				t.Errorf("problem shows the frame %s, not the handler's:\n%s", frame, msg)
			}
		}
	}
}
