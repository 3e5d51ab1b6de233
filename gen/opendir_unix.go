//go:build unix

package gen

import (
	"os"
	"syscall"
)

// openDir opens a directory to read its entries: O_DIRECTORY fails,
// without blocking, on anything else (a FIFO put in its place), and
// os.NewFile leaves the descriptor out of the runtime's poller, which
// os.Open would try to add it to and take it out of again (two system
// calls per directory of the walk).
func openDir(name string) (*os.File, error) {
	for {
		fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
