// Package base is what the example's handlers share: everything but Execute.
package base

import (
	"context"

	"github.com/handlergen/handlergen/registry"
)

// Base implements every method of registry.Handler except Execute.
type Base struct {
	Name string
	Type registry.Type
}

func (b *Base) HandlerType() registry.Type                       { return b.Type }
func (b *Base) Initialize(context.Context, map[string]any) error { return nil }
func (b *Base) Shutdown(context.Context) error                   { return nil }
func (b *Base) Describe() registry.Descriptor {
	return registry.Descriptor{Name: b.Name, Type: b.Type, Version: registry.Version{Major: 1}}
}
