package gen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/handlergen/handlergen/registry"
)

// useCache points the process's cache at dir ("off" disables it) for the
// rest of the test.
func useCache(t *testing.T, dir string) {
	t.Setenv(cacheEnv, dir)
	cacheOnce, theCache = sync.Once{}, nil
	t.Cleanup(func() { cacheOnce, theCache = sync.Once{}, nil })
}

// TestCacheHitEqualsMiss runs the same check with the cache off, on an
// empty cache (every verification a miss, stored), on the filled cache
// (every one a hit) and on a cache whose every entry has been damaged (a
// miss again), and expects the same bytes and the same diagnostics each
// time: for a registry that generates, and for one whose contracts fail
// verification in every way the fixture offers.
func TestCacheHitEqualsMiss(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	fix := cacheFixture(t, filepath.Join(t.TempDir(), "fixture"))
	for _, set := range []string{"good", "mixed"} {
		t.Run(set, func(t *testing.T) {
			cfg := Config{Dir: fix, Inputs: []string{set}, Output: "out/registry_gen.go", Interface: "example.com/fixture/iface.Handler"}
			check := func() (string, string) {
				t.Helper()
				res, err := Run(context.Background(), cfg, Check)
				if err != nil {
					t.Fatal(err)
				}
				ds, _ := json.Marshal(res.Diags)
				return string(res.Source), string(ds)
			}
			useCache(t, "off")
			wantSrc, wantDiags := check()
			if set == "good" && wantSrc == "" || set == "mixed" && !strings.Contains(wantDiags, "HANDLER_LOADER_006") {
				t.Fatalf("reference run: source %d bytes, diagnostics %s", len(wantSrc), wantDiags)
			}
			dir := filepath.Join(t.TempDir(), "cache")
			useCache(t, dir)
			for _, round := range []string{"miss", "hit", "damaged", "hit again", "forged", "hit after forged"} {
				switch round {
				case "damaged":
					damage(t, dir)
				case "forged":
					forge(t, dir)
				}
				h0, m0 := cacheStats.hits.Load(), cacheStats.misses.Load()
				src, ds := check()
				hits, misses := cacheStats.hits.Load()-h0, cacheStats.misses.Load()-m0
				if src != wantSrc || ds != wantDiags {
					t.Errorf("%s: output or diagnostics differ from the uncached run:\n%s\n%s\n--- want\n%s\n%s", round, src, ds, wantSrc, wantDiags)
				}
				hit := strings.HasPrefix(round, "hit")
				if hit && (hits == 0 || misses != 0) || !hit && hits != 0 {
					t.Errorf("%s: %d hits, %d misses", round, hits, misses)
				}
			}
		})
	}
}

// cacheFixture copies testdata/cases/fixture to dir and adds two registries:
// good, whose handlers all verify, and mixed, whose contracts also fail
// verification in every way the fixture offers.
func cacheFixture(t *testing.T, dir string) string {
	t.Helper()
	CopyCase(t, "fixture", dir)
	good := []string{"good.Value", "good.Pointer", "good.WithCtor", "good.Plain", "good.Level"}
	bad := []string{"bad.Missing", "bad.WrongSig", "bad.Generic", "bad.GenericInt", "bad.PtrAlias", "bad.unexported", "bad.Fn",
		"bad.Helper", "bad.Iface", "good.Valeu", "bad.BadCtor", "broken.Broken"}
	files := map[string]string{}
	for i, cls := range append(good, bad...) {
		set := "good"
		if i >= len(good) {
			set = "mixed"
		}
		for _, s := range []string{set, "mixed"} {
			files[filepath.Join(s, strings.ReplaceAll(cls, ".", "_"), "handler_contract.yaml")] =
				"handler_name: " + cls + "\nhandler_class: example.com/fixture/" + cls + "\nhandler_type: compute\n"
		}
	}
	writeFiles(t, dir, files)
	return dir
}

// cacheCheck runs a check of cfg and returns its output and diagnostics,
// and how many verifications the cache answered and did not.
func cacheCheck(t *testing.T, cfg Config) (src, diags string, hits, misses int64) {
	t.Helper()
	h0, m0 := cacheStats.hits.Load(), cacheStats.misses.Load()
	res, err := Run(context.Background(), cfg, Check)
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := json.Marshal(res.Diags)
	return string(res.Source), string(ds), cacheStats.hits.Load() - h0, cacheStats.misses.Load() - m0
}

