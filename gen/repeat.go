package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/mod/modfile"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/goenv"
	"github.com/handlergen/handlergen/internal/output"
)

// A repeat check of an unchanged tree is answered from the cache, as go test
// answers a passing test whose inputs have not changed: after a check that
// found no error, the run's result is recorded under a digest of
// everything it depends on (checkKey); a later check with the same digest
// gives that result without running the go command. Any change of an input
// changes the digest, and the check runs in full. The digest lives in the
// cache, never in the generated file, which would otherwise change on
// every edit.

// checkRecord is what a clean check found, per registry.
type checkRecord struct {
	Jobs []checkedJob
}

type checkedJob struct {
	Handlers []checkedHandler
	Diags    []cachedDiag // all of the registry's diagnostics (warnings only), before rebase
	External []string
}

type checkedHandler struct {
	Todo    int // index into the job's contracts that passed preflight
	PkgName string
	Pointer bool
	Struct  bool
	Ctor    *Constructor
	GoPos   diag.Position
}

// checkKey is the digest of a check's inputs: the binary, each registry's
// configuration, contracts, preflight diagnostics and output file, the
// module trees (non-test Go files, go.mod, go.sum, go.work, vendor/modules.txt
// and the local targets of replace directives), the go command (where
// PATH finds it, where that leads, its toolchain's version and go.env) and
// the environment it reads. ok is false when some input cannot be read, and
// the check then runs in full.
func checkKey(c *cache, jobs []*job) (key, inputs [32]byte, outs []output.File, ok bool) {
	k := (&keyer{}).add(cacheFormat, "check", c.self)
	for _, j := range jobs {
		cfg := j.cfg
		k.add(cfg.Dir, cfg.Base, cfg.Output, cfg.Package, cfg.Interface, cfg.Var, strconv.FormatBool(cfg.AllowAny), strconv.FormatBool(cfg.ForbidInit),
			strconv.Itoa(cfg.MaxHandlers), strconv.FormatInt(cfg.MaxSize, 10), strings.Join(cfg.Inputs, "\x00"), strings.Join(cfg.Allow, "\x00"), strings.Join(cfg.Args, "\x00"))
		for _, ct := range j.res.Contracts {
			k.add(ct.Path, string(ct.Digest[:]))
		}
		ds, err := json.Marshal(j.res.Diags)
		if err != nil {
			return key, inputs, nil, false
		}
		k.add(string(ds), strconv.Itoa(j.res.Discovered), strings.Join(j.res.Files, "\x00"), j.r.out.path, j.r.out.name,
			strings.Join(j.r.out.decls, "\x00"), strings.Join(j.r.out.imported, "\x00"))
	}
	inputs, outs, ok = checkInputs(jobs)
	if !ok {
		return key, inputs, nil, false
	}
	k.add(string(inputs[:]))
	return k.sum(), inputs, outs, true
}

