package gen

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/phash"
)

const registryPath = "github.com/handlergen/handlergen/registry"

type emitConfig struct {
	Args                 []string
	Dir                  string // working directory: contract paths are relative to it
	Pkg                  outputPkg
	Var                  string
	IfacePath, IfaceName string
	IfacePkg             string
}

// emit renders the registry file. Everything in it derives from the
// contracts, the types and the recorded arguments — no time, version or
// absolute path — so the same inputs give the same bytes anywhere.
//
// jennifer renders the file's skeleton; the import block, entries, index
// rows and interface guards are written already formatted, each in place
// of one placeholder line (the package doc says why). Every import name is
// chosen here (nameImports), so no part needs jennifer to qualify names.
func emit(cfg emitConfig, hs []*Handler) ([]byte, error) {
	f := jen.NewFilePathName(cfg.Pkg.path, cfg.Pkg.name)
	f.HeaderComment(cmdline.HeaderLine(cfg.Args))
	fn := namesFor(cfg, hs)
	imports, importName, entriesVar, indexVar := fn.imports, fn.importName, fn.entriesVar, fn.indexVar
	q := emitNames{
		reg:   importName[registryPath] + ".",
		ctx:   importName["context"] + ".Context",
		iface: importName[cfg.IfacePath] + "." + cfg.IfaceName,
		pkg:   importName,
		vars:  fn.vars,
	}
	if len(hs) == 0 {
		// Nothing but the registry package is used then; an unused
		// import would not compile.
		imports = imports[:1]
		if cfg.IfacePath != registryPath {
			imports = append(imports, fn.imports[2])
		}
	}
	// The import block, one line per handler package, is written already
	// formatted too; go/format sees one placeholder import.
	const importsMark = `import handlergen_imports "handlergen_imports"`
	f.Id(importsMark)

	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Contract.Name
	}
	ix, err := phash.Build(names)
	if err != nil {
		return nil, err
	}
	// The placeholders are replaced as whole lines at the indentation
	// gofmt gives them, which no comment or declaration of the skeleton
	// can produce.
	const entriesMark, pilotsMark, slotsMark, guardsMark = "handlergen_entries", "handlergen_pilots", "handlergen_slots", "handlergen_guards"
	switch len(hs) {
	case 0:
		f.Commentf("%s holds no handlers: no handler contract declares one.", cfg.Var)
	case 1:
		f.Commentf("%s holds the one handler its handler contract declares.", cfg.Var)
	default:
		f.Commentf("%s holds the %d handlers declared by handler contracts, sorted by name.", cfg.Var, len(hs))
	}
	f.Comment("Entries and index are static data laid out by the linker: the registry is")
	f.Comment("ready at program start without building a map or sorting.")
	f.Var().Id(cfg.Var).Op("=").Id(q.reg+"NewIndexed").Call(jen.Id(entriesVar).Index(jen.Op(":")), jen.Id(indexVar))
	f.Line()
	f.Commentf("%s are the entries of %s.", entriesVar, cfg.Var)
	f.Comment("Each records the contract it came from and that file's SHA-256.")
	var mark []jen.Code
	if len(hs) > 0 {
		mark = []jen.Code{jen.Line().Id(entriesMark), jen.Line()}
	}
	f.Var().Id(entriesVar).Op("=").Index(jen.Op("...")).Id(q.reg + "Entry").Index(jen.Id(q.iface)).Values(mark...)
	f.Line()
	f.Commentf("%s is a perfect hash over the entry names, computed by", indexVar)
	f.Comment("handlergen: Lookup hashes a name once and compares one entry.")
	f.Var().Id(indexVar).Op("=").Id(q.reg+"Index").Values(
		jen.Line().Id("Seed").Op(":").Id(fmt.Sprintf("0x%016x", ix.Seed)),
		jen.Line().Id("Pilots").Op(":").Index().Uint32().Values(jen.Line().Id(pilotsMark), jen.Line()),
		jen.Line().Id("Slots").Op(":").Index().Uint32().Values(jen.Line().Id(slotsMark), jen.Line()),
		jen.Line(),
	)
	if len(hs) > 0 {
		f.Line()
		f.Comment("Interface guards: go build fails here when a handler stops implementing")
		f.Commentf("%s, even before the registry is regenerated.", cfg.IfaceName)
		f.Var().Defs(jen.Id(guardsMark).Op("=").Lit(0))
	}
	var b bytes.Buffer
	if err := f.Render(&b); err != nil {
		return nil, err
	}

	var ents, guards bytes.Buffer
	seen := map[string]bool{}
	for _, h := range hs {
		writeEntry(&ents, cfg, h, &q)
		if !seen[h.Contract.Class] {
			seen[h.Contract.Class] = true
			typ := q.pkg[h.Contract.ImportPath] + "." + h.Contract.TypeName
			if h.Pointer || !h.Struct {
				fmt.Fprintf(&guards, "\t_ %s = (*%s)(nil)\n", q.iface, typ)
			} else {
				fmt.Fprintf(&guards, "\t_ %s = %s{}\n", q.iface, typ)
			}
		}
	}
	// Each placeholder line is replaced where gofmt put it, in file order,
	// searching only past the previous one, so no text inserted before
	// (an entry's strings) is searched again. One not found means jennifer
	// or go/format laid the skeleton out otherwise: that is an error, never
	// a file silently missing its entries or guards.
	out := b.Bytes()
	from := 0
	for _, r := range []struct {
		line string
		with []byte
		want bool // the skeleton holds this placeholder
	}{
		{importsMark + "\n", []byte(importBlock(imports, importName) + "\n"), true},
		{"\t" + entriesMark + ",\n", ents.Bytes(), len(hs) > 0},
		{"\t\t" + pilotsMark + ",\n", uint32Rows(ix.Pilots), true},
		{"\t\t" + slotsMark + ",\n", uint32Rows(ix.Slots), true},
		{"\t" + guardsMark + " = 0\n", guards.Bytes(), len(hs) > 0},
	} {
		if !r.want {
			continue
		}
		i := bytes.Index(out[from:], []byte(r.line))
		if i < 0 {
			return nil, fmt.Errorf("emit: placeholder %q not found in the rendered skeleton", strings.TrimSpace(r.line))
		}
		i += from
		out = slices.Concat(out[:i], r.with, out[i+len(r.line):])
		from = i + len(r.with)
	}
	return out, nil
}

