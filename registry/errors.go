package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Error is the error of the runtime: Registry.New, contained handlers and
// isolation hosts return it. It carries what an operator needs to act on the
// failure: a stable Code, the requested handler Name, the CorrelationID of
// the request (from the context, or a fresh UUIDv4) and, for an unknown
// name, the closest known names; for a known handler, its Contract and the
// operation that failed.
type Error struct {
	Code          Code      // HandlerNotFound, ConstructorFailed, HandlerPanicked, ...
	Name          string    // the requested handler name
	CorrelationID uuid.UUID // from the context, or a fresh UUIDv4
	Suggestions   []string  // closest known names, best first (HandlerNotFound only)
	Err           error     // the cause, such as the constructor's error or a *PanicError
	// Op is the operation that failed: "New" for the constructor, or the
	// handler method ("Execute", "Initialize", ...); "" when not recorded.
	Op string
	// Contract is the contract file of the handler (Entry.Contract), ""
	// for an unknown name.
	Contract string
}

// PanicError is the cause of a HandlerPanicked error: the value the
// constructor or method panicked with and the stack of the goroutine that
// panicked, as runtime/debug.Stack formats it.
type PanicError struct {
	Value any
	Stack []byte

	// text is Value's text, made once, when Value is not plain; nil in a
	// PanicError not made by NewPanicError, whose Error makes it each time.
	text *valueText
}

// NewPanicError records v, a value just recovered, with the stack of the
// calling goroutine. Call it in the deferred function that recovered, so the
// stack shows where the panic happened.
func NewPanicError(v any) *PanicError {
	p := &PanicError{Value: v, Stack: debug.Stack()}
	if !plain(v) {
		p.text = &valueText{v: v}
	}
	return p
}

// Error returns "panic: " and the panic value as fmt's %v formats it.
//
// The value is the handler's, and its methods may misbehave: the message of
// a contained failure must never crash, nor hold for long, the caller or
// the logger that asks for it. So a value whose Error, String or Format
// method panics when fmt calls it (with a value that panics in turn when
// fmt prints that panic, which fmt does not survive) is given by its type
// instead. And a value whose text needs any of its methods (or those of a
// value in it) is formatted on a goroutine of its own: Error waits for it
// for at most a fifth of a second, and when it has not come gives the
// value by its type, saying which method did not return. That goroutine
// runs until the method returns; a later Error then gives the text.
func (p *PanicError) Error() string {
	if p == nil {
		return "<nil>"
	}
	s, _ := p.message(nil, formatWait)
	return s
}

// message is Error's text, waiting for the value's text at most wait or
// until stop is closed; ok is false when the text did not come.
func (p *PanicError) message(stop <-chan struct{}, wait time.Duration) (string, bool) {
	s, ok := p.value(stop, wait)
	return "panic: " + s, ok
}

// value is the text of the panic value, as message.
func (p *PanicError) value(stop <-chan struct{}, wait time.Duration) (string, bool) {
	if plain(p.Value) {
		return formatValue(p.Value), true
	}
	t := p.text
	if t == nil {
		t = &valueText{v: p.Value}
	}
	return t.get(stop, wait)
}

// formatWait is the longest Error waits for the text of a panic value.
const formatWait = 200 * time.Millisecond

// valueText is the text of a value whose formatting calls its methods,
// made once on a goroutine of its own and read with a bounded wait.
type valueText struct {
	v    any
	once sync.Once
	done chan struct{} // closed when s is set
	s    string
	// late is set when a wait of formatWait ran out: later reads of a
	// text that has still not come do not wait.
	late atomic.Bool
}

