// Command benchtool is handlergen's benchmark harness (make bench). For each
// N it writes a synthetic module (internal/synth), then measures, as medians
// of several runs with the contenders interleaved so that load on the
// machine hits both alike:
//
//   - warm handlergen generate and check against the floor,
//     go list -e -export -deps -json on the same packages;
//   - cold generate (empty GOCACHE) against a cold go build of the same
//     packages;
//   - peak RSS of each (ru_maxrss of the child: the largest process of
//     its tree, which for handlergen is itself or its go list);
//   - the compile time of the generated package against a hand-written
//     map literal over the same handlers, and what each costs at program
//     start (GODEBUG=inittrace=1);
//
// then profiles one in-process gen.Run, runs the registry's Go benchmarks,
// and writes the tables into BENCHMARKS.md (between the markers) and a chart
// of generate time against N, with the floor beside it, as SVG.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/synth"
)

var (
	flagN        = flag.String("n", "100 1000 10000", "handler counts, space-separated")
	flagRuns     = flag.Int("runs", 5, "measured runs per warm measurement (after one warm-up)")
	flagCold     = flag.String("cold", "", "handler counts to measure cold (empty GOCACHE); default: every N; 0: none")
	flagColdRuns = flag.Int("cold-runs", 3, "cold runs per N up to 1,000; larger N get one")
	flagWork     = flag.String("work", "", "work directory (default: a temporary directory, removed afterwards)")
	flagOut      = flag.String("o", "BENCHMARKS.md", "Markdown file whose generated section is rewritten")
	flagSVG      = flag.String("svg", "docs/bench.svg", "chart file")
	flagGoBench  = flag.Bool("gobench", true, "run the registry's Go benchmarks")
)

const (
	beginMark = "<!-- benchtool:begin -->"
	endMark   = "<!-- benchtool:end -->"
)

func main() {
	log.SetFlags(log.Ltime)
	log.SetPrefix("benchtool: ")
	flag.Parse()
	repo, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(repo, "cmd", "handlergen")); err != nil {
		log.Fatal("run from the repository root (make bench)")
	}
	ns := parseInts(*flagN)
	cold := ns
	if *flagCold != "" {
		cold = parseInts(*flagCold)
	}
	work := *flagWork
	if work == "" {
		work, err = os.MkdirTemp("", "handlergen-bench-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(work)
	}
	// The synthetic modules replace handlergen with a snapshot of the
	// tree, so edits made while the benchmark runs cannot change it.
	snap := filepath.Join(work, "handlergen-src")
	if err := snapshot(repo, snap); err != nil {
		log.Fatal(err)
	}
	// In-process runs (stage timings, the profile) do all the work: the
	// cache is off for this process; the children get their own setting.
	os.Setenv("HANDLERGEN_CACHE", "off")
	b := &bench{repo: snap, live: repo, work: work, runs: *flagRuns, machine: describeMachine()}
	b.build()
	for _, n := range ns {
		b.size(n, slices.Contains(cold, n))
	}
	b.profile(ns[len(ns)-1])
	if *flagGoBench {
		b.goBench()
	}
	b.machine.loadAfter = loadAvg()
	if err := os.MkdirAll(filepath.Dir(*flagSVG), 0o755); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*flagSVG, chart(b.results), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := b.writeReport(*flagOut); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s", *flagOut, *flagSVG)
}

// snapshot copies the module at src (its Go files, go.mod and go.sum, not
// .git or testdata) to dst.
func snapshot(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "docs") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !(strings.HasSuffix(p, ".go") || rel == "go.mod" || rel == "go.sum") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, data, 0o644)
	})
}

