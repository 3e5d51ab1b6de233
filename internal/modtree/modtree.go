// Package modtree is handlergen's one owner of the facts about a source
// tree that the go command decides: which go.mod and go.work govern a
// directory (GOWORK honoured), which modules a workspace uses, where a
// nested module starts, and which directories a package pattern's walk
// ("./...") leaves out. Contract discovery, the search for registries in
// pattern mode, the load's patterns and handlergen new all ask it, so that
// they cannot disagree with each other; its tests hold it equal to the go
// command's own answers (go list ./...) on generated trees.
//
// The rules are those of cmd/go (modload.findModuleRoot,
// findWorkspaceFile, search.MatchDirs, modload.matchPackages): a module starts where a go.mod
// that is not a directory is found through os.Stat (a link to a regular
// file counts, a dangling link does not, a directory named go.mod does
// not); a pattern's walk never follows a link to a directory and leaves
// out testdata, vendor and names starting with "." or "_" below its root,
// and what the ignore directives of its module's go.mod name (Ignore).
package modtree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"

	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
)

// FindUp returns the path of the file name in dir or the nearest directory
// above it, or "": a file for the go command is anything os.Stat finds that
// is not a directory.
func FindUp(dir, name string) string {
	for {
		if p := filepath.Join(dir, name); isFile(p) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// IsModule reports whether dir is the root of a module: it holds a go.mod
// that is not a directory, as stat (os.Stat, or a caller's view of the
// file system) sees it.
func IsModule(stat func(string) (fs.FileInfo, error), dir string) bool {
	fi, err := stat(filepath.Join(dir, "go.mod"))
	return err == nil && !fi.IsDir()
}

// ModuleRoot returns the directory of the go.mod that governs dir, or "".
func ModuleRoot(dir string) string {
	if gomod := FindUp(dir, "go.mod"); gomod != "" {
		return filepath.Dir(gomod)
	}
	return ""
}

// WorkFile returns the go.work file that governs dir, or "": GOWORK (from
// the environment or the go env file, as the go command reads it) when it
// names one, none when it is "off", else ("" or "auto") the nearest
// go.work above dir.
func WorkFile(dir string) string {
	switch w := goenv.Get("GOWORK"); w {
	case "off":
		return ""
	case "", "auto":
		return FindUp(dir, "go.work")
	default:
		if !filepath.IsAbs(w) {
			return "" // the go command refuses a relative GOWORK
		}
		return w
	}
}

// Root returns the directory of the go.work or go.mod governing dir, or
// dir itself: the tree one go command run serves, and that positions
// outside a registry's directory are named relative to.
func Root(dir string) string {
	if w := WorkFile(dir); w != "" {
		return filepath.Dir(w)
	}
	if m := ModuleRoot(dir); m != "" {
		return m
	}
	return dir
}

// workUses returns the directories a go.work file uses, absolute and
// clean, or nil when there is no such file or it cannot be read.
func workUses(work string) []string {
	if work == "" {
		return nil
	}
	data, err := output.ReadFile(work)
	if err != nil {
		return nil
	}
	wf, err := modfile.ParseWork(work, data, nil)
	if err != nil {
		return nil
	}
	out := []string{}
	for _, u := range wf.Use {
		out = append(out, local(filepath.Dir(work), u.Path))
	}
	return out
}

// GoMod returns the file that the go command, run in wd with modFile as
// its -modfile (relative to wd; "" for none), reads as the go.mod of the
// module at root: the -modfile for the main module, which holds wd (a
// workspace, where the go command refuses -modfile, has no other use for
// it), and root's go.mod for every other.
func GoMod(root, wd, modFile string) string {
	if modFile != "" && ModuleRoot(wd) == root {
		return local(wd, modFile)
	}
	return filepath.Join(root, "go.mod")
}

// MainModules maps the path of each main module of a build in dir to its
// directory: every module of the governing go.work, or the module holding
// dir, whose path a -modfile (modFile, relative to dir) declares in its
// go.mod's place.
func MainModules(dir, modFile string) map[string]string {
	mods := map[string]string{}
	for _, p := range workUses(WorkFile(dir)) {
		if mp := ModulePath(filepath.Join(p, "go.mod")); mp != "" {
			mods[mp] = p
		}
	}
	if len(mods) > 0 {
		return mods
	}
	if root := ModuleRoot(dir); root != "" {
		if mp := ModulePath(GoMod(root, dir, modFile)); mp != "" {
			mods[mp] = root
		}
	}
	return mods
}

// ModulePath returns the module path a go.mod declares, or "".
func ModulePath(gomod string) string {
	data, err := output.ReadFile(gomod)
	if err != nil {
		return ""
	}
	return modfile.ModulePath(data)
}

// ImportPath returns the import path of the package in dir, computed from
// the go.mod that governs it as the go command run in wd with modFile as
// its -modfile reads it (GoMod), or "" when dir is in no module.
func ImportPath(dir, wd, modFile string) string {
	root := ModuleRoot(dir)
	if root == "" {
		return ""
	}
	return importPath(root, ModulePath(GoMod(root, wd, modFile)), dir)
}

// importPath is the import path of the package in dir in the module at
// root whose path is mp, or "" when dir is not in root's tree.
func importPath(root, mp, dir string) string {
	rel, err := filepath.Rel(root, dir)
	if mp == "" || err != nil || !filepath.IsLocal(rel) {
		return ""
	}
	if rel == "." {
		return mp
	}
	return mp + "/" + filepath.ToSlash(rel)
}

// Module is the module whose tree holds a directory, as its go.mod
// declares it.
type Module struct {
	Dir  string        // its root: the directory of the go.mod
	File *modfile.File // the go.mod, or the -modfile in its place; File.Module is set
}

// ReadModule reads the module that governs dir: the go.mod that ModuleRoot
// finds, or modFile (a -modfile, relative to dir) in its place, read with
// output's bound and without blocking on a FIFO or device. Unlike
// ModulePath it says what is wrong, relative to dir: a go.mod that is
// there but cannot be read or parsed, or that has no module line, is an
// error, not a reason to look further up for another module.
func ReadModule(dir, modFile string) (*Module, error) {
	root := ModuleRoot(dir)
	if root == "" {
		return nil, errors.New("no go.mod in the working directory or above it: run go mod init first")
	}
	gomod := GoMod(root, dir, modFile)
	name := pathx.Rel(dir, gomod)
	data, err := output.ReadFile(gomod)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, pathx.Pathless(err))
	}
	f, err := modfile.Parse(name, data, nil) // its errors name the file
	if err != nil {
		return nil, err
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s has no module line", name)
	}
	return &Module{Dir: root, File: f}, nil
}

