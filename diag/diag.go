// Package diag is the one diagnostic model of every handlergen stage:
// discovery, contract parsing, type verification and emission all report a
// Diagnostic with a code, a severity, a position, related positions and a
// message, and the CLI renders the collected List as text, JSON, GitHub
// Actions annotations or a SARIF log for code scanning. Stages append to a
// List and keep going, so a run reports every problem it finds rather than
// only the first.
package diag

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/handlergen/handlergen/registry"
)

// Severity says whether a diagnostic fails the run.
type Severity uint8

const (
	Error   Severity = iota // fails the run: exit 1, nothing written
	Warning                 // reported, run still succeeds
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// MarshalText writes "error" or "warning".
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Position is a place in a file. Line and Col are 1-based; zero means
// unknown. File is relative to the working directory and slash-separated.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"column,omitempty"`
}

// String formats the position as file:line:col, dropping unknown parts.
func (p Position) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Related is a secondary position that explains a diagnostic, such as the
// first declaration of a duplicated name.
type Related struct {
	Pos     Position `json:"position"`
	Message string   `json:"message"`
}

// Diagnostic is one problem found in a run.
type Diagnostic struct {
	Code     registry.Code `json:"code"`
	Severity Severity      `json:"severity"`
	Pos      Position      `json:"position"`
	Message  string        `json:"message"`
	Related  []Related     `json:"related,omitempty"`
}

// Error makes a Diagnostic usable as an error: the text rendering.
func (d Diagnostic) Error() string {
	s := d.Code.String() + ": " + d.Message
	if d.Severity == Warning {
		s = d.Code.String() + ": warning: " + d.Message
	}
	if p := d.Pos.String(); p != "" {
		s = p + ": " + s
	}
	return s
}

// List collects diagnostics. The zero value is ready to use.
type List []Diagnostic

// Errorf appends an error.
func (l *List) Errorf(code registry.Code, pos Position, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Code: code, Severity: Error, Pos: pos, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Warnf appends a warning.
func (l *List) Warnf(code registry.Code, pos Position, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Code: code, Severity: Warning, Pos: pos, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Append adds diagnostics from another stage.
func (l *List) Append(ds ...Diagnostic) { *l = append(*l, ds...) }

// HasErrors reports whether any diagnostic has Error severity.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Count returns the number of errors and warnings.
func (l List) Count() (errors, warnings int) {
	for _, d := range l {
		if d.Severity == Error {
			errors++
		} else {
			warnings++
		}
	}
	return errors, warnings
}

// Sort orders diagnostics by file, line, column, code and message, so output
// does not depend on the order concurrent stages finished in. Diagnostics
// without a file come first: they concern the run as a whole.
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Code, b.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
}

// Compact drops repeats of a diagnostic (the same code, severity,
// position, message and related positions), keeping the first, and
// returns the shortened list: registries that share a load or a contract
// report the same problem once each, and it is one problem to the reader.
func (l List) Compact() List {
	seen := make(map[string]bool, len(l))
	out := l[:0]
	for _, d := range l {
		k := fmt.Sprintf("%d %d %q %d %d %q", d.Code, d.Severity, d.Pos.File, d.Pos.Line, d.Pos.Col, d.Message)
		for _, r := range d.Related {
			k += fmt.Sprintf(" %q %d %d %q", r.Pos.File, r.Pos.Line, r.Pos.Col, r.Message)
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, d)
		}
	}
	return out
}

// Rewrite replaces every message and file name of l, those of related
// positions too, with what f makes of it: the CLI shows a go:generate directive's
// words as written with it, where an expanded value would otherwise be
// printed.
func (l List) Rewrite(f func(string) string) {
	for i := range l {
		d := &l[i]
		d.Message, d.Pos.File = f(d.Message), f(d.Pos.File)
		if d.Related != nil {
			d.Related = slices.Clone(d.Related)
			for j := range d.Related {
				r := &d.Related[j]
				r.Message, r.Pos.File = f(r.Message), f(r.Pos.File)
			}
		}
	}
}

// Err returns the list as an error when it holds errors, else nil.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return ListError(l)
}

// ListError is a List used as an error value.
type ListError List

func (e ListError) Error() string {
	for _, d := range e {
		if d.Severity == Error {
			if n, _ := List(e).Count(); n > 1 {
				return fmt.Sprintf("%s (and %d more errors)", d.Error(), n-1)
			}
			return d.Error()
		}
	}
	return "no errors"
}
