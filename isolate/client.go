package isolate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// Config says how a Client starts and supervises its hosts. The zero
// Config re-executes the running binary, which must call Serve when
// IsHost, once per handler.
type Config struct {
	// Command returns a new command that starts a host, once per start. nil
	// runs this executable again without arguments (/proc/self/exe where
	// there is one: the binary that is running, even when its path now
	// names another file). The command's Env is the host's environment
	// (nil: empty), to which Env below adds; its SysProcAttr gets Setpgid,
	// and its standard input, output and error are the client's to set.
	Command func() *exec.Cmd
	// Env is what the host's environment holds besides the command's own:
	// a NAME passes the service's variable through when it is set, a
	// NAME=value sets it. Nothing else of the service's environment
	// reaches a host (no secrets, no PATH, no HOME): a host starts with
	// an empty environment.
	Env []string
	// Dir is the host's working directory ("": the service's).
	Dir string
	// Logger receives the hosts' log records with their levels, each with
	// the host's pid and group, the lines hosts write to their standard
	// output and error (at Info), and the client's own warnings (a host
	// killed, quarantined). nil: HostLog when set, else slog.Default().
	Logger *slog.Logger
	// HostLog, when Logger is nil, receives the same records as JSON
	// lines; io.Discard drops them. It need not be safe for concurrent use.
	HostLog io.Writer
	// HostLogLevel is the least level the hosts log (default Info; Debug
	// logs every call).
	HostLogLevel slog.Level
	// Group names the host a handler runs in: handlers of one group share
	// a host, and a crash fails the calls of that group only. nil: every
	// handler has a host of its own.
	Group func(handler string) string
	// KillAfter is how long a call may go on after its context is done
	// before its host is killed, ending every call in it (default 1s). The
	// caller does not wait for it: it gets CallAbandoned at once.
	KillAfter time.Duration
	// MinBackoff and MaxBackoff bound the wait before starting a group's
	// host again after one failed: MinBackoff after the first failure,
	// doubling with each failure in a row up to MaxBackoff (defaults 100ms
	// and 10s). The failures in a row end only when a host has run for
	// HealthyAfter (default 10s) before it fails.
	MinBackoff, MaxBackoff, HealthyAfter time.Duration
	// A group whose host fails QuarantineAfter times (default 5) within
	// QuarantineWindow (default 1m) is quarantined for QuarantineFor
	// (default 1m): its calls fail with HandlerQuarantined and start no
	// host. A negative QuarantineAfter turns quarantine off.
	QuarantineAfter                 int
	QuarantineWindow, QuarantineFor time.Duration
	// StartTimeout bounds a host's start and handshake (default 1 minute).
	StartTimeout time.Duration
	// CloseTimeout bounds how long Close waits for a host to exit when
	// asked before it is killed (default 2s).
	CloseTimeout time.Duration
	// MaxRequestBytes and MaxResponseBytes bound the data of one call in
	// each direction (the JSON of a request or config, of a response;
	// default 64 MiB each): a larger one is PayloadNotJSON, before any of
	// it is sent.
	MaxRequestBytes, MaxResponseBytes int64
	// MemoryLimit bounds each host's memory in bytes: its data segment
	// (RLIMIT_DATA, on Linux) may grow by this much after the host starts,
	// and its Go runtime collects garbage harder near 90% of it
	// (GOMEMLIMIT). A host that needs more fails (HostFailed, "out of
	// memory"). 0: no limit.
	MemoryLimit int64
	// CPULimit bounds each host's CPU time (RLIMIT_CPU, Unix, in whole
	// seconds): past it the system ends the host. 0: no limit.
	CPULimit time.Duration
	// OnStart, when set, is called with each host's pid after the process
	// started and before it runs any handler code (beyond package
	// initialization): the place to move it into a cgroup. An error fails
	// the start.
	OnStart func(pid int) error
}

// Default limits.
const (
	DefaultMaxMessageBytes = 64 << 20
)

