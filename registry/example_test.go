package registry_test

import (
	"context"
	"errors"
	"fmt"

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
