// Package wire holds what crosses between an isolation client and its host:
// the net/rpc arguments and replies, and errors flattened to data. net/rpc
// requires exported types; keeping them here keeps them out of isolate's API.
package wire

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

// Service is the name the host's methods are registered under by go-plugin.
const Service = "Plugin"

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
// the handler methods act on Instance.
type Call struct {
	ID          uint64 // unique per client, for Cancel
	Method      string
	Name        string // New only
	Instance    uint64
	Correlation uuid.UUID
	Timeout     time.Duration // the rest of the caller's deadline; 0: none
	Data        []byte        // JSON: Initialize's config, Execute's request
}

// Reply is the result of a Call.
type Reply struct {
	Instance uint64 // New only
	Health   bool   // New only: the instance implements registry.HealthChecker
	Data     []byte // JSON: Execute's response, Describe's descriptor, HealthCheck's health
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

// Error is an error as data: a *registry.Error keeps its code, operation,
// contract and, for a panic, the value (as text) and stack.
type Error struct {
	Code     uint16 // 0: not a *registry.Error
	Op       string
	Contract string
	Message  string // the cause's message (the whole message when Code is 0)
	Panic    bool
	Stack    []byte
}

// FromError flattens err; nil stays nil.
func FromError(err error) *Error {
	if err == nil {
		return nil
	}
	var re *registry.Error
	if !errors.As(err, &re) {
		return &Error{Message: err.Error()}
	}
	w := &Error{Code: uint16(re.Code), Op: re.Op, Contract: re.Contract}
	var pe *registry.PanicError
	switch {
	case errors.As(re.Err, &pe):
		w.Panic, w.Stack, w.Message = true, pe.Stack, fmt.Sprint(pe.Value)
	case re.Err != nil:
		w.Message = re.Err.Error()
	}
	return w
}
