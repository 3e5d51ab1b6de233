// Package contracts is the handler contract format: it finds contract files
// (files, recursive directories, ** globs), reads them within a size limit,
// parses them strictly from YAML with positions, and validates them against
// the schema the Python HandlerPluginLoader accepts. It knows nothing of Go
// packages or types; gen resolves handler_class afterwards. Every problem is
// a coded diag.Diagnostic, and parsing keeps going after errors so one run
// reports all of them.
package contracts

import (
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// Contract is one validated handler contract.
type Contract struct {
	// Path is the contract file relative to the working directory,
	// slash-separated, as it appears in messages and the generated file.
	Path string
	// Digest is the SHA-256 of the file's bytes.
	Digest [32]byte

	Name         string // handler_name (or name), trimmed
	Class        string // handler_class as written, trimmed: IMPORT/PATH.TypeName
	ImportPath   string // handler_class up to the last '.' after the last '/'
	TypeName     string // handler_class after that '.'
	Type         registry.Type
	Tags         []string // capability_tags (or tags), trimmed; never nil
	ProtocolType string   // protocol_type, or Name without a leading "handler-"
	Version      registry.Version
	Security     Security
	// Routing is handler_routing as canonical JSON (sorted keys), or "" when absent.
	Routing string

	// Positions of the values of the keys, for diagnostics that gen reports
	// about them. Zero when the key was absent.
	NamePos, ClassPos, TypePos diag.Position
}

// Security is the contract's security block.
type Security struct {
	TrustedNamespace string
	AuditLogging     bool
}

// Default limits, as in the Python loader.
const (
	DefaultMaxSize = 10 << 20 // bytes per contract file
	// MaxMaxSize is the largest limit: a contract is read whole into
	// memory, and no handler contract needs a gibibyte.
	MaxMaxSize = 1 << 30
)
