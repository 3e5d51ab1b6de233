package gen

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/modtree"
)

// chunkLimit is the command-line length above which go/packages splits
// patterns into several go list runs (its safeArgMax, 32767-16384 bytes).
// Those runs overlap: each computes and lists the shared dependencies again,
// and on a large registry they cost several times one run. Below it the
// exact import paths are the cheapest patterns. A variable so that tests can
// make every load abbreviate.
var chunkLimit = 16000

// compactPatterns returns go list patterns that match exactly the packages
// in paths, using "P/..." for every subtree of a main module whose
// packages are all wanted, so that a large registry stays within one go
// list run. Paths outside the main modules are kept as they are, and
// nothing else is ever matched: a subtree is abbreviated only when the file
// system shows no other package in it.
func compactPatterns(dir string, paths []string) []string {
	total := 0
	for _, p := range paths {
		total += len(p) + 1
	}
	if total < chunkLimit {
		return paths
	}
	mods := modtree.MainModules(dir, goenv.ModFile())
	want := map[string]bool{}
	for _, p := range paths {
		want[p] = true
	}
	var out []string
	for mod, root := range mods {
		var mine []string
		for _, p := range paths {
			if p == mod || strings.HasPrefix(p, mod+"/") {
				mine = append(mine, p)
				delete(want, p)
			}
		}
		if len(mine) == 0 {
			continue
		}
		have := packagesUnder(root, modtree.GoMod(root, dir, goenv.ModFile()), mod)
		out = append(out, cover(mod, mine, have)...)
	}
	for p := range want {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// cover abbreviates the wanted paths under prefix. wanted and have are
// sorted; have lists every package of the module.
func cover(prefix string, wanted, have []string) []string {
	if len(wanted) == 0 {
		return nil
	}
	if w := under(wanted, prefix); slices.Equal(w, under(have, prefix)) {
		if len(w) == 1 {
			return w // one package: its path is the shorter pattern
		}
		return []string{prefix + "/..."}
	}
	var out []string
	if slices.Contains(wanted, prefix) {
		out = append(out, prefix)
	}
	// Recurse into each next path element that holds a wanted package.
	seen := map[string]bool{}
	for _, w := range under(wanted, prefix) {
		rest := strings.TrimPrefix(w, prefix+"/")
		if w == prefix || rest == w {
			continue
		}
		elem, _, _ := strings.Cut(rest, "/")
		child := prefix + "/" + elem
		if !seen[child] {
			seen[child] = true
			out = append(out, cover(child, under(wanted, child), under(have, child))...)
		}
	}
	return out
}

// under returns the paths equal to prefix or beneath it.
func under(sorted []string, prefix string) []string {
	var out []string
	for _, p := range sorted {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			out = append(out, p)
		}
	}
	return out
}

// packagesUnder lists, sorted, the import paths of the directories of the
// module at root, whose go.mod the go command reads from gomod, that hold
// a package, walking as go list's "mod/..." walks (modtree.WalkModule:
// what gomod's ignore directives name is no package of "mod/..."; gomod
// "" for every package, as though it had none).
func packagesUnder(root, gomod, mod string) []string {
	var out []string
	modtree.WalkModule(root, gomod, func(dir string, entries []fs.DirEntry, _ []string, err error) {
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || modtree.SkipFile(e.Name()) {
				continue
			}
			rel, _ := filepath.Rel(root, dir)
			if rel == "." {
				out = append(out, mod)
			} else {
				out = append(out, mod+"/"+filepath.ToSlash(rel))
			}
			return
		}
	})
	slices.Sort(out)
	return out
}
