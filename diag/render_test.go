package diag

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"

	"github.com/handlergen/handlergen/registry"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// sample is one representative List: errors and warnings, positions with
// and without line and column, a run-wide diagnostic without a file,
// related positions (with and without a file), and messages and paths with
// the characters each renderer must escape: %, CR, LF, ':' and ','.
func sample() List {
	var l List
	l.Errorf(registry.EmptyPatternsList, Position{}, "no inputs given")
	l.Errorf(registry.SchemaValidationFailed, Position{File: "handlers/auth/handler_contract.yaml", Line: 3, Col: 1},
		`unknown key "handler_clas" (did you mean "handler_class"?)`)
	l.Warnf(registry.SchemaValidationFailed, Position{File: "handlers/auth/handler_contract.yaml", Line: 7, Col: 5},
		"capability_tags item 2 is int, not a string; dropped")
	l.Errorf(registry.ProtocolNotImplemented, Position{File: "handlers/auth/handler_contract.yaml", Line: 2, Col: 16},
		"auth.AuthHandler does not implement registry.Handler:\n\tmissing method Execute\n\twrong type for method Describe:\r\n\t\thave Describe() string\n\t\twant Describe() registry.Descriptor")
	l.Errorf(registry.FileSizeExceeded, Position{File: "big/contract.yaml"}, "contract is larger than 100%% of the limit: 10485761 bytes, limit 10485760")
	l.Warnf(registry.InitSideEffect, Position{File: "odd,dir/x:y.go", Line: 12}, "package example.com/odd declares func init(): it runs at program start, 50%% of the time, %%0A")
	d := l.Errorf(registry.DuplicateHandlerName, Position{File: "with space/contract.yaml", Line: 1, Col: 15}, `handler_name "auth" is declared twice`)
	d.Related = []Related{
		{Pos: Position{File: "handlers/auth/handler_contract.yaml", Line: 1, Col: 15}, Message: `first declared here, as "auth"`},
		{Pos: Position{File: "vendor-ish/#1?.yaml"}, Message: "also in a file without a line"},
		{Message: "and once more: somewhere without a position"},
	}
	l.Errorf(registry.StaleOutput, Position{File: "registry_gen.go"}, "registry_gen.go is stale; run go generate")
	l.Append(hostile()...)
	return l
}

// hostile is what a pull request can put in paths, names and messages
// to make a CI runner obey it or a terminal or a reviewer misread it:
// line breaks followed by workflow commands, Azure's ##vso[ and the
// runners' ##[ anywhere in a line, escape sequences, bidirectional
// overrides, line separators, C1 controls and bytes that are not UTF-8.
func hostile() List {
	var l List
	l.Errorf(registry.SchemaValidationFailed, Position{File: "c/x\n::stop-commands::tok\n##vso[task.complete result=Failed]/handler_contract.yaml", Line: 2, Col: 1},
		"unknown key %q", "\x1b[31m::error::k")
	d := l.Errorf(registry.ClassNotFound, Position{File: "::warning file=a.go::b.yaml", Line: 1},
		"handler_class %s: \u202egnp.exe\u2028x\u0085y\xff ##[error]z ###", "example.com/app/h.T\r\n::error::forged")
	d.Related = []Related{
		{Pos: Position{File: "##vso[task.setvariable variable=x]y", Line: 3}, Message: "\t::notice::n"},
		{Message: "::stop-commands::again\u200b"},
	}
	l.Warnf(registry.InitSideEffect, Position{}, "\u00a0 ::add-mask::m\tx\x00")
	return l
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := diff.Diff(name, want, "got", got); d != nil {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, d)
	}
}

func TestGolden(t *testing.T) {
	renderers := []struct {
		golden string
		write  func(*bytes.Buffer, List) error
	}{
		{"text.golden", func(b *bytes.Buffer, l List) error { return WriteText(b, l) }},
		{"report.json.golden", func(b *bytes.Buffer, l List) error {
			r := NewReport("check", "00000000-0000-4000-8000-000000000000", l)
			r.Extra = map[string]any{"output": "registry_gen.go", "stale": true, "handlers": 3}
			return WriteJSON(b, r)
		}},
		{"github.golden", func(b *bytes.Buffer, l List) error { return WriteGitHub(b, l) }},
		{"sarif.golden", func(b *bytes.Buffer, l List) error { return WriteSARIF(b, l, ToolInfo{}) }},
		{"empty.text.golden", func(b *bytes.Buffer, _ List) error { return WriteText(b, nil) }},
		{"empty.report.json.golden", func(b *bytes.Buffer, _ List) error { return WriteJSON(b, NewReport("generate", "", nil)) }},
		{"empty.github.golden", func(b *bytes.Buffer, _ List) error { return WriteGitHub(b, nil) }},
		{"empty.sarif.golden", func(b *bytes.Buffer, _ List) error { return WriteSARIF(b, nil, ToolInfo{}) }},
	}
	for _, r := range renderers {
		t.Run(r.golden, func(t *testing.T) {
			var b1, b2 bytes.Buffer
			if err := r.write(&b1, sample()); err != nil {
				t.Fatal(err)
			}
			if err := r.write(&b2, sample()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
				t.Fatal("output differs between two runs")
			}
			golden(t, r.golden, b1.Bytes())
		})
	}
}

