package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"gopkg.in/yaml.v3"
)

// actionMajors are the current major versions of the actions the
// documents' workflows use: a workflow that names an older one fails.
var actionMajors = map[string]string{
	"actions/checkout":                  "v5",
	"actions/setup-go":                  "v6",
	"github/codeql-action/upload-sarif": "v4",
}

// scriptLines are the lines of every script of testdata/script.
func scriptLines(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob("../../testdata/script/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			lines[strings.TrimSpace(l)] = true
		}
	}
	return lines
}

// shellCommand is the go command a workflow's run line or a hook's entry
// runs, without what the shell adds around it (redirections, || and &&),
// or "" when the line runs no go command.
func shellCommand(line string) string {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "go ") {
		return ""
	}
	for _, op := range []string{" >", " ||", " &&", " |", " #"} {
		if i := strings.Index(line, op); i >= 0 {
			line = line[:i]
		}
	}
	return strings.TrimSpace(line)
}

// TestDocsCI checks the documents' GitHub workflows (```yaml workflow) and
// pre-commit configurations (```yaml pre-commit): each is YAML; each action
// is at its current major version; setup-go reads go.mod or go.work; every
// go command a workflow step or a local hook runs is run, word for word, by
// a script of testdata/script (install_vendored.txtar runs the workflow's
// commands in a module whose only copy of handlergen is inside it); and a
// hook of this repository exists in .pre-commit-hooks.yaml.
func TestDocsCI(t *testing.T) {
	scripts := scriptLines(t)
	ran := func(b block, cmd string) {
		if !scripts["exec "+cmd] && !scripts["! exec "+cmd] {
			t.Errorf("%s: no script of testdata/script runs %q (exec %s)", b.where(), cmd, cmd)
		}
	}
	var published []struct {
		ID string `yaml:"id"`
	}
	data, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &published); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, b := range readmeBlocks(t) {
		if b.lang != "yaml" || (b.role != "workflow" && b.role != "pre-commit") {
			continue
		}
		n++
		var doc any
		if err := yaml.Unmarshal([]byte(strings.Join(b.body, "\n")), &doc); err != nil {
			t.Errorf("%s: not YAML: %v", b.where(), err)
			continue
		}
		if b.role == "pre-commit" {
			m, _ := doc.(map[string]any)
			repos, _ := m["repos"].([]any)
			if len(repos) == 0 {
				t.Errorf("%s: a pre-commit configuration without repos", b.where())
			}
			for _, r := range repos {
				r, _ := r.(map[string]any)
				hooks, _ := r["hooks"].([]any)
				for _, h := range hooks {
					h, _ := h.(map[string]any)
					switch r["repo"] {
					case "local":
						entry, _ := h["entry"].(string)
						if cmd := shellCommand(entry); cmd != "" {
							ran(b, cmd)
						} else {
							t.Errorf("%s: local hook %v runs no go command", b.where(), h["id"])
						}
					case hgURL:
						if !slices.ContainsFunc(published, func(p struct {
							ID string `yaml:"id"`
						}) bool {
							return p.ID == h["id"]
						}) {
							t.Errorf("%s: .pre-commit-hooks.yaml publishes no hook %v", b.where(), h["id"])
						}
					default:
						t.Errorf("%s: hooks from %v", b.where(), r["repo"])
					}
				}
			}
			continue
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					walk(e)
				}
			case map[string]any:
				if uses, ok := v["uses"].(string); ok {
					action, ver, _ := strings.Cut(uses, "@")
					if want, ok := actionMajors[action]; ok && ver != want {
						t.Errorf("%s: %s, but its current major version is %s", b.where(), uses, want)
					}
				}
				if run, ok := v["run"].(string); ok {
					for _, l := range strings.Split(run, "\n") {
						if cmd := shellCommand(l); cmd != "" {
							ran(b, cmd)
						}
					}
				}
				if f, ok := v["go-version-file"]; ok && f != "go.mod" && f != "go.work" {
					t.Errorf("%s: go-version-file: %v", b.where(), f)
				}
				for _, e := range v {
					walk(e)
				}
			}
		}
		walk(doc)
	}
	if n == 0 {
		t.Fatal("no document has a ```yaml workflow or pre-commit block")
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// anchors are the GitHub anchors of a Markdown file's headings.
func anchors(text string) map[string]bool {
	out := map[string]bool{}
	inCode := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if inCode || !strings.HasPrefix(l, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(l, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(h) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

// TestDocLinks: every relative link of the README, CONTRIBUTING.md and
// docs/*.md names a file of this repository and, with #anchor, a heading of
// it; and the README links every document the tests hold, so none is
// out of a newcomer's reach.
func TestDocLinks(t *testing.T) {
	files := docFiles(t)
	linked := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			t.Fatal(err)
		}
		var prose []string
		inCode := false
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "```") {
				inCode = !inCode
				continue
			}
			if !inCode {
				prose = append(prose, l)
			}
		}
		for _, m := range mdLink.FindAllStringSubmatch(strings.Join(prose, "\n"), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			rel := f
			if path != "" {
				rel = filepath.ToSlash(filepath.Join(filepath.Dir(f), path))
			}
			if f == "README.md" {
				linked[rel] = true
			}
			full := filepath.Join("../..", rel)
			st, err := os.Stat(full)
			if err != nil {
				t.Errorf("%s: link %s: %v", f, target, err)
				continue
			}
			if anchor == "" {
				continue
			}
			if st.IsDir() || !strings.HasSuffix(rel, ".md") {
				t.Errorf("%s: link %s: an anchor in something other than a Markdown file", f, target)
				continue
			}
			text, err := os.ReadFile(full)
			if err != nil {
				t.Fatal(err)
			}
			if !anchors(string(text))[anchor] {
				t.Errorf("%s: link %s: %s has no heading #%s", f, target, rel, anchor)
			}
		}
	}
	for _, f := range files[1:] {
		if !linked[f] {
			t.Errorf("README.md does not link %s", f)
		}
	}
}
