package gen

import (
	"fmt"
	"testing"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/registry"
)

// synthHandlers are n handlers laid out as internal/synth lays out a
// benchmark module: one package per handler, each with one contract.
// Every fourth has a constructor; tags, versions and types vary.
func synthHandlers(n int) []*Handler {
	hs := make([]*Handler, n)
	for i := range hs {
		name := fmt.Sprintf("h%05d", i)
		c := &contracts.Contract{
			Name: name, Path: "handlers/r0/" + name + "/contract.yaml",
			ImportPath: "example.com/synth/handlers/r0/" + name, TypeName: "Handler",
			Type: []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute}[i%3], ProtocolType: name,
			Tags:    []string{"synthetic", fmt.Sprintf("group-%d", i%10)},
			Version: registry.Version{Major: 1, Minor: i % 5, Patch: i % 7},
		}
		c.Class = c.ImportPath + "." + c.TypeName
		c.Digest[0], c.Digest[1] = byte(i), byte(i>>8)
		hs[i] = &Handler{Contract: c, PkgName: name, Struct: true, Pointer: i%2 == 0}
		if i%4 == 0 {
			hs[i].Ctor = &Constructor{Name: "NewHandler", Context: i%8 == 0, Error: true}
		}
	}
	return hs
}

// BenchmarkEmit compares emit with emitRef, which renders the same file
// with jennifer alone, at registry sizes from small to large.
func BenchmarkEmit(b *testing.B) {
	cfg := emitConfig{Args: []string{"-o", "registry_gen.go", "../handlers/r0"}, Dir: "/m/app0",
		Pkg: outputPkg{dir: "/m/app0", path: "example.com/synth/app0", name: "app0"}, Var: "Registry",
		IfacePath: registryPath, IfaceName: "Handler", IfacePkg: "registry"}
	for _, n := range []int{100, 1000, 10000} {
		hs := synthHandlers(n)
		for _, r := range []struct {
			name string
			emit func(emitConfig, []*Handler) ([]byte, error)
		}{
			{"splice", emit},
			{"jennifer", func(cfg emitConfig, hs []*Handler) ([]byte, error) { return emitRef(cfg, hs, false) }},
			{"jennifer-qual", func(cfg emitConfig, hs []*Handler) ([]byte, error) { return emitRef(cfg, hs, true) }},
		} {
			b.Run(fmt.Sprintf("%s/n=%d", r.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := r.emit(cfg, hs); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
