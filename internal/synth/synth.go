// Package synth writes synthetic modules for handlergen's benchmarks: N
// handler packages with one contract each, one or more output packages for
// the generated registries, and a hand-written map literal over the same
// handlers to compare compile and start-up costs with.
//
// The module it writes (module path Module) looks like this:
//
//	go.mod, go.sum           replace github.com/handlergen/handlergen => Options.Repo
//	iface/iface.go           the handler interface, with Options.LocalInterface
//	handlers/r0/h00000/      package h00000: type Handler struct{}, its contract
//	...                      (handlers/rK/ for registry K when Registries > 1)
//	app0/                    output package of registry 0 (registry_gen.go)
//	cmd/app0/main.go         a program importing app0, to time start-up
//	maplit/maplit.go         map[string]func() registry.Handler over every handler
//	cmd/maplit/main.go       a program importing maplit
//
// It is plain text generation with the standard library, so it adds no
// dependency to the main module.
package synth

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Module is the module path of every synthetic module.
const Module = "example.com/synth"

// Options describe a synthetic module.
type Options struct {
	N          int    // handler packages and contracts
	Registries int    // contract directories and output packages (default 1)
	Repo       string // absolute directory of the handlergen module, for the replace directive
	// LocalInterface puts the handler interface in the main module
	// (package iface, type Handler, the methods of registry.Handler) and
	// generates with -interface example.com/synth/iface.Handler; otherwise
	// the registries use registry.Handler from the handlergen module.
	LocalInterface bool
}

// Layout names what Write produced.
type Layout struct {
	Dir      string
	Handlers []string // import paths of the handler packages, sorted
	Outputs  []string // output package directories, relative: app0, app1, ...
	Inputs   []string // contract directories, relative, one per output: handlers/r0, ...
	// Interface is the -interface argument ("" for the default), and
	// IfacePkg its package's import path.
	Interface, IfacePkg string
}

// IfacePath is the import path of the local interface package.
const IfacePath = Module + "/iface"

// PkgName is the name of handler package i, for N handlers in total.
func PkgName(i int) string { return fmt.Sprintf("h%05d", i) }

// Write creates the module in dir, which must be empty or absent.
func Write(dir string, opt Options) (*Layout, error) {
	if opt.N < 0 {
		return nil, fmt.Errorf("synth: N = %d", opt.N)
	}
	if opt.Registries <= 0 {
		opt.Registries = 1
	}
	if !filepath.IsAbs(opt.Repo) {
		return nil, fmt.Errorf("synth: Repo %q is not absolute", opt.Repo)
	}
	sum, err := os.ReadFile(filepath.Join(opt.Repo, "go.sum"))
	if err != nil {
		return nil, err
	}
	goMod, err := os.ReadFile(filepath.Join(opt.Repo, "go.mod"))
	if err != nil {
		return nil, err
	}
	w := &writer{dir: dir}
	// The registry package's one dependency is listed as go mod tidy would,
	// so the go command runs with its default -mod=readonly.
	w.file("go.mod", fmt.Sprintf("module %s\n\ngo %s\n\nrequire github.com/handlergen/handlergen v0.0.0\n\nrequire %s // indirect\n\nreplace github.com/handlergen/handlergen => %s\n",
		Module, modLine(goMod, "go"), modLine(goMod, "\tgithub.com/google/uuid"), opt.Repo))
	w.file("go.sum", string(sum))

	l := &Layout{Dir: dir, IfacePkg: "github.com/handlergen/handlergen/registry"}
	ifaceType, ifaceImport := "registry.Handler", ""
	if opt.LocalInterface {
		l.Interface, l.IfacePkg = IfacePath+".Handler", IfacePath
		ifaceType, ifaceImport = "iface.Handler", fmt.Sprintf("\t%q\n", IfacePath)
		w.file("iface/iface.go", ifaceSource)
	}
	for k := range opt.Registries {
		l.Inputs = append(l.Inputs, fmt.Sprintf("handlers/r%d", k))
		l.Outputs = append(l.Outputs, fmt.Sprintf("app%d", k))
	}
	var lit bytes.Buffer
	lit.WriteString("// Package maplit is the hand-written alternative to a generated registry:\n// a map literal of constructors over the same handlers.\npackage maplit\n\nimport (\n\t\"github.com/handlergen/handlergen/registry\"\n")
	lit.WriteString(ifaceImport)
	for i := range opt.N {
		k := i % opt.Registries
		name := PkgName(i)
		rel := fmt.Sprintf("%s/%s", l.Inputs[k], name)
		path := Module + "/" + rel
		l.Handlers = append(l.Handlers, path)
		w.file(rel+"/handler.go", handlerSource(name))
		w.file(rel+"/handler_contract.yaml", contractSource(name, path, i))
		fmt.Fprintf(&lit, "\t%q\n", path)
	}
	fmt.Fprintf(&lit, ")\n\n// Handlers maps each handler name to its constructor.\nvar Handlers = map[string]func() %s{\n", ifaceType)
	for i := range opt.N {
		name := PkgName(i)
		fmt.Fprintf(&lit, "\t%q: func() %s { return &%s.Handler{} },\n", "handler."+name, ifaceType, name)
	}
	lit.WriteString("}\n\nvar _ = registry.Compute\n")
	w.file("maplit/maplit.go", lit.String())
	w.file("cmd/maplit/main.go", mainSource("maplit", "len(maplit.Handlers)"))
	for k, out := range l.Outputs {
		flags := ""
		if l.Interface != "" {
			flags = " -interface " + l.Interface
		}
		w.file(out+"/doc.go", fmt.Sprintf("// Package %s holds a generated registry.\npackage %s\n\n//go:generate go tool handlergen%s -o registry_gen.go ../%s\n", out, out, flags, l.Inputs[k]))
		w.file("cmd/"+out+"/main.go", mainSource(out, out+".Registry.Len()"))
	}
	if w.err != nil {
		return nil, w.err
	}
	return l, nil
}

