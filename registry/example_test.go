package registry_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

// greeter is a handler as a user would write it.
type greeter struct{ greeting string }

func newGreeter(context.Context) (*greeter, error) { return &greeter{greeting: "hello"}, nil }

func (g *greeter) HandlerType() registry.Type                       { return registry.Compute }
func (g *greeter) Initialize(context.Context, map[string]any) error { return nil }
func (g *greeter) Shutdown(context.Context) error                   { return nil }
func (g *greeter) Describe() registry.Descriptor {
	return registry.Descriptor{Name: "greet", Type: registry.Compute, Version: registry.Version{Major: 1}}
}
func (g *greeter) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	return registry.Response{Payload: fmt.Sprintf("%s, %v", g.greeting, req.Payload)}, nil
}

// handlers is what a generated file declares (abridged).
var handlers = registry.New([]registry.Entry[registry.Handler]{
	{
		Name:     "echo",
		Class:    "example.com/app/handlers.Echo",
		Type:     registry.Compute,
		Version:  registry.Version{Major: 1, Minor: 2},
		Contract: "handlers/echo/handler_contract.yaml",
		New:      func(context.Context) (registry.Handler, error) { return &stub{name: "echo"}, nil },
	},
	{
		Name:     "greet",
		Class:    "example.com/app/handlers.Greeter",
		Type:     registry.Compute,
		Version:  registry.Version{Major: 1},
		Contract: "handlers/greet/handler_contract.yaml",
		New: func(ctx context.Context) (registry.Handler, error) {
			h, err := newGreeter(ctx)
			if err != nil {
				return nil, err
			}
			return h, nil
		},
	},
})

// Example shows a request using a generated registry: make a handler by
// name, then execute it.
func Example() {
	ctx := context.Background()
	h, err := handlers.New(ctx, "greet")
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, _ := h.Execute(ctx, registry.Request{Operation: "greet", Payload: "world"})
	fmt.Println(resp.Payload)
	// Output: hello, world
}

func ExampleNew() {
	r := registry.New([]registry.Entry[fmt.Stringer]{
		{Name: "b", Version: registry.Version{Major: 2}},
		{Name: "a", Version: registry.Version{Major: 1}}, // out of order: sorted in a copy
	})
	fmt.Println(r.Len(), r.Names())
	// Output: 2 [a b]
}

func ExampleRegistry_Lookup() {
	e, ok := handlers.Lookup("greet")
	fmt.Println(ok, e.Class, e.Version, e.Type, e.Contract)
	_, ok = handlers.Lookup("nope")
	fmt.Println(ok)
	// Output:
	// true example.com/app/handlers.Greeter 1.0.0 compute handlers/greet/handler_contract.yaml
	// false
}

func ExampleRegistry_New() {
	h, err := handlers.New(context.Background(), "greet")
	fmt.Println(h.Describe().Name, err)
	// Output: greet <nil>
}

func ExampleRegistry_New_unknownName() {
	id := uuid.MustParse("0b1e7c1a-5a9f-4c3e-9d1e-2f6a8b7c9d10")
	ctx := registry.WithCorrelationID(context.Background(), id)
	_, err := handlers.New(ctx, "gerret")
	fmt.Println(err)

	var e *registry.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Code.Name(), e.Suggestions)
	}
	fmt.Println(errors.Is(err, registry.ErrHandlerNotFound))
	// Output:
	// HANDLER_LOADER_050: no handler registered as "gerret" (did you mean "greet"?) [correlation_id=0b1e7c1a-5a9f-4c3e-9d1e-2f6a8b7c9d10]
	// HANDLER_LOADER_050 HANDLER_NOT_FOUND [greet]
	// true
}

func ExampleRegistry_New_constructorError() {
	errDown := errors.New("database is down")
	r := registry.New([]registry.Entry[registry.Handler]{{
		Name: "store",
		New:  func(context.Context) (registry.Handler, error) { return nil, errDown },
	}})
	ctx := registry.WithCorrelationID(context.Background(), uuid.MustParse("11111111-2222-4333-8444-555555555555"))
	_, err := r.New(ctx, "store")
	fmt.Println(err)
	fmt.Println(errors.Is(err, registry.ErrConstructorFailed), errors.Is(err, errDown))
	// Output:
	// HANDLER_LOADER_051: constructor of handler "store" failed: database is down [correlation_id=11111111-2222-4333-8444-555555555555]
	// true true
}

