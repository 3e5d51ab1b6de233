package isolate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/rpc"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// Config says how a Client starts and supervises its host. The zero Config
// re-executes the running binary, which must call Serve when IsHost.
type Config struct {
	// Command returns a new command that starts a host, once per start. nil
	// runs this executable again (os.Executable) without arguments.
	Command func() *exec.Cmd
	// HostLog receives what the host writes to its standard error: its JSON
	// log lines and anything else. nil: os.Stderr. It need not be safe for
	// concurrent use: the client serialises its writes.
	HostLog io.Writer
	// HostLogLevel is the least level the host logs (default Info; Debug
	// logs every call).
	HostLogLevel slog.Level
	// KillAfter is how long a call may go on after its context is done
	// before the host is killed, ending every call in it (default 1s). The
	// caller does not wait for it: it gets CallAbandoned at once.
	KillAfter time.Duration
	// MinBackoff and MaxBackoff bound the wait before starting a host again
	// after one failed: MinBackoff after the first failure, doubling with
	// each failure in a row up to MaxBackoff (defaults 100ms and 10s).
	MinBackoff, MaxBackoff time.Duration
	// StartTimeout bounds a host's start and handshake (default 1 minute).
	StartTimeout time.Duration
}

// Client serves the registry API from a host process. It is safe for
// concurrent use. The handlers it makes send every call to the host; see
// the package documentation for what crosses and what a failure does.
// Close it when done: a Client dropped without Close keeps its host
// running until the service ends.
type Client struct {
	local  *registry.Registry[registry.Handler] // the service's own registry, for the handshake
	remote *registry.Registry[registry.Handler] // the same entries, made in the host
	cfg    Config
	hclog  hclog.Logger
	calls  atomic.Uint64
	done   chan struct{} // closed by Close: ends backoff waits and handshakes
	// wg counts the client's goroutines (starts, watchdogs, kills,
	// releases). Add only with mu held and closed false (spawn), so that
	// Close, which sets closed and then waits, waits for every one.
	wg sync.WaitGroup

	mu       sync.Mutex
	host     *hostConn // nil: none running
	start    *start    // the start in progress, nil when none
	failures int       // failed or lost hosts in a row
	lastFail time.Time
	closed   bool
}

// start is one start of a host, which the calls that need a host wait for.
type start struct {
	done chan struct{} // closed when host or err is set
	host *hostConn
	err  *registry.Error
}

// hostConn is one host process.
type hostConn struct {
	pc   *plugin.Client
	rpc  *rpc.Client
	pid  int
	once sync.Once
	gone chan struct{} // closed when the host is being killed or was lost
	// lifeline is the write end of a pipe whose read end the host holds:
	// when this process ends, however it ends, the host reads EOF and
	// exits. go-plugin's host would serve on, an orphan, until killed.
	lifeline *os.File
}

// isGone reports whether h was lost or is being killed.
func (h *hostConn) isGone() bool {
	select {
	case <-h.gone:
		return true
	default:
		return false
	}
}

// NewClient starts a host and checks at the handshake that it serves the
// handlers of reg: the same names, classes and contract digests; a host
// built from other contracts is refused with HostMismatch naming the first
// difference. A host that cannot be started is HostFailed. Close the
// client to stop the host.
func NewClient(reg *registry.Registry[registry.Handler], cfg Config) (*Client, error) {
	if cfg.HostLog == nil {
		cfg.HostLog = os.Stderr
	}
	// go-plugin copies the host's stdout and stderr in goroutines of its
	// own, and the log lines of an old host may still come in when a new
	// one starts.
	cfg.HostLog = &lockedWriter{w: cfg.HostLog}
	if cfg.KillAfter <= 0 {
		cfg.KillAfter = time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.MinBackoff)
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = time.Minute
	}
	c := &Client{local: reg, cfg: cfg, done: make(chan struct{})}
	// go-plugin's own messages; the host's lines are copied raw to HostLog.
	c.hclog = hclog.New(&hclog.LoggerOptions{Name: "isolate", Output: cfg.HostLog, Level: hclog.Warn})
	entries := reg.Entries()
	for i := range entries {
		name := entries[i].Name
		entries[i].New = func(ctx context.Context) (registry.Handler, error) { return c.New(ctx, name) }
	}
	c.remote = registry.New(entries)
	if _, err := c.acquire(context.Background()); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Registry returns a registry of the same entries whose constructors make
// the handlers in the host, for code written against *registry.Registry
// (WithAudit, registrytest). Its New wraps the client's errors in
// ConstructorFailed; errors.Is still finds their codes.
func (c *Client) Registry() *registry.Registry[registry.Handler] { return c.remote }

