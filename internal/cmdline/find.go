package cmdline

import (
	"bytes"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// Found is a registry in a source tree: a file whose first line is
// handlergen's header, a //go:generate directive that runs handlergen, or
// both. Its arguments are read from a file, so they are untrusted: what
// FindRegistries returns has been kept inside the module that holds the
// file.
type Found struct {
	Output    string // the output file, absolute and clean
	Dir       string // directory handlergen runs in for it (-C applied)
	Flags     *Flags // the recorded arguments
	Header    bool   // the output exists and carries handlergen's header
	Directive string // "file:line" of the go:generate directive, relative; "" if none
	Package   string // the directive file's package clause: go generate's $GOPACKAGE

	// Bound is the module directory, resolved, that the output must stay
	// in: checked here, and again by the CLI on the path gen resolved for
	// the read and the write.
	Bound string

	raw string // the output as the recorded arguments name it, ".." kept
	src string // the file the arguments were read from

	args, words []string    // a directive's arguments, expanded and as written
	env         []expansion // what expanding them took from the environment
}

// Unexpander returns a function that rewrites text to show the directives
// (//go:generate lines) of found as written wherever it holds a value
// that expanding their words took from the environment: ${HG_TOKEN}, or
// the word that holds it, instead of the token. The CLI passes every
// message and path it prints through it, so that no environment value
// reaches a CI log (FindRegistries does the same for its own messages).
// A value is replaced wherever it occurs, also where a message shows it
// for another reason.
func Unexpander(found []Found) func(string) string {
	var env []expansion
	for _, f := range found {
		env = append(env, f.env...)
	}
	return unexpander(env)
}

// FindRegistries reads the directories the patterns name (one ending in
// "..." recursively, by modtree's walk, the go command's own; any other
// that directory alone) and returns every registry
// found, sorted by output path. dir is the working directory, that
// patterns and positions are relative to.
//
// Every output, and every directory a -C moves to, must lie inside the
// module whose tree holds the file that records it, symbolic links
// resolved: a registry that reaches further is an error (044), not a
// registry. A header or a directive is data a pull request can change.
func FindRegistries(dir string, patterns []string) ([]Found, diag.List) {
	found, _, l := Search(dir, patterns)
	return found, l
}

// Tree is what a search met besides registries, so that no one walks the
// tree again to learn it.
type Tree struct {
	// Nested are the directories below the patterns, absolute and sorted,
	// that the walk did not enter because each starts another module
	// (modtree.Walk); not the workspace modules it walked as roots.
	Nested []string
	// Contracts are the files named as contract discovery names them
	// (handler_contract.yaml, contract.yaml) in the directories walked,
	// absolute and sorted.
	Contracts []string
}

// Search is FindRegistries, which also returns what the walk met.
func Search(dir string, patterns []string) ([]Found, Tree, diag.List) {
	var l diag.List
	var tree Tree
	s := &scan{base: dir, byOut: map[string]*Found{}, headers: map[string]header{}, scanned: map[string]bool{}, claims: map[string]int{}, resolved: map[string]resolved{}, l: &l}
	for _, p := range patterns {
		root := patternRoot(dir, p)
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			l.Errorf(registry.DirectoryNotFound, diag.Position{File: p}, "pattern %s: no such directory", p)
			continue
		}
		var roots []string
		visit := func(d string, entries []fs.DirEntry, nested []string, err error) {
			if err != nil {
				l.Errorf(registry.PermissionDenied, diag.Position{File: pathx.Rel(dir, d)}, "cannot read: %v", pathx.Pathless(err))
				return
			}
			for _, n := range nested {
				if !slices.Contains(roots, n) {
					tree.Nested = append(tree.Nested, n)
				}
			}
			for _, e := range entries {
				path := filepath.Join(d, e.Name())
				if name := e.Name(); (name == contracts.HandlerContractFile || name == contracts.ContractFile) && e.Type().IsRegular() {
					tree.Contracts = append(tree.Contracts, path)
				}
				// Test files count: go generate runs their directives too.
				if !strings.HasSuffix(e.Name(), ".go") || !e.Type().IsRegular() || s.scanned[path] {
					continue
				}
				s.scanned[path] = true
				s.file(path)
			}
		}
		if !IsPattern(p) {
			// One package's directory, as go generate DIR reads it.
			entries, err := os.ReadDir(root)
			visit(root, entries, nil, err)
			continue
		}
		roots = modtree.Roots(root)
		for _, r := range roots {
			modtree.Walk(r, visit)
		}
	}
	slices.Sort(tree.Nested)
	tree.Nested = slices.Compact(tree.Nested)
	slices.Sort(tree.Contracts)
	tree.Contracts = slices.Compact(tree.Contracts)
	// Headers are resolved only once every directive is known: a directive
	// anywhere in the tree may name a file the walk met first, directly or
	// through a link. One file reached twice is one registry: the
	// directive's.
	made := map[string]bool{}
	for _, f := range s.byOut {
		if real, err := s.resolve(f.raw); err == nil {
			made[real] = true
		}
	}
	for out, h := range s.headers {
		f := s.lookup(out)
		f.Header = true
		if f.Directive != "" {
			continue
		}
		if real, err := s.resolve(out); err == nil && made[real] {
			delete(s.byOut, out)
			continue
		}
		d, flags, err := h.dir(out)
		if err != nil {
			l.Errorf(registry.StaleOutput, diag.Position{File: pathx.Rel(dir, out), Line: 1}, "%v", err)
			delete(s.byOut, out)
			continue
		}
		f.Dir, f.Flags, f.raw, f.src = d, flags, out, out
	}
	for file, line := range s.claims {
		if real, err := s.resolve(file); err == nil && made[real] {
			continue // a directive makes it: generate refuses it as not its own (044)
		}
		l.Errorf(registry.StaleOutput, diag.Position{File: pathx.Rel(dir, file), Line: line},
			"this file says it was generated by handlergen, but its first line is not handlergen's header (%s), so nothing can regenerate or check it: regenerate it, or remove the comment", HeaderHint)
	}
	out := make([]Found, 0, len(s.byOut))
	byReal := map[string]string{} // resolved output → the registry's output as named
	for _, key := range slices.Sorted(maps.Keys(s.byOut)) {
		f := s.byOut[key]
		pos := diag.Position{File: pathx.Rel(dir, f.Output), Line: 1}
		if f.Directive != "" {
			pos = directivePos(f.Directive)
		}
		if err := contained(f, s.resolve); err != nil {
			l.Errorf(registry.OutputWriteError, pos, "%v; recorded arguments may not reach outside the module that holds them: run handlergen with these arguments by hand if that is meant", err)
			continue
		}
		// Two names, one file (a linked directory): both registries would
		// write it, and check could never find both up to date.
		if real, err := s.resolve(f.raw); err == nil {
			if other, ok := byReal[real]; ok {
				l.Errorf(registry.OutputWriteError, pos, "%s is %s, through a symbolic link, which another registry makes: one file, one registry", pathx.Rel(dir, f.Output), pathx.Rel(dir, other))
				continue
			}
			byReal[real] = f.Output
		}
		out = append(out, *f)
	}
	// Whatever a directive's expansion took from the environment stays
	// out of every message: it shows as the directive writes it.
	l.Rewrite(unexpander(s.env))
	return out, tree, l
}

