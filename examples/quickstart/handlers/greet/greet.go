// Package greet is an effect handler: it writes to the outside world.
package greet

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/handlergen/handlergen/registry"
)

// Greeter writes a greeting. It has a constructor, NewGreeter, which the
// registry calls for every instance instead of using the zero value.
type Greeter struct {
	out      io.Writer
	greeting string
}

// NewGreeter returns a Greeter writing to standard output.
func NewGreeter(ctx context.Context) (*Greeter, error) {
	return &Greeter{out: os.Stdout, greeting: "Hello"}, nil
}

func (g *Greeter) HandlerType() registry.Type { return registry.Effect }

// Initialize takes an optional "greeting" from the configuration.
func (g *Greeter) Initialize(_ context.Context, config map[string]any) error {
	if s, ok := config["greeting"].(string); ok {
		g.greeting = s
	}
	return nil
}

func (g *Greeter) Shutdown(context.Context) error { return nil }

func (g *Greeter) Describe() registry.Descriptor {
	return registry.Descriptor{Name: "greet", Type: registry.Effect, Version: registry.Version{Major: 1, Minor: 2}, Description: "prints a greeting"}
}

func (g *Greeter) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	n, err := fmt.Fprintf(g.out, "%s, %v!\n", g.greeting, req.Payload)
	return registry.Response{Payload: n}, err
}
