package contracts

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/registry"
)

// The file names a directory walk takes as contracts.
const (
	HandlerContractFile = "handler_contract.yaml"
	ContractFile        = "contract.yaml"
)

// Options configure Discover and Load.
type Options struct {
	// Dir is the base directory. Inputs and reported paths are relative to
	// it; "" means the working directory.
	Dir string
	// MaxSize is the per-file byte limit; 0 means DefaultMaxSize.
	MaxSize int64
	// MaxHandlers limits the number of contract files; 0 means no limit.
	// When more are discovered, the first MaxHandlers in sorted order are
	// kept and a HANDLER_LIMIT_REACHED warning says how many were found.
	MaxHandlers int
	// fsys is the file system; nil means osFS. Tests set it to inject
	// faults (fileSystem).
	fsys fileSystem
}

func (o Options) withDefaults() (Options, error) {
	if o.fsys == nil {
		o.fsys = osFS{}
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	// A reader reads one byte past the limit to see that a file is over
	// it; that byte must not overflow.
	o.MaxSize = min(o.MaxSize, MaxMaxSize)
	if o.Dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return o, err
		}
		o.Dir = wd
	}
	dir, err := filepath.Abs(o.Dir)
	o.Dir = dir
	return o, err
}

// Discover finds the contract files that inputs name. An input is a file
// (any name), a directory searched recursively for handler_contract.yaml and
// contract.yaml, or a glob (** allowed) whose matching files are taken
// whatever their name and whose matching directories are searched. It
// returns paths relative to opt.Dir, slash-separated, deduplicated by the
// file they resolve to (keeping the first spelling), and sorted.
//
// A directory search skips directories named .git, vendor or testdata, or
// starting with '.' or '_', or holding a go.mod (another module), below its
// root, and never follows a symbolic
// link to a directory, so it cannot leave the tree or loop. A glob matches
// literally, as Python's pathlib does: '*' matches names starting with '.'
// and no directory is skipped, though links to directories are still not
// followed; only the directories it matches are searched as above.
func Discover(inputs []string, opt Options) ([]string, diag.List) {
	files, diags := discover(inputs, opt)
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.rel
	}
	return paths, diags
}

// file is a discovered contract file.
type file struct {
	rel string // relative to Dir, slash-separated
	abs string // for the file system
	// real is abs with symbolic links resolved, when a walk knows it
	// without asking: below a resolved root, through entries that are not
	// links. "" leaves it to dedupe, which resolves it then.
	real string
}

// child is the entry e of directory f.
func (f file) child(e fs.DirEntry) file {
	name := e.Name()
	c := file{rel: path.Join(f.rel, name), abs: filepath.Join(f.abs, name)}
	if f.real != "" && e.Type()&fs.ModeSymlink == 0 {
		c.real = filepath.Join(f.real, name)
	}
	return c
}

func discover(inputs []string, opt Options) ([]file, diag.List) {
	var d discoverer
	opt, err := opt.withDefaults()
	if err != nil {
		d.diags.Errorf(registry.PermissionDenied, diag.Position{}, "cannot determine the base directory: %s", errText(err))
		return nil, d.diags
	}
	d.opt = opt
	if len(inputs) == 0 {
		d.diags.Errorf(registry.EmptyPatternsList, diag.Position{}, "patterns list cannot be empty")
		return nil, d.diags
	}
	for _, in := range inputs {
		d.input(in)
	}
	files := d.dedupe()
	slices.SortFunc(files, func(a, b file) int { return strings.Compare(a.rel, b.rel) })
	if limit := opt.MaxHandlers; limit > 0 && len(files) > limit {
		d.diags.Warnf(registry.HandlerLimitReached, diag.Position{},
			"handler limit reached: found %d contract files, using the first %d", len(files), limit)
		files = files[:limit]
	}
	d.diags.Sort()
	return files, d.diags
}

type discoverer struct {
	opt   Options
	files []file
	diags diag.List
}

