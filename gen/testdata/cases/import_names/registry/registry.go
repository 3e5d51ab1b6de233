// Package registry shares its name with the runtime package the generated
// file imports.
package registry

import "context"

type R struct{}

func (R) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (R) Name() string                                        { return "registry" }
