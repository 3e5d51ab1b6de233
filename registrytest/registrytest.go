// Package registrytest checks a registry that handlergen generated, in the
// spirit of testing/fstest.TestFS: one call in a test of the package that
// holds the registry,
//
//	func TestRegistry(t *testing.T) {
//		registrytest.Check(t, Registry)
//	}
//
// makes every handler through the registry and reports every way in which
// the registry and its handlers disagree.
//
// handlergen proves at generate time that each handler type has the
// interface's methods, but not what they return: a contract may say
// handler_type: effect for a type whose HandlerType returns Compute, or a
// constructor may fail for every context. Those are facts about running
// code, so a test finds them.
package registrytest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/registry"
)

// Check runs TestRegistry with the test's context and reports each problem
// as its own test error, so a failing test lists all of them.
func Check[H any](t testing.TB, reg *registry.Registry[H], expected ...string) {
	t.Helper()
	for _, err := range problems(t.Context(), reg, expected) {
		t.Error(err)
	}
}

// TestRegistry checks reg and returns nil, or an error joining one error per
// problem (errors.Join), each naming the handler it concerns:
//
//   - every name in expected is registered;
//   - Lookup finds every entry under its name;
//   - every entry has a constructor and handler_type is a known type;
//   - Registry.New(ctx, name) succeeds for every entry, without panicking
//     (a constructor's panic, which Registry.New returns as
//     HANDLER_LOADER_052, is reported with its value and the frames from
//     the panic down to the constructor), and returns a non-nil instance;
//   - an instance that implements registry.Handler (the default interface,
//     or one that embeds it) returns its entry's handler_type from
//     HandlerType, and a Describe whose Name, Type and Version are its
//     entry's, neither of them panicking (a panic is reported as a
//     constructor's is).
//
// A nil registry is a problem. An empty one has none: handlergen writes a
// registry with no handlers when go generate finds no contracts (it warns,
// HANDLER_LOADER_001), and that registry is valid. But a registry that
// lost its handlers, because the directive's inputs no longer name the
// contracts' directories, is empty too, and passes: give expected names to
// catch it (each one missing is a problem, which then says the registry is
// empty).
//
// Constructors are called with ctx, one after another; nothing else of a
// handler is called (no Initialize, Execute or Shutdown). A constructor
// that blocks until ctx is done blocks TestRegistry as long: Check's ctx,
// t.Context(), ends only after the test, so go test's -timeout reports it,
// with the constructor's stack.
func TestRegistry[H any](ctx context.Context, reg *registry.Registry[H], expected ...string) error {
	return errors.Join(problems(ctx, reg, expected)...)
}

func problems[H any](ctx context.Context, reg *registry.Registry[H], expected []string) []error {
	var errs []error
	report := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if reg == nil {
		return []error{errors.New("registry is nil: pass the registry variable that handlergen generated")}
	}
	names := reg.Names()
	why := ""
	if len(names) == 0 {
		// The likeliest cause: go generate found no contracts (it warns,
		// 001, and writes an empty registry).
		why = ": the registry has no handlers (do its go:generate inputs name the contracts' directories?)"
	}
	for _, name := range expected {
		if !slices.Contains(names, name) {
			report("handler %q: expected, but not registered%s", name, why)
		}
	}
	for _, e := range reg.Entries() {
		errs = append(errs, checkEntry(ctx, reg, e)...)
	}
	return errs
}

