package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"regexp"
	"testing"

	"github.com/handlergen/handlergen/isolate"
	"github.com/handlergen/handlergen/registry"
	"github.com/handlergen/handlergen/registrytest"
)

// The test binary is the host, as the example's binary is.
func TestMain(m *testing.M) {
	if isolate.IsHost() {
		isolate.Serve(Registry)
	}
	os.Setenv("GORACE", "atexit_sleep_ms=0") // hosts built with -race would wait a second at exit
	os.Exit(m.Run())
}

// TestSurvives: the demo's service outlives a panic, an os.Exit and a hang,
// each reported with its code, and greets from the same host throughout:
// each handler has a host of its own, so the others' failures cost greet
// nothing. run derives its deadline from the measured start of a host.
func TestSurvives(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^greet  Hello, World! \(host pid (\d+)\)
crash  HANDLER_LOADER_052 HANDLER_PANICKED: panic: runtime error: index out of range \[3\] with length 0
greet  Hello, World! \(host pid (\d+)\)
quit   HANDLER_LOADER_055 HOST_FAILED: host \(pid \d+\) failed during the call: .*
greet  Hello, World! \(host pid (\d+)\)
hang   HANDLER_LOADER_053 CALL_ABANDONED: context deadline exceeded
greet  Hello, World! \(host pid (\d+)\)
service pid \d+ survived
$`)
	m := want.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output:\n%s", out.String())
	}
	if m[1] != m[2] || m[2] != m[3] || m[3] != m[4] {
		t.Errorf("greet's host pids %v: want one host, untouched by the other handlers' failures", m[1:])
	}
}

// TestRegistryThroughHost: every handler can be made in the host and agrees
// with its contract, checked by registrytest through the client's registry.
func TestRegistryThroughHost(t *testing.T) {
	c, err := isolate.NewClient(Registry, isolate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	registrytest.Check(t, c.Registry())
	if _, err := c.New(context.Background(), "gret"); !errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("unknown name: %v", err)
	}
}
