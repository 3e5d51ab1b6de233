package cli_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/handlergen/handlergen/internal/cicheck"
	"github.com/handlergen/handlergen/internal/cli"
)

// userCache is HANDLERGEN_CACHE as the test run was given it: "off" runs
// everything without handlergen's cache.
var userCache = os.Getenv("HANDLERGEN_CACHE")

func TestMain(m *testing.M) {
	// In-process runs never touch the user's cache; the scripts get a
	// temporary one (TestScripts).
	if userCache == "" {
		os.Setenv("HANDLERGEN_CACHE", "off")
	}
	testscript.Main(m, map[string]func(){
		"handlergen": func() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the CLI scripts in testdata/script. Each builds a small
// module in its work directory, points it at this repository with a
// replace directive ($HGROOT), and drives the real command, go build and
// go run, as a user would.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("scripts run the go command")
	}
	// Alongside the staleness suite and the build farm: each spends much
	// of its time waiting on the go command, and none changes the
	// process's working directory or environment.
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goEnv := goEnv(t, "GOCACHE", "GOMODCACHE", "GOPROXY", "GOROOT", "GONOSUMDB", "GOPRIVATE", "GOSUMDB", "GOTOOLCHAIN", "GOOS", "GOARCH")
	// handlergen's verification cache: shared by the scripts of this run
	// (so later scripts hit what earlier ones stored), never the user's;
	// HANDLERGEN_CACHE=off runs the scripts without it.
	hgCache := userCache
	if hgCache == "" {
		hgCache = t.TempDir()
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		RequireExplicitExec: true,
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"output": output, "outputlines": outputLines, "cisafe": ciSafe, "qcp": qcp, "hgcopy": hgCopy},
		Setup: func(env *testscript.Env) error {
			env.Setenv("HGROOT", root)
			env.Setenv("HANDLERGEN_CACHE", hgCache)
			// Under go test -race, handlergen (this binary) would sleep a
			// second before it exits, as the race detector does by default:
			// a second for every run of it in every script.
			env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			for k, v := range goEnv {
				env.Setenv(k, v)
			}
			// Scripts get this repository's go.sum so modules that require
			// handlergen resolve from the module cache without the network.
			sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(env.WorkDir, "hg.sum"), sum, 0o644)
		},
	})
}

// outputlines N: the last command printed N lines on stdout and stderr
// together, not counting empty lines or the go command's "go: downloading"
// progress, which a cold module cache adds. With output, it checks that
// what the README shows a command print is all that it prints.
func outputLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: outputlines N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	var got []string
	for _, l := range strings.Split(ts.ReadFile("stdout")+"\n"+ts.ReadFile("stderr"), "\n") {
		if strings.TrimSpace(l) != "" && !strings.HasPrefix(l, "go: downloading ") {
			got = append(got, l)
		}
	}
	if len(got) != want {
		ts.Fatalf("the command printed %d lines, want %d:\n%s", len(got), want, strings.Join(got, "\n"))
	}
}

// goEnv reads settings from the go command, so scripts share the
// developer's (or CI's) build and module caches instead of starting cold.
func goEnv(t *testing.T, names ...string) map[string]string {
	out, err := exec.Command("go", append([]string{"env"}, names...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	env := map[string]string{}
	for i, n := range names {
		if i < len(vals) && vals[i] != "" {
			env[n] = vals[i]
		}
	}
	return env
}

// output REGEX: the last command's stdout or stderr has a line matching
// REGEX. The README shows what a command prints without saying on which
// stream; readme.txtar checks it with this.
func output(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: output REGEX")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	found := re.MatchString(ts.ReadFile("stdout")) || re.MatchString(ts.ReadFile("stderr"))
	switch {
	case neg && found:
		ts.Fatalf("unexpected match for %#q in stdout or stderr", args[0])
	case !neg && !found:
		ts.Fatalf("no match for %#q in stdout or stderr", args[0])
	}
}

// cisafe [github]: the last command's stdout and stderr hold no line that a
// CI runner could take for a command and no raw control character
// (cicheck.Lines). With github, stdout may hold GitHub Actions
// annotations, each of which must be one well-formed command.
func ciSafe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 || len(args) == 1 && args[0] != "github" {
		ts.Fatalf("usage: cisafe [github]")
	}
	var bad []string
	for _, stream := range []string{"stdout", "stderr"} {
		for _, b := range cicheck.Lines(ts.ReadFile(stream), stream == "stdout" && len(args) == 1) {
			bad = append(bad, stream+": "+b)
		}
	}
	if bad != nil {
		ts.Fatalf("output a CI runner could obey:\n%s", strings.Join(bad, "\n"))
	}
}

// qcp SRC "DST": copy the file SRC to DST, a Go string literal, making
// its directories: a script names a file with a line break or an escape
// character in it so.
func qcp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: qcp SRC \"DST\"")
	}
	dst, err := strconv.Unquote(args[1])
	ts.Check(err)
	dst = ts.MkAbs(dst)
	ts.Check(os.MkdirAll(filepath.Dir(dst), 0o755))
	ts.Check(os.WriteFile(dst, []byte(ts.ReadFile(args[0])), 0o644))
}

// hgcopy DIR: copy this repository's source ($HGROOT) to DIR, as a clone
// of it, less .git and testdata (and any directory the go command skips,
// .x and _x), would put it: the copy a user keeps inside their module
// before a release (third_party/handlergen).
func hgCopy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hgcopy DIR")
	}
	src, dst := ts.Getenv("HGROOT"), ts.MkAbs(args[0])
	ts.Check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if rel != "." && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if name == ".git" || !d.Type().IsRegular() { // .git is a file in a worktree
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	}))
}