// patternRoot is the directory a package pattern names, absolute: its
// "..." taken off, relative to dir.
func patternRoot(dir, p string) string {
	root := filepath.FromSlash(strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(p), "..."), "/"))
	if !filepath.IsAbs(root) {
		root = filepath.Join(dir, root)
	}
	return root
}

func directivePos(fileLine string) diag.Position {
	file, line, _ := strings.Cut(fileLine, ":")
	var n int
	fmt.Sscan(line, &n)
	return diag.Position{File: file, Line: n}
}

// contained checks that a registry's output and working directory lie in
// the tree of the module whose tree holds the file that records them,
// with every symbolic link resolved as the kernel resolves it: an
// absolute path, a ".." that climbs out and a linked directory that leads
// out are alike refused.
func contained(f *Found, resolve func(string) (string, error)) error {
	// From the directory that really holds the file: the path the run
	// reached it by may pass through a link whose parents are another
	// module's tree.
	src, err := filepath.EvalSymlinks(filepath.Dir(f.src))
	if err != nil {
		return fmt.Errorf("cannot resolve the module directory: %v", pathx.Pathless(err))
	}
	bound := modtree.ModuleRoot(src)
	if bound == "" {
		bound = src
	}
	f.Bound = bound
	for _, c := range []struct{ what, path string }{{"-C", f.Dir}, {"-o", f.raw}} {
		real, err := resolve(c.path)
		if err != nil {
			return fmt.Errorf("%s: %v", c.what, pathx.Pathless(err))
		}
		if !modtree.Within(bound, real) {
			v := f.Flags.Output
			switch {
			case c.what == "-C" && f.Flags.Dir == "":
				// A header: its -o, taken off this file's path, names
				// the directory it was generated in.
				return fmt.Errorf("-o %s would have been generated from a directory outside the module", filepath.ToSlash(v))
			case c.what == "-C":
				v = f.Flags.Dir
			}
			return fmt.Errorf("%s %s leads outside the module", c.what, filepath.ToSlash(f.asWritten(v)))
		}
	}
	return nil
}

