package gen

import (
	"go/token"
	"go/types"
	"slices"
	"strconv"

	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// aliasElsewhere reports whether c's class is an alias whose type is made
// of a type declared in another package (its target, or a type argument).
func (r *resolver) aliasElsewhere(c *contracts.Contract, p *packages.Package) bool {
	tn, ok := p.Types.Scope().Lookup(c.TypeName).(*types.TypeName)
	if !ok {
		return false
	}
	for _, obj := range typeNames(tn.Type()) {
		if obj.Pkg() != nil && obj.Pkg().Path() != p.PkgPath {
			return true
		}
	}
	return false
}

// verdict is a cached verification: the handler verify made (OK) and the
// diagnostics it reported, with the files among their positions that are
// named by import path (see pkgRel).
type verdict struct {
	OK       bool
	PkgName  string
	Pointer  bool
	Struct   bool
	Ctor     *Constructor
	GoPos    diag.Position
	Diags    []cachedDiag
	External []string
}

// cachedDiag is a diag.Diagnostic as the cache stores it: the code and
// severity as numbers (their JSON is for people, and is not read back).
type cachedDiag struct {
	Code     uint16
	Severity uint8
	Pos      diag.Position
	Message  string
	Related  []diag.Related
}

// verifyKey is the cache key of verifying c in p: everything verify reads.
// The package's and the interface's types (by digest), the package's source
// files (verify parses them to explain an unexported type), the contract and
// where it is, the interface, where the working directory that positions
// are made relative to lies in the module or workspace (whose root decides
// which positions are: pkgRel), the output package, the allowlist and this
// binary. Nothing in it says where the tree or the binary is: a tree moved
// or checked out elsewhere, with the working directory at the same place
// in it, gives the same keys, and the same positions (relative to it).
func (r *resolver) verifyKey(c *contracts.Contract, p *packages.Package) ([32]byte, bool) {
	if r.checking.ld.cache == nil {
		return [32]byte{}, false
	}
	// Export data and source files are digested relative to the root of
	// the load, which pkgRel must share: it is the root of every registry
	// of the load (resolveAll), so this only guards.
	if r.treeRoot() != r.checking.ld.root {
		return [32]byte{}, false
	}
	pd, id := r.checking.ld.digest(p), r.checking.ld.digest(r.checking.ld.byPath[r.ifacePath])
	src, ok := r.checking.srcHash[p.PkgPath]
	if pd == "" || id == "" || !ok {
		return [32]byte{}, false
	}
	// The root decides whether a position is named relative to the
	// working directory or by import path (pkgRel): a go.work added above
	// the module moves it without changing the digests of its files
	// (fileKey) and so this. A working directory outside its root (GOWORK
	// names a go.work elsewhere) is named as it is, with the root.
	where := []string{"in tree"}
	if rel, ok := inTree(r.names.root, r.cfg.Dir); ok {
		where = append(where, rel)
	} else {
		where = []string{"outside", r.names.root, r.cfg.Dir}
	}
	k := (&keyer{}).add(cacheFormat, r.checking.ld.cache.self, pd, id, src, r.ifacePath, r.ifaceName, r.ifacePkgName,
		c.Class, c.ImportPath, c.TypeName, c.ClassPos.String(), string(c.Digest[:]),
		r.out.path, r.allow.String(), strconv.FormatBool(r.cfg.ForbidInit))
	k.add(where...)
	return k.sum(), true
}

// record makes a verdict of verify's result and diagnostics.
func (r *resolver) record(h *Handler, ds diag.List) verdict {
	var v verdict
	for _, d := range ds {
		v.Diags = append(v.Diags, cachedDiag{uint16(d.Code), uint8(d.Severity), d.Pos, d.Message, slices.Clone(d.Related)})
	}
	if h != nil {
		v.OK, v.PkgName, v.Pointer, v.Struct, v.Ctor, v.GoPos = true, h.PkgName, h.Pointer, h.Struct, h.Ctor, h.GoPos
	}
	files := []string{v.GoPos.File}
	for _, d := range ds {
		files = append(files, d.Pos.File)
		for _, rel := range d.Related {
			files = append(files, rel.Pos.File)
		}
	}
	for _, f := range files {
		if r.names.external[f] && !slices.Contains(v.External, f) {
			v.External = append(v.External, f)
		}
	}
	return v
}

// sound reports whether v could be what verify recorded for c. The cache
// is files, and a restored one comes from another machine: its checksum
// catches damage, not an entry written to be read. Any verdict that is not
// one verify makes is a miss, above all a package or constructor name that
// is no identifier, which the registry file would hold as code.
func (v *verdict) sound(c *contracts.Contract) bool {
	for _, d := range v.Diags {
		if registry.Code(d.Code).Name() == "" || diag.Severity(d.Severity) > diag.Warning {
			return false
		}
	}
	if !v.OK {
		return true
	}
	return token.IsIdentifier(v.PkgName) && v.PkgName != "_" && (v.Ctor == nil || v.Ctor.Name == "New"+c.TypeName)
}

// replay reports a cached verdict as verify would have.
func (r *resolver) replay(c *contracts.Contract, v *verdict) *Handler {
	for _, d := range v.Diags {
		r.diags.Append(diag.Diagnostic{Code: registry.Code(d.Code), Severity: diag.Severity(d.Severity), Pos: d.Pos, Message: d.Message, Related: d.Related})
	}
	for _, f := range v.External {
		if r.names.external == nil {
			r.names.external = map[string]bool{}
		}
		r.names.external[f] = true
	}
	if !v.OK {
		return nil
	}
	return &Handler{Contract: c, PkgName: v.PkgName, Pointer: v.Pointer, Struct: v.Struct, Ctor: v.Ctor, GoPos: v.GoPos}
}
