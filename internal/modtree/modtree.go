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
// findWorkspaceFile, search.MatchDirs): a module starts where a go.mod
// that is not a directory is found through os.Stat (a link to a regular
// file counts, a dangling link does not, a directory named go.mod does
// not); a pattern's walk never follows a link to a directory and leaves
// out testdata, vendor and names starting with "." or "_" below its root.
package modtree

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// names, enters no further than a Leaf and stops at nested modules. fn gets
// each directory with its entries and the directories among them that the
// walk does not enter because each starts another module; a directory that
// cannot be read is passed to fn with err set.
func Walk(root string, fn func(dir string, entries []fs.DirEntry, nested []string, err error)) {
	walk(root, true, fn)
}

func walk(dir string, top bool, fn func(string, []fs.DirEntry, []string, error)) {
	entries, err := os.ReadDir(dir)
	var enter, nested []string
	if top || !Leaf(filepath.Base(dir)) {
		for _, e := range entries {
			if !e.IsDir() || SkipDir(e.Name()) {
				continue
			}
			if c := filepath.Join(dir, e.Name()); IsModule(os.Stat, c) {
				nested = append(nested, c)
			} else {
				enter = append(enter, c)
			}
		}
	}
	fn(dir, entries, nested, err)
	for _, c := range enter {
		walk(c, false, fn)
	}
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