// root returns the directory rel (at abs) as the root of a walk, resolved
// once so that the files found below it need no resolving of their own.
func (d *discoverer) root(rel, abs string) file {
	real, err := d.opt.fsys.EvalSymlinks(abs)
	if err != nil {
		real = "" // dedupe reports it for each file found
	}
	return file{rel: rel, abs: abs, real: real}
}

// locate returns the slash-separated path relative to Dir and the absolute
// path of name, which is relative to Dir or absolute.
func (d *discoverer) locate(name string) (rel, abs string) {
	abs = filepath.FromSlash(name)
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(d.opt.Dir, abs)
	}
	abs = filepath.Clean(abs)
	r, err := filepath.Rel(d.opt.Dir, abs)
	if err != nil {
		r = abs // another volume; nothing relative exists
	}
	return filepath.ToSlash(r), abs
}

func (d *discoverer) input(in string) {
	switch {
	case in == "":
		d.diags.Errorf(registry.InvalidGlobPattern, diag.Position{}, "invalid input: empty path")
	case strings.ContainsAny(filepath.ToSlash(in), "*?[{"):
		d.glob(filepath.ToSlash(in))
	default:
		d.path(in)
	}
}

// path handles an input without glob meta characters.
func (d *discoverer) path(in string) {
	rel, abs := d.locate(in)
	pos := diag.Position{File: rel}
	asDir := strings.HasSuffix(in, "/") || strings.HasSuffix(in, string(filepath.Separator))
	fi, err := d.opt.fsys.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist) && asDir:
		d.diags.Errorf(registry.DirectoryNotFound, pos, "no such directory")
	case errors.Is(err, fs.ErrNotExist):
		d.diags.Errorf(registry.FileNotFound, pos, "no such file or directory")
	case err != nil:
		d.diags.Errorf(registry.FileStatError, pos, "cannot stat: %s", errText(err))
	case fi.IsDir():
		d.walk(d.root(rel, abs), false)
	case asDir:
		d.diags.Errorf(registry.NotADirectory, pos, "not a directory")
	case fi.Mode().IsRegular():
		d.files = append(d.files, file{rel: rel, abs: abs})
	default:
		d.diags.Errorf(registry.NotAFile, pos, "not a regular file (%s)", fi.Mode().Type())
	}
}

// kind is what a directory entry is once file symlinks are followed.
type kind uint8

const (
	skipped kind = iota // broken link, link to a directory, device, ...
	regular
	directory
)

// classify returns the kind of entry e of the directory at abs, following
// a symbolic link only to see whether it names a regular file.
func (d *discoverer) classify(e fs.DirEntry, rel, abs string) kind {
	switch t := e.Type(); {
	case t.IsDir():
		return directory
	case t.IsRegular():
		return regular
	case t&fs.ModeSymlink == 0:
		return skipped
	}
	fi, err := d.opt.fsys.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ELOOP):
		return skipped // broken link, or a loop of links: nothing behind it
	case err != nil:
		// As the Python loader does, a link that cannot be followed in a
		// walk is a warning, not a failure of the run.
		d.diags.Warnf(registry.FileStatError, diag.Position{File: rel}, "cannot stat: %s; skipped", errText(err))
		return skipped
	case fi.Mode().IsRegular():
		return regular
	}
	return skipped // never follow a link to a directory
}

// walk searches the directory dir for contract files, leaving out below
// the directory it was asked to search (nested) what the go command's
// ./... leaves out (modtree): a directory that starts another module is
// left out because its contracts name classes of that module, which its
// own registry builds, and this one could not import.
func (d *discoverer) walk(dir file, nested bool) {
	if nested && modtree.IsModule(d.opt.fsys.Stat, dir.abs) {
		return
	}
	entries, err := d.opt.fsys.ReadDir(dir.abs)
	if err != nil {
		d.diags.Errorf(registry.PermissionDenied, diag.Position{File: dir.rel}, "cannot read directory: %s", errText(err))
		return
	}
	leaf := nested && modtree.Leaf(filepath.Base(dir.abs))
	var found []file
	for _, e := range entries {
		name := e.Name()
		c := dir.child(e)
		switch d.classify(e, c.rel, c.abs) {
		case directory:
			if !leaf && !modtree.SkipDir(name) {
				d.walk(c, true)
			}
		case regular:
			if name == HandlerContractFile || name == ContractFile {
				found = append(found, c)
			}
		}
	}
	if len(found) > 1 {
		d.ambiguous(dir.rel, found)
		return
	}
	d.files = append(d.files, found...)
}

