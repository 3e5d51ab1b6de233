package gen

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"iter"
	"maps"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/gotype"
	"github.com/handlergen/handlergen/internal/importdecl"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/suggest"
	"github.com/handlergen/handlergen/registry"
)

// lookupInterface resolves -interface. Its diagnostics have no file: they
// are about the command line.
func (r *resolver) lookupInterface(p *packages.Package) bool {
	var pos diag.Position
	if p == nil || len(p.Errors) == 0 && !hasTypes(p) || len(p.GoFiles) == 0 && len(p.Errors) > 0 {
		msg := ""
		if p != nil && len(p.Errors) > 0 {
			_, m := r.compilerError(p, p.Errors[0])
			msg = ": " + m
		}
		r.diags.Errorf(registry.ModuleNotFound, pos, "-interface: package %s not found%s", r.ifacePath, msg)
		return false
	}
	if len(p.Errors) > 0 {
		epos, msg := r.compilerError(p, p.Errors[0])
		d := r.diags.Errorf(registry.ImportError, pos, "-interface: package %s has errors: %s", r.ifacePath, msg)
		if epos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: epos, Message: msg})
		}
		return false
	}
	if why := r.unimportable(p); why != "" {
		r.diags.Errorf(registry.PackageNotImportable, pos, "-interface: %s", why)
		return false
	}
	r.ifacePkgName = p.Name
	// What remains needs the interface's types: it is cached as one
	// verdict, so a run whose handlers all hit reads no export data.
	var key [32]byte
	if r.checking.ld.cache == nil {
		// No digest either: it reads export data of the whole graph.
	} else if d := r.checking.ld.digest(p); d != "" {
		key = (&keyer{}).add(cacheFormat, "interface", r.checking.ld.cache.self, d, r.ifacePath, r.ifaceName).sum()
		var v verdict
		if r.checking.ld.cache.get(key, &v) && v.OK && len(v.Diags) == 0 {
			return true
		}
	}
	n := len(*r.diags)
	ok := r.interfaceType(p) != nil
	if key != ([32]byte{}) && ok && len(*r.diags) == n {
		r.checking.ld.cache.put(key, verdict{OK: true})
	}
	return ok
}

// interfaceType reads the interface's types and checks that it names a
// usable interface; nil when it does not (reported).
func (r *resolver) interfaceType(p *packages.Package) *types.Interface {
	var pos diag.Position
	if r.checking.iface != nil {
		return r.checking.iface
	}
	if err := r.checking.ld.types(p); err != nil {
		epos, msg := r.compilerError(p, p.Errors[len(p.Errors)-1])
		d := r.diags.Errorf(registry.ImportError, pos, "-interface: package %s has errors: %s", r.ifacePath, msg)
		if epos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: epos, Message: msg})
		}
		return nil
	}
	obj := p.Types.Scope().Lookup(r.ifaceName)
	if obj == nil {
		r.diags.Errorf(registry.ClassNotFound, pos, "-interface: %s not found in package %s", r.ifaceName, r.ifacePath)
		return nil
	}
	iface, bad := gotype.Interface(obj)
	if bad != nil {
		code := registry.TypeNotInstantiable
		if bad.NotInterface {
			code = registry.ClassNotFound
		}
		r.diags.Errorf(code, pos, "-interface: %s.%s %s", r.ifacePath, r.ifaceName, bad.Why)
		return nil
	}
	r.checking.iface = iface
	return iface
}

