// Package crash panics: in a service without containment, one such bug ends the process.
package crash

import (
	"context"

	"github.com/handlergen/handlergen/isolate/example/handlers/base"
	"github.com/handlergen/handlergen/registry"
)

// Crasher panics in Execute.
type Crasher struct{ base.Base }

// NewCrasher returns a Crasher.
func NewCrasher(context.Context) (*Crasher, error) {
	return &Crasher{base.Base{Name: "crash", Type: registry.Compute}}, nil
}

func (c *Crasher) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	var steps []string
	return registry.Response{Payload: steps[len(req.Operation)]}, nil // index out of range
}
