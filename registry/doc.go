// Package registry is the small runtime that code written by handlergen
// imports.
//
// The Python HandlerPluginLoader found handlers at run time: it read YAML
// contracts, resolved each handler_class with importlib and instantiated it
// by reflection. handlergen moves all of that to go generate: contracts are
// validated and handler types checked when the code is generated, and the
// generated file declares one *Registry[H] whose entries refer to the handler
// types directly. What was an importlib lookup becomes compile-time linkage,
// so a handler that is missing, renamed or no longer implements H breaks
// go build instead of a request. This package only has to hold those entries
// and answer lookups: a Registry is an immutable slice sorted by name and,
// for a generated registry, a perfect hash over the names that handlergen
// computed at generate time (NewIndexed), so a lookup hashes the name once
// and compares one entry, without allocating. Both are static data, ready
// as soon as the package variable is initialised: no maps are built, no
// init functions run. A registry built by hand with New uses binary search.
//
// The names and signatures of Registry, Entry, Handler, Type, Version and the
// error codes are pinned, because generated code and the generator depend on
// them; new things may be added, nothing pinned is renamed.
//
// Unknown names and failing constructors are reported as *Error values
// carrying a stable Code (HANDLER_LOADER_050 and HANDLER_LOADER_051), the
// requested name, the correlation ID from the context (see WithCorrelationID)
// or a fresh UUIDv4, and for an unknown name the closest known names.
//
// A constructor that panics is recovered by New and reported as
// HANDLER_LOADER_052 (HandlerPanicked), with the panic value and the stack in
// a *PanicError: in Go a panic ends the whole process, and one broken handler
// must not. Handlers' methods are called by your code, not by the registry,
// so containing them is opt-in: Contain wraps a Handler so that a panic in
// Initialize, Execute, Shutdown or HealthCheck is HANDLER_LOADER_052 too, and
// a call that outlives its context returns HANDLER_LOADER_053
// (CallAbandoned) at once, even if the handler ignores the context; a panic
// in Describe or HandlerType gives the contract's values. Wrap makes a
// registry of the same entries whose New adds an audit trail (WithLogger),
// returns contained handlers (WithContainment), or both. A call under a context that cannot end costs a deferred
// recover; any other runs on a goroutine of its own. Go cannot stop a
// goroutine, so an abandoned call runs on until the handler returns,
// possibly concurrently with the next call to the same handler (see Contain
// for what to do); for handlers that may never return, or may end the
// process with os.Exit, run them in another process with the module
// github.com/handlergen/handlergen/isolate.
//
// A typical use of a generated registry, with the request's ID (a
// uuid.UUID from github.com/google/uuid) as the correlation ID:
//
//	if id, err := uuid.Parse(req.Header.Get("X-Request-ID")); err == nil {
//		ctx = registry.WithCorrelationID(ctx, id)
//	}
//	h, err := handlers.Registry.New(ctx, "auth")
//	if errors.Is(err, registry.ErrHandlerNotFound) {
//		// err.Error(): HANDLER_LOADER_050: no handler registered as "auht" (did you mean "auth"?) [correlation_id=...]
//	}
//
// The package registrytest checks a generated registry in a test: every
// handler can be made and agrees with its contract.
package registry