// Lookup returns the entry of name. Its New makes the handler in the host.
func (c *Client) Lookup(name string) (*registry.Entry[registry.Handler], bool) {
	return c.remote.Lookup(name)
}

// Names returns the handler names in sorted order.
func (c *Client) Names() []string { return c.remote.Names() }

// Entries returns the entries sorted by name; their New makes handlers in the host.
func (c *Client) Entries() []registry.Entry[registry.Handler] { return c.remote.Entries() }

// Len returns the number of entries.
func (c *Client) Len() int { return c.remote.Len() }

// Describe returns the provenance of every entry, as Registry.Describe.
func (c *Client) Describe() registry.Description { return c.local.Describe() }

// New makes the handler registered under name in the host and returns a
// handler whose calls go there. An unknown name is HandlerNotFound, as in
// Registry.New; the constructor's failure or panic in the host comes back
// with its code (ConstructorFailed, HandlerPanicked); a host that cannot be
// reached is HostFailed.
func (c *Client) New(ctx context.Context, name string) (registry.Handler, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	e, ok := c.local.Lookup(name)
	if !ok {
		return c.local.New(ctx, name) // the registry's own HandlerNotFound, with suggestions
	}
	h := newHandler(c, e)
	if err := h.make(ctx); err != nil {
		return nil, err
	}
	if h.st.health { // set by make, before h is shared
		return &healthHandler{h}, nil
	}
	return h, nil
}

// Close stops the host and waits until its process and every goroutine
// of the client have ended; a host start in progress is abandoned, though
// one whose process is already starting ends first (Config.StartTimeout at
// most). Calls in flight, and every call after Close, fail with
// HostFailed. Close is safe to call more than once; it returns nil.
func (c *Client) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	h := c.host
	c.host = nil
	if h != nil {
		c.wg.Add(1) // before a second Close can Wait
	}
	c.mu.Unlock()
	if h != nil {
		c.kill(h)
		c.wg.Done()
	}
	c.wg.Wait()
	return nil
}

// spawn runs f in a goroutine Close waits for; once Close has begun it
// does not run f and returns false.
func (c *Client) spawn(f func()) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

var errClosed = errors.New("isolate: client closed")

// acquire returns the running host, or starts one and waits for it: at
// once the first time, after a backoff that doubles with each failure in a
// row after that. The start is the client's, shared by every caller that
// needs a host meanwhile: a caller whose context ends stops waiting
// (CallAbandoned) and the start goes on for the next call; Close ends it.
func (c *Client) acquire(ctx context.Context) (*hostConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, abandoned(ctx, "", err)
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil, &registry.Error{Code: registry.HostFailed, CorrelationID: correlationID(ctx), Err: errClosed}
	case c.host != nil:
		h := c.host
		c.mu.Unlock()
		return h, nil
	}
	st := c.start
	if st == nil {
		st = &start{done: make(chan struct{})}
		c.start = st
		wait := time.Until(c.lastFail.Add(c.backoff()))
		c.wg.Add(1) // closed is false: see wg
		go func() {
			defer c.wg.Done()
			c.run(st, wait)
		}()
	}
	c.mu.Unlock()
	select {
	case <-st.done:
		if st.err != nil {
			err := *st.err // each caller's own copy, with its correlation ID
			err.CorrelationID = correlationID(ctx)
			return nil, &err
		}
		return st.host, nil
	case <-ctx.Done():
		return nil, abandoned(ctx, "", fmt.Errorf("waiting for the host to start: %w", ctx.Err()))
	}
}

// notSent is the end of a context that came before its call was sent.
// Its message is err's.
type notSent struct{ error }

func (e notSent) Unwrap() error { return e.error }

// abandoned is the CallAbandoned error of a call whose context ended.
func abandoned(ctx context.Context, op string, err error) *registry.Error {
	return &registry.Error{Code: registry.CallAbandoned, Op: op, CorrelationID: correlationID(ctx), Err: err}
}

// run starts a host for st, after wait, and makes it the client's.
func (c *Client) run(st *start, wait time.Duration) {
	h, err := c.startAfter(wait)
	c.mu.Lock()
	if err == nil && c.closed {
		err = errClosed
	}
	switch {
	case err == nil:
		c.host = h
	case !errors.Is(err, errClosed):
		c.failures++
		c.lastFail = time.Now()
	}
	c.start = nil
	c.mu.Unlock()
	if err != nil {
		if h != nil {
			c.kill(h) // before st.done: Close, waiting for this goroutine, waits for the kill too
		}
		re, ok := err.(*registry.Error)
		if !ok {
			re = &registry.Error{Code: registry.HostFailed, Err: err}
		}
		st.err = re
	}
	st.host = h
	close(st.done)
}

