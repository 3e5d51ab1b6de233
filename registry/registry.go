package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/internal/phash"
)

// Entry describes one handler: what its contract declares and how to make
// it. Generated code fills every field from the contract. Lookup returns a
// pointer to the registry's own entry, and the Tags slice is shared by every
// copy of an Entry: neither may be modified.
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
// concurrent use. It keeps the entries in a slice sorted by name. A
// generated registry finds a name through a perfect hash over the names: one
// hash, two array reads and one string comparison, with no allocation; one
// made by New uses binary search. Generated code passes a table
// that handlergen computed at generate time (NewIndexed), so the registry
// needs no map, no sorting and no init-time work when the generated code's
// package variables are initialised: entries and table are static data.
//
// A nil *Registry behaves as an empty one.
type Registry[H any] struct {
	entries []Entry[H] // sorted by Name, names unique
	find    finder
	wrap    *wrapper[H] // nil unless made by Wrap
}

// finder is the perfect hash of a generated registry (no Slots for one
// made by New). It is not generic, so its one out-of-line method serves
// every H and Lookup stays small enough to be inlined into its caller.
type finder struct{ ix phash.Table }

// index returns the candidate index of name by the perfect hash
// (phash.Table.Find, the probe the generator's tables are tested with), or
// -1 when there is none. Lookup compares the name found there.
func (f *finder) index(name string) int {
	if f.ix.Slots == nil {
		return -1
	}
	return int(f.ix.Find(name))
}

// search is binary search over the entries of a registry made by New.
func (r *Registry[H]) search(name string) int {
	i, _ := slices.BinarySearchFunc(r.entries, name, func(e Entry[H], name string) int { return strings.Compare(e.Name, name) })
	return i
}

// Index is a perfect-hash table over the names of a registry's entries, in
// their sorted order. handlergen computes it at generate time and emits it
// as static data next to the entries; to everyone else it is opaque.
type Index struct {
	Seed   uint64
	Pilots []uint32
	Slots  []uint32
}

// New returns a registry of entries. Generated code passes entries already
// sorted by name with unique names; New checks that in one pass and keeps the
// slice as it is, which it then owns: the caller must not modify it. Entries
// that are not sorted are sorted in a copy. Two entries with the same name
// are a programming error (the generator refuses them), so New panics. A
// registry made by New finds names by binary search over the sorted
// entries; generated code calls NewIndexed with a perfect-hash table
// computed at generate time instead.
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

// NewIndexed returns a registry of entries with a lookup table computed in
// advance. It is what generated code calls, with entries sorted by name and
// unique, and ix computed by handlergen for exactly those names. It does
// constant work — no check, no sort, no table — so a generated registry is
// ready as soon as its package variables are, and both are kept as they are
// (the caller must not modify them). With an ix of the wrong shape the
// registry falls back to binary search, as New's does; an ix computed for other names makes
// lookups of the names it misplaces fail, never return another name's
// entry. Hand-written code should call New.
func NewIndexed[H any](entries []Entry[H], ix Index) *Registry[H] {
	t := phash.Table{Seed: ix.Seed, Pilots: ix.Pilots, Slots: ix.Slots}
	if !t.Valid() {
		return New(entries)
	}
	return &Registry[H]{entries: entries, find: finder{ix: t}}
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

// Lookup returns the entry registered under name. The entry is the
// registry's own, shared by every caller: read it, never modify it. In a
// generated registry (NewIndexed) it hashes name once, reads the
// perfect-hash table and compares one name; in one made by New it searches
// the sorted names. It copies and allocates nothing, and is small enough
// to be inlined.
func (r *Registry[H]) Lookup(name string) (*Entry[H], bool) {
	if r == nil {
		return nil, false
	}
	i := r.find.index(name)
	if i < 0 {
		i = r.search(name)
	}
	if uint(i) < uint(len(r.entries)) && r.entries[i].Name == name {
		return &r.entries[i], true
	}
	return nil, false
}

// New returns a fresh instance of the handler registered under name, made by
// the entry's constructor with ctx (context.Background() if ctx is nil).
//
// An unknown name returns the zero H and an *Error with Code HandlerNotFound
// whose message names the requested name and suggests the closest known
// names. A constructor that returns an error, or a missing constructor,
// gives an *Error with Code ConstructorFailed wrapping the cause. A
// constructor that panics gives an *Error with Code HandlerPanicked whose
// Err is a *PanicError holding the panic value and the stack: one broken
// handler must not end the process that asked for it. All carry the
// correlation ID of ctx, or a fresh UUIDv4; errors about a known handler
// also carry its Contract and Op "New".
//
// A registry made by Wrap also does what its options say: log, contain.
func (r *Registry[H]) New(ctx context.Context, name string) (h H, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if r != nil && r.wrap != nil {
		return r.wrap.new(ctx, name)
	}
	e, ok := r.Lookup(name)
	if !ok {
		return h, r.notFound(ctx, name)
	}
	if e.New == nil {
		return h, e.failed(ctx, ConstructorFailed, errNilConstructor)
	}
	// The recover is deferred in New itself, not in a helper, and skipped
	// when the constructor returned: that costs New about 2 ns, a helper's
	// call twice as much (BenchmarkNew). returned is also false after a
	// panic(nil) under GODEBUG=panicnil=1, where recover gives nil.
	returned := false
	defer func() {
		if !returned {
			e.recovered(ctx, &h, &err, recover())
		}
	}()
	h, err = e.New(ctx)
	returned = true
	if err != nil {
		var zero H
		return zero, e.failed(ctx, ConstructorFailed, err)
	}
	return h, nil
}

func (r *Registry[H]) notFound(ctx context.Context, name string) error {
	var sugg []string
	if r != nil {
		sugg = nearest(r.entries, name)
	}
	return &Error{
		Code:          HandlerNotFound,
		Name:          name,
		CorrelationID: CorrelationIDOrNew(ctx),
		Suggestions:   sugg,
	}
}

// recovered makes the results of New for a constructor that panicked with
// v. A constructor's own error is never taken for a panic, whatever its
// type, even a *PanicError.
func (e *Entry[H]) recovered(ctx context.Context, h *H, err *error, v any) {
	var zero H
	*h, *err = zero, e.failed(ctx, HandlerPanicked, NewPanicError(v))
}

func (e *Entry[H]) failed(ctx context.Context, code Code, err error) *Error {
	return &Error{
		Code:          code,
		Name:          e.Name,
		CorrelationID: CorrelationIDOrNew(ctx),
		Err:           err,
		Op:            "New",
		Contract:      e.Contract,
	}
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
