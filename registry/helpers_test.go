package registry_test

import (
	"context"
	"log/slog"

	"github.com/handlergen/handlergen/registry"
)

// stub is a minimal registry.Handler used by the tests and benchmarks.
type stub struct{ name string }

func (s *stub) HandlerType() registry.Type { return registry.Compute }
func (s *stub) Initialize(context.Context, map[string]any) error {
	return nil
}
func (s *stub) Shutdown(context.Context) error { return nil }
func (s *stub) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	return registry.Response{Payload: req.Payload}, nil
}
func (s *stub) Describe() registry.Descriptor {
	return registry.Descriptor{Name: s.name, Type: registry.Compute}
}

var _ registry.Handler = (*stub)(nil)

func stubEntry(name string) registry.Entry[registry.Handler] {
	return registry.Entry[registry.Handler]{
		Name:  name,
		Class: "example.com/handlers." + name,
		Type:  registry.Compute,
		New: func(context.Context) (registry.Handler, error) {
			return &stub{name: name}, nil
		},
	}
}

func stubEntries(names ...string) []registry.Entry[registry.Handler] {
	out := make([]registry.Entry[registry.Handler], len(names))
	for i, n := range names {
		out[i] = stubEntry(n)
	}
	return out
}

// writeNilMap fails with a runtime error when m is nil, for tests of
// panics (a literal nil map would be flagged by staticcheck).
func writeNilMap(m map[string]int) { m["x"] = 1 }

// containedRegistry wraps r with contained handlers, logged to log when
// it is not nil.
func containedRegistry(r *registry.Registry[registry.Handler], log *slog.Logger) *registry.Registry[registry.Handler] {
	opts := []registry.Option{registry.WithContainment()}
	if log != nil {
		opts = append(opts, registry.WithLogger(log))
	}
	return registry.Wrap(r, opts...)
}
