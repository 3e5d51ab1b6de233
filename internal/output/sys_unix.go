//go:build unix

package output

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// openNonblock opens path for reading without blocking on a FIFO or a
// device that has no data, and, with noFollow, without following a link
// that replaced the resolved file since it was examined.
func openNonblock(path string, noFollow bool) (*os.File, error) {
	flags := os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
	if noFollow {
		flags |= syscall.O_NOFOLLOW
	}
	return os.OpenFile(path, flags, 0)
}

// alive reports whether a process with this ID exists (signal 0 checks
// without signalling).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// resolvedDir reports whether dir, a directory Resolve returned, still has
// no symbolic link on the way to it.
func resolvedDir(dir string) bool {
	real, err := filepath.EvalSymlinks(dir)
	return err == nil && real == filepath.Clean(dir)
}

// umask is the process's file mode creation mask, read where the kernel
// reports it without changing it (syscall.Umask would set it, racing
// every other goroutine that creates a file); 022 where it cannot be read.
func umask() fs.FileMode {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o022
	}
	for line := range bytes.Lines(data) {
		if v, ok := bytes.CutPrefix(line, []byte("Umask:")); ok {
			if m, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32); err == nil {
				return fs.FileMode(m) & fs.ModePerm
			}
		}
	}
	return 0o022
}