// fileNames are the names a registry file uses, whoever lays it out.
type fileNames struct {
	imports              []importedPkg     // registry, context, the interface's package, each handler's
	importName           map[string]string // import path → name in the file
	entriesVar, indexVar string
	vars                 locals // the constructor closures' variables
}

func namesFor(cfg emitConfig, hs []*Handler) fileNames {
	declared := declaredNames(cfg.Var)
	fn := fileNames{entriesVar: declared[1], indexVar: declared[2]}
	ifacePkg := cfg.IfacePkg
	if ifacePkg == "" {
		ifacePkg = path.Base(cfg.IfacePath)
	}
	fn.imports = []importedPkg{{registryPath, "registry"}, {"context", "context"}, {cfg.IfacePath, ifacePkg}}
	for _, h := range hs {
		fn.imports = append(fn.imports, importedPkg{h.Contract.ImportPath, h.PkgName})
	}
	fn.importName = nameImports(fn.imports, append([]string{cfg.Var, fn.entriesVar, fn.indexVar}, cfg.Pkg.decls...)...)
	pkgNames := map[string]bool{}
	for _, name := range fn.importName {
		pkgNames[name] = true
	}
	fn.vars = newLocals(pkgNames)
	return fn
}

// importBlock is the file's import declaration as goimports groups it. A
// name differing from the package's own is written as an alias.
func importBlock(imports []importedPkg, importName map[string]string) string {
	specs := make([]importdecl.Spec, len(imports))
	for i, im := range imports {
		specs[i] = importdecl.Spec{Path: im.path, Name: importName[im.path], PkgName: im.name}
	}
	return importdecl.Decl(specs)
}

// emitNames are the spellings the pre-formatted parts of the file use.
type emitNames struct {
	reg, ctx, iface string            // "registry.", "context.Context", "iface.Handler"
	pkg             map[string]string // import path → name in the file
	vars            locals
}

// uint32Rows renders the elements of a []uint32 literal inside the Index
// literal, formatted, 16 to a line, so a 10,000-handler table stays a few
// hundred lines.
func uint32Rows(vs []uint32) []byte {
	const perRow = 16
	var b []byte
	for i := 0; i < len(vs); i += perRow {
		b = append(b, "\t\t"...)
		for k, v := range vs[i:min(i+perRow, len(vs))] {
			if k > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendUint(b, uint64(v), 10)
		}
		b = append(b, ",\n"...)
	}
	return b
}

