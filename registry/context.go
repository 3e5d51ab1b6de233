package registry

import (
	"context"

	"github.com/google/uuid"
)

// correlationKey is the context key of the correlation ID. It is unexported so
// that no other package can set or read the value except through
// WithCorrelationID and CorrelationID.
type correlationKey struct{}

// WithCorrelationID returns a copy of ctx carrying id, so the errors of a
// Registry can be tied to the request (or generator run) that caused them. A
// nil ctx is treated as context.Background().
func WithCorrelationID(ctx context.Context, id uuid.UUID) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID returns the correlation ID stored by WithCorrelationID. It
// reports false when ctx is nil, carries none, or carries uuid.Nil, which is
// treated as absent so that errors always carry a usable ID.
func CorrelationID(ctx context.Context) (uuid.UUID, bool) {
	if ctx == nil {
		return uuid.Nil, false
	}
	id, ok := ctx.Value(correlationKey{}).(uuid.UUID)
	if !ok || id == uuid.Nil {
		return uuid.Nil, false
	}
	return id, true
}

// CorrelationIDOrNew returns the context's correlation ID, or a fresh
// UUIDv4 when it carries none: the ID an error of the runtime carries
// (this package's, and isolate's).
func CorrelationIDOrNew(ctx context.Context) uuid.UUID {
	if id, ok := CorrelationID(ctx); ok {
		return id
	}
	return uuid.New()
}
