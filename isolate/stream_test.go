package isolate

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net"
	"runtime"
	"sync"
	"testing"

	"github.com/handlergen/handlergen/isolate/internal/wire"
)

// streamMaxIn is the client's message limit in the stream tests: small,
// so that what a frame may announce stays small too.
const streamMaxIn = 1 << 16

// frames returns the frames of m, cut as the writer cuts them.
func frames(m *outMsg) []byte {
	var b []byte
	whole := append(bytes.Clone(m.parts[0]), m.parts[1]...)
	for off := 0; ; {
		n := min(chunkSize, len(whole)-off)
		b = appendFrame(b, m.kind, n == len(whole)-off, m.id, uint64(len(whole)), whole[off:off+n])
		off += n
		if off == len(whole) {
			return b
		}
	}
}

// appendFrame appends one frame of chunk, however inconsistent the
// header's fields are with it.
func appendFrame(b []byte, kind byte, last bool, id, total uint64, chunk []byte) []byte {
	var head [headerSize]byte
	head[0] = kind
	if last {
		head[1] = flagLast
	}
	binary.LittleEndian.PutUint32(head[4:], uint32(len(chunk)))
	binary.LittleEndian.PutUint64(head[8:], id)
	binary.LittleEndian.PutUint64(head[16:], total)
	return append(append(b, head[:]...), chunk...)
}

// interleave returns the frames of ms as the writer sends them when they
// are all queued at once: a chunk of each in turn.
func interleave(ms ...*outMsg) []byte {
	var queues [][][]byte
	for _, m := range ms {
		var q [][]byte
		for fs := frames(m); len(fs) > 0; {
			n := headerSize + int(binary.LittleEndian.Uint32(fs[4:]))
			q, fs = append(q, fs[:n]), fs[n:]
		}
		queues = append(queues, q)
	}
	var b []byte
	for more := true; more; {
		more = false
		for i, q := range queues {
			if len(q) > 0 {
				b, queues[i] = append(b, q[0]...), q[1:]
				more = true
			}
		}
	}
	return b
}

// readStream hands stream to a client's reader and deliver, as if a host
// had sent it, and returns how the reader ended. Calls 1 to 3 are waiting
// for their replies.
func readStream(stream []byte) error {
	_, err := readStreamHost(stream)
	return err
}

// readStreamHost is readStream, returning the calls 1 to 3 too.
func readStreamHost(stream []byte) (map[uint64]*pcall, error) {
	c := &Client{log: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug - 4}))}
	h := &hostConn{c: c, pid: 1, out: &hostOutput{log: c.log, group: "g"}, hello: make(chan *wire.Manifest, 1),
		pending: map[uint64]*pcall{}}
	for id := uint64(1); id <= 3; id++ {
		h.pending[id] = &pcall{done: make(chan struct{})}
	}
	r := &conn{rw: readOnly{bytes.NewReader(stream)}, maxIn: streamMaxIn}
	h.conn = r
	r.heldLimit = h.heldLimit
	calls := maps.Clone(h.pending)
	return calls, r.readLoop(h.deliver)
}

type readOnly struct{ io.Reader }

func (readOnly) Write(p []byte) (int, error) { return 0, io.ErrClosedPipe }
func (readOnly) Close() error                { return nil }

