// Package context shares its name with the standard package the
// generated file imports.
package context

import stdctx "context"

type Ctx struct{}

func NewCtx(stdctx.Context) (*Ctx, error) { return &Ctx{}, nil }

func (*Ctx) Handle(_ stdctx.Context, in string) (string, error) { return in, nil }
func (*Ctx) Name() string                                       { return "context" }