// checkInputs is the digest of the inputs of a check that the go command
// and emit read while it runs: the output files, the go command and its
// environment, and the module trees. A check records its result only if
// they are the same after it as before: one that ran on a file edited
// meanwhile must not answer for the file's earlier content.
func checkInputs(jobs []*job) (key [32]byte, outs []output.File, ok bool) {
	k := &keyer{}
	roots := map[string]bool{}
	for _, j := range jobs {
		f, err := output.Read(j.outAbs)
		if err != nil || !f.Exists {
			return key, nil, false // check reports these; let it
		}
		sum := sha256.Sum256(f.Data)
		k.add(f.Path, string(sum[:]), f.Perm.String())
		outs = append(outs, f)
		roots[moduleRoot(j.cfg.Dir)] = true
	}
	// The go command, found on PATH as go/packages finds it, and what it
	// reads from the environment. Where the path leads names the
	// toolchain too: a link on PATH may be retargeted to another
	// toolchain whose go command has the same size and time; and so does
	// the file's identity, where the system gives one, as an install
	// over the old one may keep both.
	goBin, err := exec.LookPath("go")
	if err != nil {
		return key, nil, false
	}
	realBin, err := filepath.EvalSymlinks(goBin)
	if err != nil {
		return key, nil, false
	}
	fi, err := os.Stat(realBin)
	if err != nil {
		return key, nil, false
	}
	k.add(goBin, realBin, strconv.FormatInt(fi.Size(), 10), strconv.FormatInt(fi.ModTime().UnixNano(), 10), fileIdentity(fi))
	var env []string
	for _, e := range os.Environ() {
		name, _, _ := strings.Cut(e, "=")
		if runtime.GOOS == "windows" {
			name = strings.ToUpper(name) // its names are case-insensitive: Path is PATH
		}
		if strings.HasPrefix(name, "GO") || strings.HasPrefix(name, "CGO_") || buildEnv[name] {
			env = append(env, e)
		}
	}
	slices.Sort(env)
	k.add(env...)
	// The toolchain the go command belongs to, found as it finds its
	// GOROOT (cmd/go/internal/cfg.findGOROOT): GOROOT/bin/go, or
	// GOROOT/bin/GOOS_GOARCH/go when cross-compiled. A go command outside
	// any GOROOT is a launcher (a version manager's shim, snap) that runs
	// a toolchain chosen by files the key does not read (.go-version,
	// .tool-versions, a snap's revision): the check then runs in full.
	home := ""
	for _, d := range []string{filepath.Join(realBin, "..", ".."), filepath.Join(realBin, "..", "..", "..")} {
		if fi, err := os.Stat(filepath.Join(d, "pkg", "tool")); err == nil && fi.IsDir() {
			home = d
			break
		}
	}
	if home == "" {
		return key, nil, false
	}
	// go env -w writes to this file, which the go command reads too.
	var goenvData []byte
	if file := goenv.File(); file != "" {
		data, err := output.ReadFile(file)
		if err != nil && !os.IsNotExist(err) {
			return key, nil, false
		}
		k.add(file, string(data))
		goenvData = data
	}
	// Its own defaults (GOROOT/go.env) and its version, of the GOROOT
	// that the environment or the go env file names, else of its own.
	goroot := os.Getenv("GOROOT")
	if goroot == "" {
		goroot = goenv.Var(goenvData, "GOROOT")
	}
	if goroot == "" {
		goroot = home
	}
	for _, f := range []string{"go.env", "VERSION"} {
		data, err := output.ReadFile(filepath.Join(goroot, f))
		if err != nil && !os.IsNotExist(err) {
			return key, nil, false
		}
		k.add(f, string(data))
	}
	goflags := append(strings.Fields(os.Getenv("GOFLAGS")), strings.Fields(goenv.Var(goenvData, "GOFLAGS"))...)
	var cwds []string
	for _, j := range jobs {
		cwds = append(cwds, j.cfg.Dir)
		if j.cfg.Base != "" {
			cwds = append(cwds, j.cfg.Base)
		}
	}
	slices.Sort(cwds)
	cwds = slices.Compact(cwds)
	// Files GOFLAGS names: an -overlay replaces files of the tree with
	// others, which the digest would have to follow, so a check with one
	// always runs; a -modfile is read instead of go.mod.
	for _, f := range goflags {
		name, val, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "overlay":
			return key, nil, false
		case "modfile":
			// A relative one is relative to where the go command runs:
			// a registry's directory or the run's.
			bases := cwds
			if filepath.IsAbs(val) {
				bases = []string{""}
			}
			for _, d := range bases {
				file := filepath.Join(d, val)
				for _, file := range []string{file, strings.TrimSuffix(file, ".mod") + ".sum"} {
					data, err := output.ReadFile(file)
					if err != nil && !os.IsNotExist(err) {
						return key, nil, false
					}
					k.add(file, string(data))
				}
			}
		}
	}
	// The module trees.
	var dirs []string
	for root := range roots {
		if root == "" {
			return key, nil, false
		}
		for _, d := range mainModuleDirs(root) {
			dirs = append(dirs, d)
		}
	}
	targets, ok := replaceTargets(dirs)
	if !ok {
		return key, nil, false
	}
	dirs = append(dirs, targets...)
	slices.Sort(dirs)
	dirs = slices.Compact(dirs)
	w := newTreeWalk(dirs)
	for _, d := range dirs {
		sum, ok := w.digest(d)
		if !ok {
			return key, nil, false
		}
		k.add(d, sum)
	}
	return k.sum(), outs, true
}

// buildEnv are the variables besides GO* and CGO_* that the go command
// reads (go help environment): where its configuration lives
// (os.UserConfigDir: HOME, XDG_CONFIG_HOME, APPDATA, plan9's home), the
// tools a cgo build runs, and PATH, where it finds those tools and, with
// GOTOOLCHAIN=path, the toolchain (PATHEXT: which files of it run, on
// Windows).
var buildEnv = map[string]bool{"PATH": true, "PATHEXT": true, "HOME": true, "XDG_CONFIG_HOME": true, "APPDATA": true, "home": true,
	"AR": true, "CC": true, "CXX": true, "FC": true, "PKG_CONFIG": true, "GCCGO": true, "GCCGOTOOLDIR": true, "GIT_ALLOW_PROTOCOL": true}

