package isolate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/handlergen/handlergen/isolate/internal/wire"
	"github.com/handlergen/handlergen/registry"
)

// hostConn is one host process and the channel to it.
type hostConn struct {
	c       *Client
	pool    *pool // c.mu guards it; nil while the host is the spare
	cmd     *exec.Cmd
	pid     int
	conn    *conn
	rw      io.ReadWriteCloser
	started time.Time
	out     *hostOutput
	hello   chan *wire.Manifest // the handshake's answer

	once sync.Once
	gone chan struct{} // closed when the host is being killed or was lost
	dead chan struct{} // closed once the process is reaped and every call failed

	mu       sync.Mutex
	pending  map[uint64]*pcall
	reaped   bool   // no more kills: the process's ID may be reused
	killedBy string // why the client killed it, "" if it did not
	failure  string // how it ended, once dead is closed
}

// pcall is a call waiting for its reply.
type pcall struct {
	done  chan struct{}
	reply *wire.Reply // nil: the host failed
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

// startHost starts a host process for group and waits for its handshake.
// On a mismatch it returns the host too, for the caller to kill. The
// caller is a goroutine c.wg counts.
func (c *Client) startHost(group string) (*hostConn, error) {
	cmd, err := c.command()
	if err != nil {
		return nil, err
	}
	out := &hostOutput{log: c.log}
	cmd.Stdout, cmd.Stderr = out, out
	rw, hostEnds, err := hostChannel(cmd)
	if err != nil {
		return nil, fmt.Errorf("isolate: starting the host: %w", err)
	}
	ownGroup(cmd)
	cmd.WaitDelay = time.Second // a process that escaped the group may hold the output open
	err = cmd.Start()
	for _, f := range hostEnds {
		f.Close() // the host has its own copies
	}
	if err != nil {
		rw.Close()
		return nil, fmt.Errorf("starting the host %s: %w", cmd.Path, err)
	}
	h := &hostConn{c: c, cmd: cmd, pid: cmd.Process.Pid, rw: rw, started: time.Now(), out: out,
		hello: make(chan *wire.Manifest, 1),
		gone:  make(chan struct{}), dead: make(chan struct{}), pending: map[uint64]*pcall{}}
	h.conn = newConn(rw, c.cfg.MaxResponseBytes, func(err error) { h.kill("writing to it failed: " + err.Error()) })
	h.conn.heldLimit = h.heldLimit
	out.setHost(h.pid, group)
	c.wg.Add(1) // from a counted goroutine: see wg
	go func() {
		defer c.wg.Done()
		h.serve()
	}()
	if c.cfg.OnStart != nil {
		if err := c.cfg.OnStart(h.pid); err != nil {
			return h, fmt.Errorf("isolate: Config.OnStart(%d): %w", h.pid, err)
		}
	}
	hello, err := encodeMsg(kindHello, 0, &wire.Hello{LogLevel: c.cfg.HostLogLevel.String(),
		MaxRequestBytes: c.cfg.MaxRequestBytes, MaxResponseBytes: c.cfg.MaxResponseBytes,
		MemoryLimit: c.cfg.MemoryLimit, CPULimit: int64((c.cfg.CPULimit + time.Second - 1) / time.Second)}, nil)
	if err != nil {
		return h, err
	}
	h.conn.send(hello, true)
	t := time.NewTimer(c.cfg.StartTimeout)
	defer t.Stop()
	var m *wire.Manifest
	select {
	case m = <-h.hello:
	case <-h.dead:
		return h, fmt.Errorf("starting the host %s (pid %d): it %s", cmd.Path, h.pid, h.failure)
	case <-t.C:
		return h, fmt.Errorf("starting the host %s (pid %d): no handshake in %v", cmd.Path, h.pid, c.cfg.StartTimeout)
	case <-c.done:
		return h, errClosed
	}
	if diff := compare(c.local.Entries(), m.Entries); diff != "" {
		return h, &registry.Error{Code: registry.HostMismatch, Op: "handshake", Err: fmt.Errorf("host %s (pid %d) serves other handlers: %s", cmd.Path, m.PID, diff)}
	}
	return h, nil
}

// serve reads what the host sends until the channel ends, then makes sure
// the host and every process of its group are gone, reaps it and fails
// the calls still waiting.
func (h *hostConn) serve() {
	err := h.conn.readLoop(h.deliver)
	h.once.Do(func() { close(h.gone) })
	h.mu.Lock()
	h.reaped = true
	h.mu.Unlock()
	killGroup(h.cmd.Process) // the host, if it lives, and what its handlers started
	werr := h.cmd.Wait()
	h.rw.Close()
	h.conn.closeWrite(errors.New("isolate: host gone"))
	<-h.conn.done

	how := "exited"
	if st := h.cmd.ProcessState; st != nil {
		how = "ended with " + st.String() // "exit status 3", "signal: killed"
	} else if werr != nil {
		how = "ended: " + werr.Error()
	}
	h.mu.Lock()
	if h.killedBy != "" {
		how += " (killed by the client: " + h.killedBy + ")"
	} else if err != io.EOF && !errors.Is(err, os.ErrClosed) {
		how += " (" + err.Error() + ")"
	}
	if tail := h.out.tail(); tail != "" {
		how += "; " + tail
	}
	h.failure = how
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	for _, p := range pending {
		close(p.done)
	}
	h.c.ended(h)
	close(h.dead)
}

// heldLimit bounds the bytes of the host's messages the client holds
// before they are whole: a reply of the largest size to each call waiting
// for one, and as much again for log records and the manifest. A healthy
// host sends no more at once (it replies only to the calls it gets, and
// the writer sends the chunks of its messages in turn); a broken one that
// starts messages without ending them is killed instead of filling the
// client's memory.
func (h *hostConn) heldLimit() int64 {
	h.mu.Lock()
	n := len(h.pending)
	h.mu.Unlock()
	return int64(n+1) * h.conn.maxMsg()
}

// deliver handles one message from the host.
func (h *hostConn) deliver(kind byte, id uint64, body []byte, _ bool) error {
	switch kind {
	case kindManifest:
		var m wire.Manifest
		if _, err := decodeMsg(body, &m); err != nil {
			return err
		}
		select {
		case h.hello <- &m:
		default:
		}
	case kindReply:
		r := new(wire.Reply)
		meta, data, err := splitMsg(body)
		if err != nil {
			return err
		}
		if err := r.DecodeMeta(meta); err != nil {
			return err
		}
		if len(data) > 0 {
			r.Data = data
		}
		h.mu.Lock()
		p := h.pending[id]
		delete(h.pending, id)
		h.mu.Unlock()
		if p != nil {
			p.reply = r
			close(p.done)
		}
	case kindLog:
		_, line, err := splitMsg(body)
		if err != nil {
			return err // a malformed message: the host broke the protocol
		}
		h.c.hostRecord(h, line)
	default:
		return fmt.Errorf("isolate: unexpected message %d from the host", kind)
	}
	return nil
}

// ended takes h from its pool, recording a failure unless the client is
// closing.
func (c *Client) ended(h *hostConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spare == h {
		c.spare = nil
	}
	if p := h.pool; p != nil && p.host == h {
		c.detach(h, p)
	}
}

// kill ends h and the processes of its group, for the reason given;
// every call in flight in it fails.
func (h *hostConn) kill(why string) {
	h.once.Do(func() { close(h.gone) })
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reaped {
		return
	}
	if h.killedBy == "" {
		h.killedBy = why
	}
	killGroup(h.cmd.Process)
}

// stop asks h to exit, kills it after timeout, and waits until it is reaped.
func (h *hostConn) stop(timeout time.Duration) {
	h.once.Do(func() { close(h.gone) })
	h.conn.send(newMsg(kindBye, 0, nil, nil), true)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-h.dead:
		return
	case <-t.C:
		h.kill(fmt.Sprintf("it did not exit within %v of Close", timeout))
	}
	<-h.dead
}

