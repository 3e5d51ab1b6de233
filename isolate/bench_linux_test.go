//go:build linux

package isolate_test

import (
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
)

// rawEcho, in a child process, echoes what it reads on descriptor 3 in
// blocks of the size the benchmark sends.
func rawEcho() {
	f := os.NewFile(3, "raw")
	buf := make([]byte, rawSize)
	for {
		if _, err := io.ReadFull(f, buf); err != nil {
			os.Exit(0)
		}
		if _, err := f.Write(buf); err != nil {
			os.Exit(0)
		}
	}
}

// rawSize is about the size of an isolated call's small request on the
// wire (frame header, call metadata and payload).
const rawSize = 256

// BenchmarkRawRoundTrip is the floor under an isolated call: one small
// message to another process over a unix socketpair and back, with no
// encoding, framing or supervision. BenchmarkExecute/isolated, in the
// same run, is the call through a Client.
func BenchmarkRawRoundTrip(b *testing.B) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = []string{"ISOLATE_TEST_RAWECHO=1"}
	cmd.ExtraFiles = []*os.File{theirs}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	theirs.Close()
	defer func() {
		ours.Close()
		cmd.Wait()
	}()
	buf := make([]byte, rawSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ours.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(ours, buf); err != nil {
			b.Fatal(err)
		}
	}
}
