package gen

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/registry"
)

// TestEmitMatchesJennifer is the proof of emit's splice (see the package
// doc): over many randomized registries emit's bytes are emitRef's, the
// same file rendered whole by jennifer and go/format. The registries mix
// package names that clash with each other, with the file's own names and
// with the closures' locals, every constructor and type shape, every
// optional field, strings that need escaping, and interfaces in the
// registry package or elsewhere; none, one and many handlers.
func TestEmitMatchesJennifer(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{0, 1, 2, 3, 5, 8, 13, 40}
	iters := 240
	if raceEnabled {
		iters = 60
	}
	for iter := range iters {
		n := sizes[iter%len(sizes)]
		if iter%120 == 119 || iter == iters-1 {
			n = 300 // more than one row of pilots and slots
		}
		cfg, hs := randomRegistry(rng, n)
		compareEmit(t, fmt.Sprintf("iteration %d (%d handlers)", iter, n), cfg, hs)
	}
	if raceEnabled {
		return
	}
	cfg := emitConfig{Args: []string{"-o", "registry_gen.go", "../handlers/r0"}, Dir: "/m/app0",
		Pkg: outputPkg{dir: "/m/app0", path: "example.com/synth/app0", name: "app0"}, Var: "Registry",
		IfacePath: registryPath, IfaceName: "Handler", IfacePkg: "registry"}
	compareEmit(t, "the benchmark's registry", cfg, synthHandlers(1000))
}

// compareEmit fails when emit and emitRef differ. It also checks that
// emitRef with jen.Qual differs only in the import declaration, which is
// why the byte-identical reference spells qualified names itself; small
// registries show that as well as large ones, at a fraction of the time.
func compareEmit(t *testing.T, what string, cfg emitConfig, hs []*Handler) {
	t.Helper()
	got, err := emit(cfg, hs)
	if err != nil {
		t.Fatalf("%s: emit: %v", what, err)
	}
	want, err := emitRef(cfg, hs, false)
	if err != nil {
		t.Fatalf("%s: emitRef: %v", what, err)
	}
	if d := diff.Diff("jennifer", want, "emit", got); d != nil {
		t.Fatalf("%s: emit differs from the jennifer rendering:\n%s", what, d)
	}
	if len(hs) > 40 {
		return
	}
	qual, err := emitRef(cfg, hs, true)
	if err != nil {
		t.Fatalf("%s: emitRef with Qual: %v", what, err)
	}
	if d := diff.Diff("jennifer with Qual", withoutImports(t, cfg, qual), "emit", withoutImports(t, cfg, got)); d != nil {
		t.Fatalf("%s: with Qual, jennifer differs beyond the imports:\n%s", what, d)
	}
}

// withoutImports is src without its import declaration, which ends where
// the registry's doc comment starts.
func withoutImports(t *testing.T, cfg emitConfig, src []byte) []byte {
	t.Helper()
	i := bytes.Index(src, []byte("\nimport "))
	j := bytes.Index(src, []byte("\n// "+cfg.Var+" holds "))
	if i < 0 || j < i {
		t.Fatalf("no import declaration before the registry's comment in\n%s", src)
	}
	return slices.Concat(src[:i], src[j:])
}