// Client makes handlers in host processes: New, and Registry, the same
// entries as a *registry.Registry whose New calls the client's. It is safe
// for concurrent use, and its methods are safe on a nil *Client (as on a
// nil registry: no entries; New and Close of nil report errors or
// nothing).
// The handlers it makes send every call to their group's host; see the
// package documentation for what crosses and what a failure does. Close
// it when done: a Client dropped without Close keeps its hosts running
// until the service ends.
type Client struct {
	local  *registry.Registry[registry.Handler] // the service's own registry, for the handshake
	remote *registry.Registry[registry.Handler] // the same entries, made in the host
	cfg    Config
	log    *slog.Logger
	calls  atomic.Uint64
	done   chan struct{} // closed by Close: ends backoff waits and handshakes
	// wg counts the client's goroutines (starts, readers, watchdogs,
	// releases). Add only with mu held and closed false (spawn), or from
	// a goroutine wg counts, so that Close, which sets closed and then
	// waits, waits for every one.
	wg sync.WaitGroup

	mu     sync.Mutex
	pools  map[string]*pool
	spare  *hostConn // started by NewClient, for the first group that needs one
	closed bool
}

// pool is one group's host and its failure record; c.mu guards it.
type pool struct {
	name     string
	host     *hostConn // nil: none running
	start    *start    // the start in progress, nil when none
	failures int       // failed or lost hosts in a row
	lastFail time.Time
	crashes  []time.Time // failures within the quarantine window
	until    time.Time   // quarantined until then
}

// start is one start of a host, which the calls that need a host wait for.
type start struct {
	done chan struct{} // closed when host or err is set
	host *hostConn
	err  *registry.Error
}

// NewClient starts a host and checks at the handshake that it serves the
// handlers of reg: the same names, classes and contract digests; a host
// built from other contracts is refused with HostMismatch naming the first
// difference. A host that cannot be started is HostFailed. That host
// serves the first group to make a handler; every other group starts its
// own. Close the client to stop the hosts.
func NewClient(reg *registry.Registry[registry.Handler], cfg Config) (*Client, error) {
	if cfg.KillAfter <= 0 {
		cfg.KillAfter = time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(10*time.Second, cfg.MinBackoff)
	}
	if cfg.HealthyAfter <= 0 {
		cfg.HealthyAfter = 10 * time.Second
	}
	if cfg.QuarantineAfter == 0 {
		cfg.QuarantineAfter = 5
	}
	if cfg.QuarantineWindow <= 0 {
		cfg.QuarantineWindow = time.Minute
	}
	if cfg.QuarantineFor <= 0 {
		cfg.QuarantineFor = time.Minute
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = time.Minute
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = 2 * time.Second
	}
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = DefaultMaxMessageBytes
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = DefaultMaxMessageBytes
	}
	log := cfg.Logger
	switch {
	case log != nil:
	case cfg.HostLog == io.Discard:
		log = slog.New(slog.DiscardHandler)
	case cfg.HostLog != nil:
		log = slog.New(slog.NewJSONHandler(&lockedWriter{w: cfg.HostLog}, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))
	default:
		log = slog.Default()
	}
	if reg == nil {
		reg = registry.New[registry.Handler](nil)
	}
	c := &Client{local: reg, cfg: cfg, log: log, done: make(chan struct{}), pools: map[string]*pool{}}
	entries := reg.Entries()
	for i := range entries {
		name := entries[i].Name
		entries[i].New = func(ctx context.Context) (registry.Handler, error) { return c.New(ctx, name) }
	}
	c.remote = registry.New(entries)
	c.wg.Add(1)
	h, err := c.startHost("")
	c.wg.Done()
	if err != nil {
		if h != nil {
			h.kill("it failed its handshake")
		}
		c.Close()
		re, ok := err.(*registry.Error)
		if !ok {
			re = &registry.Error{Code: registry.HostFailed, Err: err}
		}
		return nil, re
	}
	c.mu.Lock()
	c.spare = h
	c.mu.Unlock()
	return c, nil
}

// Registry returns a registry of the same entries whose constructors make
// the handlers in the host: the registry API of the client (Lookup, Names,
// Entries, Len, Describe, MarshalJSON), for registry.Wrap (audit logging)
// and registrytest. Its New wraps the client's errors in
// ConstructorFailed; errors.Is still finds their codes. A nil *Client
// returns nil, an empty registry.
func (c *Client) Registry() *registry.Registry[registry.Handler] {
	if c == nil {
		return nil
	}
	return c.remote
}