// checkPackage reports a missing (010), broken (012) or unimportable (015)
// package once, at the first contract that names it.
func (r *resolver) checkPackage(c *contracts.Contract, p *packages.Package) bool {
	if p == nil || len(p.GoFiles) == 0 && len(p.CompiledGoFiles) == 0 && (len(p.Errors) > 0 || !hasTypes(p)) {
		msg := "module not found: no package " + c.ImportPath
		mine := r.inMainModule(c.ImportPath)
		if mine {
			// The module is there; the package is not.
			msg = "package not found: no package " + c.ImportPath + " in the main module"
		}
		if p != nil && len(p.Errors) > 0 {
			m := r.cleanMsg(p.Errors[0].Msg)
			if mine {
				// "to add it: go get …" is wrong advice for a package
				// that should be in the main module; for one of a module
				// go.mod does not require (or replaces without
				// requiring) it is what to do.
				m, _, _ = strings.Cut(m, "; to add it:")
			}
			msg += ": " + m
		}
		if mine {
			if near := suggest.Closest(c.ImportPath, r.mainPackages(), 1); len(near) > 0 {
				msg += fmt.Sprintf(" (did you mean %s?)", near[0])
			}
		}
		r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "%s", msg)
		return false
	}
	if len(p.Errors) > 0 || !hasTypes(p) {
		// A package that imports the output package fails with whatever
		// the output package lacks (the registry module not yet required,
		// say); the cycle is what to fix.
		if why := r.cycle(p); why != "" {
			r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s", why)
			return false
		}
		pos, msg := r.compilerError(p, p.Errors[0])
		d := r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s has errors: %s", c.ImportPath, msg)
		if pos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: msg})
		}
		return false
	}
	if why := r.unimportable(p); why != "" {
		r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s", why)
		return false
	}
	return true
}

// mainPackages lists the import paths of the main modules' packages, as
// ./... in each finds them, once per resolver: the candidates of a
// did-you-mean for a mistyped package of the user's own module.
func (r *resolver) mainPackages() []string {
	if r.checking.mainPkgs == nil && r.cfg.Action != nil {
		r.checking.mainPkgs = slices.Sorted(maps.Keys(r.cfg.Action.Packages)) // what there is, in an action
	}
	if r.checking.mainPkgs == nil {
		r.checking.mainPkgs = []string{}
		for mod, dir := range modtree.MainModules(r.cfg.Dir, goenv.ModFile()) {
			// Every package, those an ignore directive leaves out of
			// ./... too: they are as importable as any other.
			r.checking.mainPkgs = append(r.checking.mainPkgs, packagesUnder(dir, "", mod)...)
		}
		slices.Sort(r.checking.mainPkgs)
	}
	return r.checking.mainPkgs
}

// inMainModule reports whether path lies in a main module (of the
// workspace) of the working directory.
func (r *resolver) inMainModule(path string) bool {
	var mains iter.Seq[string]
	if a := r.cfg.Action; a != nil {
		mains = slices.Values(a.Modules) // no walk up the tree, no go env
	} else {
		mains = maps.Keys(modtree.MainModules(r.cfg.Dir, goenv.ModFile()))
	}
	for mp := range mains {
		if path == mp || strings.HasPrefix(path, mp+"/") {
			return true
		}
	}
	return false
}

// unimportable says why the output package cannot import p, or "": p is a
// program, an internal package of another tree, or imports the output
// package itself. Caught here, each gets handlergen's message instead of
// the compiler's on the generated file.
func (r *resolver) unimportable(p *packages.Package) string {
	if !importdecl.Importable(p.PkgPath, r.out.path) {
		return fmt.Sprintf("package %s is internal and cannot be imported from the output package %s", p.PkgPath, orUnknown(r.out.path))
	}
	return r.unusable(p)
}

// unusable is unimportable without Go's internal rule, for the package of
// an alias's target, which the registry never imports: it names the alias
// in the alias's package, which passed that rule.
func (r *resolver) unusable(p *packages.Package) string {
	if p.Name == "main" {
		return fmt.Sprintf("package %s is a main package (a program), which cannot be imported", p.PkgPath)
	}
	return r.cycle(p)
}

// cycle says how p imports the output package, or "".
func (r *resolver) cycle(p *packages.Package) string {
	if r.out.path == "" {
		return ""
	}
	if r.checking.cycles == nil {
		r.checking.cycles = &reacher{target: r.out.path, memo: map[*packages.Package]bool{}}
	}
	if chain := r.checking.cycles.chain(p); chain != nil {
		return fmt.Sprintf("import cycle: %s imports the output package (%s)", p.PkgPath, strings.Join(chain, " -> "))
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "(outside any module)"
	}
	return s
}