// modLine returns the line of go.mod that starts with prefix and a space,
// without the prefix for "go" and with it otherwise.
func modLine(goMod []byte, prefix string) string {
	for _, line := range strings.Split(string(goMod), "\n") {
		if v, ok := strings.CutPrefix(line, prefix+" "); ok {
			if prefix == "go" {
				return strings.TrimSpace(v)
			}
			return strings.TrimSpace(line)
		}
	}
	return ""
}

type writer struct {
	dir string
	err error
}

func (w *writer) file(rel, content string) {
	if w.err != nil {
		return
	}
	p := filepath.Join(w.dir, filepath.FromSlash(rel))
	if w.err = os.MkdirAll(filepath.Dir(p), 0o755); w.err != nil {
		return
	}
	w.err = os.WriteFile(p, []byte(content), 0o644)
}

func handlerSource(name string) string {
	return fmt.Sprintf(`// Package %[1]s is a synthetic handler.
package %[1]s

import (
	"context"

	"github.com/handlergen/handlergen/registry"
)

// Handler echoes its payload.
type Handler struct{ calls int }

func (*Handler) HandlerType() registry.Type                       { return registry.Compute }
func (*Handler) Initialize(context.Context, map[string]any) error { return nil }
func (*Handler) Shutdown(context.Context) error                   { return nil }
func (*Handler) Describe() registry.Descriptor {
	return registry.Descriptor{Name: "handler.%[1]s", Type: registry.Compute}
}

func (h *Handler) Execute(_ context.Context, req registry.Request) (registry.Response, error) {
	h.calls++
	return registry.Response{Payload: req.Payload}, nil
}
`, name)
}

// ifaceSource is the local interface: registry.Handler's methods, declared
// again, so that handler types satisfy it structurally.
const ifaceSource = `// Package iface declares the application's handler interface.
package iface

import (
	"context"

	"github.com/handlergen/handlergen/registry"
)

// Handler is what every handler of the application implements.
type Handler interface {
	HandlerType() registry.Type
	Initialize(ctx context.Context, config map[string]any) error
	Shutdown(ctx context.Context) error
	Execute(ctx context.Context, req registry.Request) (registry.Response, error)
	Describe() registry.Descriptor
}
`

func contractSource(name, path string, i int) string {
	return fmt.Sprintf(`handler_name: "handler.%s"
handler_class: "%s.Handler"
handler_type: "compute"
capability_tags: ["synthetic", "group-%d"]
handler_version: {major: 1, minor: %d, patch: 0}
`, name, path, i%10, i%7)
}

func mainSource(pkg, expr string) string {
	return fmt.Sprintf(`// Command %[1]s prints the size of its registry; run it with
// GODEBUG=inittrace=1 to see what package initialisation costs.
package main

import (
	"fmt"

	"%[2]s/%[1]s"
)

func main() { fmt.Println(%[3]s) }
`, pkg, Module, expr)
}