// register adds a call waiting for its reply, unless h has failed.
func (h *hostConn) register(id uint64, p *pcall) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending == nil {
		return false
	}
	h.pending[id] = p
	return true
}

func (h *hostConn) unregister(id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.pending, id)
}

// errUndelivered marks a call that never reached its host, which had
// exited before it was sent: it is safe to send again to a new host.
var errUndelivered = errors.New("it had exited before the call was sent")

// call sends one operation to h and waits for its reply or the end of ctx.
// A transport failure loses the host (HostFailed, wrapping errUndelivered
// when no byte of the call was sent); the end of ctx returns CallAbandoned
// at once, stops sending the call if it is still being sent, asks the host
// to cancel it, and kills the host if the call is still running KillAfter
// later.
func (c *Client) call(ctx context.Context, h *hostConn, args wire.Call) (*wire.Reply, error) {
	args.Correlation = registry.CorrelationIDOrNew(ctx)
	if err := ctx.Err(); err != nil {
		return nil, abandoned(ctx, args.Method, notSent{err})
	}
	if n := int64(len(args.Data)); n > c.cfg.MaxRequestBytes {
		return nil, &registry.Error{Code: registry.PayloadNotJSON, Op: args.Method, CorrelationID: args.Correlation,
			Err: fmt.Errorf("request of %d bytes is over the limit of %d bytes (Config.MaxRequestBytes)", n, c.cfg.MaxRequestBytes)}
	}
	args.ID = c.calls.Add(1)
	if dl, ok := ctx.Deadline(); ok {
		args.Timeout = max(time.Until(dl), 1) // > 0: a deadline
	}
	m := callMsg(&args)
	p := &pcall{done: make(chan struct{})}
	if h.isGone() || !h.register(args.ID, p) { // nothing to send it to
		h.kill("its channel failed")
		return nil, &registry.Error{Code: registry.HostFailed, Op: args.Method, CorrelationID: args.Correlation,
			Err: fmt.Errorf("host (pid %d) failed: %w", h.pid, errUndelivered)}
	}
	h.conn.send(m, false)
	select {
	case <-p.done:
		if p.reply != nil {
			return p.reply, nil
		}
		<-h.dead // h.failure is set
		var err error
		if _, started := h.conn.abort(m); !started {
			err = fmt.Errorf("host (pid %d) failed: %w", h.pid, errUndelivered)
		} else {
			err = fmt.Errorf("host (pid %d) failed during the call: it %s", h.pid, h.failure)
		}
		return nil, &registry.Error{Code: registry.HostFailed, Op: args.Method, CorrelationID: args.Correlation, Err: err}
	case <-ctx.Done():
		complete, _ := h.conn.abort(m)
		h.conn.send(newMsg(kindCancel, args.ID, nil, nil), true)
		if complete {
			c.spawn(func() { c.watch(h, p, args.Method) })
		} else {
			h.unregister(args.ID) // the host drops what it got of it
		}
		return nil, abandoned(ctx, args.Method, ctx.Err())
	}
}