// TestGitHubEscaping checks each command's structure: one line, the data
// and property values escaped so that the runner reads them back as written.
func TestGitHubEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := WriteGitHub(&b, sample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(sample()) {
		t.Fatalf("%d lines for %d diagnostics:\n%s", len(lines), len(sample()), b.String())
	}
	// As the runner's toolkit decodes them, a property's %3A and %2C too.
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
	for i, line := range lines {
		d := sample()[i]
		cmd, data, ok := strings.Cut(strings.TrimPrefix(line, "::"), "::")
		if !ok || !strings.HasPrefix(line, "::"+d.Severity.String()+" ") {
			t.Fatalf("line %d: not a workflow command: %q", i, line)
		}
		if strings.ContainsAny(data, "\r\n") {
			t.Errorf("line %d: raw newline in data", i)
		}
		// The runner reads back the message escaped as text output
		// escapes it: a line break in a value shows as \n.
		if msg := unescape.Replace(data); !strings.HasPrefix(msg, escape(d.Message, false)) {
			t.Errorf("line %d: data %q does not round-trip to %q", i, msg, escape(d.Message, false))
		}
		props := map[string]string{}
		for _, kv := range strings.Split(strings.TrimPrefix(cmd, d.Severity.String()+" "), ",") {
			k, v, _ := strings.Cut(kv, "=")
			props[k] = unescape.Replace(v)
		}
		if props["file"] != escape(d.Pos.File, false) || props["title"] != d.Code.String() {
			t.Errorf("line %d: properties %q, want file %q and title %q", i, props, d.Pos.File, d.Code)
		}
	}
}

type sarifMsg struct {
	Text string `json:"text"`
}

type sarifPhys struct {
	ArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	} `json:"artifactLocation"`
	Region *struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn"`
	} `json:"region"`
}

