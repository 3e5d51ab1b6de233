package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	stdtime "time"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/internal/cicheck"
	"github.com/handlergen/handlergen/registry"
)

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runMainIn(t, env{}, args...)
}

// runMainIn runs handlergen in e: in a directory and an environment of
// the test's own, which lets tests run in parallel.
func runMainIn(t *testing.T, e env, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runIn(e, args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestUsageErrorsEscaped: a flag's name or value typed on the command
// line may hold anything; its error is one escaped line, printed once.
func TestUsageErrorsEscaped(t *testing.T) {
	t.Parallel()
	e := env{dir: t.TempDir(), vars: map[string]string{}}
	for _, args := range [][]string{
		{"check", "-x\n::stop-commands::t"},
		{"check", "-format", "x\n::stop-commands::t"},
		{"check", "-var", "x\r\n##vso[task.complete]"},
		{"check", "-interface", "a\n::error::x/b.H"},
		{"check", "-C", "\x1b]0;title\a\n::stop-commands::t"},
		{"check", "-max-handlers", "1\n::stop-commands::t"},
		{"schema", "\n::stop-commands::t"},
	} {
		code, stdout, stderr := runMainIn(t, e, args...)
		if bad := cicheck.Lines(stdout+stderr, false); code != ExitUsage || bad != nil {
			t.Errorf("%q: code %d: %q", args, code, bad)
		}
		n := 0
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Contains(l, "stop-commands") || strings.Contains(l, "vso[") || strings.Contains(l, "error::x") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q: %d lines print the value, want 1:\n%s", args, n, stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	// An argument list that is not refused after all runs for real: keep
	// it away from the source tree.
	t.Parallel()
	e := env{dir: t.TempDir(), vars: map[string]string{}}
	if err := os.WriteFile(filepath.Join(e.dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-format", "xml"}, `unknown format "xml"`},
		{[]string{"-nope"}, "flag provided but not defined"},
		{[]string{"-interface", "Handler"}, "want IMPORT/PATH.Name"},
		{[]string{"-var", "1x"}, "not a Go identifier"},
		{[]string{"-var", "func"}, "not a Go identifier"},
		{[]string{"-var", "len"}, "would shadow the predeclared identifier len"},
		{[]string{"./...", "contracts"}, "cannot be mixed"},
		{[]string{"-package", "a-b"}, "not a Go identifier"},
		{[]string{"-max-handlers", "-1"}, "must not be negative"},
		{[]string{"-max-contract-size", "0"}, "must be positive"},
		{[]string{"-diff"}, "only for check"},
		{[]string{"-correlation-id", "nope"}, "-correlation-id"},
		{[]string{"-allow", " "}, "non-empty prefix"},
		{[]string{"-allow", "example.com/x/..."}, "not a package pattern"},
		{[]string{"-allow", "..."}, "not a package pattern"},
		{[]string{"-allow", " example.com/x"}, "matches no handler_class"},
		{[]string{"-allow", "example.com//x"}, "matches no handler_class"},
		{[]string{"-allow", "./x"}, "matches no handler_class"},
		{[]string{"-log-format", "xml"}, "-log-format"},
		{[]string{"-C", "does-not-exist"}, `-C "does-not-exist": no such directory`},
		{[]string{"-C", "sub/does-not-exist"}, `-C "sub/does-not-exist": no such directory`}, // the path as typed, not its last element
		{[]string{"-C", "afile"}, `-C "afile": not a directory`},
		{[]string{"schema", "extra"}, "unexpected arguments"},
		{[]string{"version", "extra"}, "unexpected arguments"},
	} {
		code, stdout, stderr := runMainIn(t, e, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want 2 and %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

func TestHelpAndVersion(t *testing.T) {
	if code, out, _ := runMain(t, "help"); code != 0 || !strings.Contains(out, "handlergen check") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, _, errOut := runMain(t, "check", "-h"); code != 0 || !strings.Contains(errOut, "-allow-any") {
		t.Errorf("check -h: %d %q", code, errOut)
	}
	if code, out, _ := runMain(t, "version"); code != 0 || !strings.HasPrefix(out, "handlergen ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestSchemaIsJSON(t *testing.T) {
	code, out, errOut := runMain(t, "schema")
	var v map[string]any
	if code != 0 || errOut != "" || json.Unmarshal([]byte(out), &v) != nil || v["$schema"] == nil {
		t.Fatalf("schema: %d %q %.100q", code, errOut, out)
	}
}

// TestListInProcess covers list without the go command: it reads the
// contracts only.
func TestListInProcess(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/app\n")
	write("h/a/handler_contract.yaml", "handler_name: a\nhandler_class: example.com/app/h/a.A\nhandler_type: compute\ntags: x\n")
	write("h/b/contract.yaml", "name: handler-b\nhandler_class: example.com/app/h/b.B\nhandler_type: EFFECT\nhandler_routing: {z: 1, a: [2]}\n")

	code, out, errOut := runMain(t, "list", "-C", dir, "h")
	if code != 0 || errOut != "" {
		t.Fatalf("list: %d %q", code, errOut)
	}
	for _, want := range []string{"NAME", "a  ", "handler-b", "effect", "h/b/contract.yaml"} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runMain(t, "list", "-format", "json", "-correlation-id", "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "-C", dir, "h")
	var rep struct {
		CorrelationID string `json:"correlation_id"`
		OK            bool
		Result        struct {
			Handlers []struct {
				Name, Type   string
				ProtocolType string `json:"protocol_type"`
				Tags         []string
				Routing      json.RawMessage
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("list json: %d %q %q", code, out, errOut)
	}
	if rep.CorrelationID != "1b4e28ba-2fa1-41d2-883f-0016d3cca427" || !rep.OK || len(rep.Result.Handlers) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	var routing bytes.Buffer
	json.Compact(&routing, rep.Result.Handlers[1].Routing)
	if h := rep.Result.Handlers[1]; h.ProtocolType != "b" || routing.String() != `{"a":[2],"z":1}` {
		t.Errorf("handler-b: %+v routing %s", h, h.Routing)
	}

	// An allowlist violation is found by list too, with exit 1; -allow
	// adds to the main module, and a '.' does not end a path element.
	write("o/contract.yaml", "name: o\nhandler_class: example.com/other.evil/h.T\nhandler_type: effect\n")
	code, _, errOut = runMain(t, "list", "-C", dir, "-allow", "example.com/other", "h", "o")
	if code != ExitError || strings.Count(errOut, "HANDLER_LOADER_013") != 1 || !strings.Contains(errOut, "o/contract.yaml:2:16: HANDLER_LOADER_013") {
		t.Errorf("list with allowlist: %d %q", code, errOut)
	}
}

func TestDuration(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{{500_000, "500us"}, {12_345_678, "12.35ms"}, {2_500_000_000, "2.50s"}} {
		if got := duration(stdtime.Duration(tc.ns)); got != tc.want {
			t.Errorf("duration(%d) = %q, want %q", tc.ns, got, tc.want)
		}
	}
}

// TestGOPACKAGEIsIdent: $GOPACKAGE is data from the environment and is
// checked as -package is, before anything is read or written.
func TestGOPACKAGEIsIdent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, v := range []string{"x\n//go:generate echo pwned", "_", "a b", "1x", "func"} {
		code, _, errOut := runMainIn(t, env{dir: dir, vars: map[string]string{"GOPACKAGE": v}}, "-o", "r_gen.go", "nothing")
		if code != ExitUsage || !strings.Contains(errOut, "is not a Go identifier") {
			t.Errorf("GOPACKAGE=%q: %d %q", v, code, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "r_gen.go")); err == nil {
		t.Error("written")
	}
}

// TestDiagnosticsBounded: a run over thousands of bad contracts reports at
// most maxReported diagnostics and one that counts the rest, in every
// format, and still fails.
func TestDiagnosticsBounded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const files = 600 // two diagnostics each: over the bound
	for i := range files {
		d := filepath.Join(dir, "c", strings.Repeat("x", 1+i%3)+string(rune('a'+i%26))+stdtime.Duration(i).String())
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "contract.yaml"), []byte("handler_nam: x\nhandler_class: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, format := range []string{"text", "json", "github", "sarif"} {
		code, stdout, stderr := runMain(t, "check", "-C", dir, "-format", format, "./c")
		if code != 1 {
			t.Fatalf("%s: exit %d\n%s", format, code, stderr)
		}
		out := stdout + stderr
		if n := strings.Count(out, "HANDLER_LOADER_0"); n > maxReported+50 {
			t.Errorf("%s: %d codes printed, want at most about %d", format, n, maxReported+1)
		}
		if !strings.Contains(out, "not shown: handlergen reports at most 1000 in a run") {
			t.Errorf("%s: no count of the rest:\n%s", format, out[max(0, len(out)-2000):])
		}
		if format == "json" {
			// The report's counts are the run's, not what it prints.
			var rep struct{ Errors int }
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.Errors <= maxReported+1 {
				t.Errorf("json: errors %d (%v), want every error of the run", rep.Errors, err)
			}
		}
	}
	// Only what is printed is bounded: -v counts every failed contract
	// (and the run's own error: no module here to find -interface in).
	code, _, stderr := runMain(t, "check", "-C", dir, "-v", "./c")
	if code != 1 {
		t.Fatalf("-v: exit %d", code)
	}
	if n := strings.Count(stderr, "/contract.yaml [HANDLER_LOADER_003]"); n != files {
		t.Errorf("-v: %d contracts in failed_paths, want %d", n, files)
	}
	failed := files + strings.Count(stderr, "(run) [")
	if !strings.Contains(stderr, fmt.Sprintf("(%d failed)", failed)) || !strings.Contains(stderr, fmt.Sprintf("total_failed=%d ", failed)) {
		t.Errorf("-v: want %d failed:\n%s", failed, stderr[strings.LastIndex(stderr, "msg="):][:300])
	}
}

func TestBound(t *testing.T) {
	var l diag.List
	for i := range 5 {
		l.Warnf(registry.FileNotFound, diag.Position{File: "w", Line: i + 1}, "w%d", i)
	}
	if got := bound(l, 5); len(got) != 5 {
		t.Errorf("bound(len) = %d diagnostics", len(got))
	}
	got := bound(l, 3)
	if len(got) != 4 || got[3].Severity != diag.Warning || got[3].Pos.Line != 4 || !strings.Contains(got[3].Message, "and 2 more diagnostics (0 errors, 2 warnings)") {
		t.Errorf("bound(3) of warnings = %+v", got)
	}
	l.Errorf(registry.SchemaValidationFailed, diag.Position{File: "z"}, "e")
	got = bound(l, 2)
	if len(got) != 3 || got[2].Severity != diag.Error || got[2].Code != registry.FileNotFound || !got.HasErrors() {
		t.Errorf("bound(2) with a dropped error = %+v", got)
	}
	if len(l) != 6 || l[2].Message != "w2" {
		t.Errorf("bound changed its receiver: %+v", l)
	}
}

// TestActionConfigRead: the action's config and importcfg are read as
// every file handlergen only reads is (output.ReadFile): what is not a
// regular file is refused, by its name relative to the execroot.
func TestActionConfigRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := env{dir: dir, vars: map[string]string{}}
	if err := os.Mkdir(filepath.Join(dir, "icfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "handlergen.json"), []byte(`{"importcfg": "icfg"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ config, want string }{
		{"icfg", "handlergen action: icfg: it is a directory, not a regular file\n"},
		{"handlergen.json", "handlergen action: handlergen.json: icfg: it is a directory, not a regular file\n"},
		{"missing.json", "handlergen action: missing.json: stat missing.json: no such file or directory\n"},
	} {
		code, stdout, stderr := runMainIn(t, e, "action", "-config", tc.config)
		if code != ExitUsage || stdout != "" || stderr != tc.want {
			t.Errorf("-config %s: exit %d, stdout %q, stderr %q; want exit %d, stderr %q", tc.config, code, stdout, stderr, ExitUsage, tc.want)
		}
	}
}