// TestCacheRestoredElsewhere: a cache filled by runs on a tree, copied to
// another directory, answers every verification of the same runs on a
// copy of the tree at another path (of another length), as a CI runner
// restores a cache into a new checkout, with the bytes and diagnostics of
// a run without the cache — positions in the tree included, in registries
// at the module root and in a subdirectory.
func TestCacheRestoredElsewhere(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	base := t.TempDir()
	first := cacheFixture(t, filepath.Join(base, "a", "fixture"))
	cacheA := filepath.Join(base, "cache")
	configs := func(fix string) map[string]Config {
		cfgs := map[string]Config{}
		for _, set := range []string{"good", "mixed"} {
			cfgs[set] = Config{Dir: fix, Inputs: []string{set}, Output: "out/registry_gen.go", Interface: "example.com/fixture/iface.Handler"}
			cfgs[set+" from its directory"] = Config{Dir: filepath.Join(fix, set), Inputs: []string{"."}, Output: "../out/registry_gen.go", Interface: "example.com/fixture/iface.Handler"}
		}
		return cfgs
	}
	useCache(t, cacheA)
	for name, cfg := range configs(first) {
		if _, _, _, misses := cacheCheck(t, cfg); misses == 0 {
			t.Fatalf("%s: the first run found its verifications in an empty cache", name)
		}
	}

	moved := filepath.Join(base, "checkout", "of", "the", "same", "tree")
	if err := os.CopyFS(moved, os.DirFS(first)); err != nil {
		t.Fatal(err)
	}
	cacheB := filepath.Join(base, "restored", "handlergen-cache")
	if err := os.CopyFS(cacheB, os.DirFS(cacheA)); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(first); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range configs(moved) {
		useCache(t, "off")
		wantSrc, wantDiags, _, _ := cacheCheck(t, cfg)
		if strings.HasPrefix(name, "good") && wantSrc == "" || strings.HasPrefix(name, "mixed") && !strings.Contains(wantDiags, `bad/bad.go"`) {
			t.Fatalf("%s: reference run: source %d bytes, diagnostics %s", name, len(wantSrc), wantDiags)
		}
		useCache(t, cacheB)
		src, diags, hits, misses := cacheCheck(t, cfg)
		if hits == 0 || misses != 0 {
			t.Errorf("%s: %d hits, %d misses in the restored cache", name, hits, misses)
		}
		if src != wantSrc || diags != wantDiags {
			t.Errorf("%s: output or diagnostics differ from the uncached run:\n%s\n%s\n--- want\n%s\n%s", name, src, diags, wantSrc, wantDiags)
		}
	}
}

// TestExportID: the export data of a package of the tree is digested with
// its file names relative to the tree (the format is known: a toolchain
// that changes it fails here rather than leave every cache unable to move),
// so two copies of the tree give the same digest, and an edit another;
// a package outside the tree is named by its file in the go command's
// build cache, which is the hash of its content.
func TestExportID(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	base := t.TempDir()
	id := func(fix, path string) string {
		t.Helper()
		ld, err := loadPackages(context.Background(), fix, map[string]bool{path: true})
		if err != nil {
			t.Fatal(err)
		}
		p := ld.byPath[path]
		if p == nil || p.ExportFile == "" {
			t.Fatalf("%s: no export data", path)
		}
		return ld.exportID(p)
	}
	a, b := filepath.Join(base, "a"), filepath.Join(base, "copy", "of", "a")
	for _, dir := range []string{a, b} {
		CopyCase(t, "fixture", dir)
	}
	const good = "example.com/fixture/good"
	first := id(a, good)
	if !strings.HasPrefix(first, "unified ") {
		t.Fatalf("export data of the tree not digested as unified export data: %s", first)
	}
	if again := id(b, good); again != first {
		t.Errorf("a copy of the tree has another digest: %s, want %s", again, first)
	}
	writeFiles(t, b, map[string]string{"good/more.go": "package good\n\nfunc (Value) More() {}\n"})
	if edited := id(b, good); edited == first {
		t.Error("a method added to the package kept its digest")
	}
	if std := id(a, "context"); os.Getenv("GOCACHEPROG") == "" && !strings.HasPrefix(std, "go build cache ") {
		t.Errorf("a standard package's export data is %s, not named by the go build cache", std)
	}
}

// TestCacheOtherBuild: the entries of one build of handlergen are not
// another build's, and are still there for the first.
func TestCacheOtherBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	fix := cacheFixture(t, filepath.Join(t.TempDir(), "fixture"))
	dir := filepath.Join(t.TempDir(), "cache")
	cfg := Config{Dir: fix, Inputs: []string{"mixed"}, Output: "out/registry_gen.go", Interface: "example.com/fixture/iface.Handler"}
	build := selfID
	t.Cleanup(func() { selfID = build })
	for _, run := range []struct {
		name     string
		self     func() string
		wantHits bool
	}{
		{"first", build, false},
		{"same build", build, true},
		{"another build", func() string { return "sha256:another build" }, false},
		{"first build again", build, true},
	} {
		selfID = run.self
		useCache(t, dir)
		_, _, hits, misses := cacheCheck(t, cfg)
		if run.wantHits && (hits == 0 || misses != 0) || !run.wantHits && (hits != 0 || misses == 0) {
			t.Errorf("%s: %d hits, %d misses", run.name, hits, misses)
		}
	}
	selfID = func() string { return "" }
	useCache(t, dir)
	if openCache() != nil {
		t.Error("a build that cannot be identified has a cache")
	}
}