// watch kills h if call p, whose caller has gone, outlives KillAfter; an
// instance a New made for it is released.
func (c *Client) watch(h *hostConn, p *pcall, method string) {
	t := time.NewTimer(c.cfg.KillAfter)
	defer t.Stop()
	select {
	case <-p.done:
		if r := p.reply; method == "New" && r != nil && r.Err == nil {
			c.release(h, r.Instance)
		}
	case <-h.gone:
	case <-t.C:
		c.log.Warn("isolate: killing the host: a call went on after its context ended", "pid", h.pid, "kill_after", c.cfg.KillAfter)
		h.kill(fmt.Sprintf("a call went on %v after its context ended (Config.KillAfter)", c.cfg.KillAfter))
	}
}

// release drops instance in h without calling it. It does not wait for
// the host: the call is sent, and its answer ignored.
func (c *Client) release(h *hostConn, instance uint64) {
	if h == nil || h.isGone() {
		return // the instance went with its host
	}
	args := wire.Call{ID: c.calls.Add(1), Method: "Release", Instance: instance}
	h.conn.send(callMsg(&args), false)
}

// hostRecord hands one of h's JSON log records to the client's logger,
// with its level, message, time and attributes.
func (c *Client) hostRecord(h *hostConn, line []byte) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return
	}
	r := slog.Record{Level: slog.LevelInfo}
	var attrs []slog.Attr
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return
		}
		key, _ := t.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return
		}
		switch key {
		case slog.TimeKey:
			if s, ok := v.(string); ok {
				r.Time, _ = time.Parse(time.RFC3339Nano, s)
			}
		case slog.LevelKey:
			if s, ok := v.(string); ok {
				r.Level.UnmarshalText([]byte(s))
			}
		case slog.MessageKey:
			r.Message, _ = v.(string)
		default:
			attrs = append(attrs, slog.Any(key, v))
		}
	}
	ctx := context.Background()
	if !c.log.Enabled(ctx, r.Level) {
		return
	}
	if r.Time.IsZero() {
		r.Time = time.Now()
	}
	r = slog.NewRecord(r.Time, r.Level, r.Message, 0)
	r.AddAttrs(slog.Int("host_pid", h.pid), slog.String("group", h.out.group))
	r.AddAttrs(attrs...)
	c.log.Handler().Handle(ctx, r)
}

