// Command example is a service whose handlers run in an isolation host: one
// panics, one calls os.Exit, one never returns, and the service survives
// all three, each failure a coded error.
//
//	go run ./example
package main

//go:generate go tool handlergen -o registry_gen.go ./handlers

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/handlergen/handlergen/isolate"
	"github.com/handlergen/handlergen/registry"
)

func main() {
	// The same binary, started by the client below, is the host.
	if isolate.IsHost() {
		isolate.Serve(Registry)
	}
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	begin := time.Now()
	c, err := isolate.NewClient(Registry, isolate.Config{
		KillAfter:  100 * time.Millisecond, // a call may outlive its deadline this long
		MinBackoff: 10 * time.Millisecond,  // restart quickly for the demo
		HostLog:    io.Discard,             // the hosts' log records (panics with stacks)
	})
	if err != nil {
		return err
	}
	defer c.Close()
	// Each handler runs in a host of its own, started by its first New,
	// which waits as long as a start takes. The deadline of a call is
	// derived from how long the first host took to start, so that a
	// loaded machine does not turn a slow answer into an abandoned call.
	timeout := max(500*time.Millisecond, 5*time.Since(begin))
	for _, name := range []string{"greet", "crash", "greet", "quit", "greet", "hang", "greet"} {
		result := call(c, name, timeout)
		fmt.Fprintf(out, "%-5s  %s\n", name, result)
	}
	fmt.Fprintf(out, "service pid %d survived\n", os.Getpid())
	return nil
}

// call makes the handler in its host and executes it with a deadline.
func call(c *isolate.Client, name string, timeout time.Duration) string {
	h, err := c.New(context.Background(), name)
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	resp, err := h.Execute(ctx, registry.Request{Operation: "run", Payload: "World"})
	if re, ok := err.(*registry.Error); ok {
		return fmt.Sprintf("%s %s: %v", re.Code, re.Code.Name(), re.Err)
	} else if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%v (host pid %s)", resp.Payload, resp.Metadata["pid"])
}
