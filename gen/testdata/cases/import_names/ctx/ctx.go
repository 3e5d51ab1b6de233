// Package ctx shares its name with the constructor's context parameter.
package ctx

import "context"

type C struct{}

func NewC(context.Context) *C { return &C{} }

func (*C) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*C) Name() string                                        { return "ctx" }
