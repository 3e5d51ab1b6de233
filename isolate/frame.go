package isolate

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/handlergen/handlergen/isolate/internal/wire"
)

// The transport between a client and its host is a stream (a socketpair
// on Unix) of frames: a 24-byte header and at most chunkSize bytes of a
// message. Messages are cut into chunks and one writer goroutine per side
// sends the chunks of every message in turn, control frames (cancels)
// first, so a small call or a cancel never waits behind a large payload
// for more than one chunk, and a message whose caller has gone stops
// being sent between two chunks.
//
// Header: kind (1 byte), flags (1), reserved (2), chunk length (4), message
// ID (8), message length (8), all little-endian. A message is a 4-byte
// length, that many bytes of meta (wire.Hello and wire.Manifest as JSON,
// wire.Call and wire.Reply binary) and the raw data (already JSON) after it.
const (
	kindHello    byte = iota + 1 // client → host: wire.Hello
	kindManifest                 // host → client: wire.Manifest
	kindCall                     // client → host: wire.Call
	kindReply                    // host → client: wire.Reply
	kindCancel                   // client → host: the call of this ID; no body
	kindLog                      // host → client: one JSON log record
	kindBye                      // client → host: exit now
)

const (
	headerSize = 24
	chunkSize  = 64 << 10
	flagLast   = 1
)

// errTooLarge is a frame announcing a message over the receiver's limit:
// the sender broke the protocol (each side checks its own messages against
// the other's limit before sending them).
var errTooLarge = errors.New("isolate: a message over the size limit was announced")

// outMsg is a message being sent.
type outMsg struct {
	kind  byte
	id    uint64
	parts [2][]byte // the length-prefixed meta, then the data
	total int
	off   int // bytes sent; writer only
	// Set under conn.mu: aborted by its sender, which gets no more
	// chunks sent; complete once its last chunk is being written.
	aborted, complete, started bool
}

func newMsg(kind byte, id uint64, meta, data []byte) *outMsg {
	head := make([]byte, 4+len(meta))
	binary.LittleEndian.PutUint32(head, uint32(len(meta)))
	copy(head[4:], meta)
	return &outMsg{kind: kind, id: id, parts: [2][]byte{head, data}, total: len(head) + len(data)}
}

// encodeMsg returns the message of meta (as JSON) and data.
func encodeMsg(kind byte, id uint64, meta any, data []byte) (*outMsg, error) {
	b, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	return newMsg(kind, id, b, data), nil
}

// decodeMsg splits a message into its meta, decoded into meta, and data.
func decodeMsg(body []byte, meta any) ([]byte, error) {
	b, data, err := splitMsg(body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, meta); err != nil {
		return nil, err
	}
	return data, nil
}

// splitMsg splits a message into its meta and data.
func splitMsg(body []byte) (meta, data []byte, err error) {
	if len(body) < 4 {
		return nil, nil, errors.New("isolate: short message")
	}
	n := binary.LittleEndian.Uint32(body)
	if uint64(n) > uint64(len(body)-4) {
		return nil, nil, errors.New("isolate: bad message")
	}
	return body[4 : 4+n], body[4+n:], nil
}

// callMsg returns the message of call c. Its meta is binary (see
// wire.Call.AppendMeta), as is a reply's: they cross on every call.
func callMsg(c *wire.Call) *outMsg {
	head := c.AppendMeta(make([]byte, 4, 64+len(c.Name)))
	binary.LittleEndian.PutUint32(head, uint32(len(head)-4))
	return &outMsg{kind: kindCall, id: c.ID, parts: [2][]byte{head, c.Data}, total: len(head) + len(c.Data)}
}

// replyMsg returns the message of reply r to call id.
func replyMsg(id uint64, r *wire.Reply) (*outMsg, error) {
	head, err := r.AppendMeta(make([]byte, 4, 16))
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(head, uint32(len(head)-4))
	return &outMsg{kind: kindReply, id: id, parts: [2][]byte{head, r.Data}, total: len(head) + len(r.Data)}, nil
}

// conn is one side of the stream.
type conn struct {
	rw    io.ReadWriteCloser
	maxIn int64 // the largest message this side reads
	// broken, when set, is called once the stream fails to take a write:
	// the other side is gone or stuck, and nothing else will notice.
	broken func(error)
	// heldLimit, when set, returns the most bytes the reader holds in
	// messages not yet whole; more is a protocol failure of the sender.
	heldLimit func() int64

	mu   sync.Mutex
	ctrl []*outMsg // sent first
	data []*outMsg // in turn, a chunk each
	err  error     // the write side failed or was closed
	wake chan struct{}
	done chan struct{} // closed when the writer has ended
}

