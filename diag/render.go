package diag

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Format names a rendering of a List.
type Format string

const (
	Text   Format = "text"   // file:line:col: HANDLER_LOADER_0NN: message
	JSON   Format = "json"   // one JSON document
	GitHub Format = "github" // GitHub Actions workflow commands
	SARIF  Format = "sarif"  // one SARIF 2.1.0 log, for code scanning
)

// ParseFormat accepts text, json, github or sarif.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Text, JSON, GitHub, SARIF:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q (want text, json, github or sarif)", s)
}

// WriteText writes one line per diagnostic, compiler style, with related
// positions indented beneath it. Each line is escaped (Escape): a path or
// a message can neither break it nor start a CI command.
func WriteText(w io.Writer, l List) error {
	var b strings.Builder
	for _, d := range l {
		b.WriteString(Escape(d.Error()))
		b.WriteByte('\n')
		for _, r := range d.Related {
			b.WriteString("\t")
			b.WriteString(Escape(strings.TrimPrefix(r.Pos.String()+": ", ": ") + r.Message))
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Report is the JSON document a run writes with -format json.
type Report struct {
	CorrelationID string       `json:"correlation_id"`
	Command       string       `json:"command"`
	OK            bool         `json:"ok"`
	Errors        int          `json:"errors"`
	Warnings      int          `json:"warnings"`
	Diagnostics   []Diagnostic `json:"diagnostics"`
	// Extra carries command-specific results, such as the output file.
	Extra map[string]any `json:"result,omitempty"`
}

// NewReport summarises a List.
func NewReport(command, correlationID string, l List) Report {
	e, w := l.Count()
	ds := []Diagnostic(l)
	if ds == nil {
		ds = []Diagnostic{}
	}
	return Report{CorrelationID: correlationID, Command: command, OK: e == 0, Errors: e, Warnings: w, Diagnostics: ds}
}

// WriteJSON writes the report as one indented JSON document. Strings
// hold their values exactly; what Escape would escape is a \u escape.
func WriteJSON(w io.Writer, r Report) error {
	return writeJSON(w, r, true)
}

// writeJSON encodes v indented, with jsonSafe's escapes.
func writeJSON(w io.Writer, v any, escapeHTML bool) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(jsonSafe(b.Bytes()))
	return err
}

// WriteGitHub writes GitHub Actions ::error and ::warning commands, which the
// runner turns into annotations on the pull request's files: one line
// each, whose values are escaped (Escape, but for the start-of-line rule,
// which the command's own "::" settles) and then encoded as the runner
// decodes them.
func WriteGitHub(w io.Writer, l List) error {
	var b strings.Builder
	for _, d := range l {
		b.WriteString("::")
		b.WriteString(d.Severity.String())
		var props []string
		if d.Pos.File != "" {
			props = append(props, "file="+ghProp(escape(d.Pos.File, false)))
			if d.Pos.Line > 0 {
				props = append(props, fmt.Sprintf("line=%d", d.Pos.Line))
			}
			if d.Pos.Col > 0 {
				props = append(props, fmt.Sprintf("col=%d", d.Pos.Col))
			}
		}
		props = append(props, "title="+ghProp(d.Code.String()))
		b.WriteString(" " + strings.Join(props, ","))
		msg := escape(d.Message, false)
		for _, r := range d.Related {
			msg += "\n" + escape(strings.TrimPrefix(r.Pos.String()+": ", ": ")+r.Message, false)
		}
		b.WriteString("::" + ghData(msg) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Escaping as the runner's toolkit does it (@actions/core command.ts).
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
