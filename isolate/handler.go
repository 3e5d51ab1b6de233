package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// handler is a registry.Handler whose instance lives in the host. When the
// host it was made in is gone, the next call makes it again in the new
// host, and initializes it again with the config of its last successful
// Initialize: what it kept in memory is lost with the old host.
//
// A handler the service drops without Shutdown is released in the host
// when the garbage collector finds it unreachable (runtime.AddCleanup): the
// host drops its instance without calling Shutdown, as a handler dropped
// in process is collected without one.
type handler struct {
	c      *Client
	e      *registry.Entry[registry.Handler]
	p      *pool         // its group's
	remake chan struct{} // a slot, held while the instance is made in a new host
	st     *state        // apart from handler: the cleanup's argument
	clean  runtime.Cleanup
}

// state is where a handler's instance lives, and what it needs to be made
// again.
type state struct {
	mu          sync.Mutex
	host        *hostConn // where the instance lives
	instance    uint64
	config      []byte // of the last successful Initialize
	initialized bool
	shut        bool
	health      bool // the instance implements HealthChecker
}

// healthHandler is a handler whose instance implements HealthChecker.
type healthHandler struct{ *handler }

// describeTimeout bounds Describe, which has no context.
const describeTimeout = 10 * time.Second

func newHandler(c *Client, e *registry.Entry[registry.Handler], p *pool) *handler {
	return &handler{c: c, e: e, p: p, remake: make(chan struct{}, 1), st: &state{}}
}

// make makes the instance in the running host (or a new one), and arranges
// its release when the handler is dropped.
func (h *handler) make(ctx context.Context) error {
	ctx = withID(ctx)
	_, err := h.retry(func() (*wire.Reply, error) {
		_, _, err := h.ready(ctx)
		return nil, err
	})
	if err != nil {
		return h.coded(ctx, "New", err)
	}
	c := h.c
	h.clean = runtime.AddCleanup(h, func(st *state) {
		st.mu.Lock()
		host, instance, shut := st.host, st.instance, st.shut
		st.mu.Unlock()
		if !shut {
			c.spawn(func() { c.release(host, instance) })
		}
	}, h.st)
	return nil
}

// retry runs f, and once more when the host had exited before f's call
// was sent: nothing ran, and the next host may serve it.
func (h *handler) retry(f func() (*wire.Reply, error)) (*wire.Reply, error) {
	r, err := f()
	if errors.Is(err, errUndelivered) {
		r, err = f()
	}
	return r, err
}

// ready returns the host and instance for a call, making the instance in a
// new host when the old one is gone.
func (h *handler) ready(ctx context.Context) (*hostConn, uint64, error) {
	host, err := h.c.acquire(ctx, h.p)
	if err != nil {
		return nil, 0, err
	}
	if cur, id, err := h.current(); err != nil || cur == host {
		return cur, id, err
	}
	select { // wait for another call making it, as long as ctx allows
	case h.remake <- struct{}{}:
		defer func() { <-h.remake }()
	case <-ctx.Done():
		return nil, 0, abandoned(ctx, "", ctx.Err())
	}
	if cur, id, err := h.current(); err != nil || cur == host {
		return cur, id, err
	}
	r, err := h.c.call(ctx, host, wire.Call{Method: "New", Name: h.e.Name})
	if err != nil {
		return nil, 0, err
	}
	if r.Err != nil {
		return nil, 0, h.remoteError(ctx, r.Err)
	}
	instance, health := r.Instance, r.Health
	h.st.mu.Lock()
	config, initialized := h.st.config, h.st.initialized
	h.st.mu.Unlock()
	if initialized {
		ri, err := h.c.call(ctx, host, wire.Call{Method: "Initialize", Instance: instance, Data: config})
		if err == nil && ri.Err != nil {
			err = h.remoteError(ctx, ri.Err)
		}
		if err != nil {
			h.c.release(host, instance)
			return nil, 0, fmt.Errorf("initializing again in a new host: %w", err)
		}
	}
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	if h.st.shut { // shut down meanwhile
		h.c.release(host, instance)
		return nil, 0, errShutDown
	}
	h.st.host, h.st.instance, h.st.health = host, instance, health
	return host, instance, nil
}

