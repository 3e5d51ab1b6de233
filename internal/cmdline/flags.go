// Package cmdline owns handlergen's command line: the one flag set that
// parses what a user types, renders the arguments a generated file's
// header records, and reads arguments recorded in files — headers and
// //go:generate directives, split and expanded as go generate does — and
// finds the registries of package patterns from them. No other package
// knows which flags of generate, check and list exist or which take values
// (handlergen new, which records nothing, has its own few in internal/cli).
package cmdline

import (
	"flag"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/mod/module"

	"github.com/handlergen/handlergen/contracts"
)

// The defaults of -interface, -o and -var: the handler interface, the
// output file and the registry variable used when none is given.
const (
	DefaultInterface = "github.com/handlergen/handlergen/registry.Handler"
	DefaultOutput    = "registry_gen.go"
	DefaultVar       = "Registry"
)

// Flags is a parsed command line.
type Flags struct {
	// What shapes the output, recorded in the header.
	Output, Package, Interface, Var string
	Allow                           []string // nil when -allow is not given
	Only                            []string // nil when -only is not given
	AllowAny, ForbidInit            bool
	MaxHandlers                     int
	MaxSize                         int64
	Inputs                          []string

	// What only shapes the report, or where the run starts: left out of
	// the header, so that check, generate and go generate record the same
	// arguments, and the only flags allowed with package patterns.
	Dir                              string // -C, as given
	Format, LogFormat, CorrelationID string
	Diff, Verbose                    bool

	// Shaping lists the flags given that shape the output, in order.
	Shaping []string

	fs     *flag.FlagSet
	shapes map[string]bool // names of the flags that shape the output
	args   []string
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func (f *Flags) flagSet(cmd string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("handlergen "+cmd, flag.ContinueOnError)
	// The flag package prints an error as it is, before the usage; the
	// caller prints it too, escaped, since a flag's name and value may
	// hold anything (a line break, "::"). Only the usage goes to out.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: handlergen %s [flags] [INPUT ...]\n\nflags:\n", cmd)
		fs.SetOutput(out)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	fs.StringVar(&f.Output, "o", DefaultOutput, "output `file`")
	fs.StringVar(&f.Package, "package", "", "package `name` of the output (default $GOPACKAGE, else the package in the output's directory, else its name)")
	fs.StringVar(&f.Interface, "interface", DefaultInterface, "interface every handler must implement, as `IMPORT/PATH.Name`")
	fs.StringVar(&f.Var, "var", DefaultVar, "`name` of the generated registry variable")
	fs.Var((*stringList)(&f.Allow), "allow", "also allow handler_class under `PREFIX`: its import path is PREFIX or continues it past a '/' (repeatable; adds to the default, the main module or every go.work module)")
	fs.BoolVar(&f.AllowAny, "allow-any", false, "allow handler_class in any package")
	fs.Var((*stringList)(&f.Only), "only", "allow handler_class only under `PREFIX`, by the rules of -allow (repeatable; narrows whatever admits a class: the main modules, -allow, -allow-any)")
	fs.IntVar(&f.MaxHandlers, "max-handlers", 0, "keep the first `N` contracts, sorted by path (0, the default: no limit)")
	fs.Int64Var(&f.MaxSize, "max-contract-size", contracts.DefaultMaxSize, "refuse contract files over `BYTES`")
	fs.BoolVar(&f.ForbidInit, "forbid-init", false, "make func init() in a handler package an error, not a warning")
	// Every flag defined below only shapes the report, or says where the
	// run starts.
	f.shapes = map[string]bool{}
	fs.VisitAll(func(fl *flag.Flag) { f.shapes[fl.Name] = true })
	fs.StringVar(&f.Format, "format", "", "diagnostics format: text, json, github or sarif (default text, or github when GITHUB_ACTIONS=true)")
	fs.StringVar(&f.CorrelationID, "correlation-id", "", "`UUID` tagging this run's logs and JSON report (default: a new UUIDv4)")
	fs.BoolVar(&f.Diff, "diff", false, "with check: print a unified diff of a stale file")
	fs.StringVar(&f.Dir, "C", "", "change to `DIR` before doing anything")
	fs.BoolVar(&f.Verbose, "v", false, "print a summary and timings on stderr")
	fs.StringVar(&f.LogFormat, "log-format", "text", "format of -v logs: text or json")
	return fs
}

// Parse reads a command line typed for cmd (generate, check or list). A
// -h is flag.ErrHelp, after the usage is written to usage.
func Parse(cmd string, args []string, usage io.Writer) (*Flags, error) {
	f := &Flags{args: args}
	f.fs = f.flagSet(cmd, usage)
	if err := f.fs.Parse(args); err != nil {
		return nil, err
	}
	f.fs.Visit(func(fl *flag.Flag) {
		if f.shapes[fl.Name] {
			f.Shaping = append(f.Shaping, fl.Name)
		}
	})
	f.Inputs = f.fs.Args()
	if err := f.check(cmd, args); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Flags) check(cmd string, args []string) error {
	if f.Diff && cmd != "check" {
		return fmt.Errorf("-diff is only for check")
	}
	if f.LogFormat != "text" && f.LogFormat != "json" {
		return fmt.Errorf("-log-format %q: want text or json", f.LogFormat)
	}
	if f.MaxHandlers < 0 {
		return fmt.Errorf("-max-handlers must not be negative")
	}
	if f.MaxSize <= 0 {
		return fmt.Errorf("-max-contract-size must be positive")
	}
	if f.MaxSize > contracts.MaxMaxSize {
		return fmt.Errorf("-max-contract-size %d is over the largest limit, %d bytes (1 GiB): a contract is read whole into memory", f.MaxSize, contracts.MaxMaxSize)
	}
	ifacePath, _, ok := SplitQualified(f.Interface)
	if !ok {
		return fmt.Errorf("-interface %q: want IMPORT/PATH.Name", f.Interface)
	}
	if err := module.CheckImportPath(ifacePath); err != nil {
		return fmt.Errorf("-interface %q: %v", f.Interface, err)
	}
	switch v := f.Var; {
	case !IsIdent(v):
		return fmt.Errorf("-var %q is not a Go identifier", v)
	case types.Universe.Lookup(v) != nil:
		return fmt.Errorf("-var %q would shadow the predeclared identifier %s in the whole package", v, v)
	case v == "init":
		return fmt.Errorf("-var %q: init is reserved for package initialisation functions", v)
	}
	if f.Package != "" && !IsIdent(f.Package) {
		return fmt.Errorf("-package %q is not a Go identifier", f.Package)
	}
	for _, l := range []struct {
		flag     string
		prefixes []string
	}{{"allow", f.Allow}, {"only", f.Only}} {
		for _, a := range l.prefixes {
			if strings.TrimSpace(a) == "" {
				return fmt.Errorf("-%s needs a non-empty prefix", l.flag)
			}
			// A prefix no import path can start with (a package pattern,
			// a space) would match nothing, silently; say so instead.
			p := strings.TrimSuffix(strings.TrimSuffix(a, "/"), ".")
			if err := module.CheckImportPath(p); err != nil {
				why := err.Error()
				if strings.Contains(a, "...") {
					why = fmt.Sprintf("a prefix, not a package pattern: -%s example.com/x covers every package below it", l.flag)
				}
				return fmt.Errorf("-%s %q matches no handler_class: %s", l.flag, a, why)
			}
		}
	}
	if !slices.Contains(args[:len(args)-len(f.Inputs)], "--") {
		for _, in := range f.Inputs {
			if len(in) > 1 && in[0] == '-' {
				// The flag package stops at the first input; a flag after
				// one would otherwise be searched for as a contract file.
				return fmt.Errorf("flag %s after the inputs: flags go before INPUT (use -- before an input that starts with -)", in)
			}
		}
	}
	if Patterns(f.Inputs) && len(f.Shaping) > 0 {
		where := "each registry's flags come from its go:generate line or header"
		if s := f.Shaping[0]; s == "allow" || s == "allow-any" {
			// The allowlist is part of how a registry is made, so it
			// lives with the registry, where go generate reads it too.
			where = fmt.Sprintf("a registry's allowlist belongs to that registry: add -%s to its //go:generate handlergen line (a registry without one records its flags in its header: regenerate it once with them)", s)
		}
		return fmt.Errorf("-%s cannot be combined with package patterns: %s", f.Shaping[0], where)
	}
	if Mixed(f.Inputs) {
		return fmt.Errorf("package patterns (./...) cannot be mixed with contract inputs")
	}
	return nil
}

// Recorded reads the arguments a header or a go:generate directive records
// for a generate run, with the same flag set. Package patterns are not
// among them: a registry is made from contracts.
func Recorded(args []string) (*Flags, error) {
	f, err := Parse("generate", args, io.Discard)
	if err != nil {
		return nil, err
	}
	if Patterns(f.Inputs) || Mixed(f.Inputs) {
		return nil, fmt.Errorf("recorded inputs are package patterns")
	}
	return f, nil
}

// Header returns the arguments the generated file's header records: the
// command line as given, minus the flags that only shape the report, with
// absolute paths made relative to dir, the directory the run works in, so
// that no machine's layout reaches the file. Which flags take a value is
// the flag set's to say.
func (f *Flags) Header(dir string) []string {
	var out []string
	rel := func(v string) string {
		if filepath.IsAbs(v) {
			if r, err := filepath.Rel(dir, v); err == nil {
				return filepath.ToSlash(r)
			}
			return filepath.Base(v)
		}
		return v
	}
	args := f.args
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			for _, in := range args[i:] { // the flag package stops here too
				out = append(out, rel(in))
			}
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		takesValue := !hasValue && !isBool(f.fs.Lookup(name))
		if !f.shapes[name] {
			if takesValue {
				i++
			}
			continue
		}
		if hasValue {
			a = a[:len(a)-len(value)] + rel(value)
		}
		out = append(out, a)
		if takesValue && i+1 < len(args) {
			i++
			out = append(out, rel(args[i]))
		}
	}
	return out
}