func parseInts(s string) []int {
	var out []int
	for _, f := range strings.Fields(s) {
		n, err := strconv.Atoi(strings.ReplaceAll(f, ",", ""))
		if err != nil || n < 0 {
			log.Fatalf("bad count %q", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		log.Fatal("no counts")
	}
	slices.Sort(out)
	return out
}

type bench struct {
	repo, work string
	live       string // the working tree, for go test -bench
	runs       int
	handlergen string
	machine    machine
	results    []*result
	profileTop string
	stages     gen.Timings
	goBenches  []goBench
	isoBenches []goBench // module isolate: a call in a host against in process
}

// sample is one measured process.
type sample struct {
	wall   time.Duration
	maxRSS int64 // bytes
}

type stat struct {
	wall   time.Duration // median
	min    time.Duration
	maxRSS int64 // median
	runs   int
}

func summarize(ss []sample) stat {
	if len(ss) == 0 {
		return stat{}
	}
	ws := make([]time.Duration, len(ss))
	rs := make([]int64, len(ss))
	for i, s := range ss {
		ws[i], rs[i] = s.wall, s.maxRSS
	}
	slices.Sort(ws)
	slices.Sort(rs)
	return stat{wall: ws[len(ws)/2], min: ws[0], maxRSS: rs[len(rs)/2], runs: len(ss)}
}

type initCost struct {
	clock  float64 // ms, median
	bytes  int64
	allocs int64
	start  time.Duration // whole process, median
}

type result struct {
	n                       int
	generate, floor, check  stat
	coldGen, coldBuild      stat
	compileGen, compileMap  stat
	initGen, initMap        initCost
	genFileBytes, mapFileSz int64
	stages                  gen.Timings // one in-process check run, cache off
	genOff, genEdit         stat        // cache off; cache on after one package changed
	floorEdit               stat        // the floor after one package changed
	checkRepeat             stat        // check again, nothing changed since a clean check
}

func (b *bench) build() {
	b.handlergen = filepath.Join(b.work, "handlergen")
	b.mustRun(b.repo, nil, "go", "build", "-o", b.handlergen, "./cmd/handlergen")
}

// run starts a command and returns its wall time and peak RSS.
func (b *bench) run(dir string, env []string, name string, args ...string) (sample, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = io.Discard
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%s %s: %v\n%s", name, strings.Join(abbrev(args), " "), err, tail(stderr.String()))
	}
	s := sample{wall: wall}
	s.maxRSS = maxRSS(cmd.ProcessState)
	return s, nil
}

func (b *bench) mustRun(dir string, env []string, name string, args ...string) sample {
	s, err := b.run(dir, env, name, args...)
	if err != nil {
		log.Fatal(err)
	}
	return s
}

func abbrev(args []string) []string {
	if len(args) > 8 {
		return append(slices.Clip(args[:8]), fmt.Sprintf("... (%d more)", len(args)-8))
	}
	return args
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

func (b *bench) size(n int, cold bool) {
	dir := filepath.Join(b.work, fmt.Sprintf("n%d", n))
	if err := os.RemoveAll(dir); err != nil {
		log.Fatal(err)
	}
	// The interface lives in the main module, the common layout (and the
	// one a large registry once failed on).
	l, err := synth.Write(dir, synth.Options{N: n, Repo: b.repo, LocalInterface: true})
	if err != nil {
		log.Fatal(err)
	}
	r := &result{n: n}
	b.results = append(b.results, r)
	app := filepath.Join(dir, l.Outputs[0])
	genArgs := []string{"-interface", l.Interface, "-o", "registry_gen.go", "../" + l.Inputs[0]}
	patterns := append(slices.Clone(l.Handlers), l.IfacePkg)
	floorArgs := append([]string{"list", "-e", "-export", "-deps", "-json"}, patterns...)

	// handlergen's verification cache: its own directory per N, filled by
	// the warm-up; "off" for the uncached contender.
	on := []string{"HANDLERGEN_CACHE=" + filepath.Join(b.work, fmt.Sprintf("hgcache-%d", n))}
	off := []string{"HANDLERGEN_CACHE=off"}
	// edit changes one handler package's exported API (so its export data
	// and its cache key change), as an edit during development does.
	edit := func() {
		src := fmt.Sprintf("package %s\n\n// BenchEdit changes with every edit.\nconst BenchEdit = %d\n", synth.PkgName(0), time.Now().UnixNano())
		if err := os.WriteFile(filepath.Join(dir, l.Inputs[0], synth.PkgName(0), "zz_edit.go"), []byte(src), 0o644); err != nil {
			log.Fatal(err)
		}
	}

	// Warm-up: fills the build cache and handlergen's, and writes the registry.
	log.Printf("N=%d: warm-up", n)
	b.mustRun(app, on, b.handlergen, genArgs...)
	b.mustRun(dir, nil, "go", floorArgs...)
	b.mustRun(app, on, b.handlergen, append([]string{"check"}, genArgs...)...)
	b.mustRun(app, off, b.handlergen, genArgs...)

	log.Printf("N=%d: warm generate (cache on, off, one package edited), floor, check ×%d", n, b.runs)
	var g, f, c, crep, goff, gedit, fedit []sample
	for range b.runs {
		g = append(g, b.mustRun(app, on, b.handlergen, genArgs...))
		f = append(f, b.mustRun(dir, nil, "go", floorArgs...))
		c = append(c, b.mustRun(app, on, b.handlergen, append([]string{"check"}, genArgs...)...))
		// Nothing changed since that clean check: answered from the cache.
		crep = append(crep, b.mustRun(app, on, b.handlergen, append([]string{"check"}, genArgs...)...))
		goff = append(goff, b.mustRun(app, off, b.handlergen, genArgs...))
		edit()
		gedit = append(gedit, b.mustRun(app, on, b.handlergen, genArgs...))
		edit()
		fedit = append(fedit, b.mustRun(dir, nil, "go", floorArgs...))
	}
	r.generate, r.floor, r.check = summarize(g), summarize(f), summarize(c)
	r.genOff, r.genEdit, r.floorEdit, r.checkRepeat = summarize(goff), summarize(gedit), summarize(fedit), summarize(crep)

	log.Printf("N=%d: stages of one in-process check", n)
	r.stages = b.checkInProcess(app, l)

	log.Printf("N=%d: compile of the generated package and the map literal", n)
	r.genFileBytes = fileSize(filepath.Join(app, "registry_gen.go"))
	r.mapFileSz = fileSize(filepath.Join(dir, "maplit", "maplit.go"))
	var cg, cm []sample
	for i := range b.runs + 1 {
		sg := b.compile(dir, l.Outputs[0], i)
		sm := b.compile(dir, "maplit", i)
		if i > 0 { // the first compiles after a change of the file itself
			cg, cm = append(cg, sg), append(cm, sm)
		}
	}
	r.compileGen, r.compileMap = summarize(cg), summarize(cm)

	log.Printf("N=%d: program start", n)
	r.initGen = b.initCost(dir, l.Outputs[0])
	r.initMap = b.initCost(dir, "maplit")

	if cold {
		runs := *flagColdRuns
		if n > 1000 {
			runs = 1
		}
		log.Printf("N=%d: cold generate and go build ×%d", n, runs)
		var cg, cb []sample
		for i := range runs {
			cg = append(cg, b.coldRun(fmt.Sprintf("gen%d-%d", n, i), app, b.handlergen, genArgs...))
			cb = append(cb, b.coldRun(fmt.Sprintf("build%d-%d", n, i), dir, "go", append([]string{"build"}, patterns...)...))
		}
		r.coldGen, r.coldBuild = summarize(cg), summarize(cb)
	}
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		log.Fatal(err)
	}
	return fi.Size()
}

// compile changes a constant in pkg (so the go command must compile that
// package again, and only it) and returns the compile command's real time
// from the go command's action graph.
func (b *bench) compile(dir, pkg string, i int) sample {
	nonce := filepath.Join(dir, pkg, "zz_bench_nonce.go")
	if err := os.WriteFile(nonce, fmt.Appendf(nil, "package %s\n\nconst benchNonce = %d\n", pkg, time.Now().UnixNano()+int64(i)), 0o644); err != nil {
		log.Fatal(err)
	}
	graph := filepath.Join(b.work, "actiongraph.json")
	s := b.mustRun(dir, nil, "go", "build", "-debug-actiongraph="+graph, "./"+pkg)
	data, err := os.ReadFile(graph)
	if err != nil {
		log.Fatal(err)
	}
	var actions []struct {
		Mode, Package string
		CmdReal       time.Duration
	}
	if err := json.Unmarshal(data, &actions); err != nil {
		log.Fatal(err)
	}
	for _, a := range actions {
		if a.Mode == "build" && a.Package == synth.Module+"/"+pkg && a.CmdReal > 0 {
			return sample{wall: a.CmdReal, maxRSS: s.maxRSS}
		}
	}
	log.Fatalf("no compile action for %s in the action graph", pkg)
	return sample{}
}

var inittraceRE = regexp.MustCompile(`init (\S+) @[\d.]+ ms, ([\d.]+) ms clock, (\d+) bytes, (\d+) allocs`)

// initCost builds cmd/pkg and runs it with GODEBUG=inittrace=1.
func (b *bench) initCost(dir, pkg string) initCost {
	bin := filepath.Join(b.work, "init-"+pkg)
	b.mustRun(dir, nil, "go", "build", "-o", bin, "./cmd/"+pkg)
	var clocks []float64
	var starts []time.Duration
	var c initCost
	for range b.runs * 2 {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			log.Fatalf("%s: %v", bin, err)
		}
		starts = append(starts, time.Since(start))
		for _, m := range inittraceRE.FindAllStringSubmatch(stderr.String(), -1) {
			if m[1] != synth.Module+"/"+pkg {
				continue
			}
			ms, _ := strconv.ParseFloat(m[2], 64)
			clocks = append(clocks, ms)
			c.bytes, _ = strconv.ParseInt(m[3], 10, 64)
			c.allocs, _ = strconv.ParseInt(m[4], 10, 64)
		}
	}
	slices.Sort(clocks)
	slices.Sort(starts)
	if len(clocks) > 0 {
		c.clock = clocks[len(clocks)/2]
	}
	c.start = starts[len(starts)/2]
	return c
}

