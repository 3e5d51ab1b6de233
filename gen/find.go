package gen

import (
	"bytes"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/registry"
)

// Found is a registry in a source tree: a file whose first line is
// handlergen's header, a //go:generate directive that runs handlergen, or
// both.
type Found struct {
	Output    string   // the output file, absolute
	Dir       string   // directory handlergen runs in for it
	Args      []string // handlergen arguments, without the subcommand
	Header    bool     // the output exists and carries handlergen's header
	Directive string   // "file:line" of the go:generate directive, relative; "" if none
	Package   string   // the directive file's package clause: go generate's $GOPACKAGE
}

// IsPattern reports whether an input is a package pattern (./..., x/...)
// rather than a contract file, directory or glob.
func IsPattern(s string) bool { return s == "..." || strings.HasSuffix(filepath.ToSlash(s), "/...") }

// FindRegistries walks the directories the patterns name (each ending in
// "..." means recursively, like the go command, stopping at nested modules
// and skipping testdata, vendor and dot or underscore directories) and
// returns every registry found, sorted by output path.
func FindRegistries(dir string, patterns []string) ([]Found, diag.List) {
	var l diag.List
	byOut := map[string]*Found{}
	headers := map[string]header{} // output file → recorded arguments
	scanned := map[string]bool{}   // overlapping patterns visit files twice
	for _, p := range patterns {
		root := filepath.FromSlash(strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(p), "..."), "/"))
		if !filepath.IsAbs(root) {
			root = filepath.Join(dir, root)
		}
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			l.Errorf(registry.DirectoryNotFound, diag.Position{File: p}, "pattern %s: no such directory", p)
			continue
		}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				l.Errorf(registry.PermissionDenied, diag.Position{File: relSlash(dir, path)}, "cannot read: %v", pathless(err))
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || exists(filepath.Join(path, "go.mod"))) {
					return filepath.SkipDir
				}
				return nil
			}
			// Test files count: go generate runs their directives too.
			if !strings.HasSuffix(name, ".go") || !d.Type().IsRegular() || scanned[path] {
				return nil
			}
			scanned[path] = true
			scanGoFile(dir, path, byOut, headers)
			return nil
		})
	}
	// Headers are resolved only once every directive is known: a directive
	// anywhere in the tree may name a file the walk met first.
	for out, h := range headers {
		f := lookupFound(byOut, out)
		f.Header = true
		if f.Directive != "" {
			continue
		}
		d, err := h.dir(out)
		if err != nil {
			l.Errorf(registry.StaleOutput, diag.Position{File: relSlash(dir, out), Line: 1}, "%v", err)
			delete(byOut, out)
			continue
		}
		f.Dir, f.Args = d, h.args
	}
	// One file reached twice — a directive's output that is a link to a
	// file the walk met by its header — is one registry: the directive's.
	byReal := map[string]*Found{}
	for _, f := range byOut {
		real, err := filepath.EvalSymlinks(f.Output)
		if err != nil {
			continue // not written yet
		}
		if g, ok := byReal[real]; ok {
			if g.Directive == "" {
				g, f = f, g
				byReal[real] = g
			}
			if f.Directive == "" {
				delete(byOut, f.Output)
			}
			continue
		}
		byReal[real] = f
	}
	out := make([]Found, 0, len(byOut))
	for _, f := range byOut {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Found) int { return strings.Compare(a.Output, b.Output) })
	return out, l
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// generateContext is the build context go generate uses: the default one
// with the "generate" build tag set.
var generateContext = func() build.Context {
	c := build.Default
	c.BuildTags = append(slices.Clone(c.BuildTags), "generate")
	return c
}()

// header is what a registry's first line records.
type header struct {
	args []string
	err  error // the line is handlergen's header, but its arguments cannot be read
}

// dir recovers the directory the registry at file was generated from.
func (h header) dir(file string) (string, error) {
	if h.err != nil {
		return "", fmt.Errorf("cannot read the arguments its handlergen header records (%v); regenerate it", h.err)
	}
	return headerDir(file, h.args)
}

