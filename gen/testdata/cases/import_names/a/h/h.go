// Package h shares its name with b/h.
package h

import "context"

type H struct{}

func (*H) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*H) Name() string                                        { return "a" }
