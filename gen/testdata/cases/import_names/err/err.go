// Package err shares its name with the constructor's error variable.
package err

import "context"

type E struct{}

func NewE() (*E, error) { return &E{}, nil }

func (*E) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*E) Name() string                                        { return "err" }