// scanGoFile records a Go file's handlergen header and the go:generate
// directives in it that run handlergen, directly or through a -command
// alias. Directives are the source of truth for how a registry is made; a
// header alone is used when no directive names the file. A file the build
// would not use (build constraints, another GOOS) is skipped, as go
// generate skips it.
func scanGoFile(base, path string, byOut map[string]*Found, headers map[string]header) {
	// Whole, not through a bufio.Scanner: a long line (a generated table)
	// must not end the search, as it does not for go generate.
	data, err := output.ReadFile(path)
	if err != nil {
		return
	}
	var hdr *header
	if first, _, _ := bytes.Cut(data, []byte("\n")); len(first) > 0 {
		if args, ok, err := parseHeader(string(first)); ok {
			hdr = &header{args, err}
		}
	}
	dirs := directives(data)
	if hdr == nil && len(dirs) == 0 {
		return
	}
	dir := filepath.Dir(path)
	if ok, err := generateContext.MatchFile(dir, filepath.Base(path)); err != nil || !ok {
		return
	}
	if hdr != nil {
		headers[path] = *hdr
	}
	pkg := ""
	if len(dirs) > 0 {
		if pf, err := parser.ParseFile(token.NewFileSet(), path, data, parser.PackageClauseOnly); err == nil {
			pkg = pf.Name.Name
		}
	}
	for _, d := range dirs {
		found := lookupFound(byOut, d.output(dir))
		found.Dir, found.Args, found.Package = dir, d.args, pkg
		found.Directive = fmt.Sprintf("%s:%d", relSlash(base, path), d.line)
	}
}

// directive is a go:generate line that runs handlergen to make a registry.
type directive struct {
	args []string // handlergen's arguments
	line int
}

// directives returns the handlergen directives of a Go file, reading its
// lines as go generate does: a //go:generate followed by a space or tab,
// -command aliases for the rest of the file.
func directives(data []byte) []directive {
	var (
		dirs    []directive
		aliases map[string][]string
		line    int
	)
	for raw := range bytes.Lines(data) {
		line++
		if !bytes.HasPrefix(raw, []byte("//go:generate")) {
			continue // most lines: no string made of them
		}
		rest := strings.TrimRight(string(raw[len("//go:generate"):]), "\r\n")
		if rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		words, err := splitWords(rest)
		if err != nil || len(words) == 0 {
			continue
		}
		if words[0] == "-command" {
			if len(words) > 2 {
				if aliases == nil {
					aliases = map[string][]string{}
				}
				aliases[words[1]] = words[2:]
			}
			continue
		}
		if alias, ok := aliases[words[0]]; ok {
			words = append(slices.Clone(alias), words[1:]...)
		}
		if args, ok := handlergenArgs(words); ok {
			dirs = append(dirs, directive{args, line})
		}
	}
	return dirs
}

// output is the file the directive writes when run in dir: -o, relative
// to the directory handlergen runs in, which -C moves.
func (d directive) output(dir string) string {
	run := dir
	if c := flagValue(d.args, "C", ""); c != "" {
		run = filepath.Join(dir, filepath.FromSlash(c))
		if filepath.IsAbs(c) {
			run = filepath.Clean(c)
		}
	}
	o := filepath.FromSlash(flagValue(d.args, "o", "registry_gen.go"))
	if !filepath.IsAbs(o) {
		o = filepath.Join(run, o)
	}
	return filepath.Clean(o)
}

func lookupFound(byOut map[string]*Found, out string) *Found {
	f := byOut[out]
	if f == nil {
		f = &Found{Output: out}
		byOut[out] = f
	}
	return f
}

// headerDir recovers the directory a registry was generated from: the
// output path recorded with -o, taken off the end of the file's path.
func headerDir(file string, args []string) (string, error) {
	o := filepath.Clean(filepath.FromSlash(flagValue(args, "o", "registry_gen.go")))
	if filepath.IsAbs(o) || strings.HasPrefix(o, "..") {
		return "", fmt.Errorf("cannot tell which directory this registry was generated from (-o %s); add a //go:generate directive for it", filepath.ToSlash(o))
	}
	if !strings.HasSuffix(file, string(filepath.Separator)+o) {
		return "", fmt.Errorf("the header's -o %s does not name this file; regenerate it", filepath.ToSlash(o))
	}
	return strings.TrimSuffix(file, string(filepath.Separator)+o), nil
}