// checkEntry returns the problems of one entry and of the instance its
// constructor makes.
func checkEntry[H any](ctx context.Context, reg *registry.Registry[H], e registry.Entry[H]) []error {
	var errs []error
	report := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("handler %q (%s): %s", e.Name, e.Contract, fmt.Sprintf(format, args...)))
	}
	// A registry whose index was computed for other names (a hand-edited
	// generated file) lists an entry that it cannot find.
	if got, ok := reg.Lookup(e.Name); !ok || got.Name != e.Name {
		report("Lookup(%q) does not find the entry: the registry's index does not match its entries (regenerate it)", e.Name)
		return errs
	}
	if !knownType(e.Type) {
		report("handler_type %s is not compute, effect or nondeterministic_compute", e.Type)
	}
	if e.New == nil {
		report("entry has no constructor")
		return errs
	}
	h, panicked, err := newInstance(ctx, reg, e.Name)
	switch {
	case panicked != nil:
		report("constructor panicked: %s", panicMessage(panicked, constructorFrames))
		return errs
	case err != nil:
		report("constructor failed: %v", err)
		return errs
	case isNil(h):
		report("constructor returned a nil %T and no error", h)
		return errs
	}
	hh, ok := any(h).(registry.Handler)
	if !ok {
		return errs
	}
	// A method that panics (on a field only Initialize sets, say) is one
	// problem of this handler, not the end of the test.
	if got, p := recovered(hh.HandlerType); p != nil {
		report("HandlerType() panicked: %s", panicMessage(p, methodFrames))
	} else if got != e.Type {
		report("HandlerType() returns %s, but the contract's handler_type is %s", got, e.Type)
	}
	d, p := recovered(hh.Describe)
	if p != nil {
		report("Describe() panicked: %s", panicMessage(p, methodFrames))
		return errs
	}
	if d.Name != e.Name {
		report("Describe().Name is %q, but the contract's handler_name is %q", d.Name, e.Name)
	}
	if d.Type != e.Type {
		report("Describe().Type is %s, but the contract's handler_type is %s", d.Type, e.Type)
	}
	if d.Version != e.Version {
		report("Describe().Version is %s, but the contract's handler_version is %s", d.Version, e.Version)
	}
	return errs
}

// newInstance calls reg.New and returns a panic of the constructor, which
// reg.New reports as HandlerPanicked (HANDLER_LOADER_052) with the value
// and the stack.
func newInstance[H any](ctx context.Context, reg *registry.Registry[H], name string) (h H, panicked *registry.PanicError, err error) {
	h, err = reg.New(ctx, name)
	var re *registry.Error
	if errors.As(err, &re) && re.Code == registry.HandlerPanicked {
		if pe, ok := re.Err.(*registry.PanicError); ok {
			return h, pe, nil
		}
	}
	return h, nil, err
}

// recovered calls f, turning a panic into a *registry.PanicError with the
// value and the stack.
func recovered[T any](f func() T) (v T, panicked *registry.PanicError) {
	returned := false
	defer func() {
		if !returned {
			panicked = registry.NewPanicError(recover())
		}
	}()
	v = f()
	returned = true
	return v, nil
}

// The frames of a panic's stack that end the part worth showing: the call
// into the handler's code, by Registry.New or by recovered.
const (
	constructorFrames = "github.com/handlergen/handlergen/registry.(*Registry["
	methodFrames      = "github.com/handlergen/handlergen/registrytest.recovered["
)

// panicMessage is the panic's value (its Error, which never panics, less
// "panic: ") and, indented below, the frames from the panic down to the
// call into the handler's code (the first frame starting with caller):
// where the handler panicked, without the frames of the recovery, of
// registrytest and of testing. A stack that does not have the expected
// shape is shown whole.
func panicMessage(p *registry.PanicError, caller string) string {
	msg := strings.TrimPrefix(p.Error(), "panic: ")
	lines := strings.Split(strings.TrimRight(string(p.Stack), "\n"), "\n")
	from, to := -1, -1
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "panic("):
			// The last one is the panic that was recovered; its own
			// frame is the line after it.
			from, to = i+2, -1
		case from >= 0 && to < 0 && strings.HasPrefix(l, caller):
			to = i
		}
	}
	if from >= 0 && to > from {
		lines = lines[from:to]
	}
	var b strings.Builder
	b.WriteString(msg)
	for _, l := range lines {
		b.WriteString("\n\t")
		b.WriteString(l)
	}
	return b.String()
}

func knownType(t registry.Type) bool {
	return t == registry.Compute || t == registry.Effect || t == registry.NondeterministicCompute
}

// isNil reports whether h is a nil interface or holds a nil pointer, map,
// slice, func or channel: a value whose methods would most likely panic.
func isNil(h any) bool {
	if h == nil {
		return true
	}
	switch v := reflect.ValueOf(h); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return v.IsNil()
	}
	return false
}