// sarifDoc is the part of a SARIF log a consumer such as GitHub code
// scanning reads, modelled independently of the writer's types.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name           string `json:"name"`
				Version        string `json:"version"`
				InformationURI string `json:"informationUri"`
				Rules          []struct {
					ID               string   `json:"id"`
					Name             string   `json:"name"`
					ShortDescription sarifMsg `json:"shortDescription"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Invocations []struct {
			ExecutionSuccessful        *bool `json:"executionSuccessful"`
			ToolExecutionNotifications []struct {
				AssociatedRule struct {
					ID    string `json:"id"`
					Index int    `json:"index"`
				} `json:"associatedRule"`
				Level   string   `json:"level"`
				Message sarifMsg `json:"message"`
			} `json:"toolExecutionNotifications"`
		} `json:"invocations"`
		Results []struct {
			RuleID    string   `json:"ruleId"`
			RuleIndex int      `json:"ruleIndex"`
			Level     string   `json:"level"`
			Message   sarifMsg `json:"message"`
			Locations []struct {
				PhysicalLocation *sarifPhys `json:"physicalLocation"`
			} `json:"locations"`
			RelatedLocations []struct {
				ID               int        `json:"id"`
				PhysicalLocation *sarifPhys `json:"physicalLocation"`
				Message          sarifMsg   `json:"message"`
			} `json:"relatedLocations"`
		} `json:"results"`
	} `json:"runs"`
}

// TestSARIFStructure checks the SARIF log the way a consumer reads it.
func TestSARIFStructure(t *testing.T) {
	l := sample()
	var b bytes.Buffer
	if err := WriteSARIF(&b, l, ToolInfo{Version: "v1.2.3"}); err != nil {
		t.Fatal(err)
	}
	var log sarifDoc
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || log.Schema != "https://json.schemastore.org/sarif-2.1.0.json" {
		t.Errorf("version %q, $schema %q", log.Version, log.Schema)
	}
	if len(log.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(log.Runs))
	}
	run := log.Runs[0]
	drv := run.Tool.Driver
	if drv.Name != "handlergen" || drv.InformationURI != "https://github.com/handlergen/handlergen" || drv.Version != "v1.2.3" {
		t.Errorf("driver %q %q %q", drv.Name, drv.InformationURI, drv.Version)
	}
	var ruleIDs []string
	for _, r := range drv.Rules {
		ruleIDs = append(ruleIDs, r.ID)
		if r.ShortDescription.Text == "" || r.Name == "" {
			t.Errorf("rule %s: name %q, shortDescription %q", r.ID, r.Name, r.ShortDescription.Text)
		}
	}
	if !slices.IsSorted(ruleIDs) || len(slices.Compact(slices.Clone(ruleIDs))) != len(ruleIDs) {
		t.Errorf("rules not sorted and unique: %q", ruleIDs)
	}
	var used []string
	var withFile, runWide List
	for _, d := range l {
		used = append(used, d.Code.String())
		if d.Pos.File != "" {
			withFile = append(withFile, d)
		} else {
			runWide = append(runWide, d)
		}
	}
	slices.Sort(used)
	if used = slices.Compact(used); !slices.Equal(used, ruleIDs) {
		t.Errorf("rules %q, want exactly the codes used %q", ruleIDs, used)
	}

	// Diagnostics with a file are results, each with one physical location.
	if len(run.Results) != len(withFile) {
		t.Fatalf("%d results for %d diagnostics with a file", len(run.Results), len(withFile))
	}
	for i, res := range run.Results {
		d := withFile[i]
		if !slices.Contains(ruleIDs, res.RuleID) || ruleIDs[res.RuleIndex] != res.RuleID {
			t.Errorf("result %d: ruleId %q, ruleIndex %d not in rules %q", i, res.RuleID, res.RuleIndex, ruleIDs)
		}
		// JSON holds text: a byte that is not UTF-8 is U+FFFD there.
		if res.Level != d.Severity.String() || !strings.HasPrefix(res.Message.Text, strings.ToValidUTF8(d.Message, "\ufffd")) {
			t.Errorf("result %d: level %q message %q", i, res.Level, res.Message.Text)
		}
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation == nil {
			t.Fatalf("result %d: locations %+v, want one physical location", i, res.Locations)
		}
		pl := res.Locations[0].PhysicalLocation
		if pl.ArtifactLocation.URIBaseID != "%SRCROOT%" || pl.ArtifactLocation.URI == "" {
			t.Errorf("result %d: artifactLocation %+v", i, pl.ArtifactLocation)
		}
		switch {
		case d.Pos.Line == 0 && pl.Region != nil:
			t.Errorf("result %d: region without a line", i)
		case d.Pos.Line != 0 && (pl.Region == nil || pl.Region.StartLine != d.Pos.Line || pl.Region.StartColumn != d.Pos.Col):
			t.Errorf("result %d: region %+v, want %v", i, pl.Region, d.Pos)
		}
		var related []Related
		for _, r := range d.Related {
			if r.Pos.File != "" {
				related = append(related, r)
			} else if !strings.Contains(res.Message.Text, "\n"+r.Message) {
				t.Errorf("result %d: message %q lacks the related message %q", i, res.Message.Text, r.Message)
			}
		}
		if len(res.RelatedLocations) != len(related) {
			t.Fatalf("result %d: %d related locations, want %d", i, len(res.RelatedLocations), len(related))
		}
		for j, rl := range res.RelatedLocations {
			if rl.ID != j+1 || rl.PhysicalLocation == nil || rl.Message.Text != related[j].Message {
				t.Errorf("result %d: related location %d: %+v", i, j, rl)
			}
		}
	}

	// Diagnostics without a file are notifications of the one invocation.
	if len(run.Invocations) != 1 || run.Invocations[0].ExecutionSuccessful == nil {
		t.Fatalf("invocations %+v, want one with executionSuccessful", run.Invocations)
	}
	ns := run.Invocations[0].ToolExecutionNotifications
	if len(ns) != len(runWide) {
		t.Fatalf("%d notifications for %d diagnostics without a file", len(ns), len(runWide))
	}
	for i, n := range ns {
		d := runWide[i]
		if n.AssociatedRule.ID != d.Code.String() || ruleIDs[n.AssociatedRule.Index] != n.AssociatedRule.ID ||
			n.Level != d.Severity.String() || n.Message.Text != d.Message {
			t.Errorf("notification %d: %+v, want %v", i, n, d)
		}
	}
}

// TestSARIFRunWideRelated checks that a diagnostic without a file keeps its
// related positions in its notification's message.
func TestSARIFRunWideRelated(t *testing.T) {
	l := List{{Code: registry.HandlerLimitReached, Severity: Warning, Message: "too many", Related: []Related{
		{Pos: Position{File: "a/contract.yaml", Line: 1}, Message: "first dropped"},
		{Message: "see -max-handlers"},
	}}}
	var b bytes.Buffer
	if err := WriteSARIF(&b, l, ToolInfo{}); err != nil {
		t.Fatal(err)
	}
	var log sarifDoc
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Results) != 0 || run.Results == nil {
		t.Errorf("results %+v, want an empty list", run.Results)
	}
	ns := run.Invocations[0].ToolExecutionNotifications
	if want := "too many\na/contract.yaml:1: first dropped\nsee -max-handlers"; len(ns) != 1 || ns[0].Message.Text != want || ns[0].Level != "warning" {
		t.Errorf("notifications %+v, want one warning %q", ns, want)
	}
}

func TestSARIFURI(t *testing.T) {
	tests := []struct {
		file, uri, base string
	}{
		{"a/b.yaml", "a/b.yaml", "%SRCROOT%"},
		{"with space/c.yaml", "with%20space/c.yaml", "%SRCROOT%"},
		{"100%/c.yaml", "100%25/c.yaml", "%SRCROOT%"},
		{"x:y.yaml", "./x:y.yaml", "%SRCROOT%"},
		{"../up/c.yaml", "../up/c.yaml", "%SRCROOT%"},
		{`win\path\c.yaml`, "win/path/c.yaml", "%SRCROOT%"},
		{"/abs/c.yaml", "file:///abs/c.yaml", ""},
		{"C:/abs/c.yaml", "file:///C:/abs/c.yaml", ""},
		{"C:rel.yaml", "./C:rel.yaml", "%SRCROOT%"},
	}
	for _, tt := range tests {
		got := sarifURI(tt.file)
		if got.URI != tt.uri || got.URIBaseID != tt.base {
			t.Errorf("sarifURI(%q) = %+v, want %q based on %q", tt.file, got, tt.uri, tt.base)
		}
	}
}

func TestSARIFTool(t *testing.T) {
	var b bytes.Buffer
	l := List{{Code: registry.Code(99), Message: "m"}}
	if err := WriteSARIF(&b, l, ToolInfo{Name: "other", InformationURI: "https://example.com/x"}); err != nil {
		t.Fatal(err)
	}
	s := b.String()
	for _, want := range []string{`"name": "other"`, `"informationUri": "https://example.com/x"`, `"id": "HANDLER_LOADER_099"`, `"text": "HANDLER_LOADER_099"`} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"helpUri"`) || strings.Contains(s, `"version": "`+"v") {
		t.Errorf("helpUri for an unknown code, or a version nobody set:\n%s", s)
	}
}