func (t *valueText) get(stop <-chan struct{}, wait time.Duration) (string, bool) {
	t.once.Do(func() {
		t.done = make(chan struct{})
		go func() {
			// What s says if formatValue does not return: a method
			// called runtime.Goexit.
			s := "(" + fmt.Sprintf("%T", t.v) + ": " + formatMethod(t.v) + " did not return)"
			defer func() {
				t.s = s
				close(t.done)
			}()
			s = formatValue(t.v)
		}()
	})
	select {
	case <-t.done:
		return t.s, true
	default:
	}
	if wait > 0 && !t.late.Load() {
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-t.done:
			return t.s, true
		case <-stop:
		case <-timer.C:
			if wait >= formatWait {
				t.late.Store(true)
			}
		}
	}
	return "(" + fmt.Sprintf("%T", t.v) + ": " + formatMethod(t.v) + " did not return)", false
}

// plain reports whether fmt's %v of v calls no method of v, nor of a value
// in it, that is not the standard library's: a value of a basic kind with
// no methods, an error of package runtime, or one of the errors package,
// of fmt.Errorf with %w (its text is made already) or of the context
// package.
func plain(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128, reflect.String:
		return t.NumMethod() == 0
	}
	if plainErrors[t] {
		return true
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath() == "runtime"
}

var plainErrors = map[reflect.Type]bool{
	reflect.TypeOf(errors.New("")):               true,
	reflect.TypeOf(fmt.Errorf("%w", errNoValue)): true,
	reflect.TypeOf(context.DeadlineExceeded):     true,
}

// formatValue returns fmt's %v of v, or, when that panics, a text that
// calls no method of v.
func formatValue(v any) (s string) {
	done := false
	defer func() {
		if !done {
			recover() // the value panicked with is as untrusted as v: not printed
			s = "(" + fmt.Sprintf("%T", v) + ": " + formatMethod(v) + " panicked)"
		}
	}()
	s = fmt.Sprintf("%v", v)
	done = true
	return s
}

// formatMethod says what fmt's %v calls of v: the method fmt calls on v
// itself, in fmt's order, or for a struct, slice or map the methods of
// the values in it.
func formatMethod(v any) string {
	switch v.(type) {
	case fmt.Formatter:
		return "its Format method"
	case error:
		return "its Error method"
	case fmt.Stringer:
		return "its String method"
	}
	return "formatting it"
}

// errorString returns err.Error(), or, when that panics, a text that calls
// no method of err: the cause of an *Error may be a constructor's own
// error, code of the handler's.
func errorString(err error) (s string) {
	done := false
	defer func() {
		if !done {
			recover() // not printed, as in formatValue
			s = "(" + fmt.Sprintf("%T", err) + ": its Error method panicked)"
		}
	}()
	s = err.Error()
	done = true
	return s
}

// Unwrap returns the panic value when it is an error (as for a runtime
// error), so errors.Is and errors.As see it. When the value has its own
// Is, As or Unwrap methods, which errors.Is and errors.As would call, it
// is returned wrapped, so that a panic in those methods (or in those of an
// error it wraps) fails the match rather than reaching the caller of
// errors.Is or errors.As: errors.Is and errors.As see through the wrapper
// to the value, errors.Unwrap does not.
func (p *PanicError) Unwrap() error {
	if p == nil {
		return nil
	}
	err, _ := p.Value.(error)
	switch err.(type) {
	case interface{ Is(error) bool }, interface{ As(any) bool }, interface{ Unwrap() error }, interface{ Unwrap() []error }:
		return guarded{p}
	}
	return err
}

// guarded is the error panic value of p, for errors.Is and errors.As.
type guarded struct{ p *PanicError }

func (g guarded) Error() string {
	s, _ := g.p.value(nil, formatWait)
	return s
}

func (g guarded) Is(target error) bool {
	defer func() { recover() }() // not printed, as in formatValue
	return errors.Is(g.p.Value.(error), target)
}

func (g guarded) As(target any) bool {
	defer func() { recover() }()
	return errors.As(g.p.Value.(error), target)
}

// Sentinel values to compare errors with, by Code:
//
//	errors.Is(err, registry.ErrHandlerNotFound)
var (
	ErrHandlerNotFound    = &Error{Code: HandlerNotFound}
	ErrConstructorFailed  = &Error{Code: ConstructorFailed}
	ErrHandlerPanicked    = &Error{Code: HandlerPanicked}
	ErrCallAbandoned      = &Error{Code: CallAbandoned}
	ErrHostMismatch       = &Error{Code: HostMismatch}
	ErrHostFailed         = &Error{Code: HostFailed}
	ErrPayloadNotJSON     = &Error{Code: PayloadNotJSON}
	ErrHandlerQuarantined = &Error{Code: HandlerQuarantined}
)

