// Package ok has the one handler the case's valid contract names.
package ok

import "context"

type OK struct{}

func (OK) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (OK) Name() string                                        { return "ok" }
