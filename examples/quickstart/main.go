// Command quickstart dispatches a handler chosen by name from a registry
// that handlergen generated from the contracts under handlers/.
//
//	go run ./examples/quickstart              # list the registry
//	go run ./examples/quickstart greet World  # run a handler (instantiations of
//	                                          # audit_logging handlers are logged)
//	go run ./examples/quickstart -describe    # the registry's provenance as JSON
package main

//go:generate go tool handlergen -o registry_gen.go ./handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/handlergen/handlergen/registry"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		for _, e := range Registry.Entries() {
			fmt.Printf("%-8s %-25s %-7s %s\n", e.Name, e.Type, e.Version, e.Contract)
		}
		return nil
	}
	if args[0] == "-describe" {
		// What an admin endpoint would serve: every handler with its
		// contract, digest and module version.
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(Registry.Describe())
	}
	// Contracts with security.audit_logging get a log record per instance.
	audited := registry.Wrap(Registry, registry.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	h, err := audited.New(ctx, args[0])
	if err != nil {
		if errors.Is(err, registry.ErrHandlerNotFound) {
			return fmt.Errorf("%w (known: %s)", err, strings.Join(Registry.Names(), ", "))
		}
		return err
	}
	if err := h.Initialize(ctx, nil); err != nil {
		return err
	}
	defer h.Shutdown(ctx)
	resp, err := h.Execute(ctx, registry.Request{Operation: "run", Payload: strings.Join(args[1:], " ")})
	if err != nil {
		return err
	}
	fmt.Printf("%s (%s) -> %v\n", args[0], h.HandlerType(), resp.Payload)
	return nil
}
