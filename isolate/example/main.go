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
	c, err := isolate.NewClient(Registry, isolate.Config{
		KillAfter:  100 * time.Millisecond, // a call may outlive its deadline this long
		MinBackoff: 10 * time.Millisecond,  // restart quickly for the demo
		HostLog:    io.Discard,             // the host's JSON log lines (panics with stacks)
	})
	if err != nil {
		return err
	}
	defer c.Close()
	for _, name := range []string{"greet", "crash", "greet", "quit", "greet", "hang", "greet"} {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		result, abandoned := call(ctx, c, name)
		fmt.Fprintf(out, "%-5s  %s\n", name, result)
		cancel()
		if abandoned {
			// The host is killed if the call is still running KillAfter
			// after its deadline; give it that time, to show the next
			// call in a new host.
			time.Sleep(200 * time.Millisecond)
		}
	}
	fmt.Fprintf(out, "service pid %d survived\n", os.Getpid())
	return nil
}

// call makes the handler in the host and executes it, and reports whether
// the call was abandoned at its deadline.
func call(ctx context.Context, c *isolate.Client, name string) (string, bool) {
	h, err := c.New(ctx, name)
	if err != nil {
		return err.Error(), false
	}
	resp, err := h.Execute(ctx, registry.Request{Operation: "run", Payload: "World"})
	if re, ok := err.(*registry.Error); ok {
		return fmt.Sprintf("%s %s: %v", re.Code, re.Code.Name(), re.Err), re.Code == registry.CallAbandoned
	} else if err != nil {
		return err.Error(), false
	}
	return fmt.Sprintf("%v (host pid %s)", resp.Payload, resp.Metadata["pid"]), false
}