// asWritten returns a directive's flag value v as the directive writes it,
// before expansion: a message shows what the file says, not what an
// environment variable holds on this machine ($HOME/x.go, not the home
// directory; no variable's value in a CI log).
func (f *Found) asWritten(v string) string {
	for i, a := range f.args {
		if i >= len(f.words) {
			break
		}
		if a == v {
			return f.words[i]
		}
		if name, val, ok := strings.Cut(a, "="); ok && strings.HasPrefix(name, "-") && val == v {
			if _, w, ok := strings.Cut(f.words[i], "="); ok {
				return w
			}
		}
	}
	return v
}

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

// dir recovers the directory the registry at file was generated in: the
// output path recorded with -o, taken off the end of the file's path.
func (h header) dir(file string) (string, *Flags, error) {
	if h.err != nil {
		return "", nil, fmt.Errorf("cannot read the arguments its handlergen header records (%v); regenerate it", h.err)
	}
	f, err := Recorded(h.args)
	if err != nil {
		return "", nil, fmt.Errorf("cannot use the recorded handlergen arguments %q: %v", h.args, err)
	}
	if f.Dir != "" {
		// handlergen never records -C (it is how a run starts, not what it
		// makes), so this header was written by hand.
		return "", nil, fmt.Errorf("the header records -C %s, which handlergen never writes; regenerate it", f.Dir)
	}
	o := filepath.Clean(filepath.FromSlash(f.Output))
	if filepath.IsAbs(o) || o == ".." || strings.HasPrefix(o, ".."+string(filepath.Separator)) {
		return "", nil, fmt.Errorf("cannot tell which directory this registry was generated from (-o %s); add a //go:generate directive for it", filepath.ToSlash(o))
	}
	if !strings.HasSuffix(file, string(filepath.Separator)+o) {
		return "", nil, fmt.Errorf("the header's -o %s does not name this file; regenerate it", filepath.ToSlash(o))
	}
	return strings.TrimSuffix(file, string(filepath.Separator)+o), f, nil
}

type scan struct {
	base    string
	byOut   map[string]*Found
	headers map[string]header // output file → recorded arguments
	scanned map[string]bool   // overlapping patterns visit files twice
	claims  map[string]int    // file → line of a generated-code comment naming handlergen that is not its header
	env     []expansion       // what expanding every directive took from the environment
	l       *diag.List

	resolved map[string]resolved // output.Resolve's answers, by path
}

type resolved struct {
	real string
	err  error
}

// resolve is output.Resolve, once per path in a search: Resolve takes an
// Lstat of every element of the path, and a registry's output is looked
// up by its resolved path three times (made, contained, byReal). The CLI
// checks the path gen resolves for the write afresh.
func (s *scan) resolve(p string) (string, error) {
	r, ok := s.resolved[p]
	if !ok {
		r.real, r.err = output.Resolve(p)
		s.resolved[p] = r
	}
	return r.real, r.err
}

func (s *scan) lookup(out string) *Found {
	f := s.byOut[out]
	if f == nil {
		f = &Found{Output: out}
		s.byOut[out] = f
	}
	return f
}