// randomRegistry is a registry of n handlers, sorted by name as Run sorts
// them, and its emit configuration.
func randomRegistry(rng *rand.Rand, n int) (emitConfig, []*Handler) {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	strs := []string{"a", "", "x\ty", "quote\"d", "ünï", "back\\slash", "`backquoted`", "nul\x00", "bad utf-8 \xff", "line\u2028sep", "emoji 🙂",
		"a very long value that goes on and on past any column gofmt might care about, and then some more"}
	vars := []string{"Registry", "Handlers", "h", "ctx", "reg"}
	cfg := emitConfig{Args: []string{"-o", "r.go", pick([]string{"./handlers", "dir with space/**", "-var=x"})}, Dir: "/w",
		Pkg: outputPkg{dir: pick([]string{"/w", "/w/out", "/elsewhere"}), path: "example.com/m/out", name: "out"}, Var: pick(vars)}
	if rng.IntN(2) == 0 {
		cfg.Pkg.decls = []string{"h", "registry1", "Other"}
	}
	switch rng.IntN(5) {
	case 0, 1:
		cfg.IfacePath, cfg.IfaceName, cfg.IfacePkg = registryPath, "Handler", "registry"
	case 2: // the package name left to emit
		cfg.IfacePath, cfg.IfaceName = "example.com/m/iface", "Handler"
	case 3: // a package name that is not its path's last element, and clashes
		cfg.IfacePath, cfg.IfaceName, cfg.IfacePkg = "example.com/m/go-plugin", "Plugin", pick([]string{"plugin", "h", "registry", "context"})
	case 4: // a standard-library-like path
		cfg.IfacePath, cfg.IfaceName, cfg.IfacePkg = "plugins/api", "Handler", "api"
	}
	// Package names: shared by several paths, the file's own imports,
	// keywords and predeclared identifiers, the closures' locals, the
	// registry's names, a standard-library-like path.
	pkgs := []importedPkg{
		{"example.com/m/h", "h"}, {"example.com/other/h", "h"}, {"example.com/m/h1", "h1"}, {"example.com/m/context", "context"},
		{"example.com/m/registry", "registry"}, {"example.com/m/go-sqlite3", "sqlite3"}, {"example.com/m/err", "err"},
		{"example.com/m/ctx", "ctx"}, {"example.com/m/ctx_", "ctx_"}, {"stdlike/pkg", "pkg"}, {"example.com/m/error", "error"},
		{"example.com/m/nil", "nil"}, {"example.com/m/type", "type"}, {"example.com/m/init", "init"}, {"example.com/m/len", "len"},
		{"example.com/m/any", "any"}, {"example.com/m/reg", "reg"}, {"example.com/m/handlers", "Handlers"},
		{"example.com/m/ents", "handlergenRegistryEntries"}, {"a.b/zzz", "zzz"}, {"zzz/std", "std"},
		{cfg.IfacePath, cmp.Or(cfg.IfacePkg, path.Base(cfg.IfacePath))},
	}
	types := []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute}
	hs := make([]*Handler, n)
	for i := range hs {
		p := pkgs[rng.IntN(len(pkgs))]
		if n > 40 {
			p = importedPkg{fmt.Sprintf("example.com/m/p%d", rng.IntN(n)), "h"} // many paths, one name
		}
		c := &contracts.Contract{
			Name: fmt.Sprintf("h%03d-%s", i, pick(strs)), Path: fmt.Sprintf("c/%d/contract.yaml", i),
			ImportPath: p.path, TypeName: "T" + strconv.Itoa(rng.IntN(3)),
			Type: types[rng.IntN(len(types))], ProtocolType: pick(strs),
		}
		c.Class = c.ImportPath + "." + c.TypeName
		for range rng.IntN(4) {
			c.Tags = append(c.Tags, pick(strs))
		}
		c.Version = registry.Version{Major: rng.IntN(20), Minor: rng.IntN(3), Patch: rng.IntN(1000)}
		if rng.IntN(2) == 0 {
			c.Version.Prerelease = pick([]string{"rc.1", "alpha.beta-2", "0"})
		}
		if rng.IntN(2) == 0 {
			c.Version.Build = pick(strs)
		}
		for k := range c.Digest {
			c.Digest[k] = byte(rng.Uint32())
		}
		c.Security.AuditLogging = rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			c.Security.TrustedNamespace = pick(strs)
		}
		if rng.IntN(2) == 0 {
			c.Routing = pick([]string{`{"k":"v"}`, `{"a":{"b":[1,2]},"u":"ü\u0000"}`})
		}
		h := &Handler{Contract: c, PkgName: p.name, Pointer: rng.IntN(2) == 0, Struct: rng.IntN(3) > 0}
		if rng.IntN(2) == 0 {
			h.Ctor = &Constructor{Name: "New" + c.TypeName, Context: rng.IntN(2) == 0, Error: rng.IntN(2) == 0}
		}
		hs[i] = h
	}
	slices.SortFunc(hs, func(a, b *Handler) int { return strings.Compare(a.Contract.Name, b.Contract.Name) })
	return cfg, hs
}
