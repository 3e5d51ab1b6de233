package isolate_test

import (
	"context"
	"io"
	"testing"

	"github.com/handlergen/handlergen/isolate"
	"github.com/handlergen/handlergen/registry"
)

// BenchmarkExecute is the cost of one Execute of a handler that echoes its
// payload, in this process and in an isolation host: what isolation adds
// per call (JSON both ways, framing over a socketpair, two context
// switches between processes). BenchmarkRawRoundTrip is the floor.
func BenchmarkExecute(b *testing.B) {
	ctx := context.Background()
	req := registry.Request{Operation: "run", Payload: map[string]any{"user": "ada", "n": 42}}
	b.Run("in-process", func(b *testing.B) {
		h, err := testRegistry("").New(ctx, "echo")
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Execute(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := isolate.NewClient(testRegistry(""), isolate.Config{HostLog: io.Discard, Env: []string{"GORACE"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	h, err := c.New(ctx, "echo")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("isolated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := h.Execute(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("isolated-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := h.Execute(ctx, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