func isBool(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// RunDir is the directory a run started in dir works in: -C moves it.
func (f *Flags) RunDir(dir string) string {
	switch {
	case f.Dir == "":
		return dir
	case filepath.IsAbs(f.Dir):
		return filepath.Clean(f.Dir)
	}
	return filepath.Join(dir, f.Dir)
}

// OutputPath is the output file of a run started in dir, absolute. Its
// ".." elements are kept, for output.Resolve to take as the kernel does.
func (f *Flags) OutputPath(dir string) string {
	if filepath.IsAbs(f.Output) {
		return f.Output
	}
	return f.RunDir(dir) + string(filepath.Separator) + f.Output
}

// UsesGOPACKAGE reports whether go generate's $GOPACKAGE names the
// output's package for a run in dir (-C applied): no -package is given,
// no -C moved the run away from the directory go generate ran it in, and
// the output lies in that directory. $GOPACKAGE is data from the
// environment or a file: the caller checks that it is an identifier.
func (f *Flags) UsesGOPACKAGE(dir string) bool {
	return f.Package == "" && f.Dir == "" && filepath.Dir(filepath.Clean(f.OutputPath(dir))) == filepath.Clean(dir)
}

// DirPackage is the package name of an output in dir when neither -package
// nor a Go file of the directory gives one: the directory's name made into
// an identifier (lower case, without what an identifier cannot hold),
// "handlers" when nothing is left, with "pkg" added to a keyword.
func DirPackage(dir string) string {
	var b strings.Builder
	for _, r := range filepath.Base(dir) {
		switch {
		case unicode.IsLetter(r) || r == '_':
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsDigit(r) && b.Len() > 0:
			b.WriteRune(r)
		}
	}
	switch s := b.String(); {
	case s == "":
		return "handlers"
	case token.IsKeyword(s) || s == "_":
		return s + "pkg" // a directory named go, type or _
	default:
		return s
	}
}

// IsIdent reports whether s can name a Go package or variable: an
// identifier that is not a keyword or the blank identifier.
func IsIdent(s string) bool { return s != "_" && token.IsIdentifier(s) }

// SplitQualified splits IMPORT/PATH.Name at the last '.' after the last '/'.
func SplitQualified(s string) (path, name string, ok bool) {
	slash := strings.LastIndex(s, "/")
	dot := strings.LastIndex(s, ".")
	if dot <= slash || dot == 0 || dot == len(s)-1 {
		return "", s, false
	}
	return s[:dot], s[dot+1:], true
}

// IsPattern reports whether an input is a package pattern (./..., x/...)
// rather than a contract file, directory or glob.
func IsPattern(s string) bool { return s == "..." || strings.HasSuffix(filepath.ToSlash(s), "/...") }

// Patterns reports whether the inputs are package patterns (./...): then
// handlergen works on every registry it finds there.
func Patterns(inputs []string) bool {
	return len(inputs) > 0 && !slices.ContainsFunc(inputs, func(s string) bool { return !IsPattern(s) })
}

// Mixed reports inputs that are partly package patterns.
func Mixed(inputs []string) bool {
	return slices.ContainsFunc(inputs, IsPattern) && !Patterns(inputs)
}
