package gen

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/phash"
)

// emitRef renders the file emit renders, every byte of it with jennifer
// and go/format, nothing written by hand: the reference that the splice
// in emit is tested against. It shares with emit only what the file says
// (the import names, the closures' local names, the index), not how it
// is laid out.
//
// With qual, identifiers of other packages are jen.Qual-ified and the
// names nameImports chose are pre-registered with ImportName and
// ImportAlias, so jennifer writes the import block. That block is not
// emit's: jennifer sorts all imports into one group and writes a single
// import without parentheses, where emit groups the standard library
// apart as goimports does. No jennifer construct changes that, so without
// qual the names are spelled with Id and the import declaration is a
// jennifer Custom group, which matches emit byte for byte.
func emitRef(cfg emitConfig, hs []*Handler, qual bool) ([]byte, error) {
	f := jen.NewFilePathName(cfg.Pkg.path, cfg.Pkg.name)
	f.HeaderComment(cmdline.HeaderLine(cfg.Args))
	fn := namesFor(cfg, hs)
	imports, importName, entriesVar, indexVar, vars := fn.imports, fn.importName, fn.entriesVar, fn.indexVar, fn.vars

	// ownName is each path's package name, as the first import of the
	// path gives it.
	ownName := map[string]string{}
	for _, im := range imports {
		if _, ok := ownName[im.path]; !ok {
			ownName[im.path] = im.name
		}
	}
	used := []string{registryPath, cfg.IfacePath}
	if len(hs) > 0 {
		used = append(used, "context")
		for _, h := range hs {
			used = append(used, h.Contract.ImportPath)
		}
	}
	slices.Sort(used)
	used = slices.Compact(used)

	q := func(pkgPath, name string) *jen.Statement {
		if qual {
			return jen.Qual(pkgPath, name)
		}
		return jen.Id(importName[pkgPath] + "." + name)
	}
	if qual {
		for _, p := range used {
			if importName[p] == ownName[p] {
				f.ImportName(p, importName[p])
			} else {
				f.ImportAlias(p, importName[p])
			}
		}
	} else {
		var std, other []jen.Code
		for _, p := range used {
			spec := jen.Lit(p)
			if importName[p] != ownName[p] {
				spec = jen.Id(importName[p]).Lit(p)
			}
			if importdecl.IsStd(p) {
				std = append(std, spec)
			} else {
				other = append(other, spec)
			}
		}
		if len(std) > 0 && len(other) > 0 {
			std = append(std, jen.Empty()) // a blank line between the groups
		}
		f.Id("import").Custom(jen.Options{Open: "(", Close: ")", Multi: true}, append(std, other...)...)
	}
	reg := func(name string) *jen.Statement { return q(registryPath, name) }
	iface := func() *jen.Statement { return q(cfg.IfacePath, cfg.IfaceName) }

	names := make([]string, len(hs))
	for i, h := range hs {
		names[i] = h.Contract.Name
	}
	ix, err := phash.Build(names)
	if err != nil {
		return nil, err
	}

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
	f.Var().Id(cfg.Var).Op("=").Add(reg("NewIndexed")).Call(jen.Id(entriesVar).Index(jen.Op(":")), jen.Id(indexVar))
	f.Line()

	f.Commentf("%s are the entries of %s.", entriesVar, cfg.Var)
	f.Comment("Each records the contract it came from and that file's SHA-256.")
	var entries []jen.Code
	for _, h := range hs {
		entries = append(entries, jen.Line().Values(refEntry(cfg, h, q, vars)...))
	}
	if len(hs) > 0 {
		entries = append(entries, jen.Line())
	}
	f.Var().Id(entriesVar).Op("=").Index(jen.Op("...")).Add(reg("Entry")).Index(iface()).Values(entries...)
	f.Line()

	// Each row of a []uint32 starts on a line of its own: 16 numbers a
	// line, as emit writes them.
	rows := func(vs []uint32) []jen.Code {
		var c []jen.Code
		for i, v := range vs {
			if i%16 == 0 {
				c = append(c, jen.Line().Lit(int(v)))
			} else {
				c = append(c, jen.Lit(int(v)))
			}
		}
		return append(c, jen.Line())
	}
	f.Commentf("%s is a perfect hash over the entry names, computed by", indexVar)
	f.Comment("handlergen: Lookup hashes a name once and compares one entry.")
	f.Var().Id(indexVar).Op("=").Add(reg("Index")).Values(
		jen.Line().Id("Seed").Op(":").Id(fmt.Sprintf("0x%016x", ix.Seed)),
		jen.Line().Id("Pilots").Op(":").Index().Uint32().Values(rows(ix.Pilots)...),
		jen.Line().Id("Slots").Op(":").Index().Uint32().Values(rows(ix.Slots)...),
		jen.Line(),
	)

	if len(hs) > 0 {
		f.Line()
		f.Comment("Interface guards: go build fails here when a handler stops implementing")
		f.Commentf("%s, even before the registry is regenerated.", cfg.IfaceName)
		var guards []jen.Code
		seen := map[string]bool{}
		for _, h := range hs {
			c := h.Contract
			if seen[c.Class] {
				continue
			}
			seen[c.Class] = true
			typ := q(c.ImportPath, c.TypeName)
			if h.Pointer || !h.Struct {
				guards = append(guards, jen.Id("_").Add(iface()).Op("=").Parens(jen.Op("*").Add(typ)).Call(jen.Nil()))
			} else {
				guards = append(guards, jen.Id("_").Add(iface()).Op("=").Add(typ).Values())
			}
		}
		f.Var().Defs(guards...)
	}

	var b bytes.Buffer
	if err := f.Render(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// refEntry is the fields of one element of the entries array.
func refEntry(cfg emitConfig, h *Handler, q func(pkgPath, name string) *jen.Statement, vars locals) []jen.Code {
	c := h.Contract
	field := func(k string, v jen.Code) jen.Code { return jen.Line().Id(k).Op(":").Add(v) }
	v := c.Version
	version := []jen.Code{
		jen.Id("Major").Op(":").Lit(v.Major),
		jen.Id("Minor").Op(":").Lit(v.Minor),
		jen.Id("Patch").Op(":").Lit(v.Patch),
	}
	if v.Prerelease != "" {
		version = append(version, jen.Id("Prerelease").Op(":").Lit(v.Prerelease))
	}
	if v.Build != "" {
		version = append(version, jen.Id("Build").Op(":").Lit(v.Build))
	}
	fields := []jen.Code{
		field("Name", jen.Lit(c.Name)),
		field("Class", jen.Lit(c.Class)),
		field("Type", q(registryPath, typeConst(c.Type.String()))),
		field("ProtocolType", jen.Lit(c.ProtocolType)),
	}
	if len(c.Tags) > 0 {
		tags := make([]jen.Code, len(c.Tags))
		for i, t := range c.Tags {
			tags[i] = jen.Lit(t)
		}
		fields = append(fields, field("Tags", jen.Index().String().Values(tags...)))
	}
	fields = append(fields,
		field("Version", q(registryPath, "Version").Values(version...)),
		field("Contract", jen.Lit(contractPath(cfg.Dir, c.Path, cfg.Pkg.dir))),
		field("Digest", jen.Lit(hex.EncodeToString(c.Digest[:]))),
	)
	if c.Security.AuditLogging {
		fields = append(fields, field("AuditLogging", jen.True()))
	}
	if c.Security.TrustedNamespace != "" {
		fields = append(fields, field("TrustedNamespace", jen.Lit(c.Security.TrustedNamespace)))
	}
	if c.Routing != "" {
		fields = append(fields, field("Routing", jen.Lit(c.Routing)))
	}

	ct := h.Ctor
	param := q("context", "Context")
	if ct != nil && ct.Context {
		param = jen.Id(vars.ctx).Add(param)
	}
	var body []jen.Code
	switch {
	case ct == nil && h.Pointer:
		body = []jen.Code{jen.Return(jen.Op("&").Add(q(c.ImportPath, c.TypeName)).Values(), jen.Nil())}
	case ct == nil:
		body = []jen.Code{jen.Return(q(c.ImportPath, c.TypeName).Values(), jen.Nil())}
	default:
		var args []jen.Code
		if ct.Context {
			args = append(args, jen.Id(vars.ctx))
		}
		call := q(c.ImportPath, ct.Name).Call(args...)
		if !ct.Error {
			body = []jen.Code{jen.Return(call, jen.Nil())}
			break
		}
		body = []jen.Code{
			jen.List(jen.Id(vars.h), jen.Id(vars.err)).Op(":=").Add(call),
			jen.If(jen.Id(vars.err).Op("!=").Nil()).Block(jen.Return(jen.Nil(), jen.Id(vars.err))),
			jen.Return(jen.Id(vars.h), jen.Nil()),
		}
	}
	fields = append(fields,
		field("New", jen.Func().Params(param).Params(q(cfg.IfacePath, cfg.IfaceName), jen.Error()).Block(body...)),
		jen.Line(),
	)
	return fields
}
