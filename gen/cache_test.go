package gen

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
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
	base := t.TempDir()
	fix := filepath.Join(base, "fixture")
	if err := os.CopyFS(fix, os.DirFS("testdata/fixture")); err != nil {
		t.Fatal(err)
	}
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
	writeFiles(t, fix, files)

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
			for _, round := range []string{"miss", "hit", "damaged", "hit again"} {
				if round == "damaged" {
					damage(t, dir)
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

// TestFileIDReplacedBinary: a handlergen binary replaced by another build
// of the same size with the same modification time (a small change,
// restored from an archive, a reproducible build) is another binary to
// the cache.
func TestFileIDReplacedBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux gives a change time")
	}
	dir := t.TempDir()
	exe := filepath.Join(dir, "handlergen")
	when := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	install := func(content string) string {
		t.Helper()
		tmp := filepath.Join(dir, "new")
		if err := os.WriteFile(tmp, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, when, when); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, exe); err != nil {
			t.Fatal(err)
		}
		return fileID(exe)
	}
	first := install("build A")
	if fileID(exe) != first {
		t.Fatal("the identity of an unchanged file changed")
	}
	if second := install("build B"); second == first {
		t.Error("a replaced binary of the same size and modification time has the same identity")
	}
}
