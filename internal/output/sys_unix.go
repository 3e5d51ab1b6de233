//go:build unix

package output

import (
	"bytes"
	"errors"
	"io"
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

// readNoWait reads from f, opened non-blocking, with one read system
// call (again after EINTR), never waiting in the runtime's poller for the
// file to become readable: f.Read would, for a file the poller accepts.
func readNoWait(f *os.File, p []byte) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true // done, whatever happened: never wait
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr != nil:
		return 0, &fs.PathError{Op: "read", Path: f.Name(), Err: rerr}
	case n == 0 && len(p) > 0:
		return 0, io.EOF
	}
	return n, nil
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
