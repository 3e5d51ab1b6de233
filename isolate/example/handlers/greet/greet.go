// Package greet returns a greeting, and the host's process ID to show where it ran.
package greet

import (
	"context"
	"fmt"
	"os"

	"github.com/handlergen/handlergen/isolate/example/handlers/base"
	"github.com/handlergen/handlergen/registry"
)

// Greeter greets.
type Greeter struct{ base.Base }

// NewGreeter returns a Greeter.
func NewGreeter(context.Context) (*Greeter, error) {
	return &Greeter{base.Base{Name: "greet", Type: registry.Compute}}, nil
}

func (g *Greeter) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	return registry.Response{Payload: fmt.Sprintf("Hello, %v!", req.Payload), Metadata: map[string]string{"pid": fmt.Sprint(os.Getpid())}}, nil
}
