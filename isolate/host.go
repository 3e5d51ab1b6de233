package isolate

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/rpc"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// handshake is go-plugin's check that a host was started by a Client of
// this protocol; the contracts are compared after it (Manifest).
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "HANDLERGEN_ISOLATE_HOST",
	MagicCookieValue: "handlergen isolation host, protocol 1",
}

// logLevelEnv passes Config.HostLogLevel to the host.
const logLevelEnv = "HANDLERGEN_ISOLATE_LOG_LEVEL"

// lifelineEnv names the host's file descriptor of the lifeline pipe
// (hostConn.lifeline).
const lifelineEnv = "HANDLERGEN_ISOLATE_LIFELINE_FD"

const pluginName = "registry"

// IsHost reports whether this process was started as an isolation host by
// a Client. A service that re-executes itself as its host (the default of
// Config.Command) calls it first thing in main:
//
//	func main() {
//		if isolate.IsHost() {
//			isolate.Serve(handlers.Registry)
//		}
//		...
//	}
func IsHost() bool { return os.Getenv(handshake.MagicCookieKey) == handshake.MagicCookieValue }

// Serve serves reg to the Client that started this process, and exits the
// process when the client closes it; it does not return. Run by hand, not by
// a Client, it says so and exits with status 1.
//
// The host logs as JSON lines on its standard error, which the client
// copies to Config.HostLog: failures of calls at Warn, panics at Error,
// every call at Debug, each with the correlation_id of the caller's
// context. slog's default logger is set to the same output, adding the
// correlation_id of the context to every record, so handlers that log with
// slog.InfoContext(ctx, ...) are tied to the request too. What handlers
// write to os.Stdout and os.Stderr reaches Config.HostLog as well.
func Serve(reg *registry.Registry[registry.Handler]) {
	// go-plugin redirects os.Stderr into its stdio stream once it serves;
	// the log writes to the process's own standard error, read line by line
	// by the client.
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv(logLevelEnv))); err != nil {
		level = slog.LevelInfo
	}
	logger := slog.New(correlated{slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})})
	slog.SetDefault(logger)
	// slog.SetDefault routes the log package into logger at Info; go-plugin
	// logs through it with hclog-style level prefixes ("[DEBUG] plugin:
	// ... use of closed network connection" at every shutdown), which
	// would otherwise reach HostLog as Info records.
	log.SetFlags(0)
	log.SetOutput(stdLogWriter{logger})
	fd, err := strconv.Atoi(os.Getenv(lifelineEnv))
	os.Unsetenv(lifelineEnv) // not for the processes handlers start: they have no such descriptor
	if err == nil && fd > 2 {
		lifeline := os.NewFile(uintptr(fd), "lifeline")
		go func() {
			io.Copy(io.Discard, lifeline) // nothing is written: returns when the client is gone
			logger.Warn("the client is gone; the host exits")
			os.Exit(1)
		}()
	}
	s := newHost(reg, logger)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         plugin.PluginSet{pluginName: &rpcPlugin{host: s}},
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "isolate", Output: os.Stderr, Level: hclog.Error, JSONFormat: true}),
	})
	os.Exit(0)
}

// rpcPlugin is go-plugin's view of the registry: the host side serves a
// *host, the client side gets the raw *rpc.Client.
type rpcPlugin struct{ host *host }

func (p *rpcPlugin) Server(*plugin.MuxBroker) (any, error) { return p.host, nil }

func (p *rpcPlugin) Client(_ *plugin.MuxBroker, c *rpc.Client) (any, error) { return c, nil }

// host serves a registry's handlers over net/rpc. Its exported methods are
// the protocol; instances live until Shutdown, Release or the end of the
// process.
type host struct {
	reg *registry.Registry[registry.Handler]
	log *slog.Logger

	mu        sync.Mutex
	next      uint64
	instances map[uint64]*instance
	running   map[uint64]context.CancelFunc // calls in progress, by Call.ID
	// Cancels that found no call running: it has not started yet (net/rpc
	// runs each request in its own goroutine, so a Cancel can overtake its
	// Call) or has already ended (most of them). cancelled fills up to
	// maxMarkers, then becomes older and a new one starts: a marker lives
	// for at least maxMarkers later ones, far longer than a Call takes to
	// start, and the host keeps at most twice that many.
	cancelled, older map[uint64]struct{}
}

