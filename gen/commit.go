package gen

import (
	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
	"github.com/handlergen/handlergen/registry"
)

// Commit writes what a Generate run computed, all or nothing, as the
// handlergen command does: when any result has an error it writes nothing,
// so every old output stays byte for byte; otherwise it plans every write
// before the first (an output that cannot be written is found before any
// other is written), then replaces each changed file atomically where the
// run resolved it when it read it (a temporary file in the same directory,
// fsync, rename; a failed write leaves that file as it was). An unchanged
// file is not touched, but temporary files that killed runs left beside it
// are removed. It returns whether each result's file was written, and the
// diagnostics (044) of writes that failed, each at its result's Output.
func Commit(results []*Result) (written []bool, ds diag.List) {
	written = make([]bool, len(results))
	for _, res := range results {
		if res.Diags.HasErrors() {
			return written, nil
		}
	}
	for _, res := range results {
		if res.Source == nil || res.Path == "" || res.Exists && !res.Stale() {
			continue
		}
		if err := output.Plan(res.Path, len(res.Source)); err != nil {
			ds.Errorf(registry.OutputWriteError, diag.Position{File: res.Output}, "cannot write the output file: %v", pathx.Pathless(err))
		}
	}
	if ds.HasErrors() {
		return written, ds
	}
	for i, res := range results {
		if res.Source == nil || res.Path == "" {
			continue
		}
		if res.Exists && !res.Stale() {
			output.RemoveStale(res.Path)
			continue
		}
		if err := output.Write(res.Path, res.Source, res.Perm); err != nil {
			ds.Errorf(registry.OutputWriteError, diag.Position{File: res.Output}, "cannot write the output file: %v", pathx.Pathless(err))
			continue
		}
		written[i] = true
	}
	return written, ds
}
