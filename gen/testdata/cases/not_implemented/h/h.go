// Package h has a handler that implements the interface and two that do
// not: the run reports both and writes nothing.
package h

import "context"

// Good implements the interface.
type Good struct{}

func (Good) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (Good) Name() string                                        { return "good" }

// Missing lacks Name.
type Missing struct{}

func (Missing) Handle(_ context.Context, in string) (string, error) { return in, nil }

// WrongSig has Name with the wrong result.
type WrongSig struct{}

func (WrongSig) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (WrongSig) Name() int                                           { return 0 }
