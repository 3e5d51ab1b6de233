package gen

import (
	"fmt"
	"go/token"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/internal/cmdline"
)

// allowlist decides which handler_class values may be loaded. It is checked
// before anything is loaded, so a contract naming a package outside it costs
// nothing and runs nothing, even when that package does not exist.
type allowlist struct {
	Any bool // every package allowed (-allow-any)
	// Modules are the main module(s): module paths, which admit their own
	// packages and nothing else (matchModule). A module path may look like
	// a class (example.com/lib.V2 reads as type V2 of example.com/lib, a
	// package of another module), so it is never matched as one.
	Modules  []string
	Prefixes []string // each -allow (matchPrefix)
	// Only narrows: when not empty, a class must also lie under one of
	// these prefixes (-only, the Python loader's allowed_namespaces),
	// whatever admitted it.
	Only []string
}

// Allows reports whether class (IMPORT/PATH.Type) lies under one of the
// prefixes, and under one of Only when there are any. See matchPrefix for
// the rule.
func (a allowlist) Allows(class string) bool { return a.refusal(class) == "" }

// refusal says why class is not allowed, or "" when it is.
func (a allowlist) refusal(class string) string {
	if !a.admits(class) {
		return fmt.Sprintf("%q does not start with any of the allowed namespaces: %s", class, a.admitted())
	}
	if len(a.Only) > 0 && !slices.ContainsFunc(a.Only, func(p string) bool { return matchPrefix(p, class) }) {
		return fmt.Sprintf("%q is not under any -only namespace: %s", class, quoteAll(a.Only))
	}
	return ""
}

// admits applies what widens the allowlist: -allow-any, the main modules
// and -allow.
func (a allowlist) admits(class string) bool {
	if a.Any {
		return true
	}
	for _, m := range a.Modules {
		if matchModule(m, class) {
			return true
		}
	}
	for _, p := range a.Prefixes {
		if matchPrefix(p, class) {
			return true
		}
	}
	return false
}

// matchModule reports whether class lies in module path m: its import path
// is m or continues it past a '/'.
func matchModule(m, class string) bool {
	path, _, ok := cmdline.SplitQualified(class)
	return ok && m != "" && (path == m || strings.HasPrefix(path, m+"/"))
}

// matchPrefix applies the allowlist rule to one prefix. The class is split
// into its import path and type name first (at the last '.' after the last
// '/'), because in Go a '.' is part of a path element: example.com/x and
// example.com/x.evil are two modules, and gopkg.in/yaml does not contain
// gopkg.in/yaml.v3. So a prefix matches
//
//   - a class whose import path equals it (example.com/x admits
//     example.com/x.T) or continues it past a '/' (example.com/x/h.T);
//   - with a trailing '/', an import path that continues past it;
//   - with a trailing '.', a class whose import path is what precedes it;
//   - a class equal to it whose type name is exported, so one type can be
//     allowed (example.com/x.T) but a module path such as gopkg.in/yaml.v3
//     never admits type v3 of gopkg.in/yaml (an unexported type is no
//     handler anyway).
//
// This is the Python loader's namespace rule (a prefix matches whole dotted
// components) with Go's '/' as the component separator and the '.' kept for
// the type name alone.
func matchPrefix(prefix, class string) bool {
	if prefix == "" {
		return false
	}
	path, name, ok := cmdline.SplitQualified(class)
	if !ok {
		return false
	}
	if class == prefix {
		return token.IsExported(name)
	}
	switch {
	case strings.HasSuffix(prefix, "/"):
		return strings.HasPrefix(path, prefix)
	case strings.HasSuffix(prefix, "."):
		return path == prefix[:len(prefix)-1]
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// String lists the prefixes for messages (and cache keys): what admits,
// then what narrows.
func (a allowlist) String() string {
	s := a.admitted()
	if len(a.Only) > 0 {
		s += "; only " + quoteAll(a.Only)
	}
	return s
}

// admitted lists what widens the allowlist.
func (a allowlist) admitted() string {
	if a.Any {
		return "(any)"
	}
	if len(a.Modules)+len(a.Prefixes) == 0 {
		return "(none - empty allowlist)"
	}
	return quoteAll(append(slices.Clip(a.Modules), a.Prefixes...))
}

func quoteAll(ps []string) string {
	var q []string
	for _, p := range ps {
		q = append(q, "'"+p+"'")
	}
	return strings.Join(q, ", ")
}