// Error formats the error as
//
//	HANDLER_LOADER_050: no handler registered as "atuh" (did you mean "auth"?) [correlation_id=...]
func (e *Error) Error() string {
	if e == nil {
		return "<nil>"
	}
	s, _ := e.message(nil, formatWait)
	return s
}

// message is Error's text, waiting for the text of a panic value in it
// (see PanicError.Error) at most wait or until stop is closed; ok is false
// when that text did not come.
func (e *Error) message(stop <-chan struct{}, wait time.Duration) (string, bool) {
	var b strings.Builder
	b.WriteString(e.Code.String())
	b.WriteString(": ")
	switch e.Code {
	case HandlerNotFound:
		if e.Name == "" && e.CorrelationID == uuid.Nil && e.Err == nil {
			b.WriteString("handler not found")
			break
		}
		b.WriteString("no handler registered as ")
		b.WriteString(strconv.Quote(e.Name))
		if len(e.Suggestions) > 0 {
			b.WriteString(" (did you mean ")
			for i, s := range e.Suggestions {
				switch {
				case i == 0:
				case i == len(e.Suggestions)-1:
					b.WriteString(" or ")
				default:
					b.WriteString(", ")
				}
				b.WriteString(strconv.Quote(s))
			}
			b.WriteString("?)")
		}
	case ConstructorFailed:
		if e.Name == "" && e.CorrelationID == uuid.Nil {
			b.WriteString("handler constructor failed")
		} else {
			b.WriteString("constructor of handler ")
			b.WriteString(strconv.Quote(e.Name))
			b.WriteString(" failed")
		}
	case HandlerPanicked, CallAbandoned:
		if e.Name == "" && e.CorrelationID == uuid.Nil && e.Err == nil {
			b.WriteString(strings.ToLower(strings.ReplaceAll(e.Code.Name(), "_", " ")))
			break
		}
		b.WriteString("handler")
		if e.Name != "" { // Contain with no entry knows no name
			b.WriteString(" ")
			b.WriteString(strconv.Quote(e.Name))
		}
		if e.Code == HandlerPanicked {
			b.WriteString(" panicked")
		} else {
			b.WriteString(" abandoned")
		}
		switch e.Op {
		case "":
		case "New":
			b.WriteString(" in its constructor")
		default:
			b.WriteString(" in ")
			b.WriteString(e.Op)
		}
	default:
		if n := e.Code.Name(); n != "" {
			b.WriteString(strings.ToLower(strings.ReplaceAll(n, "_", " ")))
		} else {
			b.WriteString("error")
		}
		if e.Name != "" {
			b.WriteString(" for handler ")
			b.WriteString(strconv.Quote(e.Name))
		}
	}
	ok := true
	if e.Err != nil {
		b.WriteString(": ")
		if p, isPanic := e.Err.(*PanicError); isPanic && p != nil {
			var s string
			s, ok = p.message(stop, wait)
			b.WriteString(s)
		} else {
			b.WriteString(errorString(e.Err))
		}
	}
	if e.CorrelationID != uuid.Nil {
		b.WriteString(" [correlation_id=")
		b.WriteString(e.CorrelationID.String())
		b.WriteString("]")
	}
	return b.String(), ok
}

// Unwrap returns the cause, so errors.Is and errors.As see through an Error
// to, for example, the error a constructor returned.
func (e *Error) Unwrap() error {
	if e == nil {
		return nil
	}
	return e.Err
}

// Is reports whether target is an *Error with the same Code, so that
// errors.Is(err, ErrHandlerNotFound) matches every unknown-name error
// whatever its name or correlation ID.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && e != nil && t != nil && t.Code == e.Code
}