func newConn(rw io.ReadWriteCloser, maxIn int64, broken func(error)) *conn {
	c := &conn{rw: rw, maxIn: maxIn, broken: broken, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.writeLoop()
	return c
}

// send queues m; a control message goes before every data message.
func (c *conn) send(m *outMsg, control bool) error {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	if control {
		c.ctrl = append(c.ctrl, m)
	} else {
		c.data = append(c.data, m)
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// abort stops sending m and reports whether the receiver gets all of it
// (its last chunk was already being written) and whether it got any.
func (c *conn) abort(m *outMsg) (complete, started bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.aborted = true
	return m.complete, m.started
}

// closeWrite ends the writer once the queued control messages are out;
// the data messages still queued are dropped.
func (c *conn) closeWrite(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *conn) writeLoop() {
	defer close(c.done)
	buf := make([]byte, headerSize+chunkSize)
	for {
		c.mu.Lock()
		var m *outMsg
		for m == nil {
			switch {
			case len(c.ctrl) > 0:
				m, c.ctrl = c.ctrl[0], c.ctrl[1:]
			case c.err != nil:
				c.data = nil
				c.mu.Unlock()
				return
			case len(c.data) > 0:
				m, c.data = c.data[0], c.data[1:]
				if m.aborted {
					m = nil
				}
			default:
				c.mu.Unlock()
				<-c.wake
				c.mu.Lock()
			}
		}
		n := min(chunkSize, m.total-m.off)
		last := m.off+n == m.total
		m.started = true
		m.complete = last
		c.mu.Unlock()

		buf[0], buf[1] = m.kind, 0
		if last {
			buf[1] = flagLast
		}
		binary.LittleEndian.PutUint32(buf[4:], uint32(n))
		binary.LittleEndian.PutUint64(buf[8:], m.id)
		binary.LittleEndian.PutUint64(buf[16:], uint64(m.total))
		w := headerSize
		for off, p := m.off, 0; w < headerSize+n; p++ {
			part := m.parts[p]
			if off >= len(part) {
				off -= len(part)
				continue
			}
			w += copy(buf[w:headerSize+n], part[off:])
			off = 0
		}
		m.off += n
		if _, err := c.rw.Write(buf[:w]); err != nil {
			c.closeWrite(err)
			c.mu.Lock()
			c.ctrl = nil
			c.mu.Unlock()
			if c.broken != nil {
				c.broken(err)
			}
			continue // returns at the top
		}
		if !last {
			c.mu.Lock()
			if !m.aborted {
				c.data = append(c.data, m) // its turn comes again after the others'
			}
			c.mu.Unlock()
		}
	}
}

// partKey names a message being received.
type partKey struct {
	kind byte
	id   uint64
}

// maxMsg is the longest message c reads: its limit is the data's, and
// the meta is small.
func (c *conn) maxMsg() int64 { return c.maxIn + 4 + 64<<10 }

// errHeld is a sender that keeps more of its messages unfinished than the
// reader holds (conn.heldLimit).
var errHeld = errors.New("isolate: more bytes of unfinished messages than the limit")

// readLoop reads frames until the stream ends (io.EOF) or breaks the
// protocol, or deliver fails (its error), and
// hands each whole message to deliver; a cancel also drops the parts of
// its call received so far (drop reports whether there were any).
//
// A message grows as its chunks come, never past the length its header
// announces: what the reader holds is what the sender sent, and at most
// heldLimit of it in messages not yet whole.
func (c *conn) readLoop(deliver func(kind byte, id uint64, body []byte, dropped bool) error) error {
	var head [headerSize]byte
	parts := map[partKey][]byte{}
	var held int64 // the bytes in parts
	for {
		if _, err := io.ReadFull(c.rw, head[:]); err != nil {
			return err
		}
		kind, flags := head[0], head[1]
		n := binary.LittleEndian.Uint32(head[4:])
		id := binary.LittleEndian.Uint64(head[8:])
		total := binary.LittleEndian.Uint64(head[16:])
		if n > chunkSize || total > uint64(c.maxMsg()) {
			return fmt.Errorf("%w: %d bytes", errTooLarge, total)
		}
		k := partKey{kind, id}
		body := parts[k]
		if uint64(len(body))+uint64(n) > total {
			return errors.New("isolate: a message longer than announced")
		}
		last := flags&flagLast != 0
		if !last && c.heldLimit != nil && held+int64(n) > c.heldLimit() {
			return fmt.Errorf("%w (%d bytes)", errHeld, held+int64(n))
		}
		if cap(body)-len(body) < int(n) {
			size := len(body) + int(n)
			if !last { // room for more chunks, as append would make, up to total
				size = min(max(size, 2*cap(body)), int(total))
			}
			grown := make([]byte, len(body), size)
			copy(grown, body)
			body = grown
		}
		body = body[:len(body)+int(n)]
		if _, err := io.ReadFull(c.rw, body[len(body)-int(n):]); err != nil {
			return err
		}
		if !last {
			parts[k] = body
			held += int64(n)
			continue
		}
		held -= int64(len(body) - int(n))
		delete(parts, k)
		if uint64(len(body)) != total {
			return errors.New("isolate: a message shorter than announced")
		}
		dropped := false
		if kind == kindCancel {
			ck := partKey{kindCall, id}
			var call []byte
			call, dropped = parts[ck]
			held -= int64(len(call))
			delete(parts, ck)
		}
		if err := deliver(kind, id, body, dropped); err != nil {
			return err
		}
	}
}
