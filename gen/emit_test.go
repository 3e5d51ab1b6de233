package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/registry"
)

// TestEmitFormatted checks that the parts of the file written without
// go/format are laid out as gofmt lays them out, for registries with
// every optional field, odd strings, clashing package names, every
// constructor shape, and none at all.
func TestEmitFormatted(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	strs := []string{"a", "", "x\ty", "quote\"d", "ünï", "back\\slash", "a very long value that goes on and on past any column gofmt might care about"}
	pkgs := []struct{ path, name string }{
		{"example.com/m/h", "h"}, {"example.com/other/h", "h"}, {"example.com/m/context", "context"},
		{"example.com/m/registry", "registry"}, {"example.com/m/go-sqlite3", "sqlite3"}, {"example.com/m/err", "err"},
		{"example.com/m/ctx", "ctx"}, {"stdlike/pkg", "pkg"},
	}
	for iter := range 200 {
		n := rng.IntN(6)
		if iter == 0 {
			n = 0
		}
		var hs []*Handler
		for i := range n {
			p := pkgs[rng.IntN(len(pkgs))]
			c := &contracts.Contract{
				Name: fmt.Sprintf("h%d-%s", i, strs[rng.IntN(len(strs))]), Path: fmt.Sprintf("c/%d/contract.yaml", i),
				ImportPath: p.path, TypeName: "T" + strconv.Itoa(rng.IntN(3)),
				Type: []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute}[rng.IntN(3)], ProtocolType: strs[rng.IntN(len(strs))],
			}
			c.Class = c.ImportPath + "." + c.TypeName
			for range rng.IntN(4) {
				c.Tags = append(c.Tags, strs[rng.IntN(len(strs))])
			}
			c.Version = registry.Version{Major: rng.IntN(20), Minor: rng.IntN(3), Patch: rng.IntN(1000)}
			if rng.IntN(2) == 0 {
				c.Version.Prerelease = "rc.1"
			}
			if rng.IntN(2) == 0 {
				c.Version.Build = strs[rng.IntN(len(strs))]
			}
			c.Security.AuditLogging = rng.IntN(2) == 0
			if rng.IntN(2) == 0 {
				c.Security.TrustedNamespace = strs[rng.IntN(len(strs))]
			}
			if rng.IntN(2) == 0 {
				c.Routing = `{"k":"v"}`
			}
			h := &Handler{Contract: c, PkgName: p.name, Pointer: rng.IntN(2) == 0, Struct: rng.IntN(3) > 0}
			if rng.IntN(2) == 0 {
				h.Ctor = &Constructor{Name: "New" + c.TypeName, Context: rng.IntN(2) == 0, Error: rng.IntN(2) == 0}
			}
			hs = append(hs, h)
		}
		slices.SortFunc(hs, func(a, b *Handler) int { return strings.Compare(a.Contract.Name, b.Contract.Name) })
		cfg := emitConfig{Args: []string{"-o", "r.go"}, Dir: "/w", Pkg: outputPkg{dir: "/w/out", path: "example.com/m/out", name: "out", decls: []string{"h"}}, Var: "Registry",
			IfacePath: "example.com/m/iface", IfaceName: "Handler", IfacePkg: "iface"}
		if rng.IntN(2) == 0 {
			cfg.IfacePath, cfg.IfaceName, cfg.IfacePkg = registryPath, "Handler", "registry"
		}
		src, err := emit(cfg, hs)
		if err != nil {
			t.Fatal(err)
		}
		formatted, err := format.Source(src)
		if err != nil {
			t.Fatalf("iteration %d: %v\n%s", iter, err, src)
		}
		if !bytes.Equal(formatted, src) {
			t.Fatalf("iteration %d: not gofmt-clean:\n%s\n--- gofmt:\n%s", iter, src, formatted)
		}
	}
}
