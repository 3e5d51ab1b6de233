package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path"
	"path/filepath"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/scaffold"
	"github.com/handlergen/handlergen/registry"
)

const newUsage = `usage: handlergen new [-interface IMPORT/PATH.Name] [-type compute|effect|nondeterministic_compute] DIR/NAME

Writes a handler package DIR/NAME whose type implements the interface (a stub
for each method), its handler_contract.yaml, and, when the package in the
working directory has no handlergen go:generate directive, one that reads
DIR. It never replaces a file. Then go generate adds the handler to the
registry.

flags:
`

// runNew is handlergen new: flags here, the scaffold in internal/scaffold.
func runNew(e env, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("handlergen new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, newUsage)
		fs.PrintDefaults()
	}
	iface := fs.String("interface", "", "interface the handler implements, as `IMPORT/PATH.Name` (default: the one the package's registry requires, else "+cmdline.DefaultInterface+")")
	typ := fs.String("type", "compute", "the contract's handler_type: compute, effect or nondeterministic_compute")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitUsage
	}
	if fs.NArg() != 1 {
		say(stderr, "handlergen new: want one DIR/NAME, got %d arguments", fs.NArg())
		fs.Usage()
		return ExitUsage
	}
	t, err := registry.ParseType(*typ)
	if err != nil {
		say(stderr, "handlergen new: -type: %v", err)
		return ExitUsage
	}
	if _, _, ok := cmdline.SplitQualified(*iface); *iface != "" && !ok {
		say(stderr, "handlergen new: -interface %q: want IMPORT/PATH.Name", *iface)
		return ExitUsage
	}
	dir, err := e.getwd()
	if err != nil {
		say(stderr, "handlergen new: %v", err)
		return ExitUsage
	}
	s, err := scaffold.Plan(context.Background(), scaffold.Options{Dir: dir, Target: fs.Arg(0), Interface: *iface, Type: t})
	if err == nil && s.Existing != nil {
		// go generate would refuse the registry (041); say so before
		// writing, while the name is still free to choose.
		if other := declares(*s.Existing, s.Handler); other != "" {
			err = fmt.Errorf("the handler name %q is already declared by %s, a contract of the package's registry: choose another NAME", s.Handler, other)
		}
	}
	if err == nil {
		err = s.Write()
	}
	var re *scaffold.RegistriesError
	if errors.As(err, &re) {
		say(stderr, "handlergen new: %s", scaffold.RegistriesErrorText)
		diag.WriteText(stderr, re.Diags)
		return ExitError
	}
	if err != nil {
		say(stderr, "handlergen new: %v", err)
		return ExitError
	}
	for _, f := range s.Files {
		say(stdout, "created %s", f.Path)
	}
	if s.Added {
		say(stdout, "added %s", s.Directive)
	}
	readsIt := s.Existing == nil || reads(*s.Existing, dir, s.Contract)
	switch {
	case s.Existing == nil:
	case s.Existing.Directive == "":
		// go generate does not remake it; say so whether or not it reads
		// the contract.
		what := "reads " + s.Contract
		if !readsIt {
			what = "does not read " + s.Contract + ": add its directory to the inputs"
		}
		s.Notes = append(s.Notes, fmt.Sprintf("the package's registry %s has no //go:generate line, so go generate does not remake it; rerun the handlergen command its first line records, which %s, or add a //go:generate line with it", s.Directive, what))
	case !readsIt:
		s.Notes = append(s.Notes, fmt.Sprintf("the package's registry is made by the directive at %s, which does not read %s: add its directory to the directive's inputs", s.Directive, s.Contract))
	}
	for _, n := range s.Notes {
		say(stderr, "handlergen new: note: %s", n)
	}
	// The next step is what registers the handler, and only once the
	// registry reads its contract.
	first := ""
	if !readsIt {
		first = "add " + path.Dir(s.Contract) + " to the registry's inputs (see the note); then "
	}
	if s.Existing != nil && s.Existing.Directive == "" {
		say(stdout, "next: %sthe handlergen command %s records registers %q (%s)", first, s.Directive, s.Handler, s.Class)
		return ExitOK
	}
	say(stdout, "next: %sgo generate ./... registers %q (%s)", first, s.Handler, s.Class)
	return ExitOK
}

// reads reports whether the registry f would read the contract at path
// (relative to dir): its recorded arguments, parsed by the flag set that
// parses a command line, name inputs that discover it.
func reads(f cmdline.Found, dir, path string) bool {
	cfg := ConfigOf(f.Flags, f.Dir)
	inputs := cfg.Inputs
	if len(inputs) == 0 {
		inputs = []string{"."}
	}
	found, _ := contracts.Discover(inputs, contracts.Options{Dir: cfg.Dir})
	want := filepath.Join(dir, filepath.FromSlash(path))
	for _, p := range found {
		if filepath.Join(cfg.Dir, filepath.FromSlash(p)) == want {
			return true
		}
	}
	return false
}

// declares returns the path (relative to the registry's directory) of a
// contract of the registry f that declares the handler name, or "".
func declares(f cmdline.Found, name string) string {
	cfg := ConfigOf(f.Flags, f.Dir)
	inputs := cfg.Inputs
	if len(inputs) == 0 {
		inputs = []string{"."}
	}
	cs, _ := contracts.Load(inputs, contracts.Options{Dir: cfg.Dir})
	for _, c := range cs {
		if c.Name == name {
			return c.Path
		}
	}
	return ""
}
