package scaffold

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"strings"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/pathx"
)

// RegistriesError is Plan's error when a handlergen directive or registry
// header of the working directory's package cannot be used (arguments
// handlergen refuses, an output outside the module, a header it cannot
// read): the new handler's registry cannot be chosen, and taking the
// package for one without a registry would add a second directive that
// makes the same file. Diags are the problems as generate and check report
// them, sorted.
type RegistriesError struct{ Diags diag.List }

func (e *RegistriesError) Error() string {
	return RegistriesErrorText + " " + diag.ListError(e.Diags).Error()
}

// RegistriesErrorText introduces the diagnostics of a RegistriesError.
const RegistriesErrorText = "the package's handlergen directives or registries cannot be used, so the new handler's registry cannot be chosen; fix them first:"

// registryFor returns the registry that a handlergen directive of the
// working directory's package makes, or nil: with iface given, the first
// one that requires iface, and an error when the package's registries all
// require another interface (the new handler would be in none of them), or
// a *RegistriesError when one cannot be used.
func registryFor(dir, iface string) (*cmdline.Found, error) {
	found, ds := cmdline.FindRegistries(dir, []string{"."})
	if ds.HasErrors() {
		ds = ds.Compact()
		ds.Sort()
		return nil, &RegistriesError{Diags: ds}
	}
	var others []string
	for _, f := range found {
		switch {
		case f.Directive != "": // in the package: FindRegistries read "." alone
		case f.Directive == "" && f.Header && filepath.Clean(f.Dir) == filepath.Clean(dir):
			// A registry made by running handlergen by hand: a directive
			// added now would make the same file from other inputs and
			// drop its handlers.
		default:
			continue
		}
		if iface == "" || f.Flags.Interface == iface {
			return &f, nil
		}
		others = append(others, fmt.Sprintf("%s (-interface %s)", cmp.Or(f.Directive, pathx.Rel(dir, f.Output)), f.Flags.Interface))
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("-interface %s: the package's registries, made by the directives at %s, require other interfaces, so go generate would refuse the handler; give their -interface, or leave it out", iface, strings.Join(others, ", "))
	}
	return nil, nil
}

// directive adds a file holding the //go:generate line to the working
// directory's package unless a handlergen directive there already makes a
// registry (existing).
func (s *Scaffold) directive(o Options, existing *cmdline.Found, dir, modRoot string) error {
	if existing != nil {
		s.Directive, s.Existing = existing.Directive, existing
		if existing.Directive == "" {
			s.Directive = pathx.Rel(o.Dir, existing.Output)
		}
		return nil
	}
	input := "./" + dir
	if dir == "." {
		input = "."
	}
	var args []string
	if o.Interface != cmdline.DefaultInterface {
		args = append(args, "-interface", o.Interface)
	}
	args = append(args, "-o", cmdline.DefaultOutput, input)
	line := cmdline.DirectiveLine(args)
	pkg, err := packageName(o.Dir, o.Dir == modRoot)
	if err != nil {
		return err
	}
	var file string
	for _, f := range []string{"generate.go", "handlergen.go"} {
		if _, err := os.Lstat(filepath.Join(o.Dir, f)); errors.Is(err, os.ErrNotExist) {
			file = f
			break
		}
	}
	if file == "" {
		return fmt.Errorf("the package has no handlergen directive, and generate.go and handlergen.go both exist: add %q to a file of the package", line)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	fmt.Fprintf(&b, "// go generate writes %s, which declares %s: the handlers\n", cmdline.DefaultOutput, cmdline.DefaultVar)
	b.WriteString("// whose contracts are under " + input + ".\n\n")
	b.WriteString(line + "\n")
	s.Files = append(s.Files, File{Path: file, Data: b.Bytes()})
	s.Directive, s.Added = line, true
	return nil
}

// packageName is the package of the Go files in dir that the build uses
// (not tests, nor files its build constraints exclude, such as a
// //go:build ignore generator in package main), or, for a directory
// without any, main at the module root, where a program's main.go goes,
// and elsewhere the package go generate would give the registry there.
func packageName(dir string, modRoot bool) (string, error) {
	p, err := build.Default.ImportDir(dir, 0)
	var multi *build.MultiplePackageError
	switch {
	case errors.As(err, &multi):
		return "", fmt.Errorf("the working directory's Go files declare several packages (%s); the directive's file cannot join them", strings.Join(multi.Packages, ", "))
	case err == nil && len(p.GoFiles)+len(p.CgoFiles) > 0:
		return p.Name, nil
	case modRoot:
		return "main", nil
	}
	return cmdline.DirPackage(dir), nil
}
