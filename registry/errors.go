package registry

import (
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"

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
}

// NewPanicError records v, a value just recovered, with the stack of the
// calling goroutine. Call it in the deferred function that recovered, so the
// stack shows where the panic happened.
func NewPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

// Error returns "panic: " and the panic value as fmt's %v formats it. A
// value whose Error, String or Format method panics when fmt calls it (with
// a value that panics in turn when fmt prints that panic, which fmt does not
// survive) is given by its type instead: the message of a contained failure
// must never crash the caller or the logger that asks for it.
func (p *PanicError) Error() string {
	if p == nil {
		return "<nil>"
	}
	return "panic: " + formatValue(p.Value)
}

// formatValue returns fmt's %v of v, or, when that panics, a text that
// calls no method of v.
func formatValue(v any) (s string) {
	done := false
	defer func() {
		if !done {
			recover() // the value panicked with is as untrusted as v: not printed
			s = "(" + fmt.Sprintf("%T", v) + ": " + formatPanicked(v) + ")"
		}
	}()
	s = fmt.Sprintf("%v", v)
	done = true
	return s
}

// formatPanicked says what panicked when fmt's %v formatted v: the method
// fmt calls on v itself, in fmt's order, or for a struct, slice or map a
// method of a value in it.
func formatPanicked(v any) string {
	switch v.(type) {
	case fmt.Formatter:
		return "its Format method panicked"
	case error:
		return "its Error method panicked"
	case fmt.Stringer:
		return "its String method panicked"
	}
	return "formatting it panicked"
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
// error), so errors.Is and errors.As see it.
func (p *PanicError) Unwrap() error {
	if p == nil {
		return nil
	}
	err, _ := p.Value.(error)
	return err
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
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(errorString(e.Err))
	}
	if e.CorrelationID != uuid.Nil {
		b.WriteString(" [correlation_id=")
		b.WriteString(e.CorrelationID.String())
		b.WriteString("]")
	}
	return b.String()
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
