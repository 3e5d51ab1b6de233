package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/contracts"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/diag"
)

// report writes the run's diagnostics and results in the chosen format.
// Text diagnostics go to stderr like a compiler's; JSON is one document on
// stdout; GitHub workflow commands go to stdout, where the runner reads them.
func (r *run) report(res *gen.Result) {
	if r.format == diag.JSON {
		rep := diag.NewReport(r.cmd, r.correlationID.String(), res.Diags)
		rep.Extra = r.result(res)
		diag.WriteJSON(r.stdout, rep)
		return
	}
	if r.format == diag.GitHub {
		diag.WriteGitHub(r.stdout, res.Diags)
	} else {
		diag.WriteText(r.stderr, res.Diags)
	}
	switch r.cmd {
	case "list":
		if !res.Diags.HasErrors() {
			writeList(r, res.Contracts)
		}
	case "check":
		if r.diff && res.Stale() {
			r.stdout.Write(diff.Diff(res.Output+" (on disk)", res.OnDisk, res.Output+" (generated)", res.Source))
		}
	}
}

func (r *run) result(res *gen.Result) map[string]any {
	switch r.cmd {
	case "list":
		hs := make([]manifestEntry, 0, len(res.Contracts))
		for _, c := range res.Contracts {
			hs = append(hs, manifest(c))
		}
		return map[string]any{"handlers": hs}
	case "check":
		out := map[string]any{"output": res.Output, "exists": res.Exists, "stale": res.Source != nil && res.Stale(), "handlers": len(res.Handlers)}
		if r.diff && res.Stale() {
			out["diff"] = string(diff.Diff(res.Output+" (on disk)", res.OnDisk, res.Output+" (generated)", res.Source))
		}
		return out
	}
	return map[string]any{"output": res.Output, "written": res.Written, "handlers": len(res.Handlers)}
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
	Digest           string          `json:"digest"`
	AuditLogging     bool            `json:"audit_logging"`
	TrustedNamespace string          `json:"trusted_namespace,omitempty"`
	Routing          json.RawMessage `json:"routing,omitempty"`
}

func manifest(c *contracts.Contract) manifestEntry {
	e := manifestEntry{
		Name: c.Name, Class: c.Class, Package: c.ImportPath, Type: c.Type.String(), ProtocolType: c.ProtocolType,
		Tags: c.Tags, Version: c.Version.String(), Contract: c.Path, Digest: hex.EncodeToString(c.Digest[:]),
		AuditLogging: c.Security.AuditLogging, TrustedNamespace: c.Security.TrustedNamespace,
	}
	if e.Tags == nil {
		e.Tags = []string{}
	}
	if c.Routing != "" {
		e.Routing = json.RawMessage(c.Routing)
	}
	return e
}

func writeList(r *run, cs []*contracts.Contract) {
	tw := tabwriter.NewWriter(r.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tVERSION\tCLASS\tCONTRACT")
	for _, c := range cs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Type, c.Version, c.Class, c.Path)
	}
	tw.Flush()
}
