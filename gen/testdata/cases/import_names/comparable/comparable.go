// Package comparable shares its name with a predeclared identifier the registry
// never writes.
package comparable

import "context"

type C struct{}

func (C) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (C) Name() string                                        { return "comparable" }
