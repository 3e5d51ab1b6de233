// Package wire holds what crosses between an isolation client and its host:
// the calls and replies, and errors flattened to data. Keeping them here
// keeps them out of isolate's API.
package wire

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

// Hello is the client's first message: how the host is to run.
type Hello struct {
	LogLevel         string
	MaxRequestBytes  int64 // the largest request the host reads
	MaxResponseBytes int64 // the largest response the client reads
	MemoryLimit      int64 // bytes; 0: none
	CPULimit         int64 // seconds of CPU time; 0: none
}

// ManifestEntry identifies one handler the host serves.
type ManifestEntry struct {
	Name, Class, Digest string
}

// Manifest is the host's answer at the handshake.
type Manifest struct {
	PID     int
	Entries []ManifestEntry // sorted by name
}

// Call is one operation on the host: "New" makes an instance of Name;
// the handler methods act on Instance; "Release" drops Instance without
// calling it (its handler was dropped by the service, or made for a caller
// that had gone).
type Call struct {
	ID          uint64 // unique per client, for Cancel
	Method      string
	Name        string // New only
	Instance    uint64
	Correlation uuid.UUID
	Timeout     time.Duration // the rest of the caller's deadline; 0: none
	Data        []byte        `json:"-"` // JSON: Initialize's config, Execute's request; sent apart
}

// Reply is the result of a Call.
type Reply struct {
	Instance uint64 // New only
	Health   bool   // New only: the instance implements registry.HealthChecker
	Data     []byte `json:"-"` // JSON: Execute's response, Describe's descriptor, HealthCheck's health; sent apart
	Err      *Error
}

// Request is Execute's registry.Request as JSON.
type Request struct {
	Operation string         `json:"operation"`
	Payload   any            `json:"payload"`
	Config    map[string]any `json:"config,omitempty"`
}

