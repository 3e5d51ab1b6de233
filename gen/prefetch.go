package gen

import (
	"context"
	"go/parser"
	"go/token"
	"maps"
	"strconv"

	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/output"
)

// The load does not wait for the contracts. Which packages a run loads is
// known only once every contract is parsed, but it is almost always the set
// the registry on disk already imports (its handler packages and the
// interface's), so that load starts with the run, beside the parsing, and
// is used when the contracts ask for exactly that set. When they ask for
// another, it is not used (and its go command is stopped before the run's
// own load starts, which it would only slow down), and the run loads what
// they ask for, as it would have anyway.

// prefetch is a load started before the contracts were read.
type prefetch struct {
	dir     string
	paths   map[string]bool
	ctx     context.Context
	cancel  context.CancelFunc
	claimed bool
	done    chan struct{}
	ld      *loaded
	err     error
}

type prefetcher struct {
	cancel context.CancelFunc
	loads  []*prefetch
}

// startPrefetch starts, for each module of the run (grouped as resolveAll
// groups registries), the load of the packages the registries on disk
// import. A module one of whose registries has no file yet is not
// prefetched, nor one that preflight blocked.
func startPrefetch(ctx context.Context, cfgs []Config, pre preflighted) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	pf := &prefetcher{cancel: cancel}
	byRoot := map[string]*prefetch{}
	var order []*prefetch
	skip := map[*prefetch]bool{}
	for _, cfg := range cfgs {
		c := cfg
		if c.defaults() != nil {
			return pf
		}
		root, dir := loadAt(&c)
		if pre.blocked(root) {
			continue
		}
		p := byRoot[root]
		if p == nil {
			p = &prefetch{dir: dir, paths: map[string]bool{}, done: make(chan struct{})}
			byRoot[root] = p
			order = append(order, p)
		}
		ifacePath, _, ok := cmdline.SplitQualified(c.Interface)
		imports, ok2 := registryImports(outputPath(&c))
		if !ok || !ok2 {
			skip[p] = true
			continue
		}
		p.paths[ifacePath] = true
		for _, path := range imports {
			if path != "context" && path != registryPath {
				p.paths[path] = true
			}
		}
	}
	for _, p := range order {
		if skip[p] || len(p.paths) == 0 {
			continue
		}
		p.ctx, p.cancel = context.WithCancel(ctx)
		pf.loads = append(pf.loads, p)
		go func() {
			defer close(p.done)
			p.ld, p.err = loadPackages(p.ctx, p.dir, p.paths)
		}()
	}
	return pf
}

// registryImports returns the import paths of the generated file at path.
// It reads the file as emit does (output.Read: a regular file only, never
// a device or a FIFO, and never without a size bound).
func registryImports(path string) ([]string, bool) {
	rf, err := output.Read(path)
	if err != nil || !rf.Exists {
		return nil, false
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, rf.Data, parser.ImportsOnly)
	if err != nil {
		return nil, false
	}
	var out []string
	for _, im := range f.Imports {
		p, err := strconv.Unquote(im.Path.Value)
		if err != nil {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

// claim returns the prefetched load of exactly these packages from dir,
// if one was started, for take.
func (pf *prefetcher) claim(dir string, paths map[string]bool) *prefetch {
	if pf == nil {
		return nil
	}
	for _, p := range pf.loads {
		if !p.claimed && p.dir == dir && maps.Equal(p.paths, paths) {
			p.claimed = true
			return p
		}
	}
	return nil
}

// release stops the loads nobody claimed: the contracts ask for other
// packages, and their go commands would only compete with the run's.
func (pf *prefetcher) release() {
	if pf == nil {
		return
	}
	for _, p := range pf.loads {
		if !p.claimed {
			p.cancel()
		}
	}
}

// take waits for a claimed load and returns it if it succeeded.
func (p *prefetch) take() (*loaded, bool) {
	if p == nil {
		return nil, false
	}
	<-p.done
	if p.err != nil {
		return nil, false
	}
	noteTest("prefetch used")
	return p.ld, true
}

// stop ends the loads nobody took.
func (pf *prefetcher) stop() {
	if pf != nil {
		pf.cancel()
	}
}