// New makes the handler registered under name in its group's host and
// returns a handler whose calls go there. An unknown name is
// HandlerNotFound, as in Registry.New; the constructor's failure or panic
// in the host comes back with its code (ConstructorFailed,
// HandlerPanicked); a host that cannot be reached is HostFailed, and a
// group in quarantine HandlerQuarantined.
func (c *Client) New(ctx context.Context, name string) (registry.Handler, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if c == nil {
		return (*registry.Registry[registry.Handler])(nil).New(ctx, name)
	}
	e, ok := c.local.Lookup(name)
	if !ok {
		return c.local.New(ctx, name) // the registry's own HandlerNotFound, with suggestions
	}
	h := newHandler(c, e, c.pool(name))
	if err := h.make(ctx); err != nil {
		return nil, err
	}
	if h.st.health { // set by make, before h is shared
		return &healthHandler{h}, nil
	}
	return h, nil
}

// pool returns the pool of handler name's group.
func (c *Client) pool(name string) *pool {
	group := name
	if c.cfg.Group != nil {
		group = c.cfg.Group(name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.pools[group]
	if p == nil {
		p = &pool{name: group}
		c.pools[group] = p
	}
	return p
}

// Close stops every host and waits until their processes (and the
// processes their handlers started) and every goroutine of the client
// have ended: a host is asked to exit and killed when it has not within
// Config.CloseTimeout, so Close returns within about that time. Calls in
// flight, and every call after Close, fail with HostFailed. Close is safe
// to call more than once and on nil; it returns nil.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.done)
	}
	var hosts []*hostConn
	for _, p := range c.pools {
		if p.host != nil {
			hosts = append(hosts, p.host)
			p.host = nil
		}
	}
	if c.spare != nil {
		hosts = append(hosts, c.spare)
		c.spare = nil
	}
	c.wg.Add(len(hosts)) // before a second Close can Wait
	c.mu.Unlock()
	for _, h := range hosts {
		go func() {
			defer c.wg.Done()
			h.stop(c.cfg.CloseTimeout)
		}()
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

// acquire returns the running host of p, or starts one and waits for it:
// at once the first time, after a backoff that doubles with each failure
// in a row after that. The start is the group's, shared by every caller
// that needs a host meanwhile: a caller whose context ends stops waiting
// (CallAbandoned) and the start goes on for the next call; Close ends it.
// A quarantined group starts nothing: HandlerQuarantined.
func (c *Client) acquire(ctx context.Context, p *pool) (*hostConn, error) {
	if err := ctx.Err(); err != nil {
		return nil, abandoned(ctx, "", err)
	}
	c.mu.Lock()
	if h := p.host; h != nil && h.isGone() { // being killed or lost: its failure counts now
		c.detach(h, p)
	}
	switch {
	case c.closed:
		c.mu.Unlock()
		return nil, &registry.Error{Code: registry.HostFailed, CorrelationID: registry.CorrelationIDOrNew(ctx), Err: errClosed}
	case p.host != nil:
		h := p.host
		c.mu.Unlock()
		return h, nil
	case time.Now().Before(p.until):
		until := p.until
		c.mu.Unlock()
		return nil, &registry.Error{Code: registry.HandlerQuarantined, CorrelationID: registry.CorrelationIDOrNew(ctx),
			Err: fmt.Errorf("the host of group %q failed %d times within %v; no host is started until %s (Config.QuarantineFor)",
				p.name, c.cfg.QuarantineAfter, c.cfg.QuarantineWindow, until.Format(time.RFC3339))}
	case c.spare != nil && !c.spare.isGone() && p.start == nil:
		h := c.spare
		c.spare = nil
		h.pool = p
		p.host = h
		c.mu.Unlock()
		h.out.setHost(h.pid, p.name)
		return h, nil
	}
	st := p.start
	if st == nil {
		st = &start{done: make(chan struct{})}
		p.start = st
		wait := time.Until(p.lastFail.Add(c.backoff(p)))
		c.wg.Add(1) // closed is false: see wg
		go func() {
			defer c.wg.Done()
			c.run(p, st, wait)
		}()
	}
	c.mu.Unlock()
	select {
	case <-st.done:
		if st.err != nil {
			err := *st.err // each caller's own copy, with its correlation ID
			err.CorrelationID = registry.CorrelationIDOrNew(ctx)
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
	return &registry.Error{Code: registry.CallAbandoned, Op: op, CorrelationID: registry.CorrelationIDOrNew(ctx), Err: err}
}

// run starts a host for p's start st, after wait, and makes it p's.
func (c *Client) run(p *pool, st *start, wait time.Duration) {
	h, err := c.startAfter(p.name, wait)
	c.mu.Lock()
	if err == nil && c.closed {
		err = errClosed
	}
	switch {
	case err == nil:
		h.pool = p
		p.host = h
	case !errors.Is(err, errClosed):
		c.failed(p, time.Now(), 0)
	}
	p.start = nil
	c.mu.Unlock()
	if err != nil {
		if h != nil {
			h.kill("it failed to start") // before st.done: Close, waiting for this goroutine, waits for the kill too
			<-h.dead
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

// detach takes h, which failed, from p and records the failure; c.mu is
// held.
func (c *Client) detach(h *hostConn, p *pool) {
	p.host, h.pool = nil, nil
	if !c.closed {
		c.failed(p, time.Now(), time.Since(h.started))
	}
}

// failed records a failure of p's host, which had run for up; c.mu is
// held. A host that ran for HealthyAfter ends the failures in a row
// before this one. Enough failures in the window quarantine the group.
func (c *Client) failed(p *pool, now time.Time, up time.Duration) {
	if up >= c.cfg.HealthyAfter {
		p.failures = 0
	}
	p.failures++
	p.lastFail = now
	if c.cfg.QuarantineAfter < 0 {
		return
	}
	keep := p.crashes[:0]
	for _, t := range p.crashes {
		if now.Sub(t) < c.cfg.QuarantineWindow {
			keep = append(keep, t)
		}
	}
	p.crashes = append(keep, now)
	if len(p.crashes) >= c.cfg.QuarantineAfter {
		p.until = now.Add(c.cfg.QuarantineFor)
		p.crashes, p.failures = nil, 0
		c.log.Warn("isolate: group quarantined", "group", p.name, "failures", c.cfg.QuarantineAfter,
			"window", c.cfg.QuarantineWindow, "until", p.until)
	}
}

// backoff is the wait after p's failures so far; c.mu is held.
func (c *Client) backoff(p *pool) time.Duration {
	if p.failures == 0 {
		return 0
	}
	d := c.cfg.MinBackoff
	for i := 1; i < p.failures && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxBackoff)
}

// startAfter waits, then starts a host and checks what it serves. On a
// mismatch it returns the host too, for the caller to kill.
func (c *Client) startAfter(group string, wait time.Duration) (*hostConn, error) {
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.done:
			return nil, errClosed
		}
	}
	return c.startHost(group)
}

// command returns the command of a new host, its environment built from
// nothing but Config.Env and the host marker.
func (c *Client) command() (*exec.Cmd, error) {
	var cmd *exec.Cmd
	if c.cfg.Command != nil {
		if cmd = c.cfg.Command(); cmd == nil {
			return nil, errors.New("isolate: Config.Command returned no command")
		}
	} else {
		exe, err := executable()
		if err != nil {
			return nil, fmt.Errorf("isolate: no executable to start as the host: %w", err)
		}
		cmd = exec.Command(exe)
		cmd.Args[0] = os.Args[0]
	}
	env := append([]string{}, cmd.Env...)
	for _, kv := range c.cfg.Env {
		if _, _, ok := cutEnv(kv); ok {
			env = append(env, kv)
		} else if v, ok := os.LookupEnv(kv); ok {
			env = append(env, kv+"="+v)
		}
	}
	cmd.Env = env
	if c.cfg.Dir != "" {
		cmd.Dir = c.cfg.Dir
	}
	cmd.Stdin = nil // the null device
	return cmd, nil
}

func cutEnv(kv string) (string, string, bool) {
	for i := 1; i < len(kv); i++ { // a leading = is part of the name (Windows)
		if kv[i] == '=' {
			return kv[:i], kv[i+1:], true
		}
	}
	return kv, "", false
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