// hostOutput takes what a host writes to its standard output and error:
// each line goes to the logger at Info, and the last ones (and the first
// line of a panic or fatal error) are kept for the error of a failure.
type hostOutput struct {
	log   *slog.Logger
	pid   int
	group string

	mu    sync.Mutex
	part  []byte   // a line not yet ended
	last  []string // the last lines, at most tailLines of tailBytes together
	panic string   // the first "panic: " or "fatal error: " line
}

const (
	tailLines = 8
	tailBytes = 2 << 10
)

func (o *hostOutput) setHost(pid int, group string) {
	o.mu.Lock()
	o.pid, o.group = pid, group
	o.mu.Unlock()
}

func (o *hostOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(o.part) < tailBytes {
				o.part = append(o.part, p[:min(len(p), tailBytes-len(o.part))]...)
			}
			break
		}
		line := string(append(o.part, p[:i]...))
		o.part = o.part[:0]
		p = p[i+1:]
		o.line(line)
	}
	return n, nil
}

// line records one line; o.mu is held.
func (o *hostOutput) line(line string) {
	if len(line) > tailBytes {
		line = line[:tailBytes] + "…"
	}
	o.log.Info(line, "host_pid", o.pid, "group", o.group, "stream", "output")
	if o.panic == "" && (strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")) {
		o.panic = line
	}
	if strings.TrimSpace(line) == "" {
		return
	}
	o.last = append(o.last, line)
	size := 0
	for _, l := range o.last {
		size += len(l)
	}
	for len(o.last) > tailLines || size > tailBytes && len(o.last) > 1 {
		size -= len(o.last[0])
		o.last = o.last[1:]
	}
}

// tail describes what the host wrote last, "" when nothing.
func (o *hostOutput) tail() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.part) > 0 {
		o.line(string(o.part))
		o.part = nil
	}
	var parts []string
	if o.panic != "" {
		parts = append(parts, o.panic)
	}
	if len(o.last) > 0 {
		parts = append(parts, fmt.Sprintf("its last output: %q", strings.Join(o.last, "\n")))
	}
	return strings.Join(parts, "; ")
}
