package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cmdline"
)

// report writes the run's diagnostics and results in the chosen format.
// Text diagnostics go to stderr like a compiler's; JSON is one document on
// stdout; GitHub workflow commands go to stdout, where the runner reads them.
func (r *run) report(b *batch) {
	if r.format == diag.JSON {
		rep := diag.NewReport(r.cmd, r.correlationID.String(), b.diags)
		rep.Extra = r.result(b)
		diag.WriteJSON(r.stdout, rep)
		return
	}
	if r.format == diag.SARIF {
		// One SARIF log on stdout and nothing else there, for upload-sarif.
		diag.WriteSARIF(r.stdout, b.diags, diag.ToolInfo{})
		return
	}
	if r.format == diag.GitHub {
		diag.WriteGitHub(r.stdout, b.diags)
	} else {
		diag.WriteText(r.stderr, b.diags)
	}
	switch r.cmd {
	case "list":
		if !b.diags.HasErrors() {
			writeList(r, b)
		}
	case "check":
		if r.flags.Diff {
			for i, res := range b.results {
				if res.Stale() {
					r.stdout.Write(unifiedDiff(b.outputs[i], res))
				}
			}
		}
	}
}

func unifiedDiff(name string, res *gen.Result) []byte {
	return diff.Diff(name+" (on disk)", res.OnDisk, name+" (generated)", res.Source)
}

func (r *run) result(b *batch) map[string]any {
	if r.cmd == "list" {
		hs := []manifestEntry{}
		for i, res := range b.results {
			for _, c := range res.Contracts {
				m := manifest(c, b.outputs[i])
				m.Contract = rebase(b.dir, b.froms[i], c.Path)
				hs = append(hs, m)
			}
		}
		return map[string]any{"handlers": hs}
	}
	outs := []map[string]any{}
	for i, res := range b.results {
		o := map[string]any{"output": b.outputs[i], "handlers": len(res.Handlers)}
		if r.cmd == "check" {
			// A registry that could not be computed (errors) is neither
			// stale nor fresh: null, not false.
			o["exists"], o["stale"] = res.Exists, nil
			if res.Source != nil {
				o["stale"] = res.Stale()
			}
			if r.flags.Diff && res.Stale() {
				o["diff"] = string(unifiedDiff(b.outputs[i], res))
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

func writeList(r *run, b *batch) {
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tCLASS\tCONTRACT")
	for i, res := range b.results {
		for _, c := range res.Contracts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Type, c.Version, c.Class, rebase(b.dir, b.froms[i], c.Path))
		}
	}
	tw.Flush()
}
