package isolate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// TestErrorRoundTrip: an error flattened in the host, sent by gob and
// rebuilt in the client keeps its code, name, operation,
// contract, correlation ID, suggestions, panic stack and message.
func TestErrorRoundTrip(t *testing.T) {
	id := uuid.MustParse("00000000-0000-4000-8000-000000000002")
	ctxID := uuid.MustParse("00000000-0000-4000-8000-000000000003")
	base := registry.Error{Code: registry.ConstructorFailed, Name: "other", Op: "Lookup", Contract: "x/contract.yaml",
		CorrelationID: id, Suggestions: []string{"a", "b"}, Err: errors.New("cause")}
	panicked := base
	panicked.Code, panicked.Err = registry.HandlerPanicked, &registry.PanicError{Value: "boom", Stack: []byte("stack")}
	bare := registry.Error{Code: 13}
	tests := []struct {
		name string
		err  error
		want string // the message in the client
	}{
		{"coded", &base, base.Error()},
		{"wrapped", fmt.Errorf("outer: %w", &base), "outer: " + base.Error()},
		{"panic", &panicked, panicked.Error()},
		{"no fields", &bare, (&registry.Error{Code: 13, Name: "h", CorrelationID: ctxID}).Error()},
		{"plain", errors.New("plain"), "plain"},
	}
	h := &handler{e: &registry.Entry[registry.Handler]{Name: "h", Contract: "h/contract.yaml"}}
	ctx := registry.WithCorrelationID(context.Background(), ctxID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := replyMsg(1, &wire.Reply{Err: wire.FromError(tt.err)})
			if err != nil {
				t.Fatal(err)
			}
			meta, _, err := splitMsg(append(m.parts[0], m.parts[1]...))
			if err != nil {
				t.Fatal(err)
			}
			var r wire.Reply
			if err := r.DecodeMeta(meta); err != nil {
				t.Fatal(err)
			}
			got := h.remoteError(ctx, r.Err)
			if got.Error() != tt.want {
				t.Errorf("message\n got %s\nwant %s", got, tt.want)
			}
			var want, re *registry.Error
			if !errors.As(tt.err, &want) {
				if errors.As(got, &re) {
					t.Errorf("a plain error came back coded: %#v", re)
				}
				return
			}
			if !errors.As(got, &re) {
				t.Fatalf("not a *registry.Error: %#v", got)
			}
			name, contract, cid := want.Name, want.Contract, want.CorrelationID
			if name == "" {
				name, contract, cid = "h", "h/contract.yaml", ctxID
			}
			if re.Code != want.Code || re.Name != name || re.Op != want.Op || re.Contract != contract || re.CorrelationID != cid ||
				fmt.Sprint(re.Suggestions) != fmt.Sprint(want.Suggestions) {
				t.Errorf("got %+v, want %+v", *re, *want)
			}
			var pe *registry.PanicError
			if errors.As(want, &pe) {
				var gp *registry.PanicError
				if !errors.As(re, &gp) || string(gp.Stack) != "stack" || fmt.Sprint(gp.Value) != "boom" {
					t.Errorf("panic: %#v", gp)
				}
			}
		})
	}
}