// ambiguous reports a directory holding both contract file names. Neither
// is loaded, as in the Python loader: which one the author meant is not
// for the generator to guess.
func (d *discoverer) ambiguous(rel string, found []file) {
	dg := d.diags.Errorf(registry.AmbiguousContractConfiguration, diag.Position{File: rel},
		"ambiguous contract configuration: found both %s and %s; use only one contract file per handler directory",
		HandlerContractFile, ContractFile)
	for _, f := range found {
		dg.Related = append(dg.Related, relatedFile(f.rel))
	}
}

func relatedFile(rel string) diag.Related {
	return diag.Related{Pos: diag.Position{File: rel}, Message: "contract file"}
}

// glob expands a pattern. The file system is walked from the pattern's
// static prefix and every path matched with doublestar, rather than using
// doublestar.Glob, so that the walk goes through the fileSystem seam and follows
// the same symbolic link rules as a directory search.
func (d *discoverer) glob(pattern string) {
	if !doublestar.ValidatePattern(pattern) {
		d.diags.Errorf(registry.InvalidGlobPattern, diag.Position{}, "invalid glob pattern %q", pattern)
		return
	}
	base, rest := doublestar.SplitPattern(pattern)
	rel, abs := d.locate(base)
	nfiles, ndiags := len(d.files), len(d.diags)
	if fi, err := d.opt.fsys.Stat(abs); err == nil && fi.IsDir() {
		g := globber{d: d, pattern: rest, maxDepth: -1}
		if !strings.Contains(rest, "**") {
			// Without ** a match is at most one level per separator deep.
			g.maxDepth = strings.Count(rest, "/") + 1
		}
		g.walk(d.root(rel, abs), "", 1)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.diags.Errorf(registry.FileStatError, diag.Position{File: rel}, "cannot stat: %s", errText(err))
	}
	if len(d.files) == nfiles && len(d.diags) == ndiags {
		// A typo must not silently produce an empty registry.
		d.diags.Errorf(registry.FileNotFound, diag.Position{}, "pattern %q matched no files", pattern)
	}
}

type globber struct {
	d        *discoverer
	pattern  string // relative to the walk's root
	maxDepth int    // -1: unlimited
}

// walk matches the entries of directory dir, sub below the root.
func (g *globber) walk(dir file, sub string, depth int) {
	d := g.d
	entries, err := d.opt.fsys.ReadDir(dir.abs)
	if err != nil {
		d.diags.Errorf(registry.PermissionDenied, diag.Position{File: dir.rel}, "cannot read directory: %s", errText(err))
		return
	}
	for _, e := range entries {
		c, csub := dir.child(e), path.Join(sub, e.Name())
		k := d.classify(e, c.rel, c.abs)
		if k != skipped && doublestar.MatchUnvalidated(g.pattern, csub) {
			if k == regular {
				d.files = append(d.files, c)
			} else {
				d.walk(c, false)
			}
		}
		if k == directory && (g.maxDepth < 0 || depth < g.maxDepth) {
			g.walk(c, csub, depth+1)
		}
	}
}

// dedupe drops files already seen under another spelling, keeping the
// first. Symbolic links make two spellings name one file.
func (d *discoverer) dedupe() []file {
	spelled := make(map[string]bool)
	resolved := make(map[string]bool)
	var out []file
	for _, f := range d.files {
		if spelled[f.rel] {
			continue
		}
		spelled[f.rel] = true
		real := f.real
		if real == "" {
			var err error
			if real, err = d.opt.fsys.EvalSymlinks(f.abs); err != nil {
				d.diags.Errorf(registry.FileStatError, diag.Position{File: f.rel}, "cannot resolve symbolic links: %s", errText(err))
				continue
			}
		}
		if resolved[real] {
			continue
		}
		resolved[real] = true
		out = append(out, f)
	}
	return out
}