// TestShortDescriptions checks that every code has a rule description,
// registry's summary.
func TestShortDescriptions(t *testing.T) {
	for _, c := range registry.Codes() {
		if d := shortDescription(c); d != c.Summary() || !strings.HasSuffix(d, ".") {
			t.Errorf("%s (%s): SARIF short description %q", c, c.Name(), d)
		}
	}
	if got := shortDescription(registry.Code(98)); got != "HANDLER_LOADER_098" {
		t.Errorf("unknown code: %q", got)
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWriteErrors(t *testing.T) {
	l := sample()
	for name, err := range map[string]error{
		"text":   WriteText(failWriter{}, l),
		"json":   WriteJSON(failWriter{}, NewReport("check", "", l)),
		"github": WriteGitHub(failWriter{}, l),
		"sarif":  WriteSARIF(failWriter{}, l, ToolInfo{}),
	} {
		if !errors.Is(err, errWrite) {
			t.Errorf("%s: error %v, want the writer's", name, err)
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		ok   bool
	}{
		{"text", Text, true},
		{"json", JSON, true},
		{"github", GitHub, true},
		{"sarif", SARIF, true},
		{"", "", false},
		{"JSON", "", false},
		{"Sarif", "", false},
		{"xml", "", false},
		{" text", "", false},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "sarif") {
			t.Errorf("ParseFormat(%q) error %q does not list the formats", tt.in, err)
		}
	}
}

func TestNewReport(t *testing.T) {
	r := NewReport("list", "id", nil)
	if !r.OK || r.Errors != 0 || r.Warnings != 0 || r.Diagnostics == nil || r.Command != "list" || r.CorrelationID != "id" {
		t.Errorf("empty report %+v", r)
	}
	var warn List
	warn.Warnf(registry.InitSideEffect, Position{}, "w")
	if r := NewReport("check", "", warn); !r.OK || r.Warnings != 1 {
		t.Errorf("warnings only: %+v", r)
	}
	if r := NewReport("check", "", sample()); r.OK || r.Errors != 8 || r.Warnings != 3 || len(r.Diagnostics) != 11 {
		t.Errorf("sample: ok %v, %d errors, %d warnings, %d diagnostics", r.OK, r.Errors, r.Warnings, len(r.Diagnostics))
	}
}
