package registry

import "fmt"

// Code is a stable error code. The numbers and meanings of 001–040 are those
// of the Python HandlerPluginLoader that handlergen replaces, so dashboards
// and runbooks written against it keep working; codes handlergen adds for
// what Go can check take unused numbers in the same families (00x files,
// 01x packages and types, 02x directories, 03x patterns, 04x configuration,
// 05x runtime).
type Code uint16

// The error codes. Each is written HANDLER_LOADER_0NN.
const (
	FileNotFound                   Code = 1  // contract path missing
	InvalidYAMLSyntax              Code = 2  // YAML the parser refuses: syntax, encoding, tags, several documents, alias bombs
	SchemaValidationFailed         Code = 3  // empty contract, unknown, missing or mistyped keys
	MissingRequiredFields          Code = 4  // kept for parity; handlergen reports missing keys as 003 as the Python loader does
	FileSizeExceeded               Code = 5  // contract larger than the size limit
	ProtocolNotImplemented         Code = 6  // type does not implement the handler interface
	NotAFile                       Code = 7  // contract path exists but is not a regular file
	FileReadError                  Code = 8  // I/O error reading a contract
	FileStatError                  Code = 9  // I/O error on stat or symlink resolution
	ModuleNotFound                 Code = 10 // package not found, or handler_class not qualified
	ClassNotFound                  Code = 11 // no such name, or not a named non-interface type
	ImportError                    Code = 12 // package has errors
	NamespaceNotAllowed            Code = 13 // handler_class outside the allowlist
	TypeNotInstantiable            Code = 14 // unexported, generic, or no way to make a value
	PackageNotImportable           Code = 15 // main, internal, or import cycle with the output package
	InitSideEffect                 Code = 16 // handler package declares func init()
	DirectoryNotFound              Code = 20 // directory input missing
	PermissionDenied               Code = 21 // directory cannot be read
	NotADirectory                  Code = 22 // path used as a directory is not one
	EmptyPatternsList              Code = 30 // no inputs where some were required
	InvalidGlobPattern             Code = 31 // malformed glob
	AmbiguousContractConfiguration Code = 40 // handler_contract.yaml and contract.yaml in one directory
	DuplicateHandlerName           Code = 41 // two contracts declare the same handler_name
	StaleOutput                    Code = 42 // generated file missing or out of date (check)
	HandlerLimitReached            Code = 43 // more contracts than -max-handlers
	OutputWriteError               Code = 44 // the generated file could not be written, or is not handlergen's to replace
	OrphanedOutput                 Code = 45 // a generated registry whose contracts are gone
	HandlerNotFound                Code = 50 // runtime: no handler registered under the name
	ConstructorFailed              Code = 51 // runtime: the handler's constructor returned an error
)

var codeNames = map[Code]string{
	FileNotFound:                   "FILE_NOT_FOUND",
	InvalidYAMLSyntax:              "INVALID_YAML_SYNTAX",
	SchemaValidationFailed:         "SCHEMA_VALIDATION_FAILED",
	MissingRequiredFields:          "MISSING_REQUIRED_FIELDS",
	FileSizeExceeded:               "FILE_SIZE_EXCEEDED",
	ProtocolNotImplemented:         "PROTOCOL_NOT_IMPLEMENTED",
	NotAFile:                       "NOT_A_FILE",
	FileReadError:                  "FILE_READ_ERROR",
	FileStatError:                  "FILE_STAT_ERROR",
	ModuleNotFound:                 "MODULE_NOT_FOUND",
	ClassNotFound:                  "CLASS_NOT_FOUND",
	ImportError:                    "IMPORT_ERROR",
	NamespaceNotAllowed:            "NAMESPACE_NOT_ALLOWED",
	TypeNotInstantiable:            "TYPE_NOT_INSTANTIABLE",
	PackageNotImportable:           "PACKAGE_NOT_IMPORTABLE",
	InitSideEffect:                 "INIT_SIDE_EFFECT",
	DirectoryNotFound:              "DIRECTORY_NOT_FOUND",
	PermissionDenied:               "PERMISSION_DENIED",
	NotADirectory:                  "NOT_A_DIRECTORY",
	EmptyPatternsList:              "EMPTY_PATTERNS_LIST",
	InvalidGlobPattern:             "INVALID_GLOB_PATTERN",
	AmbiguousContractConfiguration: "AMBIGUOUS_CONTRACT_CONFIGURATION",
	DuplicateHandlerName:           "DUPLICATE_HANDLER_NAME",
	StaleOutput:                    "STALE_OUTPUT",
	HandlerLimitReached:            "HANDLER_LIMIT_REACHED",
	OutputWriteError:               "OUTPUT_WRITE_ERROR",
	OrphanedOutput:                 "ORPHANED_OUTPUT",
	HandlerNotFound:                "HANDLER_NOT_FOUND",
	ConstructorFailed:              "CONSTRUCTOR_FAILED",
}

// String returns the code as written in messages: HANDLER_LOADER_0NN.
func (c Code) String() string { return fmt.Sprintf("HANDLER_LOADER_%03d", uint16(c)) }

// Name returns the enum name, such as FILE_NOT_FOUND, or "" for an unknown code.
func (c Code) Name() string { return codeNames[c] }

// Codes returns every defined code in ascending order.
func Codes() []Code {
	out := make([]Code, 0, len(codeNames))
	for c := Code(0); c < 100; c++ {
		if _, ok := codeNames[c]; ok {
			out = append(out, c)
		}
	}
	return out
}

// MarshalText writes the code as HANDLER_LOADER_0NN.
func (c Code) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