// maxMarkers bounds the Cancels kept for calls not running; see host.
const maxMarkers = 1024

func newHost(reg *registry.Registry[registry.Handler], log *slog.Logger) *host {
	return &host{reg: reg, log: log, instances: map[uint64]*instance{}, running: map[uint64]context.CancelFunc{},
		cancelled: map[uint64]struct{}{}, older: map[uint64]struct{}{}}
}

type instance struct {
	entry *registry.Entry[registry.Handler]
	h     registry.Handler
}

// Manifest answers the handshake: what this host serves.
func (s *host) Manifest(_ struct{}, m *wire.Manifest) error {
	m.PID = os.Getpid()
	for _, e := range s.reg.Entries() {
		m.Entries = append(m.Entries, wire.ManifestEntry{Name: e.Name, Class: e.Class, Digest: e.Digest})
	}
	return nil
}

// Cancel ends the context of call id: its caller's context is done.
func (s *host) Cancel(id uint64, _ *struct{}) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cancel, ok := s.running[id]; ok {
		cancel()
		return nil
	}
	s.cancelled[id] = struct{}{}
	if len(s.cancelled) >= maxMarkers {
		s.older, s.cancelled = s.cancelled, make(map[uint64]struct{}, maxMarkers)
	}
	return nil
}

// markers returns how many Cancels the host keeps for calls not running.
func (s *host) markers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cancelled) + len(s.older)
}

// Call runs one operation. Its errors travel in the reply: an error of
// net/rpc itself means the host is gone.
func (s *host) Call(c wire.Call, r *wire.Reply) error {
	ctx := registry.WithCorrelationID(context.Background(), c.Correlation)
	var cancel context.CancelFunc
	if c.Timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	s.mu.Lock()
	_, early := s.cancelled[c.ID]
	if _, ok := s.older[c.ID]; ok {
		early = true
	}
	if early { // Cancel came first
		cancel()
		delete(s.cancelled, c.ID)
		delete(s.older, c.ID)
	}
	s.running[c.ID] = cancel
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, c.ID)
		s.mu.Unlock()
	}()

	start := time.Now()
	name, contract, err := s.call(ctx, c, r)
	// From here on the handler's error is read only as data: its methods
	// may panic (wire.FromError recovers), and must not end the host.
	w := wire.FromError(err)
	if w != nil && w.Code != 0 && w.Name == "" {
		w.Name, w.Contract = name, contract
	}
	if w != nil && w.Code != 0 && w.CorrelationID == uuid.Nil {
		w.CorrelationID = c.Correlation
	}
	r.Err = w
	if w == nil && !s.log.Enabled(ctx, slog.LevelDebug) {
		return nil // the common case: nothing to log
	}
	attrs := []slog.Attr{slog.String("method", c.Method), slog.String("handler_name", name), slog.Duration("duration", time.Since(start))}
	if w != nil && w.Code != 0 {
		attrs = append(attrs, slog.String("code", registry.Code(w.Code).String()))
	}
	switch {
	case w == nil:
		s.log.LogAttrs(ctx, slog.LevelDebug, "handler call", attrs...)
	case w.Panic:
		s.log.LogAttrs(ctx, slog.LevelError, "handler panicked", append(attrs, slog.String("error", w.Text()), slog.String("stack", string(w.Stack)))...)
	default:
		s.log.LogAttrs(ctx, slog.LevelWarn, "handler call failed", append(attrs, slog.String("error", w.Text()))...)
	}
	return nil
}

// call dispatches c and returns the handler's name and contract, for the
// error and the log.
func (s *host) call(ctx context.Context, c wire.Call, r *wire.Reply) (name, contract string, err error) {
	if c.Method == "New" {
		h, err := s.reg.New(ctx, c.Name)
		if err != nil {
			return c.Name, "", err
		}
		e, _ := s.reg.Lookup(c.Name)
		s.mu.Lock()
		s.next++
		r.Instance = s.next
		s.instances[s.next] = &instance{entry: e, h: h}
		s.mu.Unlock()
		_, r.Health = h.(registry.HealthChecker)
		return c.Name, e.Contract, nil
	}
	s.mu.Lock()
	in := s.instances[c.Instance]
	if c.Method == "Shutdown" || c.Method == "Release" {
		delete(s.instances, c.Instance) // released whatever Shutdown returns
	}
	s.mu.Unlock()
	if in == nil {
		if c.Method == "Release" {
			return "", "", nil
		}
		return "", "", fmt.Errorf("isolate: no instance %d in this host (shut down already?)", c.Instance)
	}
	if c.Method == "Release" {
		return in.entry.Name, in.entry.Contract, nil
	}
	data, err := in.do(ctx, c)
	r.Data = data
	return in.entry.Name, in.entry.Contract, err
}

