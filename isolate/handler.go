package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// handler is a registry.Handler whose instance lives in the host. When the
// host it was made in is gone, the next call makes it again in the new
// host, and initializes it again with the config of its last successful
// Initialize: what it kept in memory is lost with the old host.
type handler struct {
	c      *Client
	e      *registry.Entry[registry.Handler]
	health bool

	mu          sync.Mutex
	host        *hostConn // where the instance lives
	instance    uint64
	config      []byte // of the last successful Initialize
	initialized bool
	shut        bool
}

// healthHandler is a handler whose instance implements HealthChecker.
type healthHandler struct{ *handler }

// describeTimeout bounds Describe, which has no context.
const describeTimeout = 10 * time.Second

// make makes the instance in the running host (or a new one).
func (h *handler) make(ctx context.Context) error {
	ctx = withID(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	_, _, err := h.ready(ctx)
	return h.coded(ctx, "New", err)
}

// ready returns the host and instance for a call, making the instance in a
// new host when the old one is gone; h.mu is held.
func (h *handler) ready(ctx context.Context) (*hostConn, uint64, error) {
	if h.shut {
		return nil, 0, errShutDown
	}
	host, err := h.c.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	if host == h.host {
		return host, h.instance, nil
	}
	r, err := h.c.call(ctx, host, wire.Call{Method: "New", Name: h.e.Name})
	if err != nil {
		return nil, 0, err
	}
	if r.Err != nil {
		return nil, 0, h.remoteError(ctx, r.Err)
	}
	h.host, h.instance, h.health = host, r.Instance, r.Health
	if h.initialized {
		r, err := h.c.call(ctx, host, wire.Call{Method: "Initialize", Instance: h.instance, Data: h.config})
		if err == nil && r.Err != nil {
			err = h.remoteError(ctx, r.Err)
		}
		if err != nil {
			h.host = nil
			return nil, 0, fmt.Errorf("initializing again in a new host: %w", err)
		}
	}
	return host, h.instance, nil
}

var errShutDown = errors.New("isolate: the handler was shut down")

// do sends one method call to the handler's instance.
func (h *handler) do(ctx context.Context, method string, data []byte) (*wire.Reply, error) {
	h.mu.Lock()
	host, instance, err := h.ready(ctx)
	h.mu.Unlock()
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
}

// coded gives err the handler's name, contract, operation and correlation
// ID when it is a *registry.Error; other errors are the handler's own.
func (h *handler) coded(ctx context.Context, op string, err error) error {
	var re *registry.Error
	if errors.As(err, &re) {
		if re.Name == "" {
			re.Name, re.Contract = h.e.Name, h.e.Contract
		}
		if re.Op == "" {
			re.Op = op
		}
		re.CorrelationID, _ = registry.CorrelationID(ctx)
	}
	return err
}

// remoteError rebuilds an error the host sent: coded errors as
// *registry.Error (a panic with its value's text and the host's stack),
// others as *RemoteError.
func (h *handler) remoteError(ctx context.Context, w *wire.Error) error {
	if w.Code == 0 {
		return &RemoteError{Message: w.Message}
	}
	id, _ := registry.CorrelationID(ctx)
	var cause error = &RemoteError{Message: w.Message}
	if w.Panic {
		cause = &registry.PanicError{Value: &RemoteError{Message: w.Message}, Stack: w.Stack}
	}
	if w.Message == "" {
		cause = nil
	}
	return &registry.Error{Code: registry.Code(w.Code), Name: h.e.Name, Contract: h.e.Contract, Op: w.Op, CorrelationID: id, Err: cause}
}

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
	data, err := json.Marshal(config)
	if err != nil {
		return h.coded(ctx, "Initialize", &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("config: %w", err)})
	}
	if _, err := h.do(ctx, "Initialize", data); err != nil {
		return h.coded(ctx, "Initialize", err)
	}
	h.mu.Lock()
	h.config, h.initialized = data, true
	h.mu.Unlock()
	return nil
}

// Execute sends req to the instance's Execute. Payload and Config cross as
// JSON, so the handler gets, and the caller gets back, what encoding/json
// decodes into an any: map[string]any, []any, string, float64, bool, nil.
func (h *handler) Execute(ctx context.Context, req registry.Request) (registry.Response, error) {
	ctx = withID(ctx)
	data, err := json.Marshal(wire.Request{Operation: req.Operation, Payload: req.Payload, Config: req.Config})
	if err != nil {
		return registry.Response{}, h.coded(ctx, "Execute", &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("request: %w", err)})
	}
	r, err := h.do(ctx, "Execute", data)
	if r == nil || r.Data == nil {
		return registry.Response{}, h.coded(ctx, "Execute", err)
	}
	var resp wire.Response
	if jerr := json.Unmarshal(r.Data, &resp); jerr != nil {
		return registry.Response{}, h.coded(ctx, "Execute", &registry.Error{Code: registry.PayloadNotJSON, Err: fmt.Errorf("response: %w", jerr)})
	}
	return registry.Response{Payload: resp.Payload, Metadata: resp.Metadata}, h.coded(ctx, "Execute", err)
}

// Shutdown calls the instance's Shutdown and releases it in the host,
// whatever Shutdown returns; later calls fail.
func (h *handler) Shutdown(ctx context.Context) error {
	ctx = withID(ctx)
	_, err := h.do(ctx, "Shutdown", nil)
	h.mu.Lock()
	h.shut = true
	h.mu.Unlock()
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
	return registry.Descriptor{Name: h.e.Name, Type: h.e.Type, Version: h.e.Version, Tags: h.e.Tags}
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
	return registry.WithCorrelationID(ctx, correlationID(ctx))
}
