// Package quit calls os.Exit, as some libraries do on a fatal error: no
// recover can stop that in the same process.
package quit

import (
	"context"
	"os"

	"github.com/handlergen/handlergen/isolate/example/handlers/base"
	"github.com/handlergen/handlergen/registry"
)

// Quitter ends its process in Execute.
type Quitter struct{ base.Base }

// NewQuitter returns a Quitter.
func NewQuitter(context.Context) (*Quitter, error) {
	return &Quitter{base.Base{Name: "quit", Type: registry.Effect}}, nil
}

func (q *Quitter) Execute(context.Context, registry.Request) (registry.Response, error) {
	os.Exit(7)
	return registry.Response{}, nil
}
