package registry

import (
	"cmp"
	"fmt"
	"slices"
)

// Code is a stable error code. The numbers and meanings of 001–040 are those
// of the Python HandlerPluginLoader that handlergen replaces, so dashboards
// and runbooks written against it keep working; codes handlergen adds for
// what Go can check take unused numbers in the same families (00x files,
// 01x packages and types, 02x directories, 03x patterns, 04x configuration,
// 05x runtime).
type Code uint16

// The error codes. Each is written HANDLER_LOADER_0NN; its name and
// summary are in the table below (Name, Summary).
const (
	FileNotFound                   Code = 1
	InvalidYAMLSyntax              Code = 2
	SchemaValidationFailed         Code = 3
	MissingRequiredFields          Code = 4
	FileSizeExceeded               Code = 5
	ProtocolNotImplemented         Code = 6
	NotAFile                       Code = 7
	FileReadError                  Code = 8
	FileStatError                  Code = 9
	ModuleNotFound                 Code = 10
	ClassNotFound                  Code = 11
	ImportError                    Code = 12
	NamespaceNotAllowed            Code = 13
	TypeNotInstantiable            Code = 14
	PackageNotImportable           Code = 15
	InitSideEffect                 Code = 16
	DirectoryNotFound              Code = 20
	PermissionDenied               Code = 21
	NotADirectory                  Code = 22
	EmptyPatternsList              Code = 30
	InvalidGlobPattern             Code = 31
	AmbiguousContractConfiguration Code = 40
	DuplicateHandlerName           Code = 41
	StaleOutput                    Code = 42
	HandlerLimitReached            Code = 43
	OutputWriteError               Code = 44
	OrphanedOutput                 Code = 45
	UnsearchedModule               Code = 46
	UnreadContract                 Code = 47
	HandlerNotFound                Code = 50
	ConstructorFailed              Code = 51
	HandlerPanicked                Code = 52
	CallAbandoned                  Code = 53
	HostMismatch                   Code = 54
	HostFailed                     Code = 55
	PayloadNotJSON                 Code = 56
	HandlerQuarantined             Code = 57
)

type codeInfo struct {
	code          Code
	name, summary string
}