// ImportPath returns the import path of the package in dir, or "" when
// dir is not in the module's tree.
func (m *Module) ImportPath(dir string) string {
	return importPath(m.Dir, m.File.Module.Mod.Path, dir)
}

// SkipDir reports whether a pattern's walk leaves out a directory below
// its root by name, as the go command's does: testdata, and names starting
// with "." or "_" (which covers version control metadata).
func SkipDir(name string) bool {
	return name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// Leaf reports whether a pattern's walk visits a directory below its root
// but nothing below it: vendor, which ./... matches as a package of its
// own while excluding every path that continues past a /vendor/ element.
func Leaf(name string) bool { return name == "vendor" }

// SkipFile reports whether the go command ignores a file by its name:
// names starting with "." or "_".
func SkipFile(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// vcsDirs are the version control directories: no module zip holds them,
// and they are the one part of a checkout a pull request cannot change by
// committing files.
var vcsDirs = []string{".git", ".hg", ".svn", ".bzr"}

// IsVCS reports whether name is a version control directory, in any case
// (one directory on a case-insensitive disk).
func IsVCS(name string) bool {
	for _, v := range vcsDirs {
		if strings.EqualFold(name, v) {
			return true
		}
	}
	return false
}

// Within reports whether path lies in the tree of dir (both resolved),
// and not in its version control metadata.
func Within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return false
	}
	for _, e := range strings.Split(rel, string(filepath.Separator)) {
		if IsVCS(e) {
			return false
		}
	}
	return true
}

// Walk visits root and every directory below it that the go command's
// "root/..." pattern walks: it never follows a link to a directory below
// root (root itself is entered when it is a link), leaves out what SkipDir
// names and what the ignore directives of the module whose tree it walks
// name (PatternIgnore), enters no further than a Leaf and stops at nested
// modules. fn gets each directory with its entries and the directories
// among them that the walk does not enter because each starts another
// module; a directory that cannot be read is passed to fn with err set.
// When root itself is ignored fn is never called.
func Walk(root string, fn func(dir string, entries []fs.DirEntry, nested []string, err error)) {
	modRoot, ig := PatternIgnore(root)
	w := walker{ig: ig, fn: fn}
	rel := "" // outside the module: nothing is ignored
	if modRoot != "" {
		rel = inDir(root, modRoot)
	}
	if ig.Match(rel) {
		return
	}
	w.walk(root, rel, true)
}

// WalkModule is Walk for an import path pattern's walk ("mod/...") of the
// main module at root, whose go.mod the go command reads from gomod (GoMod:
// a -modfile in its place counts): the ignore directives are gomod's, and
// never leave out root itself. gomod "" reads none.
func WalkModule(root, gomod string, fn func(dir string, entries []fs.DirEntry, nested []string, err error)) {
	w := walker{fn: fn}
	if gomod != "" {
		w.ig = ReadIgnore(gomod)
	}
	w.walk(root, ".", true)
}