// backoff is the wait after the failures so far; c.mu is held.
func (c *Client) backoff() time.Duration {
	if c.failures == 0 {
		return 0
	}
	d := c.cfg.MinBackoff
	for i := 1; i < c.failures && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxBackoff)
}

// startAfter waits, then starts a host and checks what it serves. On a
// mismatch it returns the host too, for the caller to kill.
func (c *Client) startAfter(wait time.Duration) (*hostConn, error) {
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.done:
			return nil, errClosed
		}
	}
	cmd := exec.Command(os.Args[0])
	if c.cfg.Command != nil {
		if cmd = c.cfg.Command(); cmd == nil {
			return nil, errors.New("isolate: Config.Command returned no command")
		}
	} else if exe, err := os.Executable(); err == nil {
		cmd = exec.Command(exe)
	}
	cmd.Env = append(cmd.Env, logLevelEnv+"="+c.cfg.HostLogLevel.String())
	var lifeline, hostEnd *os.File
	if runtime.GOOS != "windows" { // no ExtraFiles there
		var err error
		if hostEnd, lifeline, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("starting the host: %w", err)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, hostEnd)
		cmd.Env = append(cmd.Env, lifelineEnv+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	}
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: handshake,
		Plugins:         plugin.PluginSet{pluginName: &rpcPlugin{}},
		Cmd:             cmd,
		Stderr:          c.cfg.HostLog,
		SyncStdout:      c.cfg.HostLog,
		SyncStderr:      c.cfg.HostLog,
		Logger:          c.hclog,
		StartTimeout:    c.cfg.StartTimeout,
	})
	h := &hostConn{pc: pc, gone: make(chan struct{}), lifeline: lifeline}
	proto, err := pc.Client()
	if hostEnd != nil {
		hostEnd.Close() // the host has its own copy, if it started
	}
	if err != nil {
		return h, fmt.Errorf("starting the host %s: %w", cmd.Path, err)
	}
	raw, err := proto.Dispense(pluginName)
	if err != nil {
		return h, fmt.Errorf("connecting to the host: %w", err)
	}
	h.rpc = raw.(*rpc.Client)
	var m wire.Manifest
	call := h.rpc.Go(wire.Service+".Manifest", struct{}{}, &m, make(chan *rpc.Call, 1))
	t := time.NewTimer(c.cfg.StartTimeout)
	defer t.Stop()
	select {
	case <-call.Done:
		if call.Error != nil {
			return h, fmt.Errorf("handshake with the host: %w", call.Error)
		}
	case <-t.C:
		return h, fmt.Errorf("handshake with the host: no answer in %v", c.cfg.StartTimeout)
	case <-c.done:
		return h, errClosed
	}
	h.pid = m.PID
	if diff := compare(c.local.Entries(), m.Entries); diff != "" {
		return h, &registry.Error{Code: registry.HostMismatch, Op: "handshake", Err: fmt.Errorf("host %s (pid %d) serves other handlers: %s", cmd.Path, m.PID, diff)}
	}
	return h, nil
}

