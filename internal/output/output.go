// Package output is the one place where handlergen touches a file it may
// replace: it resolves an output path once, reads what is there with a
// size bound and without blocking, and replaces it atomically. gen reads
// through it while computing a registry; the CLI writes through it when it
// commits a run. Everything it refuses is the caller's 044.
package output

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
)

// MaxSize bounds every read: no handlergen registry comes near it (10,000
// handlers are about 6 MB), and a file over it is not one handlergen wrote.
// A variable so that tests can lower it.
var MaxSize int64 = 64 << 20

// File is an output file as it was found.
type File struct {
	Path   string      // where it is read and written: absolute, with every symbolic link resolved
	Data   []byte      // its bytes; nil when absent
	Exists bool        // a regular file is there
	Perm   fs.FileMode // its permissions, kept when it is replaced; for a new file, 0666 less the umask
}

// NotRegularError reports an output that is neither absent nor a regular
// file: a device, a FIFO, a socket or a directory.
type NotRegularError struct{ Mode fs.FileMode }

func (e *NotRegularError) Error() string {
	return "it is " + Kind(e.Mode) + ", not a regular file"
}

// TooLargeError reports a file over MaxSize.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("it is larger than %d MiB, which no handlergen registry is", e.Limit>>20)
}

// Kind names a file type for messages.
func Kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file"
}

// Read resolves path once (Resolve) and reads the file there. An absent
// file (or one under a path component that is not a directory, which a
// write then reports) is File{Path: resolved}. Anything but a regular file
// is refused with *NotRegularError before it is opened, and again after
// (fstat), so that a file swapped in between is neither read from nor
// blocked on.
func Read(path string) (File, error) {
	real, err := Resolve(path)
	if err != nil {
		return File{Path: path}, err
	}
	f := File{Path: real}
	fi, err := os.Lstat(real)
	if absent(err) {
		// The kernel may still reach something: a magic link such as
		// /dev/stdout → /proc/self/fd/1 → "pipe:[…]" names no path.
		if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
			return f, &NotRegularError{fi.Mode()}
		}
		// A new file: as os.WriteFile would make it. The umask is read
		// only here, not for every output that exists.
		f.Perm = 0o666 &^ umask()
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if !fi.Mode().IsRegular() {
		return f, &NotRegularError{fi.Mode()}
	}
	data, fi, err := readRegular(real, true)
	if err != nil {
		return f, err
	}
	f.Data, f.Exists, f.Perm = data, true, fi.Mode().Perm()
	return f, nil
}

// ReadFile reads a regular file that handlergen only reads (a Go source
// file, a go.mod), following symbolic links, with the same bound and
// without blocking on anything that is not a regular file (Open).
func ReadFile(path string) ([]byte, error) {
	r, fi, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readBounded(r, fi)
}

// Reader reads a file that Open found regular. Its reads never wait: a
// file that the kernel calls regular but that has nothing to read yet
// (/proc/kmsg) fails the read (EAGAIN) instead of stopping the run, where
// an *os.File opened non-blocking would wait for it in the runtime's
// poller.
type Reader struct{ f *os.File }

func (r *Reader) Read(p []byte) (int, error) { return readNoWait(r.f, p) }

// Close closes the file.
func (r *Reader) Close() error { return r.f.Close() }

// Open opens a regular file that handlergen only reads (a contract, a
// go.mod), following symbolic links, for a read the caller bounds:
// anything that is not a regular file is refused with *NotRegularError
// before it is opened, and again after (fstat of the opened file), so
// that a file swapped in between is neither read from nor blocked on; fi
// is that fstat.
func Open(path string) (r *Reader, fi fs.FileInfo, err error) {
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, err
	} else if !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{fi.Mode()}
	}
	return openRegular(path, false)
}

func openRegular(path string, noFollow bool) (*Reader, fs.FileInfo, error) {
	f, err := openNonblock(path, noFollow)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{fi.Mode()}
	}
	return &Reader{f}, fi, nil
}

func readRegular(path string, noFollow bool) ([]byte, fs.FileInfo, error) {
	r, fi, err := openRegular(path, noFollow)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	data, err := readBounded(r, fi)
	return data, fi, err
}

// readBounded reads r, whose fstat is fi, to the end, refusing more than
// MaxSize bytes.
func readBounded(r *Reader, fi fs.FileInfo) ([]byte, error) {
	if fi.Size() > MaxSize {
		return nil, &TooLargeError{MaxSize}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1)) // the file may grow after fstat
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > MaxSize {
		return nil, &TooLargeError{MaxSize}
	}
	return data, nil
}

func absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// Resolve returns the path the kernel would reach for p: absolute, with
// each symbolic link replaced by its target, a relative target read from
// the link's own (resolved) directory and ".." taken from the resolved
// directory too — not from the path as written, which differs from the
// kernel's answer whenever a directory on the way is a link. A path whose
// end does not exist yet (a dangling link, a directory to be created) is
// resolved as far as it exists, and the rest is what Write creates there;
// a ".." that climbs back out of the missing part is resolved again from
// where it lands, never joined lexically onto what follows: in
// "new/../link/x.go" the link is followed, as it would be once new exists.
func Resolve(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p // not Join: its Clean would take ".." lexically
	}
	vol := filepath.VolumeName(p)
	root := vol + string(filepath.Separator)
	real := root
	rest := split(p[len(vol):])
	missing := 0 // trailing elements of real that do not exist (yet)
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case ".":
			continue
		case "..":
			real = filepath.Dir(real)
			missing = max(missing-1, 0)
			continue
		}
		next := filepath.Join(real, c)
		if missing > 0 {
			real, missing = next, missing+1
			continue
		}
		fi, err := os.Lstat(next)
		if absent(err) {
			real, missing = next, 1
			continue
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			real = next
			continue
		}
		if links++; links > 255 {
			return "", &fs.PathError{Op: "resolve", Path: p, Err: syscall.ELOOP}
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if filepath.IsAbs(target) {
			v := filepath.VolumeName(target)
			real, target = v+string(filepath.Separator), target[len(v):]
		}
		rest = append(split(target), rest...)
	}
	return real, nil
}

func split(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return os.IsPathSeparator(uint8(r)) && r < 0x80 })
}

// Plan reports the error Write would meet on path with size bytes before
// changing anything, without changing anything: data over the bound that
// handlergen reads back, a path that is not a regular file, or a
// directory on the way that is a file or has become a link since path was
// resolved. A run that writes several files plans them all first, so that
// none is written when another cannot be.
func Plan(path string, size int) error {
	if int64(size) > MaxSize {
		// The next run would refuse the file as too large to be ours.
		return fmt.Errorf("the registry would be %d MiB, over the %d MiB that handlergen reads back as its own: split it into several registries", size>>20, MaxSize>>20)
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return &NotRegularError{fi.Mode()}
	}
	// path was resolved when it was read; a directory on the way that has
	// become a link since would lead the directories created, the
	// temporary file and the rename elsewhere. Checked again before each.
	existing := filepath.Clean(filepath.Dir(path))
	for {
		if _, err := os.Lstat(existing); err == nil || filepath.Dir(existing) == existing {
			break
		}
		existing = filepath.Dir(existing)
	}
	if fi, err := os.Stat(existing); err == nil && !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", filepath.Base(existing))
	}
	if !resolvedDir(existing) {
		return errDirMoved
	}
	return nil
}

// Write replaces the file at path — a path Read resolved — with data so
// that readers, and a concurrent handlergen, see the old file or the new
// one, never a torn one: a temporary file in the same directory, fsync,
// rename. The rename replaces a directory entry, so what is at path is
// checked once more first: a symbolic link or anything but a regular file
// that appeared since Read is refused, not replaced. Temporary files that
// killed runs left in the directory are removed first.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	if err := Plan(path, len(data)); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	// Like go build -o, create the output's directory when it is missing.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if !resolvedDir(dir) {
		return errDirMoved
	}
	RemoveStale(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(base)+"*.tmp")
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
	if err = tmp.Chmod(perm); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if !resolvedDir(dir) {
		return errDirMoved
	}
	return os.Rename(tmp.Name(), path)
}

var errDirMoved = errors.New("a directory on the way to it became a symbolic link since it was read")

// A temporary file is named .BASE.PID-N.tmp: the writer's process ID says
// whether the file is still being written.
func tempPrefix(base string) string { return "." + base + "." + strconv.Itoa(os.Getpid()) + "-" }

var (
	tempName   = regexp.MustCompile(`^\.(.+)\.([0-9]+)-[0-9]+\.tmp$`)
	legacyTemp = regexp.MustCompile(`^\.(.+)\.[0-9]+\.tmp$`) // before the PID was in the name
)

// RemoveStale removes the temporary files that runs killed while writing
// into path's directory left behind: those whose writer is gone, and, for
// path's own name, those from before writers were named. A live writer's
// file is kept; so is everything that is not handlergen's: another
// output's temporary file only when that output is a Go file, so that a
// file of some other tool or person that happens to be named like one
// (.notes.20240101-1.tmp) is not taken for handlergen's.
func RemoveStale(path string) {
	dir, base := filepath.Split(path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		if m := tempName.FindStringSubmatch(n); m != nil {
			if m[1] != base && !strings.HasSuffix(m[1], ".go") {
				continue
			}
			if pid, err := strconv.Atoi(m[2]); err == nil && pid > 0 && !alive(pid) {
				os.Remove(filepath.Join(dir, n))
			}
			continue
		}
		if m := legacyTemp.FindStringSubmatch(n); m != nil && m[1] == base {
			os.Remove(filepath.Join(dir, n))
		}
	}
}
