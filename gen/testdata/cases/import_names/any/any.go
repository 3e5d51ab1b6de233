// Package any shares its name with a predeclared identifier the registry
// never writes.
package any

import "context"

type A struct{}

func (A) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (A) Name() string                                        { return "any" }