// flagValue returns the value of the last -name (or --name, -name=v) in
// args, reading them as the flag package does: flags end at the first
// argument that is not one (or at --), and only the boolean flags of the
// command line stand without a value.
func flagValue(args []string, name, def string) string {
	v := def
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		n, val, hasVal := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		if !hasVal && !boolFlags[n] {
			if i+1 == len(args) {
				break
			}
			i++
			val = args[i]
		}
		if n == name {
			v = val
		}
	}
	return v
}

// boolFlags are the command line's flags that take no value.
var boolFlags = map[string]bool{"allow-any": true, "forbid-init": true, "diff": true, "v": true, "h": true, "help": true}

// handlergenArgs finds handlergen in a go:generate command line split into
// words ("go tool handlergen", "handlergen", "go run .../cmd/handlergen[@v]")
// and returns the arguments after it. handlergen must be the command — by name or path, or the package of go
// tool or go run — not merely a word of it, and the command must make a
// registry: check, list, schema and version do not.
func handlergenArgs(words []string) ([]string, bool) {
	var rest []string
	switch {
	case len(words) > 0 && isHandlergen(words[0]):
		rest = words[1:]
	case len(words) > 2 && words[0] == "go" && words[1] == "tool" && isHandlergen(words[2]):
		rest = words[3:]
	case len(words) > 2 && words[0] == "go" && words[1] == "run":
		i := 2
		for i < len(words) && strings.HasPrefix(words[i], "-") {
			i++ // build flags, as -mod=mod
		}
		if i == len(words) || !isHandlergen(words[i]) {
			return nil, false
		}
		rest = words[i+1:]
	default:
		return nil, false
	}
	if len(rest) > 0 {
		switch rest[0] {
		case "check", "list", "schema", "version", "help":
			return nil, false
		case "generate":
			rest = rest[1:]
		}
	}
	return rest, true
}

// isHandlergen reports whether a command word names handlergen: its name,
// a path to the binary, or its package path with an optional @version.
func isHandlergen(w string) bool {
	base, _, _ := strings.Cut(w, "@")
	return base == "handlergen" || strings.HasSuffix(filepath.ToSlash(base), "/handlergen")
}

const headerPrefix, headerSuffix = "// Code generated by handlergen", "; DO NOT EDIT."

// ParseHeader recognises handlergen's header line and returns the
// arguments it records.
func ParseHeader(line string) ([]string, bool) {
	args, ok, err := parseHeader(line)
	return args, ok && err == nil
}

// parseHeader reports whether line is handlergen's header, and the
// arguments it records or why they cannot be read.
func parseHeader(line string) (args []string, ok bool, err error) {
	line = strings.TrimPrefix(strings.TrimRight(line, "\r\n"), "\ufeff") // an editor's byte-order mark
	if !strings.HasPrefix(line, headerPrefix) || !strings.HasSuffix(line, headerSuffix) {
		return nil, false, nil
	}
	rest := strings.TrimSuffix(strings.TrimPrefix(line, headerPrefix), headerSuffix)
	if rest != "" && rest[0] != ' ' {
		return nil, false, nil
	}
	args, err = splitWords(rest)
	return args, true, err
}

// quoteArg quotes an argument that would not survive splitWords, or a
// one-line comment, as is.
func quoteArg(a string) string {
	if a == "" || strings.ContainsAny(a, " \t\"'\\;") || strconv.Quote(a) != `"`+a+`"` {
		return strconv.Quote(a)
	}
	return a
}

// splitWords splits a command line on spaces, honouring double-quoted Go
// strings, as go generate does.
func splitWords(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return words, nil
		}
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			w, _ := strconv.Unquote(q)
			words = append(words, w)
			s = s[len(q):]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		words = append(words, s[:i])
		s = s[i:]
	}
}