func ExampleRegistry_Names() {
	fmt.Println(handlers.Names())
	// Output: [echo greet]
}

func ExampleRegistry_Entries() {
	for _, e := range handlers.Entries() {
		fmt.Println(e.Name, e.Version)
	}
	// Output:
	// echo 1.2.0
	// greet 1.0.0
}

func ExampleWithCorrelationID() {
	id := uuid.MustParse("0b1e7c1a-5a9f-4c3e-9d1e-2f6a8b7c9d10")
	ctx := registry.WithCorrelationID(context.Background(), id)
	got, ok := registry.CorrelationID(ctx)
	fmt.Println(got, ok)
	// Output: 0b1e7c1a-5a9f-4c3e-9d1e-2f6a8b7c9d10 true
}

// fragile is a handler with two bugs: Execute panics on a nil payload and,
// for "wait", ignores its context.
type fragile struct {
	stub
	release chan struct{}
}

func (f *fragile) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	if req.Operation == "wait" {
		<-f.release // ignores ctx
	}
	return registry.Response{Payload: len(req.Payload.([]byte))}, nil
}

// ExampleContain shows a contained handler's panic and a call that outlives
// its context, both returned as coded errors to a caller that goes on.
func ExampleContain() {
	e, _ := handlers.Lookup("echo")
	f := &fragile{release: make(chan struct{})}
	defer close(f.release) // lets the abandoned call finish
	h := registry.Contain(f, e)
	ctx := registry.WithCorrelationID(context.Background(), uuid.MustParse("22222222-3333-4444-8555-666666666666"))

	resp, err := h.Execute(ctx, registry.Request{Payload: []byte("abc")})
	fmt.Println(resp.Payload, err)

	_, err = h.Execute(ctx, registry.Request{}) // Payload nil: the handler panics
	fmt.Println(err)
	var pe *registry.PanicError
	fmt.Println(errors.Is(err, registry.ErrHandlerPanicked), errors.As(err, &pe) && len(pe.Stack) > 0)

	ctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, err = h.Execute(ctx, registry.Request{Operation: "wait"})
	fmt.Println(err)
	fmt.Println(errors.Is(err, registry.ErrCallAbandoned), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// 3 <nil>
	// HANDLER_LOADER_052: handler "echo" panicked in Execute: panic: interface conversion: interface {} is nil, not []uint8 [correlation_id=22222222-3333-4444-8555-666666666666]
	// true true
	// HANDLER_LOADER_053: handler "echo" abandoned in Execute: context deadline exceeded [correlation_id=22222222-3333-4444-8555-666666666666]
	// true true
}

// ExampleWrap makes contained handlers from a registry: a panicking
// constructor, as a panicking method, is an error, not the end of the
// program. With WithLogger as well, both would also be logged.
func ExampleWrap() {
	r := registry.New([]registry.Entry[registry.Handler]{
		{Name: "broken", New: func(context.Context) (registry.Handler, error) { panic("no config") }},
		{Name: "fragile", New: func(context.Context) (registry.Handler, error) { return &fragile{}, nil }},
	})
	c := registry.Wrap(r, registry.WithContainment())
	ctx := registry.WithCorrelationID(context.Background(), uuid.MustParse("22222222-3333-4444-8555-666666666666"))
	_, err := c.New(ctx, "broken")
	fmt.Println(err)
	h, _ := c.New(ctx, "fragile")
	_, err = h.Execute(ctx, registry.Request{Payload: 42})
	fmt.Println(err)
	// Output:
	// HANDLER_LOADER_052: handler "broken" panicked in its constructor: panic: no config [correlation_id=22222222-3333-4444-8555-666666666666]
	// HANDLER_LOADER_052: handler "fragile" panicked in Execute: panic: interface conversion: interface {} is int, not []uint8 [correlation_id=22222222-3333-4444-8555-666666666666]
}
