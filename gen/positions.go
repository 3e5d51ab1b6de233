package gen

import (
	"go/build"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/modtree"
)

// compilerError extracts the first compiler message and its position from
// a package error. Errors from building export data arrive as the go
// command prints them: "# pkg" then "file:line:col: message" lines.
func (r *resolver) compilerError(p *packages.Package, e packages.Error) (diag.Position, string) {
	pos, msg := r.goPos(p, e.Pos), r.cleanMsg(e.Msg)
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		if m := compilerLine.FindStringSubmatch(line); m != nil {
			if pos.File == "" {
				pos = r.goPos(p, m[1])
			}
			return pos, m[2]
		}
		return pos, line
	}
	return pos, msg
}

// compilerLine is "file.go:line:col: message" or "file.go:line: message".
var compilerLine = regexp.MustCompile(`^(\S+\.go:\d+(?::\d+)?): (.*)$`)

// namer is the state of naming files in positions (pkgRel): where the tree
// is, and which names it gave files outside it, which the cache records
// and rebase leaves as they are.
type namer struct {
	root     string          // module or workspace root of cfg.Dir, once known (treeRoot)
	external map[string]bool // display names of files outside the tree
}

// tokenPos is a go/token position of a file of p as a diag.Position.
func (r *resolver) tokenPos(p *packages.Package, pos token.Position) diag.Position {
	if !pos.IsValid() {
		return diag.Position{}
	}
	return diag.Position{File: r.pkgRel(p, pos.Filename), Line: pos.Line, Col: pos.Column}
}

// goPos turns a go/packages position string (absolute file:line:col) into
// a relative diag.Position.
func (r *resolver) goPos(p *packages.Package, s string) diag.Position {
	if s == "" || s == "-" {
		return diag.Position{}
	}
	file, line, col := s, 0, 0
	if i := strings.LastIndex(file, ":"); i > 0 {
		if n, err := strconv.Atoi(file[i+1:]); err == nil {
			file, col = file[:i], n
			if j := strings.LastIndex(file, ":"); j > 0 {
				if n, err := strconv.Atoi(file[j+1:]); err == nil {
					file, line = file[:j], n
				} else {
					line, col = col, 0
				}
			} else {
				line, col = col, 0
			}
		}
	}
	if !filepath.IsAbs(file) && r.checking.ld != nil {
		// The go command names files relative to the directory it ran
		// in, which is one registry's of all that share the load.
		file = filepath.Join(r.checking.ld.dir, file)
	}
	return diag.Position{File: r.pkgRel(p, file), Line: line, Col: col}
}

// pkgRel names a file of package p: relative to the working directory when
// it lies in the working directory's module or workspace (so an editor or
// code-scanning upload finds it), else — GOROOT, the module cache — as
// import path and base name ("net/http/server.go"), which is the same on
// every machine.
//
// What it makes of a name depends on the name only as fileKey tells, given
// where the working directory lies in the tree (verifyKey).
func (r *resolver) pkgRel(p *packages.Package, file string) string {
	if r.cfg.Action != nil {
		return r.actionRel(p, file)
	}
	if !filepath.IsAbs(file) {
		return filepath.ToSlash(file)
	}
	if _, ok := inTree(r.treeRoot(), file); ok {
		if rel, err := filepath.Rel(r.cfg.Dir, file); err == nil {
			return filepath.ToSlash(rel)
		}
	}
	name := p.PkgPath + "/" + filepath.Base(file)
	if r.names.external == nil {
		r.names.external = map[string]bool{}
	}
	r.names.external[name] = true
	return name
}

// treeRoot is the module or workspace root of the working directory.
func (r *resolver) treeRoot() string {
	if r.names.root == "" {
		r.names.root = modtree.Root(r.cfg.Dir)
	}
	return r.names.root
}

// inTree reports whether file lies in the tree at root, and where: its
// path relative to root, without "..".
func inTree(root, file string) (string, bool) {
	rel, err := filepath.Rel(root, file)
	return rel, err == nil && filepath.IsLocal(rel)
}

