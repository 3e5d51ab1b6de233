// Package isolate runs the handlers of a generated registry in separate
// processes, so that a handler that panics, calls os.Exit, corrupts memory,
// runs out of memory or never returns cannot take the service down with
// it, nor the service's other handlers.
//
// In Go one panic in any goroutine ends the process. registry.New and
// registry.Contain recover panics in the calling goroutine, but not in
// goroutines a handler starts, not os.Exit, and they cannot stop a call
// that ignores its context. A host process can be killed; so the service
// makes its handlers through a Client, which starts hosts (by default the
// running binary again) and sends every call there:
//
//	func main() {
//		if isolate.IsHost() {
//			isolate.Serve(handlers.Registry) // in the host: serve, then exit
//		}
//		c, err := isolate.NewClient(handlers.Registry, isolate.Config{})
//		if err != nil {
//			log.Fatal(err) // HANDLER_LOADER_054 or 055
//		}
//		defer c.Close()
//		h, err := c.New(ctx, "greet") // a registry.Handler whose calls go to its host
//		...
//	}
//
// Each handler has a host of its own (Config.Group puts several in one).
// A host gets one end of a socketpair (descriptor 3), an environment of
// only what Config.Env names, /dev/null as its standard input and a
// process group of its own. At the handshake the client compares the
// host's handlers (names, classes, contract digests) with its own registry
// and refuses a host built from other contracts (HANDLER_LOADER_054,
// naming the first difference).
//
// What a failure does:
//   - A handler that panics in the host, or returns an error whose methods
//     panic when the host reads it: HANDLER_LOADER_052 with the panic
//     value's text and the host's stack; the host goes on.
//   - A host that crashes, exits, runs out of memory or is killed: the
//     calls in flight in it (its group's only) fail with
//     HANDLER_LOADER_055, whose message has the exit status or signal,
//     the first "panic:" or "fatal error:" line and the last lines the
//     host wrote (bounded); its process group is killed, so processes its
//     handlers started end too. The next call starts a new host, after a
//     backoff that doubles with each failure in a row (Config.MinBackoff,
//     MaxBackoff); the failures in a row end only when a host ran for
//     Config.HealthyAfter. A group whose host failed QuarantineAfter times
//     within QuarantineWindow is quarantined: its calls fail with
//     HANDLER_LOADER_057 until QuarantineFor has passed. A call sent after
//     the host had died (between calls) was never delivered: it goes to
//     the new host instead of failing. A handler made in the old host is
//     made again in the new one (and initialized again with the config of
//     its last successful Initialize) on its next call; Shutdown of a
//     handler whose host is gone returns nil without starting one.
//   - The caller's context ends, or has ended: the call returns
//     HANDLER_LOADER_053 at once — while its values are encoded, while
//     they are sent (sending stops between two 64 KiB frames), while it
//     waits for a host to start or for the reply. The host cancels the
//     handler's context, and if the call is still running Config.KillAfter
//     later the host is killed (every call in it fails with 055) and the
//     next call starts a new one.
//   - A request or response larger than Config.MaxRequestBytes or
//     MaxResponseBytes: HANDLER_LOADER_056 before any of it is sent.
//   - The client is closed: calls in flight and every call after fail with
//     055; Describe answers from the contract. Close asks each host to
//     exit and kills it after Config.CloseTimeout.
//   - The service ends without Close (it is killed, or crashes): its hosts
//     exit too, as they read the end of the socketpair only the service
//     held.
//
// A handler the service drops without calling Shutdown is released in the
// host once the garbage collector finds it unreachable (runtime.AddCleanup):
// the host drops its instance without calling Shutdown, as a handler
// dropped in process is collected without one. So does a Shutdown whose
// context had ended before it could be sent (HANDLER_LOADER_053).
//
// Request.Payload, Request.Config, Initialize's config, Response and
// Descriptor cross as JSON: the handler receives, and the caller gets back,
// what encoding/json decodes into an any (map[string]any, []any, string,
// float64, bool, nil), not the Go types that were sent. A value JSON cannot
// carry (a channel, a function, a complex number, NaN or an infinity, a map
// with keys other than strings, integers or text marshalers, a cycle, a
// MarshalJSON that fails or panics) is HANDLER_LOADER_056 at the call, on
// either side. Errors a handler returns arrive as *RemoteError (their
// message), or, when they are or wrap a *registry.Error, as one with its
// code, name, operation, contract and correlation ID, in the wrapper's text.
//
// The correlation ID of the caller's context (registry.WithCorrelationID,
// or a fresh one) goes with every call: the host's context carries it, and
// the host's log records, handed to Config.Logger with their levels, name
// it.
//
// The package is its own module so that what it needs is downloaded only
// by services that use isolation; it needs nothing beyond the root module
// and the standard library today.
package isolate