// TestCacheTrim: as the go command trims its build cache, an entry unused
// for five days (and an hour) is removed, at most once a day; a hit marks
// an entry used when its last use is more than an hour ago.
func TestCacheTrim(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := now
	cacheNow = func() time.Time { return clock }
	t.Cleanup(func() { cacheNow = time.Now })
	n := 0
	// file makes a file in the cache directory sub last used age ago,
	// named as an entry unless it is given a name.
	file := func(sub, name string, age time.Duration) string {
		t.Helper()
		n++
		key := hex.EncodeToString([]byte{byte(n)}) + strings.Repeat("0", 62)
		if name == "" {
			name = key
		}
		rel := filepath.Join(sub, key[:2], name)
		writeFiles(t, dir, map[string]string{rel: "entry"})
		p := filepath.Join(dir, rel)
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	exists := func(p string) bool {
		_, err := os.Lstat(p)
		return err == nil
	}
	const day = 24 * time.Hour
	old := file(cacheSubdir, "", 5*day+2*time.Hour)
	oldTmp := file(cacheSubdir, ".tmp-123", 6*day)
	oldFormat := file("verify-1", "", 30*day)
	fresh := file(cacheSubdir, "", 5*day)
	stranger := file(cacheSubdir, "README", 30*day)

	trim(dir, now)
	for p, want := range map[string]bool{old: false, oldTmp: false, oldFormat: false, fresh: true, stranger: true} {
		if exists(p) != want {
			t.Errorf("after a trim, %s exists: %v, want %v", p, !want, want)
		}
	}
	if !exists(filepath.Join(dir, "trim.txt")) {
		t.Fatal("the trim left no trim.txt")
	}
	// Within a day of that trim, another one does nothing; after, it
	// trims.
	late := file(cacheSubdir, "", 6*day)
	trim(dir, now.Add(23*time.Hour))
	if !exists(late) {
		t.Error("a second trim within a day removed an entry")
	}
	clock = now.Add(25 * time.Hour)
	useCache(t, dir) // opening the cache trims when due
	c := openCache()
	if c == nil {
		t.Fatal("no cache")
	}
	if exists(late) {
		t.Error("a trim a day after the last did not remove an old entry")
	}

	// A hit refreshes an entry's time of use if it is older than an hour.
	key := sha256.Sum256([]byte("key"))
	c.put(key, verdict{OK: true})
	for _, tc := range []struct {
		age     time.Duration
		touched bool
	}{{2 * time.Hour, true}, {30 * time.Minute, false}} {
		then := clock.Add(-tc.age)
		if err := os.Chtimes(c.file(key), then, then); err != nil {
			t.Fatal(err)
		}
		var v verdict
		if !c.get(key, &v) {
			t.Fatal("the entry is not there")
		}
		fi, err := os.Stat(c.file(key))
		if err != nil {
			t.Fatal(err)
		}
		if touched := fi.ModTime().Equal(clock); touched != tc.touched {
			t.Errorf("a hit on an entry last used %v ago: time of use refreshed %v, want %v", tc.age, touched, tc.touched)
		}
	}
}

// forge rewrites every entry of the cache in dir, checksum and all, into a
// verdict verify never makes, each in another way: a package name or a
// constructor that would be code in the registry file, a code or a
// severity that does not exist.
func forge(t *testing.T, dir string) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Base(p) == "trim.txt" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, payload, _ := bytes.Cut(data, []byte("\n"))
		var v verdict
		if err := json.Unmarshal(payload, &v); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		switch n % 4 {
		case 0:
			v.OK, v.PkgName = true, "good; func init() { panic(1) }; var _ = good"
		case 1:
			v.OK, v.PkgName, v.Ctor = true, "good", &Constructor{Name: "NewValue(); evil()//"}
		case 2:
			v.Diags = append(v.Diags, cachedDiag{Code: 9999, Message: "m"})
		case 3:
			v.Diags = append(v.Diags, cachedDiag{Code: uint16(registry.ClassNotFound), Severity: 7, Message: "m"})
		}
		n++
		payload, err = json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(payload)
		return os.WriteFile(p, append([]byte(cacheFormat+" "+hex.EncodeToString(sum[:])+"\n"), payload...), 0o644)
	})
	if n == 0 {
		t.Fatal("no cache entries to forge")
	}
}

// damage spoils every entry of the cache in dir, each in another way.
func damage(t *testing.T, dir string) {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		switch n % 4 {
		case 0:
			data = data[:len(data)/2] // truncated
		case 1:
			data[len(data)-2] ^= 1 // one bit of the payload
		case 2:
			data = []byte("garbage")
		case 3:
			data = nil
		}
		n++
		return os.WriteFile(p, data, 0o644)
	})
	if n == 0 {
		t.Fatal("no cache entries to damage")
	}
}
