package main

import (
	"testing"

	"github.com/handlergen/handlergen/registrytest"
)

// TestRegistry makes every handler through the generated registry and
// checks that each agrees with its contract (handler_type, Describe).
func TestRegistry(t *testing.T) {
	registrytest.Check(t, Registry, "dice", "greet", "upper")
}