// codes is the one table of the error codes: number, name and summary.
// Name and Summary read it; so do the SARIF rules (package diag), and a
// test holds the README's table of codes to it.
var codes = [...]codeInfo{
	{FileNotFound, "FILE_NOT_FOUND", "A contract file or input path does not exist, or a glob matches nothing."},
	{InvalidYAMLSyntax, "INVALID_YAML_SYNTAX", "The contract is not acceptable YAML: syntax, encoding, several documents, a non-core tag, duplicate keys or alias expansion."},
	{SchemaValidationFailed, "SCHEMA_VALIDATION_FAILED", "The contract does not match the schema: empty, not a mapping, unknown, missing or mistyped keys."},
	{MissingRequiredFields, "MISSING_REQUIRED_FIELDS", "Required contract keys are missing."},
	{FileSizeExceeded, "FILE_SIZE_EXCEEDED", "The contract file is larger than the size limit."},
	{ProtocolNotImplemented, "PROTOCOL_NOT_IMPLEMENTED", "The handler type does not implement the handler interface."},
	{NotAFile, "NOT_A_FILE", "The input exists but is not a regular file."},
	{FileReadError, "FILE_READ_ERROR", "A file could not be read."},
	{FileStatError, "FILE_STAT_ERROR", "A file could not be examined (stat or symlink resolution failed)."},
	{ModuleNotFound, "MODULE_NOT_FOUND", "The handler_class package does not exist, or handler_class is not qualified."},
	{ClassNotFound, "CLASS_NOT_FOUND", "The handler_class type does not exist in its package, or is not a named non-interface type."},
	{ImportError, "IMPORT_ERROR", "The handler package has errors."},
	{NamespaceNotAllowed, "NAMESPACE_NOT_ALLOWED", "The handler_class package is outside the allowlist."},
	{TypeNotInstantiable, "TYPE_NOT_INSTANTIABLE", "The handler type cannot be instantiated: unexported, generic, or no way to make a value."},
	{PackageNotImportable, "PACKAGE_NOT_IMPORTABLE", "The handler package cannot be imported by the registry's package: main, internal, or an import cycle."},
	{InitSideEffect, "INIT_SIDE_EFFECT", "The handler package declares func init()."},
	{DirectoryNotFound, "DIRECTORY_NOT_FOUND", "A directory input does not exist."},
	{PermissionDenied, "PERMISSION_DENIED", "A directory cannot be read."},
	{NotADirectory, "NOT_A_DIRECTORY", "A path used as a directory is not one."},
	{EmptyPatternsList, "EMPTY_PATTERNS_LIST", "No inputs were given."},
	{InvalidGlobPattern, "INVALID_GLOB_PATTERN", "A glob pattern is malformed."},
	{AmbiguousContractConfiguration, "AMBIGUOUS_CONTRACT_CONFIGURATION", "handler_contract.yaml and contract.yaml are in one directory."},
	{DuplicateHandlerName, "DUPLICATE_HANDLER_NAME", "Two contracts declare the same handler_name."},
	{StaleOutput, "STALE_OUTPUT", "The generated registry file is missing or out of date."},
	{HandlerLimitReached, "HANDLER_LIMIT_REACHED", "There are more contracts than the handler limit."},
	{OutputWriteError, "OUTPUT_WRITE_ERROR", "The generated registry file could not be written, or is not handlergen's to replace: a file it did not write, not a regular file, or a recorded path outside the module."},
	{OrphanedOutput, "ORPHANED_OUTPUT", "A generated registry's contracts are gone and no go:generate directive makes it."},
	{UnsearchedModule, "UNSEARCHED_MODULE", "A nested module that the build uses (a local replace target or a go.work module) lies below a ./... pattern, which does not search it, as the go command's does not (a warning)."},
	{UnreadContract, "UNREAD_CONTRACT", "A contract file lies in a directory that a ./... pattern covers, but no registry found there reads it (a warning)."},
	{HandlerNotFound, "HANDLER_NOT_FOUND", "No handler is registered under the requested name."},
	{ConstructorFailed, "CONSTRUCTOR_FAILED", "The handler's constructor failed."},
	{HandlerPanicked, "HANDLER_PANICKED", "A handler's constructor or method panicked; the panic was recovered."},
	{CallAbandoned, "CALL_ABANDONED", "The call's context ended before the handler returned, and the call was abandoned."},
	{HostMismatch, "HOST_MISMATCH", "An isolation host serves a registry built from other contracts than the client's."},
	{HostFailed, "HOST_FAILED", "The isolation host could not be started, crashed or was killed during the call."},
	{PayloadNotJSON, "PAYLOAD_NOT_JSON", "A value sent to or from an isolation host cannot be carried as JSON."},
	{HandlerQuarantined, "HANDLER_QUARANTINED", "An isolated handler's host failed too often in a short time; its calls fail without starting a host until a cool-down ends."},
}

// String returns the code as written in messages: HANDLER_LOADER_0NN.
func (c Code) String() string { return fmt.Sprintf("HANDLER_LOADER_%03d", uint16(c)) }

// Name returns the enum name, such as FILE_NOT_FOUND, or "" for an unknown code.
func (c Code) Name() string {
	if i, ok := index(c); ok {
		return codes[i].name
	}
	return ""
}

// Summary describes the code in one sentence, or returns "" for an unknown code.
func (c Code) Summary() string {
	if i, ok := index(c); ok {
		return codes[i].summary
	}
	return ""
}

func index(c Code) (int, bool) {
	return slices.BinarySearchFunc(codes[:], c, func(e codeInfo, c Code) int { return cmp.Compare(e.code, c) })
}

// Codes returns every defined code in ascending order.
func Codes() []Code {
	out := make([]Code, len(codes))
	for i, e := range codes {
		out[i] = e.code
	}
	return out
}

// MarshalText writes the code as HANDLER_LOADER_0NN.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