// current returns where the instance lives now.
func (h *handler) current() (*hostConn, uint64, error) {
	h.st.mu.Lock()
	defer h.st.mu.Unlock()
	if h.st.shut {
		return nil, 0, errShutDown
	}
	return h.st.host, h.st.instance, nil
}

var errShutDown = errors.New("isolate: the handler was shut down")

// do sends one method call to the handler's instance.
func (h *handler) do(ctx context.Context, method string, data []byte) (*wire.Reply, error) {
	defer runtime.KeepAlive(h) // not released in the host during its call
	return h.retry(func() (*wire.Reply, error) {
		host, instance, err := h.ready(ctx)
		if err != nil {
			return nil, err
		}
		r, err := h.c.call(ctx, host, wire.Call{Method: method, Instance: instance, Data: data})
		if err != nil {
			return nil, err
		}
		if r.Err != nil {
			return r, h.remoteError(ctx, r.Err)
		}
		return r, nil
	})
}

// coded gives err the handler's name, contract, operation and correlation
// ID, where it has none, when it is a *registry.Error; other errors are the
// handler's own.
func (h *handler) coded(ctx context.Context, op string, err error) error {
	var re *registry.Error
	if errors.As(err, &re) && re != nil {
		if re.Name == "" {
			re.Name, re.Contract = h.e.Name, h.e.Contract
		}
		if re.Op == "" {
			re.Op = op
		}
		if re.CorrelationID == uuid.Nil {
			re.CorrelationID, _ = registry.CorrelationID(ctx)
		}
	}
	return err
}

// remoteError rebuilds an error the host sent: coded errors as
// *registry.Error with the fields they had there (a panic with its value's
// text and the host's stack), wrapped in their wrapper's text if they had
// one; others as *RemoteError.
func (h *handler) remoteError(ctx context.Context, w *wire.Error) error {
	if w.Code == 0 {
		return &RemoteError{Message: w.Message}
	}
	re := &registry.Error{Code: registry.Code(w.Code), Name: w.Name, Contract: w.Contract, Op: w.Op,
		CorrelationID: w.CorrelationID, Suggestions: w.Suggestions}
	switch {
	case w.Panic:
		re.Err = &registry.PanicError{Value: &RemoteError{Message: w.Message}, Stack: w.Stack}
	case w.Message != "":
		re.Err = &RemoteError{Message: w.Message}
	}
	h.coded(ctx, w.Op, re)
	if w.Wrapped != "" {
		return &wrapped{msg: w.Wrapped, err: re}
	}
	return re
}

// wrapped is an error that wrapped a *registry.Error in the host: its
// message, and the error for errors.As and errors.Is.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// RemoteError is an error a handler returned in the host, by its message:
// its type and identity stay there, so errors.Is with the handler's
// sentinel errors does not match across the process boundary.
type RemoteError struct{ Message string }

func (e *RemoteError) Error() string { return e.Message }

// HandlerType returns the contract's handler_type, without asking the host
// (registrytest checks that handlers agree with their contracts).
func (h *handler) HandlerType() registry.Type { return h.e.Type }

// Initialize sends config to the instance's Initialize.
func (h *handler) Initialize(ctx context.Context, config map[string]any) error {
	ctx = withID(ctx)
	data, err := wire.Marshal(config)
	if err != nil {
		return h.coded(ctx, "Initialize", &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("config: %w", err)})
	}
	if _, err := h.do(ctx, "Initialize", data); err != nil {
		return h.coded(ctx, "Initialize", err)
	}
	h.st.mu.Lock()
	h.st.config, h.st.initialized = data, true
	h.st.mu.Unlock()
	return nil
}

