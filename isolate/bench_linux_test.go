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
// blocks of the size the benchmark sends. mode "" reads and writes with
// blocking system calls; "poll" goes through Go's netpoller; "handoff"
// also hands each block from a reader goroutine to a goroutine of its own,
// which writes it back, as a host serves a call.
func rawEcho(mode string) {
	if mode != "" {
		syscall.SetNonblock(3, true) // os.NewFile then registers it with the poller
	}
	f := os.NewFile(3, "raw")
	if mode == "handoff" {
		for {
			buf := make([]byte, rawSize)
			if _, err := io.ReadFull(f, buf); err != nil {
				os.Exit(0)
			}
			go f.Write(buf)
		}
	}
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
func BenchmarkRawRoundTrip(b *testing.B) { rawRoundTrip(b, "") }

// BenchmarkRawRoundTripPoller is the same round trip with both ends read
// and written through Go's netpoller (non-blocking descriptors, as a
// Client and its host use), so that a wake-up goes through epoll and the
// scheduler instead of a blocked read returning.
func BenchmarkRawRoundTripPoller(b *testing.B) { rawRoundTrip(b, "poll") }

// BenchmarkRawRoundTripHandoff adds, to the poller's round trip, the
// goroutine hand-offs a call needs at the least: in the child, from the
// reader to a goroutine of the message's own, which writes the answer;
// here, from a reader goroutine to the caller.
func BenchmarkRawRoundTripHandoff(b *testing.B) { rawRoundTrip(b, "handoff") }

func rawRoundTrip(b *testing.B, mode string) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	if mode != "" {
		syscall.SetNonblock(fds[0], true)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "ours"), os.NewFile(uintptr(fds[1]), "theirs")
	exe, _ := os.Executable()
	cmd := exec.Command(exe)
	cmd.Env = []string{"ISOLATE_TEST_RAWECHO=" + mode}
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
	var replies chan []byte
	if mode == "handoff" {
		replies = make(chan []byte)
		go func() {
			for {
				buf := make([]byte, rawSize)
				if _, err := io.ReadFull(ours, buf); err != nil {
					close(replies)
					return
				}
				replies <- buf
			}
		}()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ours.Write(buf); err != nil {
			b.Fatal(err)
		}
		if replies != nil {
			if _, ok := <-replies; !ok {
				b.Fatal("the echo ended")
			}
			continue
		}
		if _, err := io.ReadFull(ours, buf); err != nil {
			b.Fatal(err)
		}
	}
}
