// Package iface declares the handler interface of the case's registry.
package iface

import "context"

type Handler interface {
	Handle(ctx context.Context, in string) (string, error)
	Name() string
}