// reacher answers "does this package import target, directly or not?" for
// every handler package of a run, remembering the answer per package: the
// handlers of a large registry share most of their dependency graph, and
// walking it afresh for each was a tenth of a 1,000-handler run.
type reacher struct {
	target string
	memo   map[*packages.Package]bool
}

func (rc *reacher) reaches(p *packages.Package) bool {
	if v, ok := rc.memo[p]; ok {
		return v
	}
	rc.memo[p] = false // the import graph is acyclic; this only guards bad input
	v := p.PkgPath == rc.target
	for _, q := range p.Imports {
		if v {
			break
		}
		v = rc.reaches(q)
	}
	rc.memo[p] = v
	return v
}

// chain returns the import path chain from p to the target, or nil,
// choosing the first import (by path) at each step for a stable message.
func (rc *reacher) chain(p *packages.Package) []string {
	if !rc.reaches(p) {
		return nil
	}
	out := []string{p.PkgPath}
	for p.PkgPath != rc.target {
		keys := slices.Sorted(maps.Keys(p.Imports))
		for _, k := range keys {
			if q := p.Imports[k]; rc.reaches(q) {
				p = q
				break
			}
		}
		out = append(out, p.PkgPath)
	}
	return out
}

// verify resolves one contract's type and decides how to make an instance.
func (r *resolver) verify(c *contracts.Contract, p *packages.Package, iface *types.Interface) *Handler {
	scope := p.Types.Scope()
	obj := scope.Lookup(c.TypeName)
	if obj == nil {
		// Export data holds only what the package exports (and what that
		// reaches), so an unexported type is found in the source instead.
		if pos, ok := r.declaredType(p, c.TypeName); ok {
			d := r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is not exported, so the generated registry cannot refer to it", c.Class)
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: fmt.Sprintf("%s declared here", c.TypeName)})
			return nil
		}
		msg := fmt.Sprintf("class %q not found in package %s", c.TypeName, c.ImportPath)
		if near := suggest.Closest(c.TypeName, exportedTypes(scope), 1); len(near) > 0 {
			msg += fmt.Sprintf(" (did you mean %q?)", near[0])
		}
		r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s", msg)
		return nil
	}
	goPos := r.tokenPos(p, p.Fset.Position(obj.Pos()))
	related := func(d *diag.Diagnostic) {
		if goPos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: goPos, Message: fmt.Sprintf("%s declared here", c.TypeName)})
		}
	}
	tn, ok := obj.(*types.TypeName)
	if !ok {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%q is not a class: %s.%s is %s, not a type", c.Class, c.ImportPath, c.TypeName, gotype.ObjKind(obj)))
		return nil
	}
	if _, isIface := tn.Type().Underlying().(*types.Interface); isIface {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s is an interface type; handler_class must name a concrete type", c.Class))
		return nil
	}
	if !tn.Exported() {
		related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is not exported, so the generated registry cannot refer to it", c.Class))
		return nil
	}
	named, ok := types.Unalias(tn.Type()).(*types.Named)
	if !ok {
		related(r.diags.Errorf(registry.ClassNotFound, c.ClassPos, "%s is an alias of %s, not a named type", c.Class, types.Unalias(tn.Type())))
		return nil
	}
	if gotype.Generic(tn) {
		related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is generic; handlergen cannot choose its type arguments: register an instantiation (type X = %s[...])", c.Class, c.TypeName))
		return nil
	}
	if tn.IsAlias() && !r.aliasTarget(c, p, named, related) {
		return nil
	}
	h := &Handler{Contract: c, PkgName: p.Name, GoPos: goPos}
	valueOK := types.Implements(named, iface)
	ptr := types.NewPointer(named)
	if !valueOK && !types.Implements(ptr, iface) {
		probs := methodProblems(ptr, iface, p.Types)
		msgs := make([]string, len(probs))
		for i, pr := range probs {
			msgs[i] = pr.msg
		}
		d := r.diags.Errorf(registry.ProtocolNotImplemented, c.ClassPos, "handler class %s does not implement %s: %s", c.Class, r.ifacePkgName+"."+r.ifaceName, strings.Join(msgs, "; "))
		// Like every diagnostic here, 006 is at the contract that names
		// the class; the Go side goes in related positions: each method
		// (or field) with the wrong signature where it is declared, then
		// the type, which is where a missing method goes.
		for _, pr := range probs {
			// A method promoted from an embedded type of another package
			// is named by that package when its file is outside the module.
			declaring := p
			if pr.pkg != "" && pr.pkg != p.PkgPath {
				declaring = &packages.Package{PkgPath: pr.pkg}
			}
			if pos := r.tokenPos(declaring, p.Fset.Position(pr.pos)); pr.pos.IsValid() && pos.File != "" {
				d.Related = append(d.Related, diag.Related{Pos: pos, Message: pr.name + " declared here"})
			}
		}
		related(d)
		return nil
	}
	h.Pointer = !valueOK
	h.Ctor = r.constructor(c, p, named, iface)
	_, h.Struct = named.Underlying().(*types.Struct)
	if h.Ctor == nil {
		if !h.Struct {
			related(r.diags.Errorf(registry.TypeNotInstantiable, c.ClassPos, "type %s is %s, not a struct, and its package has no New%s constructor: handlergen cannot make an instance", c.Class, gotype.Kind(named.Underlying()), c.TypeName))
			return nil
		}
	}
	return h
}