// replaceTargets lists the local directories that replace directives of
// the modules in dirs (and of their go.work) name. ok is false when a
// go.mod or go.work cannot be parsed: its replacements are unknown, and
// the check runs in full.
func replaceTargets(dirs []string) (out []string, ok bool) {
	add := func(base string, rs []*modfile.Replace) {
		for _, r := range rs {
			if r.New.Version == "" && (filepath.IsAbs(r.New.Path) || strings.HasPrefix(r.New.Path, ".")) {
				p := r.New.Path
				if !filepath.IsAbs(p) {
					p = filepath.Join(base, p)
				}
				out = append(out, filepath.Clean(p))
			}
		}
	}
	var works []string
	if w := os.Getenv("GOWORK"); w != "" && w != "off" {
		works = append(works, w)
	}
	for _, d := range dirs {
		gomod := filepath.Join(d, "go.mod")
		if data, err := output.ReadFile(gomod); err == nil {
			// Not ParseLax: it drops replace directives, as the go
			// command does for modules other than the main ones.
			f, err := modfile.Parse(gomod, data, nil)
			if err != nil {
				return nil, false
			}
			add(d, f.Replace)
		}
		if w := cmdline.FindUp(d, "go.work"); w != "" {
			works = append(works, w)
		}
	}
	for _, work := range works {
		if data, err := output.ReadFile(work); err == nil {
			f, err := modfile.ParseWork(work, data, nil)
			if err != nil {
				return nil, false
			}
			add(filepath.Dir(work), f.Replace)
		}
	}
	return out, true
}

// buildSource are the extensions of the other files the go command compiles
// into a package (cgo can derive Go types from C headers).
var buildSource = map[string]bool{".c": true, ".h": true, ".s": true, ".S": true, ".cc": true, ".cpp": true, ".cxx": true,
	".hh": true, ".hpp": true, ".hxx": true, ".m": true, ".f": true, ".F": true, ".for": true, ".f90": true, ".syso": true, ".swig": true, ".swigcxx": true}

// maxTreeEntries bounds the files, directories and links the digest of
// one check's module trees visits. The repeat check is only a shortcut:
// past the bound (a huge tree, or a fan-out of links a file of the
// repository made) the digest gives up and the check runs in full. A
// variable so that a test can lower it.
var maxTreeEntries = 100_000

// maxTreeBytes bounds what the digest reads, in all (each file's read is
// bounded by output.MaxSize): a fan-out of links to one large file, each
// read again, must not make every check read gigabytes. A large module's
// Go files are a few hundred megabytes at most.
var maxTreeBytes int64 = 1 << 30

// A treeWalk is the digest of one check's module trees in the making: the
// real paths that a link to a directory may lead into (the trees that are
// hashed), and what is left of the bound.
type treeWalk struct {
	within    []string
	left      int
	bytesLeft atomic.Int64
}

func newTreeWalk(dirs []string) *treeWalk {
	w := &treeWalk{left: maxTreeEntries}
	w.bytesLeft.Store(maxTreeBytes)
	for _, d := range dirs {
		if !isModule(d) {
			continue // not walked: see digest
		}
		if real, err := filepath.EvalSymlinks(d); err == nil {
			w.within = append(w.within, real)
		}
	}
	return w
}

// isModule reports whether dir has a go.mod the go command can read.
func isModule(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, "go.mod"))
	return err == nil && fi.Mode().IsRegular()
}

// inside reports whether the real path p lies in a tree that is hashed.
func (w *treeWalk) inside(p string) bool {
	for _, d := range w.within {
		if rel, err := filepath.Rel(d, p); err == nil && (rel == "." || filepath.IsLocal(rel)) {
			return true
		}
	}
	return false
}

// treeDigest hashes the tree of the module at root, with nothing else hashed.
func treeDigest(root string) (string, bool) {
	return newTreeWalk([]string{root}).digest(root)
}

