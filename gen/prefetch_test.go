package gen

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPrefetch: the load started from the registry on disk is used when
// the contracts ask for the same packages, and gives the result a load
// after the contracts gives; when they ask for others it is not used.
func TestPrefetch(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	fix := filepath.Join(t.TempDir(), "fixture")
	CopyCase(t, "fixture", fix)
	useCache(t, "off") // so that check runs prefetch too
	cfg := Config{Dir: fix, Inputs: []string{"contracts"}, Output: "out/registry_gen.go", Interface: "example.com/fixture/iface.Handler"}
	run := func(mode Mode) (string, int64) {
		t.Helper()
		n := prefetchUses.Load()
		res, err := Run(context.Background(), cfg, mode)
		if err != nil {
			t.Fatal(err)
		}
		ds, _ := json.Marshal(res.Diags)
		return string(res.Source) + string(ds), prefetchUses.Load() - n
	}
	first, used := run(Generate) // no file yet: nothing to prefetch
	if used != 0 {
		t.Fatalf("prefetched without a registry on disk")
	}
	res, err := Run(context.Background(), cfg, Generate)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fix, "out", "registry_gen.go"), res.Source, 0o644); err != nil {
		t.Fatal(err)
	}
	again, used := run(Generate)
	if used != 1 || again != first {
		t.Errorf("same packages: prefetch used %d times; result differs: %v", used, again != first)
	}
	if _, used := run(Check); used != 1 {
		t.Errorf("check: prefetch used %d times", used)
	}
	writeFiles(t, fix, map[string]string{"contracts/missing/handler_contract.yaml": "handler_name: missing\nhandler_class: example.com/fixture/bad.Missing\nhandler_type: compute\n"})
	if out, used := run(Generate); used != 0 || !strings.Contains(out, "HANDLER_LOADER_006") {
		t.Errorf("other packages: prefetch used %d times; result %s", used, out)
	}
}

// TestPrefetchRelease: once the run knows which packages it loads, the
// prefetched loads it does not use are stopped before its own load
// starts, and the one it uses is not.
func TestPrefetchRelease(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pf := &prefetcher{cancel: cancel}
	for _, path := range []string{"example.com/a", "example.com/b"} {
		p := &prefetch{dir: "/m", paths: map[string]bool{path: true}, done: make(chan struct{})}
		p.ctx, p.cancel = context.WithCancel(ctx)
		pf.loads = append(pf.loads, p)
	}
	used, unused := pf.loads[0], pf.loads[1]
	if got := pf.claim("/m", map[string]bool{"example.com/a": true}); got != used {
		t.Fatalf("claim returned %v, want the load of the same packages", got)
	}
	if got := pf.claim("/other", map[string]bool{"example.com/b": true}); got != nil {
		t.Fatalf("claim from another directory returned a load")
	}
	pf.release()
	if unused.ctx.Err() == nil {
		t.Errorf("the load nobody claimed still runs")
	}
	if used.ctx.Err() != nil {
		t.Errorf("the claimed load was stopped")
	}
	pf.stop()
	if used.ctx.Err() == nil {
		t.Errorf("stop left a load running")
	}
	var none *prefetcher
	none.release()
	if ld, ok := none.claim("/m", nil).take(); ld != nil || ok {
		t.Errorf("no prefetcher gave a load")
	}
}