// Response is Execute's registry.Response as JSON.
type Response struct {
	Payload  any               `json:"payload"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// Descriptor is registry.Descriptor as JSON, the version by its parts.
type Descriptor struct {
	Name        string        `json:"name"`
	Type        registry.Type `json:"type"`
	Version     Version       `json:"version"`
	Tags        []string      `json:"tags"`
	Description string        `json:"description"`
}

// Version is registry.Version as JSON.
type Version struct {
	Major, Minor, Patch int
	Prerelease, Build   string
}

// Error is an error as data: a *registry.Error keeps its code, name,
// operation, contract, correlation ID, suggestions and, for a panic, the
// value (as text) and stack.
type Error struct {
	Code          uint16 // 0: not a *registry.Error
	Name          string
	Op            string
	Contract      string
	CorrelationID uuid.UUID
	Suggestions   []string
	Message       string // the cause's message (the whole message when Code is 0)
	Panic         bool
	Stack         []byte
	// Wrapped is the whole message of an error that wraps the
	// *registry.Error (fmt.Errorf("...: %w", re)), "" when it is one.
	Wrapped string
}

// FromError flattens err; nil stays nil. An error whose methods (Error,
// Unwrap, As) panic is flattened as a HandlerPanicked error with that
// panic: the error came from a handler, and must not end the host.
func FromError(err error) (w *Error) {
	if err == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			w = &Error{Code: uint16(registry.HandlerPanicked), Panic: true, Stack: debug.Stack(),
				Message: fmt.Sprintf("the handler's error (%T) panicked when read: %v", err, p)}
		}
	}()
	var re *registry.Error
	if !errors.As(err, &re) || re == nil {
		return &Error{Message: err.Error()}
	}
	w = &Error{Code: uint16(re.Code), Name: re.Name, Op: re.Op, Contract: re.Contract, CorrelationID: re.CorrelationID, Suggestions: re.Suggestions}
	if err != error(re) {
		w.Wrapped = err.Error()
	}
	var pe *registry.PanicError
	switch {
	case errors.As(re.Err, &pe) && pe != nil:
		// Error, not fmt.Sprint(pe.Value): it formats the handler's
		// value with a time limit, so a String that blocks cannot hold
		// the reply.
		w.Panic, w.Stack, w.Message = true, pe.Stack, strings.TrimPrefix(pe.Error(), "panic: ")
	case re.Err != nil:
		w.Message = re.Err.Error()
	}
	return w
}

// Text is the message of the error w was made from.
func (w *Error) Text() string {
	switch {
	case w.Code == 0:
		return w.Message
	case w.Wrapped != "":
		return w.Wrapped
	}
	re := &registry.Error{Code: registry.Code(w.Code), Name: w.Name, Op: w.Op, Contract: w.Contract,
		CorrelationID: w.CorrelationID, Suggestions: w.Suggestions}
	switch {
	case w.Panic:
		re.Err = &registry.PanicError{Value: w.Message}
	case w.Message != "":
		re.Err = errors.New(w.Message)
	}
	return re.Error()
}

// Marshal is json.Marshal, with a panic of a MarshalJSON method (or of a
// TextMarshaler) returned as an error: a value of the caller's must not end
// the process that encodes it.
func Marshal(v any) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("json: a MarshalJSON method panicked: %v", p)
		}
	}()
	return json.Marshal(v)
}

// The meta of every Call and Reply is binary: JSON for these few fixed
// fields cost two encodings and two decodings a call, about a tenth of an
// isolated call's CPU. An error (rare) stays JSON inside a Reply.
//
// Call: ID, Instance, Timeout (8 bytes each, little-endian), Correlation
// (16), then Method and Name, each its length (uvarint) and its bytes.
// Reply: Instance (8), flags (1: Health, 2: an error follows), then the
// JSON of Err. (Not MarshalBinary and UnmarshalBinary: gob and others
// would take them for the whole value's encoding.)

// AppendMeta appends c's meta (not Data) to b.
func (c *Call) AppendMeta(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, c.ID)
	b = binary.LittleEndian.AppendUint64(b, c.Instance)
	b = binary.LittleEndian.AppendUint64(b, uint64(c.Timeout))
	b = append(b, c.Correlation[:]...)
	b = appendString(b, c.Method)
	return appendString(b, c.Name)
}

// DecodeMeta sets c's meta from what AppendMeta appended.
func (c *Call) DecodeMeta(b []byte) error {
	if len(b) < 40 {
		return errShort
	}
	c.ID = binary.LittleEndian.Uint64(b)
	c.Instance = binary.LittleEndian.Uint64(b[8:])
	c.Timeout = time.Duration(binary.LittleEndian.Uint64(b[16:]))
	copy(c.Correlation[:], b[24:40])
	var ok bool
	b = b[40:]
	if c.Method, b, ok = cutString(b); !ok {
		return errShort
	}
	if c.Name, _, ok = cutString(b); !ok {
		return errShort
	}
	return nil
}

// AppendMeta appends r's meta (not Data) to b.
func (r *Reply) AppendMeta(b []byte) ([]byte, error) {
	b = binary.LittleEndian.AppendUint64(b, r.Instance)
	var flags byte
	if r.Health {
		flags |= 1
	}
	if r.Err == nil {
		return append(b, flags), nil
	}
	e, err := json.Marshal(r.Err)
	if err != nil {
		return nil, err
	}
	return append(append(b, flags|2), e...), nil
}

// DecodeMeta sets r's meta from what AppendMeta appended.
func (r *Reply) DecodeMeta(b []byte) error {
	if len(b) < 9 {
		return errShort
	}
	r.Instance = binary.LittleEndian.Uint64(b)
	r.Health = b[8]&1 != 0
	r.Err = nil
	if b[8]&2 == 0 {
		return nil
	}
	r.Err = new(Error)
	return json.Unmarshal(b[9:], r.Err)
}

var errShort = errors.New("isolate: short call or reply")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func cutString(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}