// file records a Go file's handlergen header and the go:generate
// directives in it that run handlergen. Directives are the source of
// truth for how a registry is made; a header alone is used when no
// directive names the file. A directive in a file the build would not use
// (build constraints, another GOOS) is skipped, as go generate skips it; a
// header is not: handlergen writes no build constraint, and one added by
// hand (//go:build !generate, a _windows.go name) must not hide a
// registry that some build compiles from check ./... on another.
func (s *scan) file(path string) {
	// Whole (bounded), not through a bufio.Scanner: a long line (a
	// generated table) must not end the search, as it does not for go
	// generate.
	data, err := output.ReadFile(path)
	if err != nil {
		s.l.Errorf(registry.FileReadError, diag.Position{File: pathx.Rel(s.base, path)}, "cannot read: %v", pathx.Pathless(err))
		return
	}
	var hdr *header
	if args, ok, err := fileHeader(data); ok {
		hdr = &header{args, err} // as HasHeader: a registry with a conflict is still one
	}
	hasDirectives := bytes.Contains(data, []byte("//go:generate"))
	claim := 0
	if hdr == nil {
		claim = claimsHandlergen(data)
	}
	if hdr == nil && !hasDirectives && claim == 0 {
		return
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
		return // no build reads it
	}
	if hdr != nil {
		s.headers[path] = *hdr
	}
	if claim > 0 {
		s.claims[path] = claim
	}
	if !hasDirectives {
		return
	}
	if ok, err := generateContext.MatchFile(dir, base); err != nil || !ok {
		return
	}
	pkg := ""
	if pf, err := parser.ParseFile(token.NewFileSet(), path, data, parser.PackageClauseOnly); err == nil {
		pkg = pf.Name.Name
	}
	for _, d := range Directives(data, path, pkg) {
		s.env = append(s.env, d.env...)
		pos := fmt.Sprintf("%s:%d", pathx.Rel(s.base, path), d.Line)
		if d.Err != nil {
			s.l.Errorf(registry.StaleOutput, directivePos(pos), "cannot use the handlergen arguments %q of this directive: %v", d.Words, d.Err)
			continue
		}
		raw := d.Flags.OutputPath(dir)
		found := s.lookup(filepath.Clean(raw))
		if found.Directive != "" {
			// go generate would run both, the last one's file winning
			// silently; check ./... could compare only one.
			s.l.Errorf(registry.OutputWriteError, directivePos(pos), "the directive at %s makes %s too: one file, one directive", found.Directive, pathx.Rel(s.base, found.Output))
			continue
		}
		found.Dir, found.Flags, found.Package, found.raw, found.src = d.Flags.RunDir(dir), d.Flags, pkg, raw, path
		found.args, found.words, found.env = d.Args, d.Words, d.env
		found.Directive = pos
	}
}

// generatedComment is the comment go/ast.IsGenerated, linters and code
// review tools take to mean that a file is generated.
var generatedComment = regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`)

// claimsHandlergen returns the line of a comment before the package
// clause that marks the file as generated by handlergen in the form tools
// recognise, when the file does not start with handlergen's header: a
// header edited so that handlergen no longer reads it (a second space, no
// ";", not on the first line), on a file that reviewers and linters still
// skip as generated, would otherwise hide a registry from check ./....
// 0 when there is none.
func claimsHandlergen(data []byte) int {
	if !bytes.Contains(data, []byte("Code generated")) {
		return 0
	}
	n := 0
	for line := range bytes.Lines(data) {
		n++
		l := strings.TrimRight(string(line), "\r\n")
		if strings.HasPrefix(l, "package ") || strings.HasPrefix(l, "package\t") {
			return 0
		}
		if generatedComment.MatchString(l) && handlergenWord.MatchString(l) {
			return n
		}
	}
	return 0
}

// handlergenWord is handlergen named as the generator, by name or path,
// in any case and spacing; not another tool whose name only starts so
// (handlergen-wrapper) or that merely mentions it later in the line.
var handlergenWord = regexp.MustCompile(`(?i)^//\s*Code generated by\s+(?:\S*/)?handlergen(?:[^\w-]|$)`)