// fileKey is what pkgRel makes of a file name, independent of where the
// tree at root lies: a relative name as it is, a file in the tree by its
// path there, and any other by its base name, which is all pkgRel keeps
// of it. Two names with the same fileKey get the same name from pkgRel.
func fileKey(root, file string) string {
	if !filepath.IsAbs(file) {
		return "name " + file
	}
	if rel, ok := inTree(root, file); ok {
		return "tree " + rel
	}
	return "other " + filepath.Base(file)
}

// cleanMsg makes a go command message fit a diagnostic: see cleanMsg.
func (r *resolver) cleanMsg(msg string) string {
	if a := r.cfg.Action; a != nil {
		// No go command ran: the messages are handlergen's, and name
		// the action's files under its root.
		return strings.ReplaceAll(msg, a.Root+string(filepath.Separator), "")
	}
	return cleanMsg(r.cfg.Dir, msg)
}

// cleanMsg makes a go command message fit a diagnostic. Paths in the
// module (or workspace) of dir become relative to dir — also those outside
// dir itself, as when go generate runs in a subdirectory on ../handlers —
// and files in GOROOT and the module cache are named from there, so no
// message shows an absolute path. go/packages' wrapping of a failed go
// command goes, and the go command's "to add it:" advice joins its line.
func cleanMsg(dir, msg string) string {
	root := modtree.Root(dir)
	if root == "" {
		root = dir
	}
	// The module cache and GOROOT first: either may lie inside the tree (a
	// CI cache directory), and their files are named from there anyway.
	for _, e := range [...]struct{ name, dir string }{{"$GOMODCACHE", goModCache()}, {"$GOROOT", build.Default.GOROOT}} {
		if e.dir != "" {
			msg = strings.ReplaceAll(msg, e.dir+string(filepath.Separator), e.name+"/")
		}
	}
	msg = relativize(msg, root, dir)
	msg = goCmdNoise.ReplaceAllString(msg, "")
	return goCmdAdvice.ReplaceAllString(msg, "$1: ")
}

func goModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if gp := filepath.SplitList(build.Default.GOPATH); len(gp) > 0 {
		return filepath.Join(gp[0], "pkg", "mod")
	}
	return ""
}

// pathEnd are the characters that end a path the go command prints bare.
const pathEnd = " \t\r\n:;,'\"()"

// relativize rewrites every path at or below root in msg relative to dir.
func relativize(msg, root, dir string) string {
	sep, rest := regexp.QuoteMeta(string(filepath.Separator)), `[^`+regexp.QuoteMeta(pathEnd)+`]*`
	expr := regexp.QuoteMeta(root) + `(?:` + sep + rest + `)?`
	if strings.HasSuffix(root, string(filepath.Separator)) { // the file system's root
		expr = regexp.QuoteMeta(root) + rest
	}
	re := regexp.MustCompile(expr)
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringIndex(msg, -1) {
		if m[0] > 0 && !strings.ContainsRune(pathEnd, rune(msg[m[0]-1])) ||
			m[1] < len(msg) && !strings.ContainsRune(pathEnd, rune(msg[m[1]])) {
			continue // part of a longer name that merely contains root
		}
		rel, err := filepath.Rel(dir, msg[m[0]:m[1]])
		if err != nil {
			continue
		}
		b.WriteString(msg[last:m[0]])
		b.WriteString(filepath.ToSlash(rel))
		last = m[1]
	}
	b.WriteString(msg[last:])
	return b.String()
}

var (
	// goCmdNoise is how go/packages wraps a failed go command's stderr.
	goCmdNoise = regexp.MustCompile(`err: exit status \d+: stderr: `)
	// goCmdAdvice is the go command's "...; to add it:" (or "; to add:") followed by the
	// command on an indented line of its own.
	goCmdAdvice = regexp.MustCompile(`(to \w+(?: it)?):\s*\n\s+`)
)