// streamSeeds returns streams of every kind of message a host sends, well
// and badly formed.
func streamSeeds(t testing.TB) [][]byte {
	manifest, err := encodeMsg(kindManifest, 0, &wire.Manifest{PID: 7, Entries: []wire.ManifestEntry{{Name: "h", Class: "c", Digest: "d"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := replyMsg(1, &wire.Reply{Data: []byte(`{"payload":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	big, err := replyMsg(2, &wire.Reply{Data: bytes.Repeat([]byte("x"), chunkSize+100)})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := replyMsg(3, &wire.Reply{Err: &wire.Error{Code: 52, Panic: true, Message: "boom", Stack: []byte("stack")}})
	if err != nil {
		t.Fatal(err)
	}
	logRecord := newMsg(kindLog, 1, nil, []byte(`{"time":"2024-01-02T03:04:05Z","level":"WARN","msg":"m","n":1,"o":{"p":[true]}}`))
	bigLog := func(id uint64) *outMsg {
		return newMsg(kindLog, id, nil, []byte(`{"msg":"`+string(bytes.Repeat([]byte("y"), chunkSize+10))+`"}`))
	}
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	seeds := [][]byte{
		nil,
		frames(manifest),
		cat(frames(manifest), frames(reply), frames(big), frames(failed), frames(logRecord)),
		interleave(big, bigLog(5), bigLog(6), logRecord),
		// A log message whose meta length is more than it holds, or
		// which is too short to have one.
		appendFrame(nil, kindLog, true, 0, 4, []byte{0xff, 0xff, 0xff, 0x7f}),
		appendFrame(nil, kindLog, true, 0, 8, []byte{0xff, 0xff, 0xff, 0xff, '{', '}', 0, 0}),
		appendFrame(nil, kindLog, true, 0, 1, []byte{1}),
		appendFrame(nil, kindLog, true, 0, 0, nil),
		appendFrame(nil, kindReply, true, 1, 4, []byte{0xff, 0xff, 0xff, 0x7f}),
		appendFrame(nil, kindManifest, true, 0, 4, []byte{0xff, 0xff, 0xff, 0x7f}),
		appendFrame(nil, kindLog, true, 0, 6, []byte{0, 0, 0, 0, '{', '"'}),
		appendFrame(nil, 99, true, 0, 0, nil),
		// Announced more than sent, more than the limit, chunks of one
		// message under other totals.
		appendFrame(nil, kindReply, false, 1, 1<<40, []byte{1, 2}),
		appendFrame(appendFrame(nil, kindLog, false, 0, 10, []byte{0, 0, 0, 0, '{'}), kindLog, true, 0, 6, []byte{'}', 1, 2, 3, 4, 5}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		b := make([]byte, rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		seeds = append(seeds, b, appendFrame(nil, byte(rng.IntN(8)), true, 0, uint64(len(b)), b))
	}
	return seeds
}

// FuzzHostStream: whatever bytes a host sends, the client's reader ends
// or goes on, and never panics (which would end the service).
func FuzzHostStream(f *testing.F) {
	for _, s := range streamSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		readStream(stream)
	})
}

// TestHostStreamWellFormed: the seeds that are well formed are read to
// their end.
func TestHostStreamWellFormed(t *testing.T) {
	seeds := streamSeeds(t)
	for i, s := range seeds[:4] {
		if err := readStream(s); err != io.EOF {
			t.Errorf("seed %d: %v, want io.EOF", i, err)
		}
	}
}

// TestMalformedLogIsProtocolFailure: a log message whose meta length is
// more than the message holds, whatever that length, ends the reader
// with an error (the host broke the protocol) instead of a panic.
func TestMalformedLogIsProtocolFailure(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		body := make([]byte, rng.IntN(64))
		for i := range body {
			body[i] = byte(rng.Uint32())
		}
		if len(body) >= 4 && rng.IntN(2) == 0 {
			binary.LittleEndian.PutUint32(body, uint32(len(body)-4)+1+rng.Uint32N(1<<31))
		}
		_, _, bad := splitMsg(body)
		err := readStream(appendFrame(nil, kindLog, true, 0, uint64(len(body)), body))
		if (err != io.EOF) != (bad != nil) {
			t.Fatalf("log body % x: reader ended with %v", body, err)
		}
	}
}

// TestConcurrentLargeLogRecords: log records over a chunk, logged in the
// host at the same time (so that the writer interleaves their chunks),
// each reach the client's logger whole, and the client's reader goes on.
func TestConcurrentLargeLogRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 4 {
		hostEnd, clientEnd := net.Pipe()
		host := newConn(hostEnd, 1<<20, nil)
		logger := slog.New(slog.NewJSONHandler(&logWriter{c: host}, nil))

		// Queue them all before the client reads: the pipe takes no
		// write until then, so the writer has every one queued.
		want := map[string]bool{}
		var wg sync.WaitGroup
		for range 2 + round {
			b := make([]byte, chunkSize+1+rng.IntN(2*chunkSize))
			for i := range b {
				b[i] = byte(' ' + rng.IntN('~'-' '+1))
			}
			want[string(b)] = true
			wg.Go(func() { logger.Info(string(b)) })
		}
		wg.Wait()

		got := make(chan string, len(want))
		c := &Client{log: slog.New(recordFunc(func(r slog.Record) { got <- r.Message }))}
		h := &hostConn{c: c, out: &hostOutput{log: c.log}, hello: make(chan *wire.Manifest, 1), pending: map[uint64]*pcall{}}
		h.conn = &conn{rw: clientEnd, maxIn: 1 << 20}
		ended := make(chan error, 1)
		go func() { ended <- h.conn.readLoop(h.deliver) }()
		for range len(want) {
			select {
			case m := <-got:
				if !want[m] {
					t.Fatalf("round %d: a record of %d bytes that was not logged", round, len(m))
				}
				delete(want, m)
			case err := <-ended:
				t.Fatalf("round %d: the reader ended: %v", round, err)
			}
		}
		host.closeWrite(io.EOF)
		<-host.done
		hostEnd.Close()
		if err := <-ended; err != io.EOF && !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("round %d: the reader ended with %v", round, err)
		}
		clientEnd.Close()
	}
}

// recordFunc is a slog.Handler calling itself with each record.
type recordFunc func(slog.Record)

func (f recordFunc) Enabled(context.Context, slog.Level) bool      { return true }
func (f recordFunc) Handle(_ context.Context, r slog.Record) error { f(r); return nil }
func (f recordFunc) WithAttrs([]slog.Attr) slog.Handler            { return f }
func (f recordFunc) WithGroup(string) slog.Handler                 { return f }

// TestAnnouncedLengthNotAllocated: the reader allocates what a host sends,
// not what its frames announce: chunks of a few bytes starting many
// messages that announce the largest length cost about what they hold.
func TestAnnouncedLengthNotAllocated(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var stream []byte
	for id := range uint64(500) {
		chunk := make([]byte, 1+rng.IntN(16))
		kind := []byte{kindReply, kindLog, kindManifest}[rng.IntN(3)]
		total := uint64(streamMaxIn) + uint64(rng.IntN(64<<10))
		stream = appendFrame(stream, kind, false, id, total, chunk)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := readStream(stream)
	runtime.ReadMemStats(&after)
	if err != io.EOF {
		t.Errorf("reader ended with %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("%d bytes allocated for %d bytes of stream", n, len(stream))
	}
}

// TestUnfinishedMessagesBounded: a host that starts messages, of any kind
// and ID, and does not finish them, is a protocol failure once the client
// would hold more of them than a reply to each call waiting and as much
// again; replies as large as allowed to every call waiting, with log
// records, all in flight at once, are not.
func TestUnfinishedMessagesBounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	limit := 4 * (&conn{maxIn: streamMaxIn}).maxMsg() // 3 calls waiting
	for round := range 20 {
		var stream []byte
		for sent := int64(0); sent <= 2*limit; {
			chunk := make([]byte, 1+rng.IntN(chunkSize))
			kind := []byte{kindReply, kindLog, kindManifest}[rng.IntN(3)]
			stream = appendFrame(stream, kind, false, rng.Uint64N(1<<20), uint64(streamMaxIn+64<<10), chunk)
			sent += int64(len(chunk))
		}
		if err := readStream(stream); !errors.Is(err, errHeld) {
			t.Fatalf("round %d: reader ended with %v", round, err)
		}
	}

	data := func() []byte { return bytes.Repeat([]byte{'1'}, streamMaxIn-rng.IntN(100)) }
	var ms []*outMsg
	for id := uint64(1); id <= 3; id++ {
		m, err := replyMsg(id, &wire.Reply{Data: data()})
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	ms = append(ms, newMsg(kindLog, 1, nil, []byte(`{"msg":"`+string(data())+`"}`)))
	calls, err := readStreamHost(interleave(ms...))
	if err != io.EOF {
		t.Fatalf("replies to every call waiting: reader ended with %v", err)
	}
	for id, p := range calls {
		if p.reply == nil || len(p.reply.Data) < streamMaxIn-100 {
			t.Errorf("call %d: reply %+v", id, p.reply)
		}
	}
}
