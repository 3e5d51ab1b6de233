// Package hang never returns and ignores its context: in-process, such a
// call can only be abandoned, its goroutine leaked; in a host, it is killed.
package hang

import (
	"context"

	"github.com/handlergen/handlergen/isolate/example/handlers/base"
	"github.com/handlergen/handlergen/registry"
)

// Hanger blocks forever in Execute.
type Hanger struct{ base.Base }

// NewHanger returns a Hanger.
func NewHanger(context.Context) (*Hanger, error) {
	return &Hanger{base.Base{Name: "hang", Type: registry.Effect}}, nil
}

func (h *Hanger) Execute(context.Context, registry.Request) (registry.Response, error) {
	select {}
}