// coldRun runs a command with an empty build cache of its own.
func (b *bench) coldRun(name, dir, prog string, args ...string) sample {
	cache := filepath.Join(b.work, "gocache-"+name)
	defer os.RemoveAll(cache)
	return b.mustRun(dir, []string{"GOCACHE=" + cache}, prog, args...)
}

// checkInProcess runs gen.Run in check mode with the arguments of the
// measured runs (they are recorded in the header) and returns its stage
// timings.
func (b *bench) checkInProcess(app string, l *synth.Layout) gen.Timings {
	args := []string{"-interface", l.Interface, "-o", "registry_gen.go", "../" + l.Inputs[0]}
	res, err := gen.Run(context.Background(), gen.Config{Dir: app, Inputs: args[4:], Output: args[3], Interface: args[1], Args: args}, gen.Check)
	if err != nil {
		log.Fatal(err)
	}
	if res.Diags.HasErrors() {
		log.Fatalf("check reported errors: %v", res.Diags)
	}
	return res.Timings
}

// profile runs check in-process on the largest module with the CPU
// profiler on, and keeps the stage timings and the top of the profile.
func (b *bench) profile(n int) {
	log.Printf("N=%d: profiling gen.Run in-process", n)
	app := filepath.Join(b.work, fmt.Sprintf("n%d", n), "app0")
	prof := filepath.Join(b.work, "gen.pprof")
	f, err := os.Create(prof)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	// The arguments are recorded in the header, so they must be the ones
	// the measured runs used for check to find the file up to date.
	args := []string{"-interface", synth.IfacePath + ".Handler", "-o", "registry_gen.go", "../handlers/r0"}
	res, err := gen.Run(context.Background(), gen.Config{Dir: app, Inputs: args[4:], Output: args[3], Interface: args[1], Args: args}, gen.Check)
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	if res.Diags.HasErrors() {
		log.Fatalf("check reported errors: %v", res.Diags)
	}
	b.stages = res.Timings
	exe, _ := os.Executable()
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=30", exe, prof).Output()
	if err != nil {
		log.Printf("pprof: %v", err)
		return
	}
	// Keep the summary lines and the table, not the file names.
	var keep []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Type:") || strings.HasPrefix(line, "Time:") {
			continue
		}
		keep = append(keep, line)
	}
	b.profileTop = strings.TrimSpace(strings.Join(keep, "\n"))
}

