package cli

import "github.com/handlergen/handlergen/gen"

// commit writes what a generate run computed through gen.Commit, the one
// writer: every changed file, or, when the run found any error (the CLI's
// own, such as a recorded output that leads out of its module, included),
// none.
func (b *batch) commit() {
	if b.diags.HasErrors() {
		return
	}
	written, ds := gen.Commit(b.results)
	copy(b.written, written) // one per result, as b.results
	b.diags.Append(ds...)
	b.diags.Sort()
}
