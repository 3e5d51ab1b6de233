package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/handlergen/handlergen/internal/output"
)

// The verification cache (DESIGN "Caching"). A handler's verification
// depends on its package's and the interface package's types, which come
// from export data the go command builds, and on the contract. An entry is
// keyed by a digest of all of that (see verifyKey) and holds what verify
// decided and the diagnostics it reported, so a hit gives the same bytes
// and diagnostics as a miss without reading the types. A run that hits for
// every handler reads no types at all.
//
// Keys are made of content, never of where things are: this build of
// handlergen by the SHA-256 of its executable, export data by its content
// (exportID), files of the module or workspace by their path in it. A
// cache directory restored by a CI runner, on another machine or below
// another path, answers for a tree checked out anywhere.
//
// HANDLERGEN_CACHE=off disables it, HANDLERGEN_CACHE=DIR moves it from
// os.UserCacheDir()/handlergen. Nothing about it is ever an error: a cache
// that cannot be read or written is a miss, and so is a damaged entry.
// Entries unused for trimLimit are removed, as the go command trims its
// build cache (trim).

// cacheEnv is the environment variable that moves or disables the cache.
const cacheEnv = "HANDLERGEN_CACHE"

// cacheFormat names the layout of entries; a change of what is stored, or
// of how it is keyed, takes a new name so old entries are never read.
// cacheSubdir is where they are, under the cache directory.
const (
	cacheFormat = "handlergen-verify-2"
	cacheSubdir = "verify-2"
)

// The trim policy is the go command's (cmd/go/internal/cache): an entry's
// modification time is its last use, refreshed when a hit finds it older
// than mtimeInterval; at most once per trimInterval, recorded in trim.txt,
// entries unused for trimLimit are removed.
const (
	mtimeInterval = time.Hour
	trimInterval  = 24 * time.Hour
	trimLimit     = 5 * 24 * time.Hour
)

// cacheNow is the clock of the trim policy; tests move it.
var cacheNow = time.Now

type cache struct {
	dir  string // .../handlergen/verify-2
	self string // identifies this handlergen build, part of every key
}

var (
	cacheOnce sync.Once
	theCache  *cache
)

// testEvent is a test seam: nil in production, set by export_test.go to
// count what a run did that its output does not show ("cache hit", "cache
// miss", "prefetch used"). It may be called from several goroutines.
var testEvent func(what string)

// noteTest tells testEvent, when it is set.
func noteTest(what string) {
	if testEvent != nil {
		testEvent(what)
	}
}

// openCache returns the process's cache, or nil when it is disabled, has
// no place to live or this build cannot be identified. Opening it trims
// it when it is due.
func openCache() *cache {
	cacheOnce.Do(func() {
		dir := os.Getenv(cacheEnv)
		switch dir {
		case "off":
			return
		case "":
			d, err := os.UserCacheDir()
			if err != nil {
				return
			}
			dir = filepath.Join(d, "handlergen")
		}
		if !filepath.IsAbs(dir) {
			return // a relative directory would move with -C
		}
		self := selfID()
		if self == "" {
			return
		}
		theCache = &cache{dir: filepath.Join(dir, cacheSubdir), self: self}
		trim(dir, cacheNow())
	})
	return theCache
}

// maxExecutable bounds what selfID reads.
const maxExecutable = 1 << 30

