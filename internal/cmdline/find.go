package cmdline

import (
	"bytes"
	"errors"
	"fmt"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/output"
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
}

// FindRegistries walks the directories the patterns name (each ending in
// "..." means recursively, like the go command, stopping at nested modules
// that are not modules of the go.work workspace, and skipping testdata,
// vendor and dot or underscore directories) and returns every registry
// found, sorted by output path. dir is the working directory, that
// patterns and positions are relative to.
//
// Every output, and every directory a -C moves to, must lie inside the
// module whose tree holds the file that records it, symbolic links
// resolved: a registry that reaches further is an error (044), not a
// registry. A header or a directive is data a pull request can change.
func FindRegistries(dir string, patterns []string) ([]Found, diag.List) {
	var l diag.List
	s := &scan{base: dir, byOut: map[string]*Found{}, headers: map[string]header{}, scanned: map[string]bool{}, l: &l}
	work := workspaceModules(dir)
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
		root = followRoot(root)
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				l.Errorf(registry.PermissionDenied, diag.Position{File: relSlash(dir, path)}, "cannot read: %v", pathless(err))
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || nestedModule(path, work)) {
					return filepath.SkipDir
				}
				return nil
			}
			// Test files count: go generate runs their directives too.
			if !strings.HasSuffix(name, ".go") || !d.Type().IsRegular() || s.scanned[path] {
				return nil
			}
			s.scanned[path] = true
			s.file(path)
			return nil
		})
	}
	// Headers are resolved only once every directive is known: a directive
	// anywhere in the tree may name a file the walk met first, directly or
	// through a link. One file reached twice is one registry: the
	// directive's.
	made := map[string]bool{}
	for _, f := range s.byOut {
		if real, err := output.Resolve(f.raw); err == nil {
			made[real] = true
		}
	}
	for out, h := range s.headers {
		f := s.lookup(out)
		f.Header = true
		if f.Directive != "" {
			continue
		}
		if real, err := output.Resolve(out); err == nil && made[real] {
			delete(s.byOut, out)
			continue
		}
		d, flags, err := h.dir(out)
		if err != nil {
			l.Errorf(registry.StaleOutput, diag.Position{File: relSlash(dir, out), Line: 1}, "%v", err)
			delete(s.byOut, out)
			continue
		}
		f.Dir, f.Flags, f.raw, f.src = d, flags, out, out
	}
	out := make([]Found, 0, len(s.byOut))
	for _, f := range s.byOut {
		if err := contained(f); err != nil {
			pos := diag.Position{File: relSlash(dir, f.Output), Line: 1}
			if f.Directive != "" {
				pos = directivePos(f.Directive)
			}
			l.Errorf(registry.OutputWriteError, pos, "%v; recorded arguments may not reach outside the module that holds them: run handlergen with these arguments by hand if that is meant", err)
			continue
		}
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Found) int { return strings.Compare(a.Output, b.Output) })
	return out, l
}

