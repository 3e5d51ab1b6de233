package cli

import (
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/registry"
)

// commit writes what a generate run computed: every changed file, or,
// when the run found any error, none, so that the old outputs stay byte
// for byte. Each file is written where gen resolved it when it read it,
// and replaced atomically, so a failed write leaves that file as it was.
// An unchanged file is not touched, but temporary files that killed runs
// left beside it are removed.
func (b *batch) commit() {
	if b.diags.HasErrors() {
		return
	}
	// Every write is planned before the first: a registry that cannot be
	// written is found before any other is.
	for i, res := range b.results {
		if res.Source == nil || res.Path == "" || res.Exists && !res.Stale() {
			continue
		}
		if err := output.Plan(res.Path, len(res.Source)); err != nil {
			b.diags.Errorf(registry.OutputWriteError, diag.Position{File: b.outputs[i]}, "cannot write the output file: %v", diag.Pathless(err))
		}
	}
	if b.diags.HasErrors() {
		b.diags.Sort()
		return
	}
	for i, res := range b.results {
		if res.Source == nil || res.Path == "" {
			continue
		}
		if res.Exists && !res.Stale() {
			output.RemoveStale(res.Path)
			continue
		}
		if err := output.Write(res.Path, res.Source, res.Perm); err != nil {
			b.diags.Errorf(registry.OutputWriteError, diag.Position{File: b.outputs[i]}, "cannot write the output file: %v", diag.Pathless(err))
			continue
		}
		b.written[i] = true
	}
	b.diags.Sort()
}
