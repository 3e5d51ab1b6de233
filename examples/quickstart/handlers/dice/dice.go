// Package dice is a nondeterministic_compute handler: pure, but not
// reproducible.
package dice

import (
	"context"
	"math/rand/v2"

	"github.com/handlergen/handlergen/registry"
)

// Dice rolls a die with Sides sides (default 6). Its methods have pointer
// receivers, so the registry makes instances with &Dice{}.
type Dice struct{ Sides int }

func (d *Dice) HandlerType() registry.Type { return registry.NondeterministicCompute }

// Initialize takes an optional "sides" from the configuration.
func (d *Dice) Initialize(_ context.Context, config map[string]any) error {
	if n, ok := config["sides"].(int); ok && n > 0 {
		d.Sides = n
	}
	return nil
}

func (d *Dice) Shutdown(context.Context) error { return nil }

func (d *Dice) Describe() registry.Descriptor {
	return registry.Descriptor{Name: "dice", Type: registry.NondeterministicCompute, Version: registry.Version{Major: 1}, Description: "rolls a die"}
}

func (d *Dice) Execute(context.Context, registry.Request) (registry.Response, error) {
	sides := d.Sides
	if sides <= 0 {
		sides = 6
	}
	return registry.Response{Payload: 1 + rand.IntN(sides)}, nil
}
