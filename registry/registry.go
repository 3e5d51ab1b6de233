package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Entry describes one handler: what its contract declares and how to make
// it. Generated code fills every field from the contract; the Tags slice is
// shared by every copy of an Entry and must not be modified.
type Entry[H any] struct {
	Name             string   // handler_name, the key of the registry
	Class            string   // handler_class, e.g. "github.com/acme/app/handlers/auth.AuthHandler"
	Type             Type     // handler_type
	ProtocolType     string   // protocol_type
	Tags             []string // tags
	Version          Version  // handler_version
	Contract         string   // contract file path, relative and slash-separated
	Digest           string   // hex SHA-256 of the contract file, to tie a build to its contracts
	AuditLogging     bool     // security.audit_logging
	TrustedNamespace string   // security.trusted_namespace
	Routing          string   // handler_routing as canonical JSON, "" if absent
	// New returns a fresh instance. Registry.New calls it with its context.
	New func(ctx context.Context) (H, error)
}

// Registry is an immutable set of handler entries keyed by name, safe for
// concurrent use. It keeps the entries in a slice sorted by name, so it needs
// no map, no sorting and no init function when the generated code's
// package variable is initialised, and Lookup does not allocate.
//
// A nil *Registry behaves as an empty one.
type Registry[H any] struct {
	entries []Entry[H] // sorted by Name, names unique
}

// New returns a registry of entries. Generated code passes entries already
// sorted by name with unique names; New checks that in one pass and keeps the
// slice as it is, which it then owns: the caller must not modify it. Entries
// that are not sorted are sorted in a copy. Two entries with the same name
// are a programming error (the generator refuses them), so New panics.
func New[H any](entries []Entry[H]) *Registry[H] {
	sorted := true
	for i := 1; i < len(entries); i++ {
		if c := strings.Compare(entries[i-1].Name, entries[i].Name); c > 0 {
			sorted = false
			break
		} else if c == 0 {
			panic(duplicateMessage(entries[i].Name))
		}
	}
	if !sorted {
		entries = slices.Clone(entries)
		slices.SortFunc(entries, func(a, b Entry[H]) int { return strings.Compare(a.Name, b.Name) })
		for i := 1; i < len(entries); i++ {
			if entries[i-1].Name == entries[i].Name {
				panic(duplicateMessage(entries[i].Name))
			}
		}
	}
	return &Registry[H]{entries: entries}
}

func duplicateMessage(name string) string {
	return fmt.Sprintf("registry.New: duplicate handler name %q (%s); each handler_name must be unique", name, DuplicateHandlerName)
}

// Len returns the number of entries.
func (r *Registry[H]) Len() int {
	if r == nil {
		return 0
	}
	return len(r.entries)
}

// Lookup returns the entry registered under name. It is a binary search over
// the sorted entries and allocates nothing.
func (r *Registry[H]) Lookup(name string) (Entry[H], bool) {
	if i, ok := r.find(name); ok {
		return r.entries[i], true
	}
	return Entry[H]{}, false
}

// find returns the index of name in r.entries. It is sort.Search written out
// so that no closure is made.
func (r *Registry[H]) find(name string) (int, bool) {
	if r == nil {
		return 0, false
	}
	es := r.entries
	lo, hi := 0, len(es)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if es[h].Name < name {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo, lo < len(es) && es[lo].Name == name
}

// New returns a fresh instance of the handler registered under name, made by
// the entry's constructor with ctx (context.Background() if ctx is nil).
//
// An unknown name returns the zero H and an *Error with Code HandlerNotFound
// whose message names the requested name and suggests the closest known
// names. A constructor that returns an error, or a missing constructor,
// gives an *Error with Code ConstructorFailed wrapping the cause. Both carry
// the correlation ID of ctx, or a fresh UUIDv4.
//
// A constructor that panics is not recovered: as elsewhere in Go, a panic is
// a bug to fix, not an error to handle, and the panic propagates to the
// caller of New.
func (r *Registry[H]) New(ctx context.Context, name string) (H, error) {
	var zero H
	if ctx == nil {
		ctx = context.Background()
	}
	i, ok := r.find(name)
	if !ok {
		var sugg []string
		if r != nil {
			sugg = suggest(r.entries, name)
		}
		return zero, &Error{
			Code:          HandlerNotFound,
			Name:          name,
			CorrelationID: correlationIDOrNew(ctx),
			Suggestions:   sugg,
		}
	}
	e := &r.entries[i]
	if e.New == nil {
		return zero, &Error{
			Code:          ConstructorFailed,
			Name:          name,
			CorrelationID: correlationIDOrNew(ctx),
			Err:           errNilConstructor,
		}
	}
	h, err := e.New(ctx)
	if err != nil {
		return zero, &Error{
			Code:          ConstructorFailed,
			Name:          name,
			CorrelationID: correlationIDOrNew(ctx),
			Err:           err,
		}
	}
	return h, nil
}

var errNilConstructor = errors.New("entry has no constructor (Entry.New is nil)")

// Names returns the handler names in sorted order, in a new slice.
func (r *Registry[H]) Names() []string {
	if r == nil || len(r.entries) == 0 {
		return []string{}
	}
	out := make([]string, len(r.entries))
	for i := range r.entries {
		out[i] = r.entries[i].Name
	}
	return out
}

// Entries returns the entries sorted by name, in a new slice. The Tags of
// each entry are shared with the registry and must not be modified.
func (r *Registry[H]) Entries() []Entry[H] {
	if r == nil || len(r.entries) == 0 {
		return []Entry[H]{}
	}
	return slices.Clone(r.entries)
}