// aliasTarget checks a handler_class that names an alias (type H =
// other.H, or type H = g.Box[evil.T]) at every package its type is made
// of: the target's and, recursively, those of its type arguments. Each is
// compiled in and its init runs, so the allowlist (013), the init audit
// (016) and the rules on main packages and cycles (015) apply to it as to
// the class's own package; Go's internal rule does not, since the registry
// never imports those packages.
func (r *resolver) aliasTarget(c *contracts.Contract, p *packages.Package, named *types.Named, related func(*diag.Diagnostic)) bool {
	target := named.Obj()
	targetName := qualifiedName(target)
	for _, obj := range typeNames(named) {
		if obj.Pkg() == nil || obj.Pkg().Path() == p.PkgPath {
			continue
		}
		path := obj.Pkg().Path()
		name := path + "." + obj.Name()
		what := fmt.Sprintf("handler class %s is an alias of %s", c.Class, targetName)
		if obj != target {
			what += fmt.Sprintf(", with type argument %s", name)
		}
		at := func(d *diag.Diagnostic) {
			related(d)
			// Named by its own package: a position outside the module is
			// written by import path, and p's would be the wrong one.
			if tpos := r.tokenPos(&packages.Package{PkgPath: path}, p.Fset.Position(obj.Pos())); tpos.File != "" {
				d.Related = append(d.Related, diag.Related{Pos: tpos, Message: fmt.Sprintf("%s declared here", name)})
			}
		}
		if why := r.allow.refusal(name); why != "" {
			at(r.diags.Errorf(registry.NamespaceNotAllowed, c.ClassPos, "%s, and that namespace is not allowed: %s%s", what, why, r.allowHint(name, path)))
			return false
		}
		// A public alias of an internal type is how a module exports it:
		// the registry imports the alias's package, so the internal rule
		// is not the target's to pass.
		tp := findPackage(p, path)
		why := ""
		if tp != nil {
			why = r.unusable(tp)
		}
		if why != "" {
			at(r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "%s: %s", what, why))
			return false
		}
		if tp != nil {
			r.auditInit(tp)
		}
	}
	return true
}

// qualifiedName is IMPORT/PATH.Name of a type name.
func qualifiedName(obj *types.TypeName) string {
	if obj.Pkg() == nil {
		return obj.Name()
	}
	return obj.Pkg().Path() + "." + obj.Name()
}

