package gen

import (
	"os"
	"path/filepath"
	"syscall"
)

// writeAtomic replaces path with data so that readers, and a concurrent
// handlergen, see either the old file or the new one, never a torn one:
// write a temporary file in the same directory, fsync it, rename it over
// the target. The existing file's permissions are kept.
func writeAtomic(path string, data []byte) (err error) {
	// An output that is a symbolic link is written through: the rename
	// replaces the file the link names, and the link stays a link.
	if path, err = resolveLink(path); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	// Like go build -o, create the output's directory when it is missing.
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// resolveLink returns the file a symbolic link at path names, following
// links to links; path itself when it is not a link (or does not exist). A
// dangling link names the file it would point to.
func resolveLink(path string) (string, error) {
	for range 40 { // as the kernel's limit on nested links
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(path), target)
		}
		path = target
	}
	return "", &os.PathError{Op: "readlink", Path: path, Err: syscall.ELOOP}
}
