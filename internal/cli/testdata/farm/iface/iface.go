// Package iface is the handler interface of the fake build farm's tree.
package iface

import "context"

type Handler interface {
	Handle(ctx context.Context, in string) (string, error)
}