// digest hashes the files of the module at root that a build reads:
// its non-test Go files (and cgo's sources) and its module files, with
// their paths, skipping nested modules and VCS directories (whose files
// are never committed). Directories named testdata or starting with . or
// _ are hashed too: only patterns with ... leave them out, and the go
// command imports a package from them by its import path. A package with a //go:embed directive may embed any file below
// its directory (hidden ones too, with all:), so all of those are hashed as
// well. Files are read GOMAXPROCS at a time.
//
// The go command finds a package by its import path through a directory
// that is a link, wherever the link leads (cmd/go leaves such links out
// only of the packages a pattern with ... matches: modload.matchPackages),
// so each link to a directory is followed, and where it leads is hashed. A
// link that leaves the trees the check hashes (the module's, the
// workspace's, local replace targets) would make the digest read what a
// committed file chooses (/, $HOME, a cycle of directories outside), so
// the digest gives up instead (ok is false), as it does past
// maxTreeEntries, and the check runs in full.
func (w *treeWalk) digest(root string) (string, bool) {
	var files []string
	for _, f := range []string{"go.mod", "go.sum", "go.work", "go.work.sum", filepath.Join("vendor", "modules.txt")} {
		files = append(files, filepath.Join(root, f))
	}
	if wk := cmdline.FindUp(root, "go.work"); wk != "" {
		files = append(files, wk, wk+".sum")
	}
	if wk := os.Getenv("GOWORK"); wk != "" && wk != "off" {
		files = append(files, wk, wk+".sum")
	}
	var links []string
	// The go command reads nothing else of a directory without a go.mod
	// (a local replace target: a build that needs it fails), so a go.mod
	// that names / or $HOME as a replacement makes no walk.
	if isModule(root) && !w.walk(root, func(p string) bool {
		name := filepath.Base(p)
		return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") || buildSource[filepath.Ext(name)]
	}, &files, &links) {
		return "", false
	}
	sums, embeds, ok := w.hashFiles(files)
	if !ok {
		return "", false
	}
	// The directories of the files that embed; each is walked once.
	var more []string
	done := map[string]bool{}
	for i, f := range files {
		if !embeds[i] || done[filepath.Dir(f)] {
			continue
		}
		done[filepath.Dir(f)] = true
		if !w.walk(filepath.Dir(f), func(string) bool { return true }, &more, &links) {
			return "", false
		}
	}
	slices.Sort(more)
	more = slices.Compact(more)
	// What can be embedded, and so whether the package builds, depends on
	// the names and kinds of the files (a link or an empty directory
	// cannot be embedded, an unreadable file cannot be read), never on
	// their content: a large asset is not read.
	for _, f := range more {
		what := "absent"
		if fi, err := os.Lstat(f); err == nil {
			what = fi.Mode().String()
		}
		files, sums = append(files, f), append(sums, sha256.Sum256([]byte(what)))
	}
	k := &keyer{}
	for i, f := range files {
		rel, _ := filepath.Rel(root, f)
		k.add(rel, string(sums[i][:]))
	}
	// Where each link leads: two links may lead to directories that are
	// hashed anyway, and the package found through one changes when it
	// leads to the other.
	for _, l := range links {
		p, real, _ := strings.Cut(l, "\x00")
		rel, _ := filepath.Rel(root, p)
		k.add("link", rel, real)
	}
	sum := k.sum()
	return string(sum[:]), true
}

// walk adds to files the files below dir that want accepts (and the
// directories, whose names it is given with a trailing separator), and to
// links each link to a directory it follows, as its path, a NUL and its
// real path; it skips nested modules and VCS directories. Each real directory is walked once, under the
// first path that reaches it (a link to an ancestor would otherwise never
// end); where the other paths lead is in links. ok is false when a link
// leaves the hashed trees, when a directory cannot be read, or past the
// bound.
func (w *treeWalk) walk(dir string, want func(string) bool, files, links *[]string) bool {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil || !w.inside(real) {
		return false
	}
	seen := map[string]bool{}
	var walk func(dir, real string) bool
	walk = func(dir, real string) bool {
		if seen[real] {
			return true
		}
		seen[real] = true
		ents, ok := w.readDir(dir)
		if !ok {
			return false
		}
		for _, d := range ents {
			name := d.Name()
			p := filepath.Join(dir, name)
			isDir, isLink := d.IsDir(), d.Type()&fs.ModeSymlink != 0
			if isLink {
				if fi, err := os.Stat(p); err == nil && fi.IsDir() {
					isDir = true
				}
			}
			if !isDir {
				if want(p) {
					*files = append(*files, p)
				}
				continue
			}
			if vcsDir[name] || exists(filepath.Join(p, "go.mod")) {
				continue
			}
			if want(p + string(filepath.Separator)) {
				// An empty directory matters to an embed pattern
				// that matches it: it cannot be embedded; nor can
				// a link.
				*files = append(*files, p)
			}
			next := filepath.Join(real, name)
			if isLink {
				if next, err = filepath.EvalSymlinks(p); err != nil || !w.inside(next) {
					return false
				}
				*links = append(*links, p+"\x00"+next)
			}
			if !walk(p, next) {
				return false
			}
		}
		return true
	}
	return walk(dir, real)
}

