// Package ctors has one handler per constructor shape the fixture case
// does not show, and two whose New function the generator does not use.
package ctors

import "context"

// Ptr is made by NewPtr() *Ptr.
type Ptr struct{}

func NewPtr() *Ptr { return &Ptr{} }

func (*Ptr) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*Ptr) Name() string                                        { return "ptr" }

// Ctx is made by NewCtx(ctx) *Ctx: a context and no error.
type Ctx struct{}

func NewCtx(context.Context) *Ctx { return &Ctx{} }

func (*Ctx) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*Ctx) Name() string                                        { return "ctx" }

// Fallible is made by NewFallible() (Fallible, error): an error and no
// context, a value.
type Fallible struct{}

func NewFallible() (Fallible, error) { return Fallible{}, nil }

func (Fallible) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (Fallible) Name() string                                        { return "fallible" }

// Addr has NewAddr() Addr, a value, but only *Addr implements the
// interface: it is made as &Addr{}, with a warning.
type Addr struct{}

func NewAddr() Addr { return Addr{} }

func (*Addr) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*Addr) Name() string                                        { return "addr" }

// Odd has a NewOdd that takes an argument: not a constructor the registry
// can call, so it is made as &Odd{}, with a warning.
type Odd struct{ n int }

func NewOdd(n int) *Odd { return &Odd{n: n} }

func (*Odd) Handle(_ context.Context, in string) (string, error) { return in, nil }
func (*Odd) Name() string                                        { return "odd" }
