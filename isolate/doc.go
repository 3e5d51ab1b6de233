// Package isolate runs the handlers of a generated registry in a separate
// process, so that a handler that panics, calls os.Exit, corrupts memory or
// never returns cannot take the service down with it.
//
// In Go one panic in any goroutine ends the process. registry.New and
// registry.Contain recover panics in the calling goroutine, but not in
// goroutines a handler starts, not os.Exit, and they cannot stop a call
// that ignores its context. A host process can be killed; so the service
// makes its handlers through a Client, which starts a host (by default the
// same binary run again, as HashiCorp's go-plugin does for Terraform and
// Vault) and sends every call there:
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
//		h, err := c.New(ctx, "greet") // a registry.Handler whose calls go to the host
//		...
//	}
//
// The transport is go-plugin's: its handshake, process supervision and
// standard error forwarding, with net/rpc over a local socket. After
// go-plugin's handshake the client compares the host's handlers (names,
// classes, contract digests) with its own registry and refuses a host built
// from other contracts (HANDLER_LOADER_054, naming the first difference).
//
// What a failure does:
//   - A handler that panics in the host, or returns an error whose methods
//     panic when the host reads it: HANDLER_LOADER_052 with the panic
//     value's text and the host's stack; the host goes on.
//   - A host that crashes, exits or is killed: the calls in flight fail with
//     HANDLER_LOADER_055; the next call starts a new host, after a backoff
//     that doubles with each failure in a row (Config.MinBackoff,
//     MaxBackoff) and resets after a call the host answered. A call sent
//     after the host had died (between calls) was never delivered: it goes
//     to the new host instead of failing. A handler made in the old host is
//     made again in the new one (and initialized again with the config of
//     its last successful Initialize) on its next call; Shutdown of a
//     handler whose host is gone returns nil without starting one.
//   - The caller's context ends, or has ended: the call returns
//     HANDLER_LOADER_053 at once, also while it waits for a host to start;
//     the host cancels the handler's context, and if the call is still
//     running Config.KillAfter later the host is killed (every call in it
//     fails with 055) and the next call starts a new one.
//   - The client is closed: calls in flight and every call after fail with
//     055; Describe answers from the contract.
//   - The service ends without Close (it is killed, or crashes): its host
//     exits too, as it reads the end of a pipe only the service held open
//     (on Unix; go-plugin's host alone would serve on as an orphan).
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
// the host's JSON log lines, copied to Config.HostLog, name it.
//
// The package is its own module so that go-plugin and its dependencies
// (gRPC among them) are downloaded only by services that use isolation,
// never by users of package registry alone.
package isolate
