package gen

import "strings"

// Allowlist decides which handler_class values may be loaded. It is checked
// before anything is loaded, so a contract naming a package outside it costs
// nothing and runs nothing, even when that package does not exist.
type Allowlist struct {
	Any      bool     // every package allowed (-allow-any)
	Prefixes []string // allowed prefixes, matched at a '/' or '.' boundary
}

// Allows reports whether class (IMPORT/PATH.Type) lies under one of the
// prefixes. A prefix matches only whole path elements: "example.com/app"
// allows "example.com/app.T" and "example.com/app/sub.T" but not
// "example.com/application.T". A prefix that itself ends in '/' or '.'
// matches as written. This is the Python loader's namespace rule, with Go's
// '/' added as a boundary.
func (a Allowlist) Allows(class string) bool {
	if a.Any {
		return true
	}
	for _, p := range a.Prefixes {
		if matchPrefix(p, class) {
			return true
		}
	}
	return false
}

func matchPrefix(prefix, class string) bool {
	if prefix == "" || !strings.HasPrefix(class, prefix) {
		return false
	}
	if strings.HasSuffix(prefix, "/") || strings.HasSuffix(prefix, ".") || len(class) == len(prefix) {
		return true
	}
	c := class[len(prefix)]
	return c == '/' || c == '.'
}

// String lists the prefixes for messages.
func (a Allowlist) String() string {
	if a.Any {
		return "(any)"
	}
	if len(a.Prefixes) == 0 {
		return "(none - empty allowlist)"
	}
	q := make([]string, len(a.Prefixes))
	for i, p := range a.Prefixes {
		q[i] = "'" + p + "'"
	}
	return strings.Join(q, ", ")
}
