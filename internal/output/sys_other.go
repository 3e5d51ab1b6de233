//go:build !unix

package output

import (
	"io/fs"
	"os"
)

func openNonblock(path string, _ bool) (*os.File, error) { return os.Open(path) }

func readNoWait(f *os.File, p []byte) (int, error) { return f.Read(p) }

// alive cannot tell here, so a temporary file is never taken for stale.
func alive(int) bool { return true }

// resolvedDir cannot compare paths reliably here (volume names, case), so
// a directory is taken as it was resolved.
func resolvedDir(string) bool { return true }

func umask() fs.FileMode { return 0o022 }