// writeEntry writes one element of the entries array as gofmt lays it
// out: the single-line fields' values aligned one space after the longest
// key among them, then New, whose value spans lines and is not aligned.
func writeEntry(b *bytes.Buffer, cfg emitConfig, h *Handler, q *emitNames) {
	c := h.Contract
	type kv struct{ k, v string }
	lit := strconv.Quote
	v := c.Version
	version := fmt.Sprintf("%sVersion{Major: %d, Minor: %d, Patch: %d", q.reg, v.Major, v.Minor, v.Patch)
	if v.Prerelease != "" {
		version += ", Prerelease: " + lit(v.Prerelease)
	}
	if v.Build != "" {
		version += ", Build: " + lit(v.Build)
	}
	version += "}"
	fields := []kv{
		{"Name", lit(c.Name)},
		{"Class", lit(c.Class)},
		{"Type", q.reg + typeConst(c.Type.String())},
		{"ProtocolType", lit(c.ProtocolType)},
	}
	if len(c.Tags) > 0 {
		tags := make([]string, len(c.Tags))
		for i, t := range c.Tags {
			tags[i] = lit(t)
		}
		fields = append(fields, kv{"Tags", "[]string{" + strings.Join(tags, ", ") + "}"})
	}
	fields = append(fields,
		kv{"Version", version},
		kv{"Contract", lit(contractPath(cfg.Dir, c.Path, cfg.Pkg.dir))},
		kv{"Digest", lit(hex.EncodeToString(c.Digest[:]))},
	)
	if c.Security.AuditLogging {
		fields = append(fields, kv{"AuditLogging", "true"})
	}
	if c.Security.TrustedNamespace != "" {
		fields = append(fields, kv{"TrustedNamespace", lit(c.Security.TrustedNamespace)})
	}
	if c.Routing != "" {
		fields = append(fields, kv{"Routing", lit(c.Routing)})
	}
	width := 0
	for _, f := range fields {
		width = max(width, len(f.k))
	}
	b.WriteString("\t{\n")
	for _, f := range fields {
		b.WriteString("\t\t")
		b.WriteString(f.k)
		b.WriteString(":")
		b.WriteString(strings.Repeat(" ", width-len(f.k)+1))
		b.WriteString(f.v)
		b.WriteString(",\n")
	}
	b.WriteString("\t\tNew: ")
	writeConstructor(b, h, q)
	b.WriteString(",\n\t},\n")
}

// writeConstructor writes the entry's New: the package's New<Type> when it
// has the right shape, else the zero value (T{} or &T{}).
func writeConstructor(b *bytes.Buffer, h *Handler, q *emitNames) {
	c, ct := h.Contract, h.Ctor
	typ := q.pkg[c.ImportPath] + "." + c.TypeName
	param := q.ctx
	if ct != nil && ct.Context {
		param = q.vars.ctx + " " + param
	}
	fmt.Fprintf(b, "func(%s) (%s, error) {\n", param, q.iface)
	switch {
	case ct == nil && h.Pointer:
		fmt.Fprintf(b, "\t\t\treturn &%s{}, nil\n", typ)
	case ct == nil:
		fmt.Fprintf(b, "\t\t\treturn %s{}, nil\n", typ)
	default:
		arg := ""
		if ct.Context {
			arg = q.vars.ctx
		}
		call := q.pkg[c.ImportPath] + "." + ct.Name + "(" + arg + ")"
		if !ct.Error {
			fmt.Fprintf(b, "\t\t\treturn %s, nil\n", call)
			break
		}
		// Return a nil interface, not an interface holding a nil
		// pointer, when the constructor fails.
		v := q.vars
		fmt.Fprintf(b, "\t\t\t%s, %s := %s\n\t\t\tif %s != nil {\n\t\t\t\treturn nil, %s\n\t\t\t}\n\t\t\treturn %s, nil\n", v.h, v.err, call, v.err, v.err, v.h)
	}
	b.WriteString("\t\t}")
}

// importedPkg is a package the generated file imports, and its name.
type importedPkg struct{ path, name string }

// nameImports gives each package the file imports the name it goes by,
// by importdecl's rule, keeping clear of the names the package declares —
// which jennifer, left to itself, does not know about (-var h with a
// handler package h would not compile).
func nameImports(imports []importedPkg, declared ...string) map[string]string {
	// Earlier registries were named by jennifer's reserved words, which
	// hold err and leave out any and comparable. The file never writes
	// either, so keeping to that list keeps those registries' bytes: a
	// handler package named err is imported as err1, one named any as any.
	n := importdecl.NewNames(append(slices.Clip(declared), "err")...).MayHide("any", "comparable")
	names := make(map[string]string, len(imports))
	for _, im := range imports {
		names[im.path] = n.Name(im.path, im.name)
	}
	return names
}

// locals are the names of the constructor closures' variables, chosen so
// that no imported package name is shadowed (a handler package may well be
// called h or ctx).
type locals struct{ ctx, h, err string }

func newLocals(pkgNames map[string]bool) locals {
	pick := func(n string) string {
		for pkgNames[n] {
			n += "_"
		}
		return n
	}
	return locals{ctx: pick("ctx"), h: pick("h"), err: pick("err")}
}

func typeConst(s string) string {
	switch s {
	case "compute":
		return "Compute"
	case "effect":
		return "Effect"
	case "nondeterministic_compute":
		return "NondeterministicCompute"
	}
	panic(fmt.Sprintf("gen: unknown handler type %q", s))
}

// contractPath records a contract relative to the output file's directory,
// so the generated bytes do not depend on where handlergen was run from.
func contractPath(dir, rel, outDir string) string {
	abs := filepath.Join(dir, filepath.FromSlash(rel))
	r, err := filepath.Rel(outDir, abs)
	if err != nil {
		return rel
	}
	return filepath.ToSlash(r)
}