// do runs one method of the instance, recovering a panic as a
// HandlerPanicked error; a context the handler ignores is the client's to
// enforce, by ending this process.
func (in *instance) do(ctx context.Context, c wire.Call) (data []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			data, err = nil, &registry.Error{Code: registry.HandlerPanicked, Op: c.Method, Err: registry.NewPanicError(v)}
		}
	}()
	switch c.Method {
	case "Initialize":
		var config map[string]any
		if err := json.Unmarshal(c.Data, &config); err != nil {
			return nil, &registry.Error{Code: registry.PayloadNotJSON, Op: c.Method, Err: err}
		}
		return nil, in.h.Initialize(ctx, config)
	case "Execute":
		var req wire.Request
		if err := json.Unmarshal(c.Data, &req); err != nil {
			return nil, &registry.Error{Code: registry.PayloadNotJSON, Op: c.Method, Err: err}
		}
		resp, err := in.h.Execute(ctx, registry.Request{Operation: req.Operation, Payload: req.Payload, Config: req.Config})
		return encode(c.Method, wire.Response{Payload: resp.Payload, Metadata: resp.Metadata}, err)
	case "Shutdown":
		return nil, in.h.Shutdown(ctx)
	case "Describe":
		d := in.h.Describe()
		return encode(c.Method, wire.Descriptor{Name: d.Name, Type: d.Type, Version: wire.Version(d.Version), Tags: d.Tags, Description: d.Description}, nil)
	case "HealthCheck":
		hc, ok := in.h.(registry.HealthChecker)
		if !ok {
			return nil, fmt.Errorf("isolate: handler %q has no HealthCheck", in.entry.Name)
		}
		health, err := hc.HealthCheck(ctx)
		return encode(c.Method, health, err)
	}
	return nil, fmt.Errorf("isolate: unknown method %q", c.Method)
}

// encode returns v as JSON with the handler's own error; a value JSON
// cannot carry is PayloadNotJSON, whatever the handler returned.
func encode(method string, v any, herr error) ([]byte, error) {
	data, err := wire.Marshal(v)
	if err != nil {
		return nil, &registry.Error{Code: registry.PayloadNotJSON, Op: method, Err: fmt.Errorf("the handler's result: %w", err)}
	}
	return data, herr
}

// correlated adds the correlation ID of the record's context to every
// record that does not carry one, so a handler's own logs name the request.
type correlated struct{ slog.Handler }

func (c correlated) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := registry.CorrelationID(ctx); ok {
		r.AddAttrs(slog.String("correlation_id", id.String()))
	}
	return c.Handler.Handle(ctx, r)
}

func (c correlated) WithAttrs(as []slog.Attr) slog.Handler {
	return correlated{c.Handler.WithAttrs(as)}
}

func (c correlated) WithGroup(name string) slog.Handler { return correlated{c.Handler.WithGroup(name)} }

// stdLogWriter logs the lines of the log package at the level their
// hclog-style prefix names ([TRACE], [DEBUG], [INFO], [WARN], [ERR] or
// [ERROR]), and at Info when there is none: handlers' log.Printf lines
// stay in the host's log.
type stdLogWriter struct{ log *slog.Logger }

var levelPrefixes = []struct {
	prefix string
	level  slog.Level
}{
	{"[TRACE]", slog.LevelDebug - 4}, {"[DEBUG]", slog.LevelDebug}, {"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn}, {"[ERR]", slog.LevelError}, {"[ERROR]", slog.LevelError},
}

func (w stdLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSuffix(string(p), "\n")
	level := slog.LevelInfo
	for _, lp := range levelPrefixes {
		if rest, ok := strings.CutPrefix(msg, lp.prefix); ok {
			msg, level = strings.TrimSpace(rest), lp.level
			break
		}
	}
	w.log.Log(context.Background(), level, msg)
	return len(p), nil
}