// typeNames lists the named types a type is made of, once each, in the
// order met: a named type and, recursively, its type arguments, through
// pointers, slices, arrays, maps, channels, functions and structs.
func typeNames(t types.Type) []*types.TypeName {
	var out []*types.TypeName
	seen := map[*types.TypeName]bool{}
	var walk func(types.Type)
	walk = func(t types.Type) {
		switch t := types.Unalias(t).(type) {
		case *types.Named:
			if !seen[t.Obj()] {
				seen[t.Obj()] = true
				out = append(out, t.Obj())
			}
			for i := range t.TypeArgs().Len() {
				walk(t.TypeArgs().At(i))
			}
		case *types.Pointer:
			walk(t.Elem())
		case *types.Slice:
			walk(t.Elem())
		case *types.Array:
			walk(t.Elem())
		case *types.Chan:
			walk(t.Elem())
		case *types.Map:
			walk(t.Key())
			walk(t.Elem())
		case *types.Signature:
			for i := range t.Params().Len() {
				walk(t.Params().At(i).Type())
			}
			for i := range t.Results().Len() {
				walk(t.Results().At(i).Type())
			}
		case *types.Struct:
			for i := range t.NumFields() {
				walk(t.Field(i).Type())
			}
		}
	}
	walk(t)
	return out
}

// findPackage finds the package path among p's imports, direct or not: an
// alias's target may lie several aliases away.
func findPackage(p *packages.Package, path string) *packages.Package {
	seen := map[*packages.Package]bool{}
	var walk func(q *packages.Package) *packages.Package
	walk = func(q *packages.Package) *packages.Package {
		if q == nil || seen[q] {
			return nil
		}
		seen[q] = true
		if q.PkgPath == path {
			return q
		}
		for _, k := range slices.Sorted(maps.Keys(q.Imports)) {
			if f := walk(q.Imports[k]); f != nil {
				return f
			}
		}
		return nil
	}
	return walk(p)
}

