package registry

import (
	"encoding/json"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// Description is a registry's provenance: what each handler's contract
// declares, the digest that ties the binary to that contract, and the module
// and version the handler's package was built from. Its JSON form is what an
// admin or debug endpoint serves:
//
//	http.HandleFunc("GET /debug/handlers", func(w http.ResponseWriter, _ *http.Request) {
//		w.Header().Set("Content-Type", "application/json")
//		json.NewEncoder(w).Encode(handlers.Registry.Describe())
//	})
type Description struct {
	Handlers []HandlerInfo `json:"handlers"` // sorted by name; never nil
}

// HandlerInfo describes one entry of a registry. The keys of its JSON form
// are those of handlergen list -format json, plus module and module_version.
type HandlerInfo struct {
	Name             string          `json:"name"`
	Class            string          `json:"class"`
	Package          string          `json:"package"` // import path: Class up to the last '.' after the last '/'
	Type             string          `json:"type"`    // compute, effect or nondeterministic_compute
	ProtocolType     string          `json:"protocol_type"`
	Tags             []string        `json:"tags"`    // never nil
	Version          string          `json:"version"` // semver, e.g. 1.2.0
	Contract         string          `json:"contract"`
	Digest           string          `json:"digest"`
	AuditLogging     bool            `json:"audit_logging"`
	TrustedNamespace string          `json:"trusted_namespace,omitempty"`
	Routing          json.RawMessage `json:"routing,omitempty"`
	// Module and ModuleVersion name the module that provides Package in the
	// running binary, from runtime/debug.ReadBuildInfo: the main module
	// (version "(devel)" unless the build stamped one) or a dependency
	// (its version, or its replacement's; "(devel)" for a directory
	// replacement). Both are empty when the binary carries no build
	// information or no module provides Package.
	Module        string `json:"module,omitempty"`
	ModuleVersion string `json:"module_version,omitempty"`
}

// Describe returns the provenance of every entry, sorted by name. It reads
// the binary's build information once per process; each call builds a new
// Description that the caller may keep and modify (Tags are copies).
func (r *Registry[H]) Describe() Description {
	entries := r.Entries()
	d := Description{Handlers: make([]HandlerInfo, len(entries))}
	mods := buildModules()
	for i := range entries {
		d.Handlers[i] = entries[i].info(mods)
	}
	return d
}

// MarshalJSON encodes the registry as its Description, so that a registry
// can be logged or served as JSON directly.
func (r *Registry[H]) MarshalJSON() ([]byte, error) {
	return json.Marshal(r.Describe())
}

// Descriptor returns what the entry's contract declares of the handler:
// the Descriptor its Describe should return, without a Description (a
// contract has none). Its Tags are a copy. Wrappers answer with it when the
// handler cannot (Contain, when Describe panics; isolate, when the host is
// gone).
func (e Entry[H]) Descriptor() Descriptor {
	return Descriptor{Name: e.Name, Type: e.Type, Version: e.Version, Tags: slices.Clone(e.Tags)}
}

// Info returns the entry's provenance, as Registry.Describe reports it.
func (e Entry[H]) Info() HandlerInfo { return e.info(buildModules()) }

func (e Entry[H]) info(mods moduleIndex) HandlerInfo {
	hi := HandlerInfo{
		Name:             e.Name,
		Class:            e.Class,
		Package:          classPackage(e.Class),
		Type:             e.Type.String(),
		ProtocolType:     e.ProtocolType,
		Tags:             append([]string{}, e.Tags...),
		Version:          e.Version.String(),
		Contract:         e.Contract,
		Digest:           e.Digest,
		AuditLogging:     e.AuditLogging,
		TrustedNamespace: e.TrustedNamespace,
	}
	switch {
	case e.Routing == "":
	case json.Valid([]byte(e.Routing)):
		hi.Routing = json.RawMessage(e.Routing)
	default:
		// Generated code always carries JSON; a hand-written entry may
		// not, and must not make the whole description fail to encode.
		hi.Routing, _ = json.Marshal(e.Routing)
	}
	hi.Module, hi.ModuleVersion = mods.lookup(hi.Package)
	return hi
}

// classPackage returns the import path of a handler_class: the part before
// the last '.' after the last '/' ("gopkg.in/yaml.v3.Node" is in
// "gopkg.in/yaml.v3"), or "" when there is no such '.'.
func classPackage(class string) string {
	slash := strings.LastIndexByte(class, '/')
	dot := strings.LastIndexByte(class[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return class[:slash+1+dot]
}

// moduleIndex maps module paths to versions, from the build information.
type moduleIndex map[string]string

// lookup returns the module whose path is the longest prefix of pkg at a '/'
// boundary, and its version.
func (m moduleIndex) lookup(pkg string) (path, version string) {
	for p := pkg; p != ""; {
		if v, ok := m[p]; ok {
			return p, v
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return "", ""
}

const develVersion = "(devel)"

func newModuleIndex(bi *debug.BuildInfo, ok bool) moduleIndex {
	m := moduleIndex{}
	if !ok || bi == nil {
		return m
	}
	for _, d := range bi.Deps {
		if d == nil || d.Path == "" {
			continue
		}
		v := d.Version
		if r := d.Replace; r != nil {
			// Code comes from the replacement; a directory has no version.
			v = r.Version
			if v == "" {
				v = develVersion
			}
		}
		m[d.Path] = v
	}
	if bi.Main.Path != "" {
		v := bi.Main.Version
		if v == "" {
			v = develVersion
		}
		m[bi.Main.Path] = v // the main module wins over a dependency of the same path
	}
	return m
}

// readBuildInfo is debug.ReadBuildInfo; tests replace it, then reset
// buildModules.
var readBuildInfo = debug.ReadBuildInfo

// buildModules reads the build information once per process.
var buildModules = sync.OnceValue(loadModules)

func loadModules() moduleIndex { return newModuleIndex(readBuildInfo()) }
