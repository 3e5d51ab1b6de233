// Package goenv is what handlergen knows of the go command's settings
// outside its arguments: the go env file that go env -w writes, and
// GOFLAGS, from the environment or that file. gen and the scaffold hand
// go/packages its environment through Packages, which keeps a -modfile
// that GOFLAGS sets from breaking every load.
package goenv

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/internal/output"
)

// File returns the go env file the go command reads: $GOENV, else
// os.UserConfigDir()/go/env; "" when GOENV=off or there is none.
func File() string {
	f := os.Getenv("GOENV")
	if f == "" {
		if d, err := os.UserConfigDir(); err == nil {
			f = filepath.Join(d, "go", "env")
		}
	}
	if f == "off" {
		return ""
	}
	return f
}

// Var returns the value that a go env file's data sets for name, read as
// the go command reads it (cfg.readEnvFile): the last NAME=value line wins.
func Var(data []byte, name string) string {
	v := ""
	for line := range strings.Lines(string(data)) {
		if val, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), name+"="); ok {
			v = val
		}
	}
	return v
}

// Get returns the go command's setting name as it takes it (cfg.Getenv):
// the environment's value when it is not empty, else the go env file's.
// (GOROOT/go.env, which may set some too, is not read.)
func Get(name string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	if f := File(); f != "" {
		if data, err := output.ReadFile(f); err == nil {
			return Var(data, name)
		}
	}
	return ""
}

// Flags returns GOFLAGS as the go command takes it (Get), split as it
// splits it: at white space, where a field that starts with a quote runs
// to the same quote ('-tags=a b'). A quote left open, which the go command
// refuses, is split at white space: the go command then says what is wrong.
func Flags() []string {
	s := Get("GOFLAGS")
	if f, ok := splitQuoted(s); ok {
		return f
	}
	return strings.Fields(s)
}

// splitQuoted is cmd/internal/quoted.Split, which the go command splits
// GOFLAGS with.
func splitQuoted(s string) ([]string, bool) {
	var f []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return f, true
		}
		if q := s[0]; q == '"' || q == '\'' {
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return nil, false
			}
			f, s = append(f, s[1:1+i]), s[2+i:]
			continue
		}
		i := strings.IndexAny(s, " \t\n\r")
		if i < 0 {
			i = len(s)
		}
		f, s = append(f, s[:i]), s[i:]
	}
}

// joinQuoted is the inverse of splitQuoted: a field with white space, or
// none at all, is quoted, with whichever quote it does not hold.
func joinQuoted(fields []string) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		switch {
		case f != "" && !strings.ContainsAny(f, " \t\n\r"):
			out[i] = f
		case !strings.Contains(f, "'"):
			out[i] = "'" + f + "'"
		default:
			out[i] = `"` + f + `"`
		}
	}
	return strings.Join(out, " ")
}

// ModFile returns the file that a -modfile in GOFLAGS names, as given
// (relative to where the go command runs), or "".
func ModFile() string {
	_, mod := splitModFile(Flags())
	return mod
}

// splitModFile takes every -modfile out of flags and returns the others
// and the value of the last, which is the one the go command uses.
func splitModFile(flags []string) (rest []string, modfile string) {
	for _, f := range flags {
		name, val, ok := strings.Cut(f, "=")
		if ok && (name == "-modfile" || name == "--modfile") {
			modfile = val
			continue
		}
		rest = append(rest, f)
	}
	return rest, modfile
}

// Packages returns the Env and BuildFlags of a go/packages load that runs
// the go command as the user's environment would. It is that environment,
// with two changes.
//
// GOPACKAGESDRIVER is off: go/packages would otherwise hand the load to
// the driver that variable names, or to any gopackagesdriver on PATH — a
// shell set up for gopls in a Bazel workspace has one — and handlergen
// would silently read Bazel's export files, which sit at fixed paths where
// the go command's are named by their content (the verification cache
// keys on that content; see the DESIGN's "Caching"). handlergen documents
// the go command; a build farm runs handlergen action instead.
//
// A -modfile that GOFLAGS sets moves to the build flags: go/packages first
// asks the go command for its version with modules off (GO111MODULE=off,
// to be immune to errors in go.mod), and the go command refuses -modfile
// there ("build flag -modfile only valid when using modules"), so every
// load failed. The -modfile moves to the build flags, which go/packages
// leaves out of that probe and passes, after GOFLAGS, to every go list;
// GOFLAGS keeps the rest, set even when nothing is left (to a blank, which
// the go command takes as set), so that the go env file's -modfile does
// not come back.
func Packages() (env, buildFlags []string) {
	env = slices.DeleteFunc(os.Environ(), func(e string) bool {
		name, _, _ := strings.Cut(e, "=")
		return strings.EqualFold(name, "GOPACKAGESDRIVER")
	})
	env = append(env, "GOPACKAGESDRIVER=off")
	rest, mod := splitModFile(Flags())
	if mod == "" {
		return env, nil
	}
	goflags := joinQuoted(rest)
	if goflags == "" {
		goflags = " "
	}
	env = slices.DeleteFunc(env, func(e string) bool {
		name, _, _ := strings.Cut(e, "=")
		return strings.EqualFold(name, "GOFLAGS") // Windows names are case-insensitive
	})
	return append(env, "GOFLAGS="+goflags), []string{"-modfile=" + mod}
}
