// Package good has the handler the case's other contracts misname.
package good

import "context"

type Value struct{}

func (Value) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (Value) Name() string                                        { return "value" }
