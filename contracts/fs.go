package contracts

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/handlergen/handlergen/internal/output"
)

// fileSystem is the file system that discovery and loading go through.
// Names are operating-system paths, absolute when Options.Dir is. It is a
// test seam: production uses osFS, and tests, which often run as root, set
// Options.fsys to inject the permission and I/O errors that a real file
// system will not produce for them.
type fileSystem interface {
	// Stat follows symbolic links, like os.Stat.
	Stat(name string) (fs.FileInfo, error)
	// ReadDir lists a directory sorted by name, like os.ReadDir; the
	// entries' types do not follow symbolic links.
	ReadDir(name string) ([]fs.DirEntry, error)
	// Open opens a file for reading. osFS opens it without blocking,
	// refuses what is not a regular file, and its reads never wait.
	Open(name string) (io.ReadCloser, error)
	// EvalSymlinks returns the path with every symbolic link resolved, like
	// filepath.EvalSymlinks; discovery dedupes files by it.
	EvalSymlinks(name string) (string, error)
}

// osFS is the real file system.
type osFS struct{}

func (osFS) Stat(name string) (fs.FileInfo, error)      { return os.Stat(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error) { return os.ReadDir(name) }
func (osFS) EvalSymlinks(name string) (string, error)   { return filepath.EvalSymlinks(name) }

// Open opens name through internal/output, the one reader of files that
// handlergen does not write: a contract that is, or was swapped for, a FIFO
// or a device is refused without blocking, and one that the kernel calls
// regular but that has nothing to read yet (a link to /proc/kmsg) fails
// its read instead of hanging the run.
func (osFS) Open(name string) (io.ReadCloser, error) {
	r, _, err := output.Open(name)
	if err != nil {
		return nil, err // not a nil *Reader in an interface
	}
	return r, nil
}

// errText is err without the path it may carry: diagnostics name files by
// their relative path, and an absolute one would make output depend on the
// machine.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}
