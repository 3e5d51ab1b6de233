//go:build unix

package output

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestReadNoWait: a read through Open's Reader never waits for data. A
// file that the kernel calls regular but that has nothing to read yet
// (/proc/kmsg) cannot be made in a test, so a pipe stands in for it: the
// runtime's poller accepts both, and an *os.File would wait in it until a
// writer wrote.
func TestReadNoWait(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	done := make(chan error, 1)
	go func() {
		_, err := (&Reader{r}).Read(make([]byte, 8))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, syscall.EAGAIN) {
			t.Errorf("read of an empty pipe = %v, want EAGAIN", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read of an empty pipe waits")
	}

	// A regular file reads whole, to io.EOF.
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, fi, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "contents" || fi.Size() != 8 {
		t.Errorf("Open and read = %q, %v (size %d)", b, err, fi.Size())
	}
}
