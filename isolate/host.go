package isolate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// hostEnv marks a process started as a host: its value is hostMarker and
// the descriptor of the host's end of the channel to its client. Serve
// removes it from the environment at once, so processes a handler starts
// do not see it; being a host also needs that descriptor, which only the
// client passes (IsHost).
const (
	hostEnv    = "HANDLERGEN_ISOLATE_HOST"
	hostMarker = "handlergen isolation host, protocol 3, fd "
)

// hostChannelFD returns the descriptor the marker names.
func hostChannelFD() (int, bool) {
	v, ok := strings.CutPrefix(os.Getenv(hostEnv), hostMarker)
	if !ok {
		return 0, false
	}
	fd, err := strconv.Atoi(v)
	return fd, err == nil
}

// IsHost reports whether this process was started as an isolation host by
// a Client: the environment says so and (on Unix) the descriptor it names
// is a socket, the client's end of which only the client holds. A service
// that re-executes itself as its host (the default of Config.Command)
// calls it first thing in main:
//
//	func main() {
//		if isolate.IsHost() {
//			isolate.Serve(handlers.Registry)
//		}
//		...
//	}
func IsHost() bool {
	fd, ok := hostChannelFD()
	return ok && isSocket(fd)
}

// Serve serves reg to the Client that started this process, and exits the
// process when the client closes it or is gone; it does not return. Run by
// hand, not by a Client, it says so and exits with status 1.
//
// The host's log records (failures of calls at Warn, panics at Error,
// every call at Debug, each with the correlation_id of the caller's
// context) go to the client over the channel, which hands them to
// Config.Logger with their levels. slog's default logger is set to the
// same channel, adding the correlation_id of the context to every record,
// so handlers that log with slog.InfoContext(ctx, ...) are tied to the
// request too; the log package's lines go there at the level their
// prefix names. What handlers write to os.Stdout and os.Stderr reaches
// Config.Logger line by line, and its last lines are in the error of a
// host that fails.
func Serve(reg *registry.Registry[registry.Handler]) {
	fd, ok := hostChannelFD()
	os.Unsetenv(hostEnv) // not for the processes handlers start
	var rw io.ReadWriteCloser
	err := errors.New("no " + hostEnv + " in the environment")
	if ok {
		rw, err = openHostChannel(fd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "isolate: this process is not an isolation host started by a client (%v)\n", err)
		os.Exit(1)
	}
	c := newConn(rw, 1<<20, nil) // until the hello names the limit; a failed write ends the read too
	level := new(slog.LevelVar)
	logger := slog.New(correlated{slog.NewJSONHandler(&logWriter{c: c}, &slog.HandlerOptions{Level: level})})
	slog.SetDefault(logger)
	// slog.SetDefault routes the log package into logger at Info; lines
	// with hclog-style level prefixes ([DEBUG], [ERR], ...) keep their level.
	log.SetFlags(0)
	log.SetOutput(stdLogWriter{logger})
	s := newHost(reg, logger)
	hello := false
	err = c.readLoop(func(kind byte, id uint64, body []byte, dropped bool) error {
		switch {
		case !hello && kind != kindHello:
			return errors.New("isolate: no hello from the client")
		case kind == kindHello:
			var h wire.Hello
			if _, err := decodeMsg(body, &h); err != nil {
				return err
			}
			hello = true
			level.UnmarshalText([]byte(h.LogLevel))
			c.maxIn, s.maxOut = h.MaxRequestBytes, h.MaxResponseBytes
			if err := applyLimits(h); err != nil {
				logger.Warn("isolate: limits not applied", "error", err.Error())
			}
			if h.MemoryLimit > 0 {
				debug.SetMemoryLimit(h.MemoryLimit / 10 * 9) // collect before the hard limit
			}
			var m wire.Manifest
			s.Manifest(struct{}{}, &m)
			msg, err := encodeMsg(kindManifest, 0, &m, nil)
			if err != nil {
				return err
			}
			return c.send(msg, true)
		case kind == kindCall:
			var call wire.Call
			meta, data, err := splitMsg(body)
			if err != nil {
				return err
			}
			if err := call.DecodeMeta(meta); err != nil {
				return err
			}
			call.Data = data
			go s.serve(c, call)
		case kind == kindCancel && !dropped:
			s.Cancel(id, nil)
		case kind == kindBye:
			return io.EOF
		}
		return nil
	})
	if err != io.EOF {
		fmt.Fprintf(os.Stderr, "isolate: host: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0) // the client closed the channel, or is gone
}

// serve runs call and sends its reply.
func (s *host) serve(c *conn, call wire.Call) {
	var r wire.Reply
	s.Call(call, &r)
	m, err := replyMsg(call.ID, &r)
	if err != nil { // a reply is plain data
		panic(err)
	}
	c.send(m, false)
}

// logWriter sends each log record (one Write of slog's JSON handler) to
// the client, as a message of its own ID: the writer interleaves the
// chunks of the messages queued, and the reader joins chunks by kind and
// ID, so two records in flight at once must not share one.
type logWriter struct {
	c   *conn
	ids atomic.Uint64
}

func (w *logWriter) Write(p []byte) (int, error) {
	line := bytes.Clone(bytes.TrimSuffix(p, []byte("\n")))
	w.c.send(newMsg(kindLog, w.ids.Add(1), nil, line), false)
	return len(p), nil
}

// host serves a registry's handlers to the client over the channel (Serve).
// Manifest, Call and Cancel are the protocol; instances live until
// Shutdown, Release or the end of the process.
type host struct {
	reg    *registry.Registry[registry.Handler]
	log    *slog.Logger
	maxOut int64 // the largest reply data the client reads; 0: no limit

	mu        sync.Mutex
	next      uint64
	instances map[uint64]*instance
	running   map[uint64]context.CancelFunc // calls in progress, by Call.ID
	// Cancels that found no call running: it has not started yet (each
	// call runs in its own goroutine, so a Cancel read after it can reach
	// the host first) or has already ended (most of them). cancelled fills up to
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

// Call runs one operation. Its errors travel in the reply.
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
	if s.maxOut > 0 && int64(len(r.Data)) > s.maxOut {
		err = &registry.Error{Code: registry.PayloadNotJSON, Op: c.Method,
			Err: fmt.Errorf("the handler's result of %d bytes is over the client's limit of %d bytes (Config.MaxResponseBytes)", len(r.Data), s.maxOut)}
		r.Data = nil
	}
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