// followRoot returns the root of a pattern's walk so that WalkDir enters
// it when it is a symbolic link to a directory (a working directory
// reached through a link, say), as the go command does; links below the
// root are not followed.
func followRoot(root string) string {
	if fi, err := os.Lstat(root); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return root + string(filepath.Separator)
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
func contained(f *Found) error {
	// From the directory that really holds the file: the path the run
	// reached it by may pass through a link whose parents are another
	// module's tree.
	src, err := filepath.EvalSymlinks(filepath.Dir(f.src))
	if err != nil {
		return fmt.Errorf("cannot resolve the module directory: %v", pathless(err))
	}
	bound := moduleRoot(src)
	f.Bound = bound
	for _, c := range []struct{ what, path string }{{"-C", f.Dir}, {"-o", f.raw}} {
		real, err := output.Resolve(c.path)
		if err != nil {
			return fmt.Errorf("%s: %v", c.what, pathless(err))
		}
		if !Within(bound, real) {
			v := f.Flags.Output
			if c.what == "-C" {
				v = f.Flags.Dir
			}
			return fmt.Errorf("%s %s leads outside the module", c.what, filepath.ToSlash(v))
		}
	}
	return nil
}

// Within reports whether path lies in the tree of dir (both resolved).
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// moduleRoot is the directory of the go.mod nearest above dir, or dir.
func moduleRoot(dir string) string {
	for d := dir; ; {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// nestedModule reports whether the walk stops at path: a directory holding
// a go.mod, unless it is a module of the workspace (as ./... from a go.work
// root covers every workspace module below it, for the go command too).
func nestedModule(path string, work map[string]bool) bool {
	if !exists(filepath.Join(path, "go.mod")) || work[path] {
		return false
	}
	real, err := filepath.EvalSymlinks(path)
	return err != nil || !work[real]
}

// workspaceModules returns the directories of the modules that the go.work
// governing dir uses (GOWORK=off and an explicit GOWORK honoured as the go
// command honours them), or nil outside a workspace.
func workspaceModules(dir string) map[string]bool {
	work := os.Getenv("GOWORK")
	if work == "off" {
		return nil
	}
	if work == "" {
		for d := dir; work == ""; {
			if fi, err := os.Stat(filepath.Join(d, "go.work")); err == nil && !fi.IsDir() {
				work = filepath.Join(d, "go.work")
			} else if parent := filepath.Dir(d); parent != d {
				d = parent
			} else {
				return nil
			}
		}
	}
	data, err := output.ReadFile(work)
	if err != nil {
		return nil
	}
	wf, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return nil
	}
	mods := map[string]bool{}
	for _, u := range wf.Use {
		p := filepath.FromSlash(u.Path)
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(work), p)
		}
		mods[filepath.Clean(p)] = true
		if real, err := filepath.EvalSymlinks(p); err == nil {
			mods[real] = true
		}
	}
	return mods
}

// NestedModules lists, relative to dir and sorted, the directories with a
// go.mod that the walk of FindRegistries over patterns does not enter
// because they are not workspace modules: the reason, when it finds
// nothing, that it found nothing.
func NestedModules(dir string, patterns []string) []string {
	work := workspaceModules(dir)
	var out []string
	for _, p := range patterns {
		root := filepath.FromSlash(strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(p), "..."), "/"))
		if !filepath.IsAbs(root) {
			root = filepath.Join(dir, root)
		}
		root = followRoot(root)
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() || path == root {
				return nil
			}
			name := d.Name()
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if nestedModule(path, work) {
				out = append(out, relSlash(dir, path))
				return filepath.SkipDir
			}
			return nil
		})
	}
	slices.Sort(out)
	return slices.Compact(out)
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
	l       *diag.List
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
		s.l.Errorf(registry.FileReadError, diag.Position{File: relSlash(s.base, path)}, "cannot read: %v", pathless(err))
		return
	}
	var hdr *header
	if first, _, _ := bytes.Cut(data, []byte("\n")); len(first) > 0 {
		if args, ok, err := ParseHeader(string(first)); ok {
			hdr = &header{args, err}
		}
	}
	hasDirectives := bytes.Contains(data, []byte("//go:generate"))
	if hdr == nil && !hasDirectives {
		return
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
		return // no build reads it
	}
	if hdr != nil {
		s.headers[path] = *hdr
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
		pos := fmt.Sprintf("%s:%d", relSlash(s.base, path), d.Line)
		if d.Err != nil {
			s.l.Errorf(registry.StaleOutput, directivePos(pos), "cannot use the handlergen arguments %q of this directive: %v", d.Args, d.Err)
			continue
		}
		raw := d.Flags.OutputPath(dir)
		found := s.lookup(filepath.Clean(raw))
		found.Dir, found.Flags, found.Package, found.raw, found.src = d.Flags.RunDir(dir), d.Flags, pkg, raw, path
		found.Directive = pos
	}
}

// relSlash makes p relative to dir and slash-separated; paths that cannot
// be made relative are returned with only their base name, so an absolute
// path never reaches a message.
func relSlash(dir, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(filepath.Clean(p))
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return filepath.Base(p)
	}
	return filepath.ToSlash(rel)
}

// pathless strips the path from an *os.PathError: messages carry the
// relative path as their position.
func pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