// Execute sends req to the instance's Execute. Payload and Config cross as
// JSON, so the handler gets, and the caller gets back, what encoding/json
// decodes into an any: map[string]any, []any, string, float64, bool, nil.
func (h *handler) Execute(ctx context.Context, req registry.Request) (registry.Response, error) {
	ctx = withID(ctx)
	var data []byte
	err := bounded(ctx, func() (err error) {
		data, err = wire.Marshal(wire.Request{Operation: req.Operation, Payload: req.Payload, Config: req.Config})
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			err = &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("request: %w", err)}
		}
		return registry.Response{}, h.coded(ctx, "Execute", err)
	}
	r, err := h.do(ctx, "Execute", data)
	if r == nil || r.Data == nil {
		return registry.Response{}, h.coded(ctx, "Execute", err)
	}
	var resp wire.Response
	if jerr := bounded(ctx, func() error { return json.Unmarshal(r.Data, &resp) }); jerr != nil {
		if ctx.Err() == nil {
			jerr = &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("response: %w", jerr)}
		}
		return registry.Response{}, h.coded(ctx, "Execute", jerr)
	}
	return registry.Response{Payload: resp.Payload, Metadata: resp.Metadata}, h.coded(ctx, "Execute", err)
}

// bounded runs f, encoding or decoding a value of the caller's, and
// returns CallAbandoned when ctx ends first: a deadline bounds the whole
// call, and the JSON of a large payload can take longer than the
// deadline. f then runs on, its result dropped. Under a context that
// cannot end, f runs in the caller's goroutine.
func bounded(ctx context.Context, f func() error) error {
	if ctx.Done() == nil {
		return f()
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return abandoned(ctx, "", ctx.Err())
	}
}

// Shutdown calls the instance's Shutdown and releases it in the host,
// whatever Shutdown returns; later calls fail. When the host the instance
// lived in is gone, the instance went with it: Shutdown returns nil and
// starts no host. When ctx has ended before the call could be sent, the
// instance is released without its Shutdown, and the error is
// CallAbandoned.
func (h *handler) Shutdown(ctx context.Context) error {
	ctx = withID(ctx)
	h.st.mu.Lock()
	host, instance, shut := h.st.host, h.st.instance, h.st.shut
	h.st.shut = true
	h.st.mu.Unlock()
	if shut {
		return errShutDown
	}
	h.clean.Stop()
	if host == nil || host.isGone() {
		return nil
	}
	r, err := h.c.call(ctx, host, wire.Call{Method: "Shutdown", Instance: instance})
	switch {
	case errors.Is(err, errUndelivered):
		return nil // the host had exited
	case errors.As(err, new(notSent)):
		h.c.release(host, instance) // the caller has gone: no Shutdown, but no leak
	case err == nil && r.Err != nil:
		err = h.remoteError(ctx, r.Err)
	}
	return h.coded(ctx, "Shutdown", err)
}

// Describe asks the instance, for at most 10 seconds; when the host cannot
// answer, it returns what the contract declares.
func (h *handler) Describe() registry.Descriptor {
	ctx, cancel := context.WithTimeout(withID(context.Background()), describeTimeout)
	defer cancel()
	if r, err := h.do(ctx, "Describe", nil); err == nil {
		var d wire.Descriptor
		if json.Unmarshal(r.Data, &d) == nil {
			return registry.Descriptor{Name: d.Name, Type: d.Type, Version: registry.Version(d.Version), Tags: d.Tags, Description: d.Description}
		}
	}
	return h.e.Descriptor() // a copy: the caller may change its Tags, never the entry's
}

// HealthCheck asks the instance.
func (h *healthHandler) HealthCheck(ctx context.Context) (registry.Health, error) {
	ctx = withID(ctx)
	r, err := h.do(ctx, "HealthCheck", nil)
	if err != nil {
		return registry.Health{}, h.coded(ctx, "HealthCheck", err)
	}
	var health registry.Health
	if err := json.Unmarshal(r.Data, &health); err != nil {
		return registry.Health{}, h.coded(ctx, "HealthCheck", &registry.Error{Code: registry.PayloadNotJSON, Err: err})
	}
	return health, nil
}

// withID gives ctx a correlation ID when it has none, so the error, the
// host's log and the handler all see one ID.
func withID(ctx context.Context) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	if _, ok := registry.CorrelationID(ctx); ok {
		return ctx
	}
	return registry.WithCorrelationID(ctx, registry.CorrelationIDOrNew(ctx))
}