type walker struct {
	ig *Ignore
	fn func(string, []fs.DirEntry, []string, error)
}

// walk visits dir, at rel (slash-separated; "" for none) in the module
// whose ignore directives w.ig holds.
func (w *walker) walk(dir, rel string, top bool) {
	entries, err := os.ReadDir(dir)
	type child struct{ dir, rel string }
	var enter []child
	var nested []string
	if top || !Leaf(filepath.Base(dir)) {
		for _, e := range entries {
			if !e.IsDir() || SkipDir(e.Name()) {
				continue
			}
			c := child{filepath.Join(dir, e.Name()), ""}
			if rel != "" {
				c.rel = path.Join(rel, e.Name())
			}
			// The go command asks about ignore before it looks for a go.mod.
			if w.ig.Match(c.rel) {
				continue
			}
			if IsModule(os.Stat, c.dir) {
				nested = append(nested, c.dir)
			} else {
				enter = append(enter, c)
			}
		}
	}
	w.fn(dir, entries, nested, err)
	for _, c := range enter {
		w.walk(c.dir, c.rel, false)
	}
}

// Ignore is the rule of a go.mod's ignore directives, as the go command
// (search.IgnorePatterns) applies them to a pattern's walk: a path
// starting with "./" names that path relative to the module's root and
// everything below it; any other path names a directory of that path at
// any depth ("x" leaves out a/x and x/b, not ax; "a/x" leaves out a/x
// and b/a/x). Paths are compared as written, with no cleaning: "../x"
// and "./a/../x" name nothing, "." and "./" name the root and so the
// whole module. The nil *Ignore leaves out nothing.
type Ignore struct {
	relative, any []string // normalized: "/path/"
}

// NewIgnore returns the rule of the ignore directives' paths.
func NewIgnore(paths []string) *Ignore {
	ig := &Ignore{}
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, "./"); ok {
			ig.relative = append(ig.relative, slashed(rest))
		} else {
			ig.any = append(ig.any, slashed(p))
		}
	}
	return ig
}

// ReadIgnore returns the rule of the ignore directives of the go.mod file
// gomod, or nil when it cannot be read or parsed (the go command's rule
// then leaves nothing out, and its load reports the file).
func ReadIgnore(gomod string) *Ignore {
	data, err := output.ReadFile(gomod)
	if err != nil {
		return nil
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil
	}
	var paths []string
	for _, i := range f.Ignore {
		paths = append(paths, i.Path)
	}
	return NewIgnore(paths)
}

// Match reports whether the rule leaves out the directory at rel, a path
// relative to the module's root ("." for the root itself; "", for a
// directory outside the module, is never left out).
func (ig *Ignore) Match(rel string) bool {
	if ig == nil || rel == "" {
		return false
	}
	rel = slashed(rel)
	for _, p := range ig.relative {
		if strings.HasPrefix(rel, p) {
			return true
		}
	}
	for _, p := range ig.any {
		if strings.Contains(rel, p) {
			return true
		}
	}
	return false
}

// slashed is p with forward slashes and one at each end, as the go
// command's normalizePath makes it.
func slashed(p string) string {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// PatternIgnore returns the root of the module whose ignore directives
// the go command applies to a "dir/..." pattern's walk, and their rule,
// or "" and nil. That is the go.mod of the module that holds dir (never a
// -modfile: the go command's directory walk reads go.mod itself); in a
// go.work workspace, the go.mod of the last module in the go.work's use
// order whose root lies lexically above dir or is dir, the go command's
// choice, which is the innermost when go.work lists a module before the
// modules nested in it.
func PatternIgnore(dir string) (string, *Ignore) {
	modRoot := ""
	if work := WorkFile(dir); work != "" {
		for _, u := range workUses(work) {
			if inDirLex(dir, u) != "" {
				modRoot = u
			}
		}
	}
	if modRoot == "" {
		modRoot = ModuleRoot(dir)
	}
	if modRoot == "" {
		return "", nil
	}
	return modRoot, ReadIgnore(filepath.Join(modRoot, "go.mod"))
}

// inDir is the path of p relative to dir, slash-separated, when p is dir
// or below it, links resolved if lexically it is not (as the go command's
// search.InDir); "." for dir itself, "" when p is outside dir.
func inDir(p, dir string) string {
	if r := inDirLex(p, dir); r != "" {
		return r
	}
	rp, errp := filepath.EvalSymlinks(p)
	rd, errd := filepath.EvalSymlinks(dir)
	switch {
	case errp == nil && errd == nil:
		for _, pair := range [][2]string{{rp, dir}, {p, rd}, {rp, rd}} {
			if r := inDirLex(pair[0], pair[1]); r != "" {
				return r
			}
		}
	case errp == nil:
		return inDirLex(rp, dir)
	case errd == nil:
		return inDirLex(p, rd)
	}
	return ""
}

// inDirLex is inDir without resolving links.
func inDirLex(p, dir string) string {
	r, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(p))
	if err != nil || !filepath.IsLocal(r) && r != "." {
		return ""
	}
	return filepath.ToSlash(r)
}