// constructor finds New<Type> and checks its shape: no parameters or one
// context.Context; results T or *T, optionally followed by error; the
// result must implement the interface. A function of that name with another
// shape is reported as a warning and not used.
func (r *resolver) constructor(c *contracts.Contract, p *packages.Package, named *types.Named, iface *types.Interface) *Constructor {
	name := "New" + c.TypeName
	fn, ok := p.Types.Scope().Lookup(name).(*types.Func)
	if !ok {
		return nil
	}
	sig := fn.Type().(*types.Signature)
	warn := func(why string) *Constructor {
		d := r.diags.Warnf(registry.TypeNotInstantiable, c.ClassPos, "%s.%s is not used as the constructor: %s; using the zero value", c.ImportPath, name, why)
		if pos := r.tokenPos(p, p.Fset.Position(fn.Pos())); pos.File != "" {
			d.Related = append(d.Related, diag.Related{Pos: pos, Message: name + " declared here"})
		}
		return nil
	}
	if sig.TypeParams().Len() > 0 {
		return warn("it is generic")
	}
	ctor := &Constructor{Name: name}
	switch params := sig.Params(); {
	case params.Len() == 0:
	case params.Len() == 1 && isContext(params.At(0).Type()) && !sig.Variadic():
		ctor.Context = true
	default:
		return warn("want no parameters or one context.Context")
	}
	res := sig.Results()
	switch {
	case res.Len() == 1:
	case res.Len() == 2 && gotype.IsError(res.At(1).Type()):
		ctor.Error = true
	default:
		return warn("want results T, *T, (T, error) or (*T, error)")
	}
	rt := res.At(0).Type()
	if !types.Identical(rt, named) && !types.Identical(rt, types.NewPointer(named)) {
		return warn(fmt.Sprintf("it returns %s, not %s or *%s", rt, c.TypeName, c.TypeName))
	}
	if !types.Implements(rt, iface) {
		return warn(fmt.Sprintf("its result %s does not implement the interface", rt))
	}
	return ctor
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// methodProblem is one way T fails an interface method: its message and,
// for a method or field T has with the wrong type, that member's name and
// declaration (token.NoPos for a missing method).
type methodProblem struct {
	msg, name string
	pos       token.Pos
	pkg       string // import path of the package declaring the member
}

func pkgPath(obj types.Object) string {
	if obj.Pkg() == nil {
		return ""
	}
	return obj.Pkg().Path()
}

// methodProblems names every method of iface that T's method set lacks or
// has with another signature, with have/want, as the compiler would.
func methodProblems(t types.Type, iface *types.Interface, from *types.Package) []methodProblem {
	// Name packages as Go source does (registry.Descriptor), not by path.
	qual := func(p *types.Package) string {
		if p == from {
			return ""
		}
		return p.Name()
	}
	var out []methodProblem
	for i := 0; i < iface.NumMethods(); i++ {
		m := iface.Method(i)
		want := m.Name() + types.TypeString(m.Type(), qual)[len("func"):]
		obj, _, _ := types.LookupFieldOrMethod(t, false, m.Pkg(), m.Name())
		have, ok := obj.(*types.Func)
		switch {
		case obj == nil:
			out = append(out, methodProblem{msg: "missing method " + want})
		case !ok:
			out = append(out, methodProblem{msg: fmt.Sprintf("%s is a field, not a method (want %s)", m.Name(), want), name: m.Name(), pos: obj.Pos(), pkg: pkgPath(obj)})
		case !types.Identical(have.Type(), m.Type()):
			out = append(out, methodProblem{msg: fmt.Sprintf("wrong signature for %s: have %s, want %s", m.Name(), m.Name()+types.TypeString(have.Type(), qual)[len("func"):], want), name: m.Name(), pos: have.Pos(), pkg: pkgPath(have)})
		}
	}
	if len(out) == 0 {
		out = append(out, methodProblem{msg: "the method set does not match"})
	}
	return out
}

func exportedTypes(scope *types.Scope) []string {
	var out []string
	for _, n := range scope.Names() {
		if tn, ok := scope.Lookup(n).(*types.TypeName); ok && tn.Exported() {
			out = append(out, n)
		}
	}
	return out
}

// auditInit reports each func init() in the handler package's own files.
// Importing a package runs its init functions before main: the Go form of
// the Python loader's "imports run module-level side effects". Only
// declarations are needed, so files without "init" are not parsed.
func (r *resolver) auditInit(p *packages.Package) {
	if r.checking.audited[p.PkgPath] {
		return // a handler package and an alias's target, say
	}
	if r.checking.audited == nil {
		r.checking.audited = map[string]bool{}
	}
	r.checking.audited[p.PkgPath] = true
	// The files' digest, for verifyKey: each by content and by what
	// pkgRel makes of its name (fileKey), so that it is the same wherever
	// the tree lies. A file that cannot be read leaves the package without
	// one, and its verifications uncached: verify parses the files anew.
	fset := token.NewFileSet()
	h := sha256.New()
	readAll := true
	defer func() {
		if !readAll {
			return
		}
		if r.checking.srcHash == nil {
			r.checking.srcHash = map[string]string{}
		}
		r.checking.srcHash[p.PkgPath] = string(h.Sum(nil))
	}()
	for _, file := range p.GoFiles {
		src, err := output.ReadFile(file) // bounded, never blocks
		name := fileKey(r.treeRoot(), file)
		fmt.Fprintf(h, "%d:%s %d\n", len(name), name, len(src))
		h.Write(src)
		if err != nil {
			readAll = false
		}
		if err != nil || !bytes.Contains(src, []byte("init")) {
			continue
		}
		f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != "init" {
				continue
			}
			dp := r.tokenPos(p, fset.Position(fd.Pos()))
			if r.cfg.ForbidInit {
				r.diags.Errorf(registry.InitSideEffect, dp, "handler package %s declares func init(), which runs when the registry imports it (-forbid-init)", p.PkgPath)
			} else {
				r.diags.Warnf(registry.InitSideEffect, dp, "handler package %s declares func init(), which runs when the registry imports it", p.PkgPath)
			}
		}
	}
}

// declaredType looks for a type declaration named name in the package's
// files. It is only used to explain a failed lookup.
func (r *resolver) declaredType(p *packages.Package, name string) (diag.Position, bool) {
	fset := token.NewFileSet()
	for _, file := range p.GoFiles {
		// Read as auditInit reads: bounded, never waiting on a FIFO (an
		// action's Sources name these files).
		src, err := output.ReadFile(file)
		if err != nil {
			continue
		}
		f, err := parser.ParseFile(fset, file, src, parser.SkipObjectResolution)
		if err != nil {
			continue
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				if ts := spec.(*ast.TypeSpec); ts.Name.Name == name {
					return r.tokenPos(p, fset.Position(ts.Name.Pos())), true
				}
			}
		}
	}
	return diag.Position{}, false
}
