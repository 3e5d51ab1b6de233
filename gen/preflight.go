package gen

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"

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
// The files are those modtree.ModuleFiles lists for the directory the go
// command runs in, which also owns what a module root is (the go
// command's rule: a go.mod or go.work that is not a directory); a file
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
// from the directory the load would run in, grouped as resolveAll and
// startPrefetch group them (loadAt).
func preflight(cfgs []Config) preflighted {
	pre := preflighted{}
	for _, cfg := range cfgs {
		c := cfg
		if c.defaults() != nil {
			continue // prepare reports it
		}
		root, dir := loadAt(&c)
		if _, done := pre[root]; done {
			continue
		}
		pre[root] = checkModuleFiles(dir)
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
// reads when it runs in dir, which modtree.ModuleFiles lists.
func checkModuleFiles(dir string) []moduleFileProblem {
	c := &moduleFileChecker{what: "module"}
	if modtree.WorkFile(dir) != "" {
		c.what = "workspace"
	}
	modtree.ModuleFiles(dir, goenv.ModFile(), c.read, nil)
	return c.problems
}

type moduleFileChecker struct {
	what     string // "module" or "workspace", for messages
	problems []moduleFileProblem
}

// read reads the module file at path as output.ReadFile reads any file:
// following links, never blocking, bounded. It returns nil when the file
// is absent or has a problem, which it records.
func (c *moduleFileChecker) read(path string) []byte {
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