// compare returns the first difference between the client's entries and
// the host's, both sorted by name, or "".
func compare(ours []registry.Entry[registry.Handler], theirs []wire.ManifestEntry) string {
	for i := 0; i < len(ours) || i < len(theirs); i++ {
		switch {
		case i >= len(theirs):
			return fmt.Sprintf("it has no handler %q", ours[i].Name)
		case i >= len(ours) || theirs[i].Name < ours[i].Name:
			return fmt.Sprintf("it has a handler %q this registry does not", theirs[i].Name)
		case ours[i].Name < theirs[i].Name:
			return fmt.Sprintf("it has no handler %q", ours[i].Name)
		case ours[i].Class != theirs[i].Class:
			return fmt.Sprintf("handler %q is %s there, %s here", ours[i].Name, theirs[i].Class, ours[i].Class)
		case ours[i].Digest != theirs[i].Digest:
			return fmt.Sprintf("the contract of handler %q (%s) has digest %s there, %s here", ours[i].Name, ours[i].Contract, short(theirs[i].Digest), short(ours[i].Digest))
		}
	}
	return ""
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// lost ends host h after a failure of the transport: the next call starts
// another, after the backoff. A host is killed by whoever takes it from
// c.host (lost or Close), or by run when it never got there.
func (c *Client) lost(h *hostConn) {
	h.once.Do(func() { close(h.gone) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.host != h {
		return
	}
	c.host = nil
	c.failures++
	c.lastFail = time.Now()
	c.wg.Add(1) // closed is false while c.host is set
	go func() {
		defer c.wg.Done()
		c.kill(h)
	}()
}

// kill stops h's process (go-plugin asks it to quit, then kills it) and
// waits for it; every call in flight in it fails.
func (c *Client) kill(h *hostConn) {
	h.once.Do(func() { close(h.gone) })
	h.pc.Kill()
	if h.lifeline != nil {
		h.lifeline.Close()
	}
}

// healthy records a call the host answered: the failures in a row end.
func (c *Client) healthy(h *hostConn) {
	c.mu.Lock()
	if c.host == h {
		c.failures = 0
	}
	c.mu.Unlock()
}

// errUndelivered marks a call that never reached its host, which had
// exited before it was sent: it is safe to send again to a new host.
var errUndelivered = errors.New("it had exited before the call was sent")

// call sends one operation to h and waits for its reply or the end of ctx.
// A transport failure loses the host (HostFailed, wrapping errUndelivered
// when the call was not sent); the end of ctx returns CallAbandoned at
// once, asks the host to cancel the call, and kills the host if the call
// is still running KillAfter later.
func (c *Client) call(ctx context.Context, h *hostConn, args wire.Call) (*wire.Reply, error) {
	args.Correlation = correlationID(ctx)
	if err := ctx.Err(); err != nil {
		return nil, abandoned(ctx, args.Method, notSent{err})
	}
	args.ID = c.calls.Add(1)
	if dl, ok := ctx.Deadline(); ok {
		args.Timeout = max(time.Until(dl), 1) // > 0: a deadline
	}
	if h.isGone() || h.pc.Exited() { // nothing to send it to
		c.lost(h)
		return nil, &registry.Error{Code: registry.HostFailed, Op: args.Method, CorrelationID: args.Correlation,
			Err: fmt.Errorf("host (pid %d) failed: %w", h.pid, errUndelivered)}
	}
	reply := new(wire.Reply)
	call := h.rpc.Go(wire.Service+".Call", args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error != nil {
			// net/rpc gives ErrShutdown to a call sent after its client
			// saw the connection end, and to the calls in flight only when
			// the client was closed, which kill does after closing gone.
			err := fmt.Errorf("host (pid %d) failed during the call: %w", h.pid, call.Error)
			if errors.Is(call.Error, rpc.ErrShutdown) && !h.isGone() {
				err = fmt.Errorf("host (pid %d) failed: %w", h.pid, errUndelivered)
			}
			c.lost(h)
			return nil, &registry.Error{Code: registry.HostFailed, Op: args.Method, CorrelationID: args.Correlation, Err: err}
		}
		c.healthy(h)
		return reply, nil
	case <-ctx.Done():
		h.rpc.Go(wire.Service+".Cancel", args.ID, new(struct{}), make(chan *rpc.Call, 1))
		c.spawn(func() { c.watch(h, call, args.Method, reply) })
		return nil, abandoned(ctx, args.Method, ctx.Err())
	}
}

// watch kills h if call, whose caller has gone, outlives KillAfter; an
// instance a New made for it is released.
func (c *Client) watch(h *hostConn, call *rpc.Call, method string, reply *wire.Reply) {
	t := time.NewTimer(c.cfg.KillAfter)
	defer t.Stop()
	select {
	case <-call.Done:
		if method == "New" && call.Error == nil && reply.Err == nil {
			c.release(h, reply.Instance)
		}
	case <-h.gone:
	case <-t.C:
		c.hclog.Warn("killing the host: a call went on after its context ended", "pid", h.pid, "kill_after", c.cfg.KillAfter)
		c.lost(h)
	}
}

// release drops instance in h without calling it. It does not wait for
// the host: the call is sent, and its answer ignored.
func (c *Client) release(h *hostConn, instance uint64) {
	if h == nil || h.isGone() {
		return // the instance went with its host
	}
	args := wire.Call{ID: c.calls.Add(1), Method: "Release", Instance: instance}
	h.rpc.Go(wire.Service+".Call", args, new(wire.Reply), make(chan *rpc.Call, 1))
}

// lockedWriter serialises the writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func correlationID(ctx context.Context) uuid.UUID {
	if id, ok := registry.CorrelationID(ctx); ok {
		return id
	}
	return uuid.New()
}
