// Package upper is a compute handler: a pure function of its input.
package upper

import (
	"context"
	"fmt"
	"strings"

	"github.com/handlergen/handlergen/registry"
)

// Upper upper-cases its payload. Its zero value is ready to use, so the
// registry makes one with Upper{}.
type Upper struct{}

func (Upper) HandlerType() registry.Type                       { return registry.Compute }
func (Upper) Initialize(context.Context, map[string]any) error { return nil }
func (Upper) Shutdown(context.Context) error                   { return nil }
func (Upper) Describe() registry.Descriptor {
	return registry.Descriptor{Name: "upper", Type: registry.Compute, Version: registry.Version{Major: 1}, Description: "upper-cases text"}
}

func (Upper) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	return registry.Response{Payload: strings.ToUpper(fmt.Sprint(req.Payload))}, nil
}
