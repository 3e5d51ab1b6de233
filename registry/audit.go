package registry

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// Audited is a Registry whose New writes an audit trail through log/slog.
// It shares the registry's entries; Lookup, Names, Entries, Len and Describe
// behave as the registry's. Make one with Registry.WithAudit. An Audited is
// immutable and safe for concurrent use, as far as its logger is.
//
// New logs, with the request's context:
//
//   - at Info, "handler instantiated", each instance of an entry whose
//     contract sets security.audit_logging, with correlation_id,
//     handler_name, handler_class, contract and digest;
//   - at Warn, "handler instantiation failed", every failure: an unknown
//     name, a constructor error or a constructor's panic, with code,
//     correlation_id, handler_name, error, for a known name handler_class,
//     contract and digest, and for a panic (HANDLER_LOADER_052) the stack
//     of the constructor's goroutine. The correlation_id is the one the
//     returned *Error carries. A panic whose value's text does not come
//     within a few milliseconds is logged after New returns, as
//     NewContained describes.
//
// Entries without audit_logging are made without logging, as by the
// registry itself. A nil *Audited behaves as an empty registry.
type Audited[H any] struct {
	r   *Registry[H]
	log *slog.Logger
}

// WithAudit returns the registry with an audit trail written to logger (to
// slog.Default() at the time of logging if logger is nil). The registry
// itself is unchanged and still logs nothing.
func (r *Registry[H]) WithAudit(logger *slog.Logger) *Audited[H] {
	return &Audited[H]{r: r, log: logger}
}

// Registry returns the registry a is made from.
func (a *Audited[H]) Registry() *Registry[H] {
	if a == nil {
		return nil
	}
	return a.r
}

// Len returns the number of entries.
func (a *Audited[H]) Len() int { return a.Registry().Len() }

// Lookup returns the registry's shared entry for name (read it, never
// modify it), allocating nothing; it does not log.
func (a *Audited[H]) Lookup(name string) (*Entry[H], bool) { return a.Registry().Lookup(name) }

// Names returns the handler names in sorted order, in a new slice.
func (a *Audited[H]) Names() []string { return a.Registry().Names() }

// Entries returns the entries sorted by name, in a new slice.
func (a *Audited[H]) Entries() []Entry[H] { return a.Registry().Entries() }

// Describe returns the provenance of every entry, as Registry.Describe.
func (a *Audited[H]) Describe() Description { return a.Registry().Describe() }

// MarshalJSON encodes the registry as its Description.
func (a *Audited[H]) MarshalJSON() ([]byte, error) { return a.Registry().MarshalJSON() }

// New returns a fresh instance of the handler registered under name, as
// Registry.New does, and writes the audit records described on Audited.
func (a *Audited[H]) New(ctx context.Context, name string) (H, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	r := a.Registry()
	h, err := r.New(ctx, name)
	logger := a.logger()
	e, known := r.Lookup(name)
	if err != nil {
		if !logger.Enabled(ctx, slog.LevelWarn) {
			return h, err
		}
		attrs := make([]slog.Attr, 0, 9)
		var re *Error
		if errors.As(err, &re) {
			attrs = append(attrs,
				slog.String("code", re.Code.String()),
				slog.String("correlation_id", re.CorrelationID.String()))
		}
		attrs = append(attrs, slog.String("handler_name", name))
		if known {
			attrs = append(attrs,
				slog.String("handler_class", e.Class),
				slog.String("contract", e.Contract),
				slog.String("digest", e.Digest))
		}
		if re == nil {
			attrs = append(attrs, slog.String("error", err.Error()))
			logger.LogAttrs(ctx, slog.LevelWarn, "handler instantiation failed", attrs...)
			return h, err
		}
		logFailure(ctx, logger, "handler instantiation failed", attrs, re)
		return h, err
	}
	if known && e.AuditLogging && logger.Enabled(ctx, slog.LevelInfo) {
		logger.LogAttrs(ctx, slog.LevelInfo, "handler instantiated",
			slog.String("correlation_id", CorrelationIDOrNew(ctx).String()),
			slog.String("handler_name", e.Name),
			slog.String("handler_class", e.Class),
			slog.String("contract", e.Contract),
			slog.String("digest", e.Digest))
	}
	return h, nil
}

func (a *Audited[H]) logger() *slog.Logger {
	if a == nil || a.log == nil {
		return slog.Default()
	}
	return a.log
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
