package registry

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// An Option adds a behaviour to the registry Wrap returns: WithLogger,
// WithContainment.
type Option struct{ apply func(*wrapping) }

// wrapping is what the options of Wrap set. It is not generic, so that
// the options are not either.
type wrapping struct {
	logged  bool         // WithLogger was given
	log     *slog.Logger // nil: slog.Default() when logging
	contain bool         // WithContainment was given
}

// WithLogger makes the registry's New write an audit trail to logger
// (to slog.Default(), as it is when New is called, if logger is nil), with the
// request's context:
//
//   - at Info, "handler instantiated", each instance of an entry whose
//     contract sets security.audit_logging, with correlation_id,
//     handler_name, handler_class, contract and digest;
//   - at Warn, "handler instantiation failed", every failure: an unknown
//     name, a constructor error or a constructor's panic, with code,
//     correlation_id, handler_name, error, for a known name handler_class,
//     contract and digest, and for a panic (HANDLER_LOADER_052) the stack
//     of the constructor's goroutine. The correlation_id is the one the
//     returned *Error carries.
//
// With WithContainment, the handlers New returns log too, at Warn with the
// call's context, each panic ("handler panicked") and each abandoned call
// ("handler call abandoned"), with code, correlation_id, handler_name,
// handler_class, contract, method and error, and for a panic its stack.
//
// Logging a failure never holds the call: when the text of a panic value
// needs its own methods and has not come within a few milliseconds, or
// before the call's context ends (its String method blocks, say; see
// PanicError.Error), the call returns at once and the record is written
// afterwards, with the time of the failure, once the text comes or, after
// a fifth of a second, with the value's type and the method that did not
// return.
func WithLogger(logger *slog.Logger) Option {
	return Option{func(w *wrapping) { w.logged, w.log = true, logger }}
}

// WithContainment makes the registry's New return handlers wrapped by
// Contain with their entries, so that their panics and abandoned calls are
// coded errors (HANDLER_LOADER_052 and 053). It applies to a registry of
// the default interface, Registry[Handler], only: Wrap panics when it is
// given for any other H.
func WithContainment() Option {
	return Option{func(w *wrapping) { w.contain = true }}
}

// wrapper is the part of a Registry made by Wrap that its New consults.
type wrapper[H any] struct {
	base *Registry[H] // the same entries, without a wrapper
	wrapping
}

// Wrap returns a registry of r's entries whose New adds what opts say:
// an audit trail (WithLogger), contained handlers (WithContainment), or
// both. Everything else — Lookup, Names, Entries, Len, Describe,
// MarshalJSON — answers as r does, at the same cost: Lookup returns r's
// own entries, whose constructors are r's, so a caller that calls an
// entry's New directly gets neither. r itself is unchanged; a nil r is an
// empty registry. Wrap of a registry Wrap returned adds opts to its own.
// The result is immutable and safe for concurrent use, as far as the
// logger is.
//
// Wrap panics when opts include WithContainment and H is not Handler.
func Wrap[H any](r *Registry[H], opts ...Option) *Registry[H] {
	if r == nil {
		r = &Registry[H]{}
	}
	w := &wrapper[H]{base: r}
	if r.wrap != nil {
		*w = *r.wrap
	}
	for _, o := range opts {
		if o.apply != nil { // the zero Option adds nothing
			o.apply(&w.wrapping)
		}
	}
	if w.contain {
		if _, ok := any(w.base).(*Registry[Handler]); !ok {
			panic("registry.Wrap: WithContainment needs a *Registry[registry.Handler]")
		}
	}
	return &Registry[H]{entries: r.entries, find: r.find, wrap: w}
}

func (w *wrapper[H]) logger() *slog.Logger {
	if w.log == nil {
		return slog.Default()
	}
	return w.log
}

// new is the New of a registry made by Wrap.
func (w *wrapper[H]) new(ctx context.Context, name string) (H, error) {
	h, err := w.base.New(ctx, name)
	var e *Entry[H]
	var known bool
	var log *slog.Logger
	if w.logged {
		log = w.logger()
		e, known = w.base.Lookup(name)
		if err != nil {
			auditFailure(ctx, log, name, e, err)
		} else if known && e.AuditLogging && log.Enabled(ctx, slog.LevelInfo) {
			log.LogAttrs(ctx, slog.LevelInfo, "handler instantiated",
				slog.String("correlation_id", CorrelationIDOrNew(ctx).String()),
				slog.String("handler_name", e.Name),
				slog.String("handler_class", e.Class),
				slog.String("contract", e.Contract),
				slog.String("digest", e.Digest))
		}
	}
	if err != nil || !w.contain {
		return h, err
	}
	hh, _ := any(h).(Handler) // Wrap made sure H is Handler
	if hh == nil {
		return h, nil
	}
	if !w.logged {
		e, _ = w.base.Lookup(name)
	}
	he, _ := any(e).(*Entry[Handler])
	return any(contain(hh, he, log)).(H), nil
}

// auditFailure writes the Warn record of a failed New of name (e its
// entry, nil for an unknown name).
func auditFailure[H any](ctx context.Context, log *slog.Logger, name string, e *Entry[H], err error) {
	if !log.Enabled(ctx, slog.LevelWarn) {
		return
	}
	attrs := make([]slog.Attr, 0, 9)
	var re *Error
	if errors.As(err, &re) {
		attrs = append(attrs,
			slog.String("code", re.Code.String()),
			slog.String("correlation_id", re.CorrelationID.String()))
	}
	attrs = append(attrs, slog.String("handler_name", name))
	if e != nil {
		attrs = append(attrs,
			slog.String("handler_class", e.Class),
			slog.String("contract", e.Contract),
			slog.String("digest", e.Digest))
	}
	if re == nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		log.LogAttrs(ctx, slog.LevelWarn, "handler instantiation failed", attrs...)
		return
	}
	logFailure(ctx, log, "handler instantiation failed", attrs, re)
}

// syncWait is the longest a failing call waits for the text of the error it
// logs (see logFailure).
const syncWait = 10 * time.Millisecond

// logFailure writes the Warn record msg of err, a failure its caller is
// about to get: attrs, then error, err's text, and for a panic (052) stack,
// the stack of the goroutine that panicked.
//
// The text of a panic value may take long to come, or never come (its
// String method blocks, say: see PanicError.Error), and the caller must
// not wait for it: logFailure waits at most syncWait, and not once ctx has
// ended. Then the record is written on a goroutine of its own, with the
// time of the failure, once the text has come or after formatWait with a
// text saying which method of the value did not return.
func logFailure(ctx context.Context, log *slog.Logger, msg string, attrs []slog.Attr, err *Error) {
	p, panicked := err.Err.(*PanicError)
	panicked = panicked && p != nil && err.Code == HandlerPanicked
	finish := func(text string) []slog.Attr {
		attrs = append(attrs, slog.String("error", text))
		if panicked {
			attrs = append(attrs, slog.String("stack", string(p.Stack)))
		}
		return attrs
	}
	if text, ok := err.message(ctx.Done(), syncWait); ok {
		log.LogAttrs(ctx, slog.LevelWarn, msg, finish(text)...)
		return
	}
	now, snapshot := time.Now(), *err // the caller may change err once it has it
	go func() {
		text, _ := snapshot.message(nil, formatWait)
		r := slog.NewRecord(now, slog.LevelWarn, msg, 0)
		r.AddAttrs(finish(text)...)
		_ = log.Handler().Handle(ctx, r)
	}()
}
