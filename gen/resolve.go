package gen

import (
	"fmt"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/module"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

type outputPkg struct {
	dir, file string
	path      string // import path, "" when outside any module
	name      string
	decls     []string // package-level names the package's other files declare
	imported  []string // names the other files' imports declare in those files
}

// resolver checks one registry's contracts, phase by phase: preflight,
// then check, which verifies each contract against the loaded packages or
// replays the cache's verdict. Its own fields are the registry's inputs and
// what outlives check; each phase's state is in the phase's struct.
type resolver struct {
	cfg                  *Config
	out                  outputPkg
	allow                allowlist
	diags                *diag.List
	ifacePath, ifaceName string
	ifaceUnloadable      bool   // -interface is in the output package, which is never loaded
	ifacePkgName         string // the interface's package name, from lookupInterface, for messages, cache keys and emit
	names                namer  // how files are named in positions (positions.go)
	checking             checking
}

// checking is what check holds while it runs, and drops when it returns:
// the loaded packages and what verifying contracts against them works out
// once for all of them.
type checking struct {
	ld       *loaded           // the packages
	iface    *types.Interface  // the interface, once its types are read (interfaceType)
	cycles   *reacher          // which packages import the output package
	audited  map[string]bool   // packages whose init() has been audited
	srcHash  map[string]string // import path → digest of its files, from auditInit, for verifyKey
	mainPkgs []string          // see mainPackages
}

// preflight checks what can be checked without loading anything: the class
// is qualified, allowed, a valid import path, and not the output package.
// It returns the contracts that passed.
func (r *resolver) preflight(cs []*contracts.Contract) (todo []*contracts.Contract) {
	for _, c := range cs {
		if c.ImportPath == "" {
			r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "invalid class path %q: must be fully qualified as IMPORT/PATH.TypeName", c.Class)
			continue
		}
		// A path no package can have is refused first, so that 013's
		// hint always names an -allow the command line accepts.
		if err := module.CheckImportPath(c.ImportPath); err != nil {
			r.diags.Errorf(registry.ModuleNotFound, c.ClassPos, "invalid import path %q: %v", c.ImportPath, err)
			continue
		}
		if why := r.allow.refusal(c.Class); why != "" {
			r.diags.Errorf(registry.NamespaceNotAllowed, c.ClassPos, "handler namespace not allowed: %s%s", why, r.allowHint(c.Class, c.ImportPath))
			continue
		}
		if r.out.path != "" && c.ImportPath == r.out.path {
			// Loading the output package would let a stale or broken
			// generated file block its own regeneration.
			r.diags.Errorf(registry.PackageNotImportable, c.ClassPos, "handler %s is in the output package %s; handlergen never loads the package it writes to: move the handler or the output", c.Class, r.out.path)
			continue
		}
		todo = append(todo, c)
	}
	return todo
}

// check verifies the contracts that passed preflight against the loaded
// packages and returns the handlers, sorted by name. Types are read only
// for the verifications the cache does not answer.
func (r *resolver) check(todo []*contracts.Contract, ld *loaded) []*Handler {
	byPath := ld.byPath
	r.checking.ld = ld
	defer func() { r.checking = checking{} }() // it holds the package graph
	var iface *types.Interface
	ifaceOK := false
	if !r.ifaceUnloadable {
		if ifaceOK = r.lookupInterface(byPath[r.ifacePath]); !ifaceOK {
			return nil
		}
	}

	firstUse := map[string]*contracts.Contract{} // import path → first contract naming it
	usable := map[string]bool{}
	var hs []*Handler
	for _, c := range todo {
		p := byPath[c.ImportPath]
		if first, seen := firstUse[c.ImportPath]; seen {
			if !usable[c.ImportPath] {
				// Every contract naming a broken package is reported,
				// pointing at the one that carries the details.
				d := r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s cannot be used", c.ImportPath)
				d.Related = append(d.Related, diag.Related{Pos: first.ClassPos, Message: "the package's problem is reported here"})
				continue
			}
		} else {
			firstUse[c.ImportPath] = c
			usable[c.ImportPath] = r.checkPackage(c, p)
			if !usable[c.ImportPath] {
				continue
			}
			r.auditInit(p)
		}
		if !ifaceOK {
			continue // reported already; the packages are still checked
		}
		key, cacheable := r.verifyKey(c, p)
		if cacheable {
			var v verdict
			if ld.cache.get(key, &v) && v.sound(c) {
				noteTest("cache hit")
				if h := r.replay(c, &v); h != nil {
					hs = append(hs, h)
				}
				continue
			}
			noteTest("cache miss")
		}
		if iface == nil {
			if iface = r.interfaceType(byPath[r.ifacePath]); iface == nil {
				return nil
			}
		}
		if err := ld.types(p); err != nil {
			// As checkPackage reports a package whose export data
			// go/packages could not read.
			_, msg := r.compilerError(p, p.Errors[len(p.Errors)-1])
			r.diags.Errorf(registry.ImportError, c.ClassPos, "package %s has errors: %s", c.ImportPath, msg)
			usable[c.ImportPath] = false
			continue
		}
		n, hadAudit := len(*r.diags), len(r.checking.audited)
		h := r.verify(c, p, iface)
		if cacheable && len(r.checking.audited) == hadAudit && !r.aliasElsewhere(c, p) {
			// An alias of a type in another package is verified at
			// that package too (aliasTarget), whose sources the key does
			// not cover: it is never cached.
			ld.cache.put(key, r.record(h, (*r.diags)[n:]))
		}
		if h != nil {
			hs = append(hs, h)
		}
	}
	slices.SortFunc(hs, func(a, b *Handler) int { return strings.Compare(a.Contract.Name, b.Contract.Name) })
	return hs
}

// allowHint is advice that works when followed: -allow adds to the
// default, so allowing the class's package keeps everything else allowed;
// a class that -only shuts out needs its package added there.
func (r *resolver) allowHint(class, importPath string) string {
	arg := importPath
	if strings.ContainsAny(arg, " \t'\"\\$`") {
		arg = strconv.Quote(arg)
	}
	flag := "-allow"
	if r.allow.admits(class) {
		flag = "-only"
	}
	return fmt.Sprintf(" (to allow it, add %s %s to the handlergen command, on its //go:generate line if it has one)", flag, arg)
}