// Roots returns the directories a "root/..." pattern's walk starts from.
// That is root itself, except at the root of a go.work workspace outside
// any of its modules, where the go command refuses "./..." and handlergen
// walks every workspace module below root instead, each as its own root.
func Roots(root string) []string {
	if ModuleRoot(root) != "" {
		return []string{root}
	}
	uses := workUses(WorkFile(root))
	if uses == nil {
		return []string{root}
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		real = root
	}
	var out []string
	for _, u := range uses {
		ur, err := filepath.EvalSymlinks(u)
		if err != nil || !IsModule(os.Stat, ur) {
			continue
		}
		if rel, err := filepath.Rel(real, ur); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			out = append(out, filepath.Join(root, rel))
		}
	}
	return out
}

// ModuleFiles walks the module files a go command run in dir reads, as
// it finds them: under a go.work (GOWORK honoured) the go.work, its
// go.work.sum and vendor/modules.txt, and the go.mod and go.sum of each
// module it uses; otherwise the go.mod that governs dir (or modFile, a
// -modfile relative to dir, in its place) with its .sum and the module's
// vendor/modules.txt; in both, the go.mod of each local (directory)
// replace target of the go.work and of the main modules. read is called
// once per path and returns the file's content, or nil when it is absent
// or cannot be used, which ends the walk below that file. used, when not
// nil, is told each local module the build uses besides the one dir is in:
// its directory, cleaned and absolute, and why.
func ModuleFiles(dir, modFile string, read func(path string) []byte, used func(moduleDir, why string)) {
	seen := map[string]bool{}
	once := func(p string) []byte {
		if seen[p] {
			return nil
		}
		seen[p] = true
		return read(p)
	}
	if used == nil {
		used = func(string, string) {}
	}
	replaced := func(file string, rs []*modfile.Replace) {
		for _, r := range rs {
			if r.New.Version != "" {
				continue // a module version, not a directory
			}
			d := local(filepath.Dir(file), r.New.Path)
			used(d, filepath.Base(file)+" replaces "+r.Old.Path+" with it")
			once(filepath.Join(d, "go.mod"))
		}
	}
	module := func(gomod string) {
		data := once(gomod)
		once(strings.TrimSuffix(gomod, ".mod") + ".sum")
		if data == nil {
			return
		}
		// Not ParseLax, which drops replace directives.
		if f, err := modfile.Parse(gomod, data, nil); err == nil {
			replaced(gomod, f.Replace)
		}
	}
	if work := WorkFile(dir); work != "" {
		wdir := filepath.Dir(work)
		data := once(work)
		once(strings.TrimSuffix(work, ".work") + ".work.sum") // as modload names it
		once(filepath.Join(wdir, "vendor", "modules.txt"))
		if data == nil {
			return
		}
		wf, err := modfile.ParseWork(work, data, nil)
		if err != nil {
			return // the go command reports it, without reading further
		}
		for _, u := range wf.Use {
			m := local(wdir, u.Path)
			used(m, "go.work uses it")
			module(filepath.Join(m, "go.mod"))
		}
		replaced(work, wf.Replace)
		return
	}
	root := ModuleRoot(dir)
	if root == "" {
		return
	}
	gomod := filepath.Join(root, "go.mod")
	if modFile != "" {
		// The go command reads this file and its .sum instead of go.mod
		// and go.sum, which then only mark the module's root.
		gomod = local(dir, modFile)
	}
	module(gomod)
	once(filepath.Join(root, "vendor", "modules.txt"))
}

// local is p, a path a go.mod or go.work gives, relative to dir.
func local(dir, p string) string {
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return filepath.Clean(p)
}

// Used maps the directory of every local module that a build in dir uses
// besides the module it is in (the other modules of its go.work, and the
// directory targets of the replace directives of the go.work and of the
// main modules), cleaned and absolute, to why it is used. modFile is a
// -modfile, as for ModuleFiles.
func Used(dir, modFile string) map[string]string {
	out := map[string]string{}
	read := func(p string) []byte {
		data, err := output.ReadFile(p)
		if err != nil {
			return nil
		}
		return data
	}
	ModuleFiles(dir, modFile, read, func(d, why string) {
		if _, ok := out[d]; !ok {
			out[d] = why
		}
	})
	return out
}