// selfID identifies the running handlergen build by content: the SHA-256
// of its executable, read once per process (openCache). A rebuilt
// handlergen, whose verification may differ, never reads the entries of
// another build, however its file was installed, copied or restored; the
// same build reads them wherever it lies. "" when the executable cannot be
// read: then there is no cache. A variable, for tests.
var selfID = func() string {
	var f *os.File
	if runtime.GOOS == "linux" {
		f, _ = os.Open("/proc/self/exe") // the running file, even once replaced
	}
	if f == nil {
		exe, err := os.Executable()
		if err != nil {
			return ""
		}
		if f, err = os.Open(exe); err != nil {
			return ""
		}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, maxExecutable+1))
	if err != nil || n > maxExecutable {
		return ""
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func (c *cache) file(key [32]byte) string {
	h := hex.EncodeToString(key[:])
	return filepath.Join(c.dir, h[:2], h)
}

// get decodes the entry of key into v. A missing, unreadable or damaged
// entry (its checksum does not match) is a miss.
func (c *cache) get(key [32]byte, v any) bool {
	data, err := output.ReadFile(c.file(key))
	if err != nil {
		return false
	}
	head, payload, ok := bytes.Cut(data, []byte("\n"))
	sum := sha256.Sum256(payload)
	if !ok || string(head) != cacheFormat+" "+hex.EncodeToString(sum[:]) {
		return false
	}
	if json.Unmarshal(payload, v) != nil {
		return false
	}
	used(c.file(key))
	return true
}

// used records a use of the entry in file: its modification time, which
// trim reads as its last use, is set to now when older than
// mtimeInterval (so that a hit rarely writes).
func used(file string) {
	now := cacheNow()
	if fi, err := os.Stat(file); err == nil && now.Sub(fi.ModTime()) < mtimeInterval {
		return
	}
	os.Chtimes(file, now, now)
}

// trim removes the entries of the cache directory dir that have not been
// used for trimLimit, unless it did so less than trimInterval ago (the
// time of the last trim is in dir/trim.txt). Directories of earlier
// formats (verify-1) are trimmed too: nothing uses their entries, which
// go after trimLimit. Failures are ignored: a trim that does not finish
// leaves trim.txt as it was, and the next run tries again.
func trim(dir string, now time.Time) {
	stamp := filepath.Join(dir, "trim.txt")
	if data, err := output.ReadFile(stamp); err == nil {
		if t, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64); err == nil {
			// A time in the future (a clock set back) does not stop it.
			if d := now.Sub(time.Unix(t, 0)); d < trimInterval && d > -mtimeInterval {
				return
			}
		}
	}
	subdirs, err := filepath.Glob(filepath.Join(dir, "verify-*"))
	if err != nil || len(subdirs) == 0 {
		return // nothing cached yet: no trim.txt either
	}
	// Modification times are refreshed only once per mtimeInterval.
	cutoff := now.Add(-trimLimit - mtimeInterval)
	for _, sub := range subdirs {
		for i := range 256 {
			trimDir(filepath.Join(sub, fmt.Sprintf("%02x", i)), cutoff)
		}
	}
	tmp, err := os.CreateTemp(dir, ".trim-*")
	if err != nil {
		return
	}
	_, werr := fmt.Fprintf(tmp, "%d\n", now.Unix())
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), stamp) != nil {
		os.Remove(tmp.Name())
	}
}

// trimDir removes the entries in dir (and the temporary files a put left
// behind) last used before cutoff.
func trimDir(dir string, cutoff time.Time) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	// All names first: removing while reading may skip some.
	names, _ := f.Readdirnames(-1)
	f.Close()
	for _, name := range names {
		if !isEntryName(name) && !strings.HasPrefix(name, ".tmp-") {
			continue
		}
		file := filepath.Join(dir, name)
		if fi, err := os.Lstat(file); err == nil && fi.Mode().IsRegular() && fi.ModTime().Before(cutoff) {
			os.Remove(file)
		}
	}
}

// isEntryName reports whether name is the name of an entry: a key in hex.
func isEntryName(name string) bool {
	if len(name) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil
}

// put stores v under key, through a temporary file and a rename so that a
// reader never sees half an entry. Failures are ignored: the next run
// misses and tries again.
func (c *cache) put(key [32]byte, v any) {
	payload, err := json.Marshal(v)
	if err != nil {
		return
	}
	sum := sha256.Sum256(payload)
	data := append(fmt.Appendf(nil, "%s %x\n", cacheFormat, sum), payload...)
	file := c.file(key)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), file) != nil {
		os.Remove(tmp.Name())
	}
}

// keyer builds a key from parts, each length-prefixed so that no two lists
// of parts give the same bytes.
type keyer struct{ b []byte }

func (k *keyer) add(parts ...string) *keyer {
	for _, p := range parts {
		k.b = strconv.AppendInt(k.b, int64(len(p)), 10)
		k.b = append(k.b, ':')
		k.b = append(k.b, p...)
	}
	return k
}

func (k *keyer) sum() [32]byte { return sha256.Sum256(k.b) }

// exportIndex memoises exportDigest, which reads and digests a package's
// whole export data, by the name the go command's build cache gives the
// file (the SHA-256 of its content) and the root it is digested relative
// to. The digest is a function of those two alone, so a memo answers as
// recomputing would; without it a run whose verdicts all hit would read
// every handler's export data anyway, and cost more than no cache. One
// entry per root holds the names a run used: read once, written once when
// it changed.
type exportIndex struct {
	c        *cache
	key      [32]byte
	mu       sync.Mutex
	old, now map[string]string
}

func (c *cache) exportIndex(root string) *exportIndex {
	x := &exportIndex{c: c, key: (&keyer{}).add(cacheFormat, "export index", root).sum(), now: map[string]string{}}
	if !c.get(x.key, &x.old) {
		x.old = nil
	}
	return x
}

// lookup returns the digest recorded for a build cache file name.
func (x *exportIndex) lookup(name string) (string, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	d, ok := x.now[name]
	if !ok {
		if d, ok = x.old[name]; ok {
			x.now[name] = d
		}
	}
	return d, ok
}

// store records the digest of a build cache file name.
func (x *exportIndex) store(name, digest string) {
	x.mu.Lock()
	x.now[name] = digest
	x.mu.Unlock()
}

// save writes the names this run used, when they are not what was read.
func (x *exportIndex) save() {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.now) == 0 || maps.Equal(x.now, x.old) {
		return
	}
	x.c.put(x.key, x.now)
}
