package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// exportID identifies p's export data by its content, for the cache keys
// (digest), the same wherever the module or workspace at ld.root lies. ""
// when it cannot be read.
//
// Export data holds the absolute names of the files it declares things
// in, and the go command builds a package of the tree below another path
// into other bytes. A package with files in the tree is therefore read,
// and digested with every file name as pkgRel will see it (exportDigest);
// any other package by the name the go command's build cache gives the
// file, which is the SHA-256 of its content, when it has that name.
func (ld *loaded) exportID(p *packages.Package) string {
	named := goCacheNamed(p.ExportFile)
	if named && !hasFileIn(ld.root, p) {
		return "go build cache " + filepath.Base(p.ExportFile)
	}
	if named && ld.index != nil {
		if d, ok := ld.index.lookup(filepath.Base(p.ExportFile)); ok {
			return d
		}
	}
	d := exportDigest(p.ExportFile, ld.root)
	if named && ld.index != nil && d != "" {
		ld.index.store(filepath.Base(p.ExportFile), d)
	}
	return d
}

// goCacheName is the name of a file in the go command's build cache
// (GOCACHE/xx/<SHA-256 of the content>-d).
var goCacheName = regexp.MustCompile(`^[0-9a-f]{64}-d$`)

// goCacheNamed reports whether file is named by its content as the go
// command names the files of its build cache. (A GOPACKAGESDRIVER's files
// are not, and are read.)
func goCacheNamed(file string) bool {
	base := filepath.Base(file)
	return goCacheName.MatchString(base) && filepath.Base(filepath.Dir(file)) == base[:2]
}

// hasFileIn reports whether some file of p lies in the tree at root.
func hasFileIn(root string, p *packages.Package) bool {
	for _, files := range [][]string{p.GoFiles, p.CompiledGoFiles} {
		for _, f := range files {
			if _, ok := inTree(root, f); ok {
				return true
			}
		}
	}
	return false
}

// maxExportData bounds what exportDigest reads.
const maxExportData = 1 << 30

// exportDigest is the digest of the export data in file (what readExport
// reads of it). In the unified format, which the compiler writes, each
// string that only names a file is digested as fileKey names it relative
// to root (unifiedDigest); any other export data by its bytes. "" when the
// file cannot be read.
func exportDigest(file, root string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	//lint:ignore SA1019 go list -export names compiler archives until Go 1.28, and only NewReader finds their export data.
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return ""
	}
	data, err := io.ReadAll(io.LimitReader(r, maxExportData+1))
	if err != nil || len(data) > maxExportData {
		return ""
	}
	h := sha256.New()
	if len(data) > 0 && data[0] == 'u' && unifiedDigest(h, data[1:], root) {
		return "unified " + hex.EncodeToString(h.Sum(nil))
	}
	h.Reset()
	h.Write(data)
	return "bytes " + hex.EncodeToString(h.Sum(nil))
}

// The layout of unified export data (internal/pkgbits): a version, flags
// from version 1, the cumulative element counts of its sections, the end
// offset of every element, the elements' bytes and an 8-byte fingerprint
// of them. Strings are the elements of the first section; every other
// element begins with its table of references to elements (section and
// index, as uvarints), which is how it uses a string. A position base
// (second section) uses one string, the name of its file.
const (
	unifiedMaxVersion = 2
	unifiedSections   = 10
	sectionString     = 0
	sectionPosBase    = 2
	flagSyncMarkers   = 1
	fingerprintSize   = 8
)

// unifiedDigest writes to h a digest of the unified export data in data in
// which each string that only position bases use, a file name, is replaced
// by its fileKey relative to root: all that a position's file contributes
// to what verify reports (pkgRel). Every other byte is digested as it is,
// except the fingerprint, which is a hash of the rest. It reports false
// when data is not laid out as this knows (a later version, sync markers
// for debugging, anything inconsistent), and then the caller digests the
// bytes.
func unifiedDigest(h hash.Hash, data []byte, root string) bool {
	le := binary.LittleEndian
	word := func() (uint32, bool) {
		if len(data) < 4 {
			return 0, false
		}
		w := le.Uint32(data)
		data = data[4:]
		return w, true
	}
	version, ok := word()
	if !ok || version > unifiedMaxVersion {
		return false
	}
	var flags uint32
	if version >= 1 {
		if flags, ok = word(); !ok || flags&flagSyncMarkers != 0 {
			return false
		}
	}
	var sectionEnds [unifiedSections]uint32
	for i := range sectionEnds {
		if sectionEnds[i], ok = word(); !ok || i > 0 && sectionEnds[i] < sectionEnds[i-1] {
			return false
		}
	}
	n := sectionEnds[unifiedSections-1]
	if uint64(n)*4 > uint64(len(data)) {
		return false
	}
	elemEnds := make([]uint32, n)
	for i := range elemEnds {
		elemEnds[i], _ = word()
		if i > 0 && elemEnds[i] < elemEnds[i-1] {
			return false
		}
	}
	var size uint32
	if n > 0 {
		size = elemEnds[n-1]
	}
	if uint64(len(data)) != uint64(size)+fingerprintSize {
		return false
	}
	elem := func(i uint32) []byte {
		start := uint32(0)
		if i > 0 {
			start = elemEnds[i-1]
		}
		return data[start:elemEnds[i]]
	}
	section := func(i uint32) int {
		k := 0
		for i >= sectionEnds[k] {
			k++
		}
		return k
	}

	// Which strings are only file names.
	const (
		unused = iota
		fileName
		other
	)
	nStrings := sectionEnds[sectionString]
	use := make([]uint8, nStrings)
	for i := nStrings; i < n; i++ {
		e, k := elem(i), section(i)
		refs, m := binary.Uvarint(e)
		if m <= 0 || refs > uint64(len(e)) {
			return false
		}
		e = e[m:]
		for range refs {
			kind, m := binary.Uvarint(e)
			if m <= 0 {
				return false
			}
			e = e[m:]
			idx, m := binary.Uvarint(e)
			if m <= 0 || kind >= unifiedSections {
				return false
			}
			e = e[m:]
			lo := uint64(0)
			if kind > 0 {
				lo = uint64(sectionEnds[kind-1])
			}
			if lo+idx >= uint64(sectionEnds[kind]) {
				return false
			}
			if kind != sectionString {
				continue
			}
			switch {
			case k != sectionPosBase:
				use[idx] = other
			case use[idx] == unused:
				use[idx] = fileName
			}
		}
	}

	// The digest: the header as it is, then every element, length first.
	h.Write(strconv.AppendUint(nil, uint64(version), 10))
	h.Write(strconv.AppendUint([]byte{' '}, uint64(flags), 10))
	for _, end := range sectionEnds {
		h.Write(strconv.AppendUint([]byte{' '}, uint64(end), 10))
	}
	h.Write([]byte{'\n'})
	for i := range n {
		e := elem(i)
		if i < nStrings && use[i] == fileName {
			e = []byte(fileKey(root, string(e)))
			h.Write([]byte{'f'})
		} else {
			h.Write([]byte{'e'})
		}
		h.Write(strconv.AppendUint(nil, uint64(len(e)), 10))
		h.Write([]byte{':'})
		h.Write(e)
	}
	return true
}
