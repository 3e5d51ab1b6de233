package registry

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/google/uuid"
)

// Contain returns h wrapped so that a broken handler cannot end the process
// or hold its caller past the caller's context. It is opt-in: handlers that
// are not wrapped are called directly, at no cost. e is the handler's entry
// (Registry.Lookup), used to name the handler in errors; it may be nil.
//
// Initialize, Execute, Shutdown and HealthCheck:
//
//   - a panic becomes an *Error with Code HandlerPanicked whose Err is a
//     *PanicError with the panic value and the stack of the handler's
//     goroutine;
//   - the call returns when ctx is done, even if the handler ignores ctx,
//     with an *Error with Code CallAbandoned wrapping ctx.Err(); a ctx
//     already done when the call is made returns that error at once,
//     without calling the handler.
//
// Both carry Op (the method's name), the Name and Contract of e, and the
// correlation ID of ctx or a fresh UUIDv4. Other results and errors of the
// handler pass through unchanged.
//
// A call whose ctx cannot end (ctx.Done() is nil, as for
// context.Background()) runs on the caller's goroutine, under recover only.
// Any other runs on a goroutine of its own while the caller waits for its
// result or for ctx to end: that costs a goroutine and a few allocations
// per call (see BENCHMARKS.md). runtime.Goexit in the handler (t.FailNow in
// a test, say) ends the goroutine it runs on: on a goroutine of its own the
// call returns HandlerPanicked; on the caller's, the caller's goroutine
// ends, as it would without Contain.
//
// An abandoned call is not stopped, because Go cannot stop a goroutine: it
// runs until the handler returns, and if the handler never returns its
// goroutine, and whatever it holds, leaks for the life of the process. It
// still holds its arguments (Initialize's config, the Request and its
// Payload): do not modify them after a CallAbandoned. Its results are
// dropped; a panic in it is recovered all the same (and logged by the
// handlers of a registry wrapped with WithContainment and WithLogger),
// never ending the process. Until it returns,
// the next call to the same handler runs concurrently with it: after an
// abandoned call, discard the handler (make a new one with New) unless it
// is safe for concurrent use. For handlers that may never return, run them
// in another process (the isolate module), which can be killed.
//
// Describe and HandlerType have no context and no error: they run on the
// caller's goroutine, and a panic in them returns what e declares instead
// (Describe: e's Name, Type, Version and Tags; HandlerType: e.Type; the
// zero values when e is nil). A wrapped registry with a logger logs that
// panic (see Wrap).
//
// The wrapper implements HealthChecker if and only if h does; other methods
// of h are not reachable through it, so keep h if you need them. Contain of
// nil is nil, and Contain of a handler it returned returns it as it is:
// calls are never contained twice.
func Contain(h Handler, e *Entry[Handler]) Handler { return contain(h, e, nil) }

func contain(h Handler, e *Entry[Handler], log *slog.Logger) Handler {
	switch h.(type) {
	case nil:
		return nil
	case *contained, *containedHealth:
		return h
	}
	c := contained{h: h, e: e, log: log}
	if hc, ok := h.(HealthChecker); ok {
		return &containedHealth{contained: c, hc: hc}
	}
	return &c
}

// contained is what Contain returns for a handler that is not a
// HealthChecker; containedHealth for one that is.
type contained struct {
	h   Handler
	e   *Entry[Handler] // may be nil
	log *slog.Logger    // nil: no logging
}

type containedHealth struct {
	contained
	hc HealthChecker
}

// none is the result of the methods that return only an error.
type none struct{}

func (c *contained) Initialize(ctx context.Context, config map[string]any) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() != nil {
		_, err = async(c, ctx, "Initialize", func(ctx context.Context) (none, error) { return none{}, c.h.Initialize(ctx, config) })
		return err
	}
	returned := false
	defer c.recoverInline(ctx, "Initialize", &returned, &err)
	err = c.h.Initialize(ctx, config)
	returned = true
	return err
}

func (c *contained) Execute(ctx context.Context, req Request) (resp Response, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() != nil {
		return async(c, ctx, "Execute", func(ctx context.Context) (Response, error) { return c.h.Execute(ctx, req) })
	}
	returned := false
	defer c.recoverInline(ctx, "Execute", &returned, &err)
	resp, err = c.h.Execute(ctx, req)
	returned = true
	return resp, err
}

// recoverInline, deferred around a call on the caller's goroutine, makes
// its error for a panic. The other results are still zero: a panicking
// call assigns nothing.
func (c *contained) recoverInline(ctx context.Context, op string, returned *bool, err *error) {
	if !*returned {
		*err = c.fail(ctx, HandlerPanicked, op, NewPanicError(panicValue(recover())))
	}
}

func (c *contained) Shutdown(ctx context.Context) (err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() != nil {
		_, err = async(c, ctx, "Shutdown", func(ctx context.Context) (none, error) { return none{}, c.h.Shutdown(ctx) })
		return err
	}
	returned := false
	defer c.recoverInline(ctx, "Shutdown", &returned, &err)
	err = c.h.Shutdown(ctx)
	returned = true
	return err
}

