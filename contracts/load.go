package contracts

import (
	"errors"
	"io"
	"io/fs"
	"runtime"
	"sync"
	"syscall"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/registry"
)

// Load discovers the contract files inputs name (see Discover), then reads
// and parses each, GOMAXPROCS at a time. It returns the valid contracts
// sorted by Path and the diagnostics of discovery and of every file, sorted.
// A file with errors is left out; the others are still returned, so a
// caller can report everything at once.
func Load(inputs []string, opt Options) ([]*Contract, diag.List) {
	files, diags := discover(inputs, opt)
	opt, _ = opt.withDefaults() // discover reported any failure
	results := make([]struct {
		c     *Contract
		diags diag.List
	}, len(files))

	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, f := range files {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			data, ds := readFile(opt.fsys, f, opt.MaxSize)
			if data != nil {
				var pds diag.List
				results[i].c, pds = Parse(f.rel, data)
				ds.Append(pds...)
			}
			results[i].diags = ds
		})
	}
	wg.Wait()

	var out []*Contract
	for _, r := range results {
		if r.c != nil {
			out = append(out, r.c) // files are sorted, so out is too
		}
		diags.Append(r.diags...)
	}
	diags.Sort()
	return out, diags
}

// readFile reads f, refusing more than limit bytes. The size is checked
// before reading, and the read itself stops one byte past the limit, so a
// file that is larger than it claims, or grows, costs at most limit+1 bytes.
func readFile(fsys fileSystem, f file, limit int64) ([]byte, diag.List) {
	var diags diag.List
	pos := diag.Position{File: f.rel}
	fi, err := fsys.Stat(f.abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		diags.Errorf(registry.FileNotFound, pos, "no such file or directory")
		return nil, diags
	case err != nil:
		diags.Errorf(registry.FileStatError, pos, "cannot stat: %s", errText(err))
		return nil, diags
	case !fi.Mode().IsRegular():
		diags.Errorf(registry.NotAFile, pos, "not a regular file (%s)", fi.Mode().Type())
		return nil, diags
	case fi.Size() > limit:
		diags.Errorf(registry.FileSizeExceeded, pos, "contract file exceeds size limit: %d bytes (max: %d bytes)", fi.Size(), limit)
		return nil, diags
	}
	r, err := fsys.Open(f.abs)
	var notRegular *output.NotRegularError
	switch {
	case errors.As(err, &notRegular):
		// Swapped for a FIFO or a device since the stat above.
		diags.Errorf(registry.NotAFile, pos, "not a regular file (%s)", notRegular.Mode.Type())
		return nil, diags
	case err != nil:
		diags.Errorf(registry.FileReadError, pos, "cannot read: %s", errText(err))
		return nil, diags
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	switch {
	case errors.Is(err, syscall.EAGAIN):
		// A file the kernel calls regular that has nothing to read yet
		// (a link to /proc/kmsg): a read would wait for it, without end.
		diags.Errorf(registry.FileReadError, pos, "cannot read: it has nothing to read without waiting (%s)", errText(err))
		return nil, diags
	case err != nil:
		diags.Errorf(registry.FileReadError, pos, "cannot read: %s", errText(err))
		return nil, diags
	case int64(len(data)) > limit:
		diags.Errorf(registry.FileSizeExceeded, pos, "contract file exceeds size limit: more than %d bytes (max: %d bytes)", limit, limit)
		return nil, diags
	}
	if data == nil {
		data = []byte{} // an empty file is parsed, and reported as empty
	}
	return data, diags
}
