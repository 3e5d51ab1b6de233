package registry

import "context"

// Handler is the default interface handlers implement (the generator's
// -interface flag may name another). It mirrors ONEX's ProtocolHandler so
// handlers ported from Python keep their shape: handler_type, initialize,
// shutdown, execute and describe; the optional health_check is the separate
// HealthChecker interface. The Python methods are async; here they take a
// context.Context instead, which also carries cancellation and deadlines.
type Handler interface {
	// HandlerType returns the handler's category, as declared in its
	// contract's handler_type.
	HandlerType() Type
	// Initialize prepares the handler with its configuration before the
	// first Execute.
	Initialize(ctx context.Context, config map[string]any) error
	// Shutdown releases the handler's resources. The deadline of ctx
	// replaces Python's timeout_seconds (30 seconds there by default).
	Shutdown(ctx context.Context) error
	// Execute performs one operation.
	Execute(ctx context.Context, req Request) (Response, error)
	// Describe returns the handler's metadata, for introspection and logs.
	Describe() Descriptor
}

// HealthChecker is implemented by handlers that can report their health. It
// is its own interface because health_check is optional in ProtocolHandler:
// callers test for it with a type assertion.
type HealthChecker interface {
	HealthCheck(ctx context.Context) (Health, error)
}

// Request is the input of Handler.Execute. Operation and Payload are the
// Python request; Config is its operation_config argument, kept in the
// request so Execute has a single value parameter.
type Request struct {
	Operation string
	Payload   any
	Config    map[string]any
}

// Response is the output of Handler.Execute: the result and string metadata
// (such as timings or upstream IDs) that callers may log or forward.
type Response struct {
	Payload  any
	Metadata map[string]string
}

// Descriptor is what Handler.Describe returns: the handler's identity as its
// contract declares it, so a running handler can be matched to its contract.
type Descriptor struct {
	Name        string
	Type        Type
	Version     Version
	Tags        []string
	Description string
}

// Health is the result of HealthChecker.HealthCheck. Detail explains an
// unhealthy state (or gives details of a healthy one) for operators.
type Health struct {
	Healthy bool
	Detail  string
}