func (c *containedHealth) HealthCheck(ctx context.Context) (health Health, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if ctx.Done() != nil {
		return async(&c.contained, ctx, "HealthCheck", func(ctx context.Context) (Health, error) { return c.hc.HealthCheck(ctx) })
	}
	returned := false
	defer c.recoverInline(ctx, "HealthCheck", &returned, &err)
	health, err = c.hc.HealthCheck(ctx)
	returned = true
	return health, err
}

func (c *contained) HandlerType() (t Type) {
	returned := false
	defer func() {
		if !returned {
			c.fail(context.Background(), HandlerPanicked, "HandlerType", NewPanicError(panicValue(recover())))
			t = 0
			if c.e != nil {
				t = c.e.Type
			}
		}
	}()
	t = c.h.HandlerType()
	returned = true
	return t
}

func (c *contained) Describe() (d Descriptor) {
	returned := false
	defer func() {
		if !returned {
			c.fail(context.Background(), HandlerPanicked, "Describe", NewPanicError(panicValue(recover())))
			d = Descriptor{}
			if e := c.e; e != nil {
				d = e.Descriptor()
			}
		}
	}()
	d = c.h.Describe()
	returned = true
	return d
}

// The states of a call on its own goroutine. Exactly one of the caller and
// the goroutine moves the state out of running: the goroutine when the
// handler returned (the caller then takes its results), the caller when ctx
// ended first (the goroutine then drops them).
const (
	running int32 = iota
	finished
	abandoned
)

type outcome[T any] struct {
	v   T
	err error
	p   *PanicError
}

type pending[T any] struct {
	state atomic.Int32
	done  chan outcome[T] // buffered: the goroutine never blocks on it
	// id is the correlation ID of the CallAbandoned error, set before the
	// state becomes abandoned, so that a later panic is logged with it.
	id uuid.UUID
}

// async calls f on a goroutine of its own and returns its results, or
// CallAbandoned as soon as ctx ends.
func async[T any](c *contained, ctx context.Context, op string, f func(context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, c.fail(ctx, CallAbandoned, op, err)
	}
	p := &pending[T]{done: make(chan outcome[T], 1)}
	go func() {
		var o outcome[T]
		returned := false
		defer func() {
			if !returned {
				o.p = NewPanicError(panicValue(recover()))
			}
			if p.state.CompareAndSwap(running, finished) {
				p.done <- o
			} else if o.p != nil {
				// The caller has gone with CallAbandoned: the panic is
				// only logged.
				c.failWithID(ctx, p.id, HandlerPanicked, op, o.p)
			}
		}()
		o.v, o.err = f(ctx)
		returned = true
	}()
	var o outcome[T]
	select {
	case o = <-p.done:
	case <-ctx.Done():
		p.id = CorrelationIDOrNew(ctx)
		if p.state.CompareAndSwap(running, abandoned) {
			return zero, c.failWithID(ctx, p.id, CallAbandoned, op, ctx.Err())
		}
		o = <-p.done // the handler returned just as ctx ended: its results win
	}
	if o.p != nil {
		return zero, c.fail(ctx, HandlerPanicked, op, o.p)
	}
	return o.v, o.err
}

// errNoValue stands for the value of a panic that recover does not see: a
// runtime.Goexit in the handler, or panic(nil) under GODEBUG=panicnil=1.
var errNoValue = errors.New("the handler neither returned nor panicked with a value (runtime.Goexit, or panic(nil) with GODEBUG=panicnil=1)")

func panicValue(v any) any {
	if v == nil {
		return errNoValue
	}
	return v
}

// fail makes the error of a contained call and logs it.
func (c *contained) fail(ctx context.Context, code Code, op string, cause error) *Error {
	return c.failWithID(ctx, CorrelationIDOrNew(ctx), code, op, cause)
}

func (c *contained) failWithID(ctx context.Context, id uuid.UUID, code Code, op string, cause error) *Error {
	err := &Error{Code: code, Op: op, CorrelationID: id, Err: cause}
	if c.e != nil {
		err.Name, err.Contract = c.e.Name, c.e.Contract
	}
	if c.log != nil && c.log.Enabled(ctx, slog.LevelWarn) {
		c.report(ctx, err)
	}
	return err
}

func (c *contained) report(ctx context.Context, err *Error) {
	msg := "handler panicked"
	if err.Code == CallAbandoned {
		msg = "handler call abandoned"
	}
	attrs := make([]slog.Attr, 0, 9)
	attrs = append(attrs,
		slog.String("code", err.Code.String()),
		slog.String("correlation_id", err.CorrelationID.String()))
	if e := c.e; e != nil {
		attrs = append(attrs,
			slog.String("handler_name", e.Name),
			slog.String("handler_class", e.Class),
			slog.String("contract", e.Contract))
	}
	attrs = append(attrs, slog.String("method", err.Op))
	logFailure(ctx, c.log, msg, attrs, err)
}
