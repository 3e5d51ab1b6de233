// Package cicheck tests what handlergen promises of everything it prints
// (see diag.Escape): no line that a CI runner could take for a command,
// but for the annotations it writes itself with -format github, each of
// them one command whose values are encoded as the runner decodes them,
// and no raw control or format character. Tests of diag's renderers and
// the CLI's scripts hold output to it.
package cicheck

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lines returns a description of each line of out that breaks the
// promise. With annotations, a line may be a GitHub Actions ::error,
// ::warning or ::notice command, which must then be well formed.
func Lines(out string, annotations bool) []string {
	var bad []string
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if why := check(line, annotations); why != "" {
			bad = append(bad, fmt.Sprintf("line %d: %s: %q", i+1, why, line))
		}
	}
	return bad
}

func check(line string, annotations bool) string {
	for i, r := range line {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(line[i:], "\ufffd"):
			return "a byte that is not UTF-8"
		case r == '\t':
			// layout: the indentation of related positions, a diff's file content
		case r < 0x20 || r == 0x7f || (0x80 <= r && r < 0xa0) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("raw control or format character %U", r)
		}
	}
	if strings.Contains(line, "##") {
		return `"##" (Azure Pipelines' ##vso[ and the runners' ##[ commands act anywhere in a line)`
	}
	// GitHub's runner trims leading white space, then looks for "::".
	if !strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "::") {
		return ""
	}
	if !annotations {
		return `starts with "::"`
	}
	return annotation(line)
}

var (
	command = regexp.MustCompile(`^::(error|warning|notice)(?: ([^:]*))?::(.*)$`)
	prop    = regexp.MustCompile(`^(file|line|col|endLine|endColumn|title)=((?:[^%:,]|%25|%0D|%0A|%3A|%2C)*)$`)
	data    = regexp.MustCompile(`^(?:[^%]|%25|%0D|%0A)*$`)
	number  = regexp.MustCompile(`^[1-9][0-9]*$`)
)

// annotation checks one GitHub Actions annotation: the command at the
// start of the line, its properties (which hold no raw ':' or ',', so the
// first "::" after the command ends them) and its data encoded as
// @actions/core encodes them, so that the line is exactly one command.
func annotation(line string) string {
	m := command.FindStringSubmatch(line)
	if m == nil {
		return "a \"::\" line that is not an annotation handlergen writes"
	}
	if m[2] != "" {
		seen := map[string]bool{}
		for _, kv := range strings.Split(m[2], ",") {
			p := prop.FindStringSubmatch(kv)
			switch {
			case p == nil:
				return fmt.Sprintf("annotation property %q not escaped", kv)
			case seen[p[1]]:
				return fmt.Sprintf("annotation property %s twice", p[1])
			case (p[1] == "line" || p[1] == "col") && !number.MatchString(p[2]):
				return fmt.Sprintf("annotation %s=%q is not a number", p[1], p[2])
			}
			seen[p[1]] = true
		}
	}
	if !data.MatchString(m[3]) {
		return "annotation data not escaped"
	}
	return ""
}