// readDir reads a directory's entries, sorted by name, a batch at a time,
// each counted against the bound, so that a huge directory is not read
// whole before the bound stops the walk.
func (w *treeWalk) readDir(dir string) ([]fs.DirEntry, bool) {
	f, err := openDir(dir)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var ents []fs.DirEntry
	w.left-- // the directory
	for {
		batch, err := f.ReadDir(1024)
		if w.left -= len(batch); w.left < 0 {
			return nil, false
		}
		ents = append(ents, batch...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
	}
	slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return ents, true
}

// vcsDir are the directories of version control systems' own data: the go
// command never embeds from them, and no repository's files are there (each
// system refuses to commit a path through its own directory), while
// walking one would read an object store on every check.
var vcsDir = map[string]bool{".git": true, ".hg": true, ".svn": true, ".bzr": true}

// hashFiles reads files GOMAXPROCS at a time and returns their digests,
// and which are Go files with a //go:embed directive; ok is false past
// maxTreeBytes.
func (w *treeWalk) hashFiles(files []string) (sums [][32]byte, embeds []bool, ok bool) {
	sums, embeds = make([][32]byte, len(files)), make([]bool, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				if w.bytesLeft.Load() < 0 {
					continue // over: the rest is not read
				}
				data, err := output.ReadFile(files[i]) // bounded, never blocks: a committed link may name /dev/zero or a FIFO
				w.bytesLeft.Add(-int64(len(data)))
				if err != nil {
					data = []byte("\x00" + err.Error()) // absent files count too
					if os.IsNotExist(err) {
						data = []byte("\x00absent")
					}
				}
				sums[i] = sha256.Sum256(data)
				embeds[i] = strings.HasSuffix(files[i], ".go") && bytes.Contains(data, []byte("go:embed"))
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return sums, embeds, w.bytesLeft.Load() >= 0
}

// checked is what a check found for one registry, before rebase, for the
// record; ok is false when it cannot be recorded.
func checked(j *job) (cj checkedJob, ok bool) {
	for _, h := range j.res.Handlers {
		i := slices.Index(j.todo, h.Contract)
		if i < 0 {
			return cj, false
		}
		cj.Handlers = append(cj.Handlers, checkedHandler{Todo: i, PkgName: h.PkgName, Pointer: h.Pointer, Struct: h.Struct, Ctor: h.Ctor, GoPos: h.GoPos})
	}
	v := j.r.record(nil, j.res.Diags)
	cj.Diags, cj.External = v.Diags, v.External
	return cj, true
}

// replayCheck gives each job the result a clean check recorded, and
// reports whether there was one.
func replayCheck(c *cache, key [32]byte, jobs []*job, outs []output.File) bool {
	var rec checkRecord
	if !c.get(key, &rec) || len(rec.Jobs) != len(jobs) {
		return false
	}
	for _, cj := range rec.Jobs {
		for _, h := range cj.Handlers {
			if h.Todo < 0 {
				return false
			}
		}
	}
	for i, j := range jobs {
		cj := rec.Jobs[i]
		hs := make([]*Handler, 0, len(cj.Handlers))
		for _, h := range cj.Handlers {
			if h.Todo >= len(j.todo) {
				return false
			}
			hs = append(hs, &Handler{Contract: j.todo[h.Todo], PkgName: h.PkgName, Pointer: h.Pointer, Struct: h.Struct, Ctor: h.Ctor, GoPos: h.GoPos})
		}
		j.res.Handlers = hs
		j.res.Diags = nil
		j.r.replay(nil, &verdict{Diags: cj.Diags, External: cj.External})
		f := outs[i]
		j.res.Path, j.res.OnDisk, j.res.Exists, j.res.Perm = f.Path, f.Data, f.Exists, f.Perm
		j.res.Source = f.Data // a clean check found the file up to date
	}
	cacheStats.replays.Add(1)
	return true
}
