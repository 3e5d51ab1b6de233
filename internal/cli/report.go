package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cmdline"
)

// What the CLI prints passes through two steps, each in one place: a
// value that a go:generate directive's expansion took from the environment
// is shown as the directive writes it (batch.show, from cmdline), and
// then every line is escaped for a terminal and a CI log (diag's
// renderers, say, the diff and the list below, escapeAttr for -v), so
// that a path or a name from a pull request can neither print a secret
// nor start a CI command.

// report writes the run's diagnostics and results in the chosen format.
// Text diagnostics go to stderr like a compiler's; JSON is one document on
// stdout; GitHub workflow commands go to stdout, where the runner reads them.
func (r *run) report(b *batch) {
	if b.shown != nil {
		b.diags.Rewrite(b.shown)
	}
	// What is printed is bounded; b.diags stays whole, for -v's counts and
	// the exit status.
	printed := bound(b.diags, maxReported)
	if r.format == diag.JSON {
		rep := diag.NewReport(r.cmd, r.correlationID.String(), printed)
		rep.Errors, rep.Warnings = b.diags.Count() // of the run, not of what is printed
		rep.Extra = r.result(b)
		diag.WriteJSON(r.stdout, rep)
		return
	}
	if r.format == diag.SARIF {
		// One SARIF log on stdout and nothing else there, for upload-sarif.
		diag.WriteSARIF(r.stdout, printed, diag.ToolInfo{})
		return
	}
	if r.format == diag.GitHub {
		diag.WriteGitHub(r.stdout, printed)
	} else {
		diag.WriteText(r.stderr, printed)
	}
	switch r.mode {
	case gen.List:
		if !b.diags.HasErrors() {
			writeList(r, b)
		}
	case gen.Check:
		if r.flags.Diff {
			for i, res := range b.results {
				if res.Stale() {
					io.WriteString(r.stdout, b.diff(i))
				}
			}
		}
	}
}

// diff is check -diff's unified diff of the stale output of result i. Its
// header lines name the output as shown (show, Escape); every other line
// is escaped as a line of its own (EscapeLines), since the file on disk
// may hold anything: a line of it that starts with "::" after the
// context prefix's space, or holds "##[", would be a CI command.
func (b *batch) diff(i int) string {
	res := b.results[i]
	d := string(diff.Diff("a", res.OnDisk, "b", res.Source))
	for range 3 { // diff a b, --- a, +++ b
		_, d, _ = strings.Cut(d, "\n")
	}
	name := diag.Escape(b.show(b.outputs[i]))
	old, new := name+" (on disk)", name+" (generated)"
	return "diff " + old + " " + new + "\n--- " + old + "\n+++ " + new + "\n" + diag.EscapeLines(b.show(d))
}

// show returns s with every value that a directive's expansion took from
// the environment shown as the directive writes it.
func (b *batch) show(s string) string {
	if b.shown == nil {
		return s
	}
	return b.shown(s)
}

// say prints one line that the CLI composes (a usage error, a notice):
// escaped as a whole, after show when the line concerns a batch.
func say(w io.Writer, format string, args ...any) {
	fmt.Fprintln(w, diag.Escape(fmt.Sprintf(format, args...)))
}

func (b *batch) say(format string, args ...any) {
	say(b.stderr, "%s", b.show(fmt.Sprintf(format, args...)))
}

// escapeAttr escapes the values of -v's log records, which name files and
// handlers, as say escapes a line.
func escapeAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(diag.Escape(v.String()))
	case slog.KindAny:
		if ss, ok := v.Any().([]string); ok {
			out := make([]string, len(ss))
			for i, s := range ss {
				out[i] = diag.Escape(s)
			}
			a.Value = slog.AnyValue(out)
		}
	}
	return a
}

func (r *run) result(b *batch) map[string]any {
	if r.mode == gen.List {
		hs := []manifestEntry{}
		for i, res := range b.results {
			for _, c := range res.Contracts {
				m := manifest(c, b.show(b.outputs[i]))
				m.Contract = b.show(rebase(b.dir, b.froms[i], c.Path))
				hs = append(hs, m)
			}
		}
		return map[string]any{"handlers": hs}
	}
	outs := []map[string]any{}
	for i, res := range b.results {
		o := map[string]any{"output": b.show(b.outputs[i]), "handlers": len(res.Handlers)}
		if r.mode == gen.Check {
			// A registry that could not be computed (errors) is neither
			// stale nor fresh: null, not false.
			o["exists"], o["stale"] = res.Exists, nil
			if res.Source != nil {
				o["stale"] = res.Stale()
			}
			if r.flags.Diff && res.Stale() {
				o["diff"] = b.diff(i)
			}
		} else {
			o["written"] = b.written[i]
		}
		outs = append(outs, o)
	}
	if len(outs) == 1 && !cmdline.Patterns(r.cfg.Inputs) {
		return outs[0]
	}
	// With package patterns the shape does not depend on how many
	// registries were found.
	return map[string]any{"registries": outs}
}

// manifestEntry is one handler as list -format json prints it.
type manifestEntry struct {
	Name             string          `json:"name"`
	Class            string          `json:"class"`
	Package          string          `json:"package"`
	Type             string          `json:"type"`
	ProtocolType     string          `json:"protocol_type"`
	Tags             []string        `json:"tags"`
	Version          string          `json:"version"`
	Contract         string          `json:"contract"`
	Registry         string          `json:"registry"`
	Digest           string          `json:"digest"`
	AuditLogging     bool            `json:"audit_logging"`
	TrustedNamespace string          `json:"trusted_namespace,omitempty"`
	Routing          json.RawMessage `json:"routing,omitempty"`
}

func manifest(c *contracts.Contract, output string) manifestEntry {
	e := manifestEntry{
		Name: c.Name, Class: c.Class, Package: c.ImportPath, Type: c.Type.String(), ProtocolType: c.ProtocolType,
		Tags: c.Tags, Version: c.Version.String(), Contract: c.Path, Digest: hex.EncodeToString(c.Digest[:]),
		AuditLogging: c.Security.AuditLogging, TrustedNamespace: c.Security.TrustedNamespace, Registry: output,
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	if c.Routing != "" {
		e.Routing = json.RawMessage(c.Routing)
	}
	return e
}

// writeList prints the handlers as a table, each field escaped: a tab or
// a line break in a name cannot shift a column or start a line.
func writeList(r *run, b *batch) {
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tCLASS\tCONTRACT")
	for i, res := range b.results {
		for _, c := range res.Contracts {
			fields := []string{c.Name, c.Type.String(), c.Version.String(), c.Class, b.show(rebase(b.dir, b.froms[i], c.Path))}
			for k, f := range fields {
				fields[k] = diag.Escape(f)
			}
			fmt.Fprintln(tw, strings.Join(fields, "\t"))
		}
	}
	tw.Flush()
}
