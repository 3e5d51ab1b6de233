package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/mod/modfile"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// The go command reads its module files with a plain open and read to the
// end: a go.sum that is a named pipe blocks it forever, a go.mod linked to
// /dev/zero makes it read until memory runs out. A tree is a user's input
// (a CI gate checks whatever a change commits), so before any go command
// runs for a module or workspace, every module file it will read there is
// examined as handlergen reads any file (internal/output: never blocking,
// bounded), and a root with one that is not a regular file gets no go
// command at all: its registries fail with the file's position.
//
// The files are those of the directory the go command runs in: under a
// go.work (GOWORK honoured), the go.work, its go.work.sum and
// vendor/modules.txt, and the go.mod and go.sum of each module it uses;
// otherwise the go.mod that governs the directory (or the -modfile that
// GOFLAGS names instead), its go.sum and vendor/modules.txt. Both add the go.mod of each local (directory)
// replace target. What is a module root is the go command's rule
// (cmdline.FindUp: a go.mod or go.work that is not a directory); a file
// that does not exist is the go command's business.

// moduleFileProblem is a module file that no go command may be handed.
type moduleFileProblem struct {
	path string // absolute
	code registry.Code
	msg  string
}

// preflighted holds, for each module or workspace root of a run
// (moduleRoot), the problems of its module files; a root with any is
// blocked: no go command runs for it.
type preflighted map[string][]moduleFileProblem

// preflight examines the module files of every root that cfgs load from,
// from the directory the load would run in (loadDir), as resolveAll and
// startPrefetch group them.
func preflight(cfgs []Config) preflighted {
	pre := preflighted{}
	for _, cfg := range cfgs {
		c := cfg
		if c.defaults() != nil {
			continue // prepare reports it
		}
		root := modtree.Root(c.Dir)
		if _, done := pre[root]; done {
			continue
		}
		pre[root] = checkModuleFiles(loadDir(&c, root))
	}
	return pre
}

// blocked reports whether no go command may run for root.
func (pre preflighted) blocked(root string) bool { return len(pre[root]) > 0 }

// report adds the problems of j's root to j's diagnostics, positioned
// relative to j's directory as the other diagnostics of a job are.
func (pre preflighted) report(j *job) {
	for _, p := range pre[modtree.Root(j.cfg.Dir)] {
		j.res.Diags.Errorf(p.code, diag.Position{File: pathx.Rel(j.cfg.Dir, p.path)}, "%s", p.msg)
	}
}

// checkModuleFiles returns the problems of the module files the go command
// reads when it runs in dir.
func checkModuleFiles(dir string) []moduleFileProblem {
	c := &moduleFileChecker{seen: map[string]bool{}, what: "module"}
	if work := modtree.WorkFile(dir); work != "" {
		c.what = "workspace"
		wdir := filepath.Dir(work)
		data := c.read(work)
		c.read(strings.TrimSuffix(work, ".work") + ".work.sum") // as modload names it
		c.read(filepath.Join(wdir, "vendor", "modules.txt"))
		if data == nil {
			return c.problems
		}
		wf, err := modfile.ParseWork(work, data, nil)
		if err != nil {
			return c.problems // the go command reports it, without reading further
		}
		for _, u := range wf.Use {
			m := local(wdir, u.Path)
			c.module(m, filepath.Join(m, "go.mod"))
		}
		c.replaced(wdir, wf.Replace)
		return c.problems
	}
	if gomod := modtree.FindUp(dir, "go.mod"); gomod != "" {
		mdir := filepath.Dir(gomod)
		if mf := goenv.ModFile(); mf != "" {
			// The go command reads this file, relative to where it
			// runs, and its .sum instead of go.mod and go.sum (which
			// then only marks the module's root).
			gomod = local(dir, mf)
		}
		c.module(mdir, gomod)
		c.read(filepath.Join(mdir, "vendor", "modules.txt"))
	}
	return c.problems
}

type moduleFileChecker struct {
	seen     map[string]bool
	what     string // "module" or "workspace", for messages
	problems []moduleFileProblem
}

// module examines the go.mod (or -modfile) and go.sum of the main (or a
// workspace) module in dir, and the go.mod of each local target its
// replace directives name.
func (c *moduleFileChecker) module(dir, gomod string) {
	data := c.read(gomod)
	c.read(strings.TrimSuffix(gomod, ".mod") + ".sum")
	if data == nil {
		return
	}
	// Not ParseLax, which drops replace directives.
	if f, err := modfile.Parse(gomod, data, nil); err == nil {
		c.replaced(dir, f.Replace)
	}
}

// replaced examines the go.mod of each local replacement in rs, relative
// to dir. Only a main module's replacements count (the go command ignores
// those of other modules), so their targets' own are not followed.
func (c *moduleFileChecker) replaced(dir string, rs []*modfile.Replace) {
	for _, r := range rs {
		if r.New.Version == "" {
			c.read(filepath.Join(local(dir, r.New.Path), "go.mod"))
		}
	}
}

// local is p, a path a go.mod or go.work gives, relative to dir.
func local(dir, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(dir, filepath.FromSlash(p))
}

// read reads the module file at path as output.ReadFile reads any file:
// following links, never blocking, bounded. It returns nil when the file
// is absent, was read before, or has a problem, which it records.
func (c *moduleFileChecker) read(path string) []byte {
	if c.seen[path] {
		return nil
	}
	c.seen[path] = true
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return nil
	case err != nil:
		c.add(path, registry.FileStatError, "cannot stat: %v", pathx.Pathless(err))
		return nil
	case !fi.Mode().IsRegular():
		c.notRegular(path, fi.Mode())
		return nil
	}
	data, err := output.ReadFile(path)
	var notRegular *output.NotRegularError
	var tooLarge *output.TooLargeError
	switch {
	case errors.As(err, &notRegular):
		c.notRegular(path, notRegular.Mode)
		return nil
	case errors.As(err, &tooLarge):
		c.add(path, registry.FileReadError, "larger than %d MiB, more than handlergen reads of a module file", tooLarge.Limit>>20)
		return nil
	case err != nil:
		c.add(path, registry.FileReadError, "cannot read: %v", pathx.Pathless(err))
		return nil
	}
	if data == nil {
		data = []byte{}
	}
	return data
}

func (c *moduleFileChecker) notRegular(path string, mode fs.FileMode) {
	c.add(path, registry.NotAFile, "not a regular file: it is %s, which the go command would block on, read without end or fail on", output.Kind(mode))
}

func (c *moduleFileChecker) add(path string, code registry.Code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...) + "; no go command was run for this " + c.what
	c.problems = append(c.problems, moduleFileProblem{path: path, code: code, msg: msg})
}
