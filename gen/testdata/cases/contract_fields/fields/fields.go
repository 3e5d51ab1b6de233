// Package fields has one handler that several contracts name: the case is
// about what a contract's fields become in the registry.
package fields

import "context"

type H struct{}

func (H) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (H) Name() string                                        { return "fields" }
