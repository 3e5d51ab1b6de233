package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/handlergen/handlergen/internal/diag"
	"github.com/handlergen/handlergen/registry"
)

// Found is a registry in a source tree: a file whose first line is
// handlergen's header, a //go:generate directive that runs handlergen, or
// both.
type Found struct {
	Output    string   // the output file, absolute
	Dir       string   // directory handlergen runs in for it
	Args      []string // handlergen arguments, without the subcommand
	Header    bool     // the output exists and carries handlergen's header
	Directive string   // "file:line" of the go:generate directive, relative; "" if none
}

// IsPattern reports whether an input is a package pattern (./..., x/...)
// rather than a contract file, directory or glob.
func IsPattern(s string) bool { return s == "..." || strings.HasSuffix(filepath.ToSlash(s), "/...") }

// FindRegistries walks the directories the patterns name (each ending in
// "..." means recursively, like the go command, stopping at nested modules
// and skipping testdata, vendor and dot or underscore directories) and
// returns every registry found, sorted by output path.
func FindRegistries(dir string, patterns []string) ([]Found, diag.List) {
	var l diag.List
	byOut := map[string]*Found{}
	for _, p := range patterns {
		root := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(strings.TrimSuffix(filepath.ToSlash(p), "..."), "/")))
		fi, err := os.Stat(root)
		if err != nil || !fi.IsDir() {
			l.Errorf(registry.DirectoryNotFound, diag.Position{File: p}, "pattern %s: no such directory", p)
			continue
		}
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				l.Errorf(registry.PermissionDenied, diag.Position{File: relSlash(dir, path)}, "cannot read: %v", pathless(err))
				return nil
			}
			name := d.Name()
			if d.IsDir() {
				if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || exists(filepath.Join(path, "go.mod"))) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || !d.Type().IsRegular() {
				return nil
			}
			scanGoFile(dir, path, byOut, &l)
			return nil
		})
	}
	out := make([]Found, 0, len(byOut))
	for _, f := range byOut {
		out = append(out, *f)
	}
	slices.SortFunc(out, func(a, b Found) int { return strings.Compare(a.Output, b.Output) })
	return out, l
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// scanGoFile looks at a Go file's header line and its go:generate
// directives. Directives are the source of truth for how a registry is
// made; a header alone is used when no directive names the file.
func scanGoFile(base, path string, byOut map[string]*Found, l *diag.List) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Bytes()
		if line == 1 {
			if args, ok := ParseHeader(string(text)); ok {
				f := lookupFound(byOut, path)
				f.Header = true
				if f.Directive == "" {
					dir, err := headerDir(path, args)
					if err != nil {
						l.Errorf(registry.StaleOutput, diag.Position{File: relSlash(base, path), Line: 1}, "%v", err)
						delete(byOut, path)
						continue
					}
					f.Dir, f.Args = dir, args
				}
				continue
			}
		}
		if !bytes.HasPrefix(text, []byte("//go:generate ")) || !bytes.Contains(text, []byte("handlergen")) {
			continue
		}
		args, ok := directiveArgs(string(text[len("//go:generate "):]))
		if !ok {
			continue
		}
		if len(args) > 0 && args[0] == "generate" {
			args = args[1:]
		}
		dir := filepath.Dir(path)
		out := filepath.Join(dir, flagValue(args, "o", "registry_gen.go"))
		f := lookupFound(byOut, out)
		f.Dir, f.Args = dir, args
		f.Directive = fmt.Sprintf("%s:%d", relSlash(base, path), line)
	}
}

func lookupFound(byOut map[string]*Found, out string) *Found {
	f := byOut[out]
	if f == nil {
		f = &Found{Output: out}
		byOut[out] = f
	}
	return f
}

// headerDir recovers the directory a registry was generated from: the
// output path recorded with -o, taken off the end of the file's path.
func headerDir(file string, args []string) (string, error) {
	o := filepath.Clean(filepath.FromSlash(flagValue(args, "o", "registry_gen.go")))
	if filepath.IsAbs(o) || strings.HasPrefix(o, "..") {
		return "", fmt.Errorf("cannot tell which directory this registry was generated from (-o %s); add a //go:generate directive for it", filepath.ToSlash(o))
	}
	if !strings.HasSuffix(file, string(filepath.Separator)+o) {
		return "", fmt.Errorf("the header's -o %s does not name this file; regenerate it", filepath.ToSlash(o))
	}
	return strings.TrimSuffix(file, string(filepath.Separator)+o), nil
}

// flagValue returns the value of -name (or --name, -name=v) in args.
func flagValue(args []string, name, def string) string {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		n := strings.TrimLeft(a, "-")
		if n == a {
			continue
		}
		if n == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(n, name+"="); ok {
			return v
		}
	}
	return def
}

// directiveArgs finds handlergen in a go:generate command line ("go tool
// handlergen", "handlergen", "go run .../cmd/handlergen[@v]") and returns
// the arguments after it.
func directiveArgs(cmd string) ([]string, bool) {
	words, err := splitWords(cmd)
	if err != nil {
		return nil, false
	}
	for i, w := range words {
		base, _, _ := strings.Cut(w, "@")
		if base == "handlergen" || strings.HasSuffix(base, "/cmd/handlergen") {
			return words[i+1:], true
		}
	}
	return nil, false
}

const headerPrefix, headerSuffix = "// Code generated by handlergen", "; DO NOT EDIT."

// ParseHeader recognises handlergen's header line and returns the
// arguments it records.
func ParseHeader(line string) ([]string, bool) {
	line = strings.TrimRight(line, "\r")
	if !strings.HasPrefix(line, headerPrefix) || !strings.HasSuffix(line, headerSuffix) {
		return nil, false
	}
	rest := strings.TrimSuffix(strings.TrimPrefix(line, headerPrefix), headerSuffix)
	if rest != "" && rest[0] != ' ' {
		return nil, false
	}
	args, err := splitWords(rest)
	return args, err == nil
}

// quoteArg quotes an argument that would not survive splitWords as is.
func quoteArg(a string) string {
	if a == "" || strings.ContainsAny(a, " \t\"'\\;") {
		return strconv.Quote(a)
	}
	return a
}

// splitWords splits a command line on spaces, honouring double-quoted Go
// strings, as go generate does.
func splitWords(s string) ([]string, error) {
	var words []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return words, nil
		}
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return nil, err
			}
			w, _ := strconv.Unquote(q)
			words = append(words, w)
			s = s[len(q):]
			continue
		}
		i := strings.IndexAny(s, " \t")
		if i < 0 {
			i = len(s)
		}
		words = append(words, s[:i])
		s = s[i:]
	}
}
