//go:build unix

package isolate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"

	"github.com/handlergen/handlergen/isolate/internal/wire"
)

// hostFD is the host's descriptor of its end of the socketpair (the first
// of ExtraFiles).
const hostFD = 3

// hostChannel gives cmd its end of a new socketpair and returns the
// client's end and the host's, which the caller closes once cmd started.
// The pair has no name in any file system: only the two processes hold
// it, so no other process, of this user or another, can connect.
func hostChannel(cmd *exec.Cmd) (io.ReadWriteCloser, []*os.File, error) {
	syscall.ForkLock.RLock() // no exec between socketpair and CloseOnExec
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if err := syscall.SetNonblock(fds[0], true); err != nil { // through the poller: Close ends a Read
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, nil, err
	}
	client := os.NewFile(uintptr(fds[0]), "isolate-client")
	host := os.NewFile(uintptr(fds[1]), "isolate-host")
	cmd.ExtraFiles = []*os.File{host}
	cmd.Env = append(cmd.Env, hostEnv+"="+hostMarker+strconv.Itoa(hostFD))
	return client, []*os.File{host}, nil
}

// openHostChannel returns the host's end of the socketpair the client
// passed, or an error when the descriptor is no socket: the environment
// variable alone does not make a host.
func openHostChannel(fd int) (io.ReadWriteCloser, error) {
	if !isSocket(fd) {
		return nil, fmt.Errorf("descriptor %d is not a socket", fd)
	}
	syscall.CloseOnExec(fd) // not for the processes handlers start
	if err := syscall.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), "isolate-host"), nil
}

func isSocket(fd int) bool {
	var st syscall.Stat_t
	return fd > 2 && syscall.Fstat(fd, &st) == nil && st.Mode&syscall.S_IFMT == syscall.S_IFSOCK
}

// ownGroup starts cmd in a process group of its own, which killGroup ends
// with every process the host started in it.
func ownGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pgid = 0
}

// killGroup kills the process group of the host p leads. Call it before
// p is reaped: until then its ID, the group's, cannot be reused.
func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Kill()
}

// executable is what a host is started from: the running binary itself
// (/proc/self/exe, which stays this process's file when the path is
// replaced or removed) where there is one.
func executable() (string, error) {
	if runtime.GOOS == "linux" {
		if _, err := os.Stat("/proc/self/exe"); err == nil {
			return "/proc/self/exe", nil
		}
	}
	return os.Executable()
}

// applyLimits sets the host's own resource limits, before it serves.
// The memory limit is on the data segment (RLIMIT_DATA) above what the
// process has mapped at start (the race detector's shadow memory is
// counted there), so an allocation past it fails and the Go runtime
// ends the host ("out of memory").
func applyLimits(h wire.Hello) error {
	if h.MemoryLimit > 0 && runtime.GOOS == "linux" {
		base := vmData()
		lim := uint64(h.MemoryLimit) + base
		if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
			return fmt.Errorf("RLIMIT_DATA: %w", err)
		}
	}
	if h.CPULimit > 0 {
		lim := uint64(h.CPULimit)
		if err := syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: lim, Max: lim + 1}); err != nil {
			return fmt.Errorf("RLIMIT_CPU: %w", err)
		}
	}
	return nil
}

// vmData is the process's data segment in bytes (VmData of
// /proc/self/status), 0 when unknown.
func vmData() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := bytes.CutPrefix(s.Bytes(), []byte("VmData:")); ok {
			f := bytes.Fields(rest)
			if len(f) == 2 && string(f[1]) == "kB" {
				n, _ := strconv.ParseUint(string(f[0]), 10, 64)
				return n << 10
			}
		}
	}
	return 0
}