type goBench struct {
	name   string
	nsOp   float64 // median
	allocs float64
	bytes  float64
}

var benchLineRE = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+([\d.]+) B/op\s+([\d.]+) allocs/op)?`)

// goBenchPattern selects the registry's runtime benchmarks: lookups, New,
// a registry's readiness, and what containment (registry.Contain) costs.
const goBenchPattern = "^Benchmark(Lookup|New|Ready|Contain)$"

// isolateBenchPattern selects what a call to a handler in an isolation
// host costs against the same call in process (module isolate).
const isolateBenchPattern = "^Benchmark(Execute|RawRoundTrip)$"

func (b *bench) goBench() {
	log.Printf("registry Go benchmarks")
	b.goBenches = runGoBench(b.live, "./registry", goBenchPattern, max(b.runs, 3))
	log.Printf("isolate Go benchmarks")
	b.isoBenches = runGoBench(filepath.Join(b.live, "isolate"), ".", isolateBenchPattern, max(b.runs, 3))
}

// runGoBench runs go test -bench in dir and returns each benchmark's
// medians, in the order they ran.
func runGoBench(dir, pkg, pattern string, count int) []goBench {
	cmd := exec.Command("go", "test", pkg, "-run", "^$", "-bench", pattern, "-benchmem", "-count", strconv.Itoa(count))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		log.Fatalf("go test -bench in %s: %v\n%s", dir, err, out)
	}
	type acc struct{ ns, allocs, bytes []float64 }
	byName := map[string]*acc{}
	var order []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := benchLineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		a := byName[m[1]]
		if a == nil {
			a = &acc{}
			byName[m[1]] = a
			order = append(order, m[1])
		}
		v, _ := strconv.ParseFloat(m[2], 64)
		a.ns = append(a.ns, v)
		if m[3] != "" {
			by, _ := strconv.ParseFloat(m[3], 64)
			al, _ := strconv.ParseFloat(m[4], 64)
			a.bytes, a.allocs = append(a.bytes, by), append(a.allocs, al)
		}
	}
	var gs []goBench
	for _, name := range order {
		a := byName[name]
		gs = append(gs, goBench{name: name, nsOp: medianF(a.ns), allocs: medianF(a.allocs), bytes: medianF(a.bytes)})
	}
	return gs
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}

type machine struct {
	cpu, goVersion, kernel string
	cores                  int
	memGB                  float64
	loadBefore, loadAfter  string
	date                   string
}

func describeMachine() machine {
	m := machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), loadBefore: loadAvg(), date: time.Now().UTC().Format("2006-01-02")}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "model name"); ok {
				m.cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		if _, err := fmt.Sscanf(string(data), "MemTotal: %f kB", &kb); err == nil {
			m.memGB = kb / (1 << 20)
		}
	}
	if out, err := exec.Command("uname", "-sr").Output(); err == nil {
		m.kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.Command("go", "version").Output(); err == nil {
		m.goVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	return m
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