// TestCancelMarkersBounded: Cancels that find no call running (most come
// after their call ended) are kept in bounded memory, and a Cancel that
// overtakes its Call still cancels it.
func TestCancelMarkersBounded(t *testing.T) {
	reg := registry.New([]registry.Entry[registry.Handler]{{Name: "wait", Type: registry.Compute,
		New: func(context.Context) (registry.Handler, error) { return waiter{}, nil }}})
	s := newHost(reg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var r wire.Reply
	if err := s.Call(wire.Call{ID: 1, Method: "New", Name: "wait"}, &r); err != nil || r.Err != nil {
		t.Fatal(err, r.Err)
	}
	instance := r.Instance
	for id := uint64(2); id < 100_000; id++ {
		if err := s.Cancel(id, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.markers(); n > 2*maxMarkers {
		t.Errorf("%d cancel markers kept", n)
	}
	// A Cancel just before its Call: the call's context is done.
	id := uint64(100_001)
	s.Cancel(id, nil)
	data := marshal(t, wire.Request{})
	r = wire.Reply{}
	if err := s.Call(wire.Call{ID: id, Method: "Execute", Instance: instance, Data: data, Timeout: time.Hour}, &r); err != nil {
		t.Fatal(err)
	}
	if r.Err == nil || r.Err.Message != context.Canceled.Error() {
		t.Errorf("call cancelled before it started: %+v", r.Err)
	}
	if n := s.markers(); n > 2*maxMarkers {
		t.Errorf("%d cancel markers kept", n)
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := wire.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// waiter's Execute returns when its context is done.
type waiter struct{}

func (waiter) HandlerType() registry.Type                       { return registry.Compute }
func (waiter) Initialize(context.Context, map[string]any) error { return nil }
func (waiter) Shutdown(context.Context) error                   { return nil }
func (waiter) Describe() registry.Descriptor                    { return registry.Descriptor{Name: "wait"} }
func (waiter) Execute(ctx context.Context, _ registry.Request) (registry.Response, error) {
	<-ctx.Done()
	return registry.Response{}, ctx.Err()
}

// TestBackoff: the wait before a restart is 0 before any failure, then
// MinBackoff doubling with each failure in a row up to MaxBackoff, without
// overflow however many failures there were.
func TestBackoff(t *testing.T) {
	c := &Client{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second}}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second, 10 * time.Second}
	p := &pool{}
	for n, w := range want {
		p.failures = n
		if got := c.backoff(p); got != w {
			t.Errorf("after %d failures: %v, want %v", n, got, w)
		}
	}
	for _, n := range []int{64, 1000, 1 << 40} {
		p.failures = n
		if got := c.backoff(p); got != 10*time.Second {
			t.Errorf("after %d failures: %v", n, got)
		}
	}
}

// TestPanicValueThatBlocks: a handler that panics with a value whose
// String, Error or Format method never returns gets its HandlerPanicked
// reply promptly: the host formats the value with registry's time limit.
func TestPanicValueThatBlocks(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // the formatting goroutines end
	values := []any{blockString{release}, blockError{release}, blockFormat{release}, []any{1, blockString{release}}}
	for i, v := range values {
		reg := registry.New([]registry.Entry[registry.Handler]{{Name: "p", Type: registry.Compute,
			New: func(context.Context) (registry.Handler, error) { return panicker{v}, nil }}})
		s := newHost(reg, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})))
		var r wire.Reply
		if err := s.Call(wire.Call{ID: 1, Method: "New", Name: "p"}, &r); err != nil || r.Err != nil {
			t.Fatal(err, r.Err)
		}
		call := wire.Call{ID: 2, Method: "Execute", Instance: r.Instance, Data: marshal(t, wire.Request{})}
		done := make(chan wire.Reply, 1)
		go func() {
			var r wire.Reply
			s.Call(call, &r)
			done <- r
		}()
		select {
		case r := <-done:
			if r.Err == nil || registry.Code(r.Err.Code) != registry.HandlerPanicked || !r.Err.Panic {
				t.Errorf("value %d (%T): reply %+v", i, v, r.Err)
			} else if !strings.Contains(r.Err.Message, "did not return") {
				t.Errorf("value %d (%T): message %q", i, v, r.Err.Message)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("value %d (%T): no reply in 5s", i, v)
		}
	}
}

// panicker's Execute panics with v.
type panicker struct{ v any }

func (panicker) HandlerType() registry.Type                       { return registry.Compute }
func (panicker) Initialize(context.Context, map[string]any) error { return nil }
func (panicker) Shutdown(context.Context) error                   { return nil }
func (panicker) Describe() registry.Descriptor                    { return registry.Descriptor{Name: "p"} }
func (p panicker) Execute(context.Context, registry.Request) (registry.Response, error) {
	panic(p.v)
}

// Panic values whose formatting blocks until release is closed.
type (
	blockString struct{ release chan struct{} }
	blockError  struct{ release chan struct{} }
	blockFormat struct{ release chan struct{} }
)

func (b blockString) String() string             { <-b.release; return "string" }
func (b blockError) Error() string               { <-b.release; return "error" }
func (b blockFormat) Format(f fmt.State, _ rune) { <-b.release; fmt.Fprint(f, "format") }
