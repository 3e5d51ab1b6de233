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
	// log lines and anything else. nil: os.Stderr.
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
type Client struct {
	local  *registry.Registry[registry.Handler] // the service's own registry, for the handshake
	remote *registry.Registry[registry.Handler] // the same entries, made in the host
	cfg    Config
	hclog  hclog.Logger
	calls  atomic.Uint64
	wg     sync.WaitGroup // watchdogs and kills

	mu       sync.Mutex
	host     *hostConn     // nil: none running
	starting chan struct{} // closed when the start in progress ends
	failures int           // failed or lost hosts in a row
	lastFail time.Time
	closed   bool
}

// hostConn is one host process.
type hostConn struct {
	pc   *plugin.Client
	rpc  *rpc.Client
	pid  int
	once sync.Once
	gone chan struct{} // closed when the host is being killed or was lost
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
	c := &Client{local: reg, cfg: cfg}
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
	h := &handler{c: c, e: e}
	if err := h.make(ctx); err != nil {
		return nil, err
	}
	if h.health {
		return &healthHandler{h}, nil
	}
	return h, nil
}

// Close stops the host and waits until its process and every goroutine
// of the client have ended. Calls in flight fail with HostFailed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	starting := c.starting
	c.mu.Unlock()
	if starting != nil {
		<-starting // the start ends by itself; acquire then sees closed
	}
	c.mu.Lock()
	h := c.host
	c.host = nil
	c.mu.Unlock()
	if h != nil {
		c.kill(h)
	}
	c.wg.Wait()
	return nil
}

var errClosed = errors.New("isolate: client closed")

// acquire returns the running host, starting one when there is none: at
// once the first time, after a backoff that doubles with each failure in a
// row after that. Callers that arrive during a start wait for it.
func (c *Client) acquire(ctx context.Context) (*hostConn, error) {
	for {
		c.mu.Lock()
		switch {
		case c.closed:
			c.mu.Unlock()
			return nil, &registry.Error{Code: registry.HostFailed, CorrelationID: correlationID(ctx), Err: errClosed}
		case c.host != nil:
			h := c.host
			c.mu.Unlock()
			return h, nil
		case c.starting != nil:
			ch := c.starting
			c.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, &registry.Error{Code: registry.HostFailed, CorrelationID: correlationID(ctx), Err: fmt.Errorf("waiting for the host to start: %w", ctx.Err())}
			}
		}
		wait := time.Until(c.lastFail.Add(c.backoff()))
		ch := make(chan struct{})
		c.starting = ch
		c.mu.Unlock()

		h, err := c.startAfter(ctx, wait)
		c.mu.Lock()
		c.starting = nil
		if err == nil && c.closed {
			err = errClosed
		}
		switch {
		case err == nil:
			c.host = h
		case !errors.Is(err, ctx.Err()) || ctx.Err() == nil:
			c.failures++
			c.lastFail = time.Now()
		}
		c.mu.Unlock()
		close(ch)
		if err != nil {
			if h != nil {
				c.kill(h)
			}
			var re *registry.Error
			if !errors.As(err, &re) {
				err = &registry.Error{Code: registry.HostFailed, Err: err}
				re = err.(*registry.Error)
			}
			re.CorrelationID = correlationID(ctx)
			return nil, err
		}
		return h, nil
	}
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
func (c *Client) startAfter(ctx context.Context, wait time.Duration) (*hostConn, error) {
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting %v to start the host again: %w", wait.Round(time.Millisecond), ctx.Err())
		}
	}
	cmd := exec.Command(os.Args[0])
	if c.cfg.Command != nil {
		cmd = c.cfg.Command()
	} else if exe, err := os.Executable(); err == nil {
		cmd = exec.Command(exe)
	}
	cmd.Env = append(cmd.Env, logLevelEnv+"="+c.cfg.HostLogLevel.String())
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
	h := &hostConn{pc: pc, gone: make(chan struct{})}
	proto, err := pc.Client()
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
// another, after the backoff.
func (c *Client) lost(h *hostConn) {
	c.mu.Lock()
	if c.host == h {
		c.host = nil
		c.failures++
		c.lastFail = time.Now()
	}
	c.mu.Unlock()
	c.wg.Add(1)
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
}

// healthy records a call the host answered: the failures in a row end.
func (c *Client) healthy(h *hostConn) {
	c.mu.Lock()
	if c.host == h {
		c.failures = 0
	}
	c.mu.Unlock()
}

// call sends one operation to h and waits for its reply or the end of ctx.
// A transport failure loses the host (HostFailed); the end of ctx returns
// CallAbandoned at once, asks the host to cancel the call, and kills the
// host if the call is still running KillAfter later.
func (c *Client) call(ctx context.Context, h *hostConn, args wire.Call) (*wire.Reply, error) {
	args.ID = c.calls.Add(1)
	args.Correlation = correlationID(ctx)
	if dl, ok := ctx.Deadline(); ok {
		args.Timeout = time.Until(dl)
		if args.Timeout <= 0 {
			return nil, &registry.Error{Code: registry.CallAbandoned, Op: args.Method, CorrelationID: args.Correlation, Err: context.DeadlineExceeded}
		}
	}
	reply := new(wire.Reply)
	call := h.rpc.Go(wire.Service+".Call", args, reply, make(chan *rpc.Call, 1))
	select {
	case <-call.Done:
		if call.Error != nil {
			c.lost(h)
			return nil, &registry.Error{Code: registry.HostFailed, Op: args.Method, CorrelationID: args.Correlation,
				Err: fmt.Errorf("host (pid %d) failed during the call: %w", h.pid, call.Error)}
		}
		c.healthy(h)
		return reply, nil
	case <-ctx.Done():
		h.rpc.Go(wire.Service+".Cancel", args.ID, new(struct{}), make(chan *rpc.Call, 1))
		c.wg.Add(1)
		go c.watch(h, call)
		return nil, &registry.Error{Code: registry.CallAbandoned, Op: args.Method, CorrelationID: args.Correlation, Err: ctx.Err()}
	}
}

// watch kills h if call, whose caller has gone, outlives KillAfter.
func (c *Client) watch(h *hostConn, call *rpc.Call) {
	defer c.wg.Done()
	t := time.NewTimer(c.cfg.KillAfter)
	defer t.Stop()
	select {
	case <-call.Done:
	case <-h.gone:
	case <-t.C:
		c.hclog.Warn("killing the host: a call went on after its context ended", "pid", h.pid, "kill_after", c.cfg.KillAfter)
		c.lost(h)
	}
}

func correlationID(ctx context.Context) uuid.UUID {
	if id, ok := registry.CorrelationID(ctx); ok {
		return id
	}
	return uuid.New()
}
