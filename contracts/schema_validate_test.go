package contracts

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rogpeppe/go-internal/txtar"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// The schema and Parse must agree: a contract Parse accepts, the schema must
// accept. (The other way round need not hold: Parse also checks what a
// schema cannot say, such as duplicate keys, tags and a name that leaves the
// default protocol_type empty.)
//
// "Parse accepts" means no errors and a qualified handler_class. Parse
// leaves an unqualified handler_class (no '.' after the last '/') for gen
// to report as MODULE_NOT_FOUND, as the Python loader does at import time;
// the schema refuses it outright, as the contract format says
// IMPORT/PATH.TypeName.

// compiledSchema compiles Schema() with a draft 2020-12 validator.
func compiledSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the contract schema does not compile: %v", err)
	}
	return s
}

// maxCorpusFile bounds the files taken into the corpus: contracts are a few
// hundred bytes, and larger files in testdata are other things.
const maxCorpusFile = 8 << 10

// verdict is what Parse and the schema say of one document.
type verdict struct {
	parseOK   bool
	parseErrs string // the first error, for messages
	diags     diag.List
	json      bool // the document has a JSON form the schema can judge
	schemaOK  bool
	schemaErr string
}

func judge(s *jsonschema.Schema, data []byte) verdict {
	var v verdict
	c, diags := Parse("contract.yaml", data)
	v.diags = diags
	v.parseOK = c != nil && c.ImportPath != ""
	if err := diags.Err(); err != nil {
		v.parseErrs = err.Error()
	} else if !v.parseOK {
		v.parseErrs = "unqualified handler_class (gen reports 010)"
	}
	val, ok := yamlToJSON(data)
	if !ok {
		return v
	}
	v.json = true
	err := s.Validate(val)
	v.schemaOK = err == nil
	if err != nil {
		v.schemaErr = strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return v
}

// checkAgreement fails when Parse accepts what the schema rejects, and
// when the schema accepts what Parse rejects for a reason the schema could
// have said (a value of the wrong type, say: major: 1.0 once was one).
func checkAgreement(t *testing.T, name string, data []byte, v verdict) {
	t.Helper()
	switch {
	case v.parseOK && !v.json:
		t.Logf("%s: Parse accepts a document without a JSON form; not judged", name)
	case v.parseOK && !v.schemaOK:
		t.Errorf("%s: Parse accepts, the schema rejects: %s\n%s", name, v.schemaErr, data)
	case !v.parseOK && v.json && v.schemaOK:
		if why := schemaCannotSay(v.diags); why != "" {
			t.Errorf("%s: the schema accepts, Parse rejects for a reason a schema can state: %s\n%s", name, why, data)
		}
	}
}

// schemaOnly are the messages of the 003 errors that no JSON Schema of the
// JSON form can state: the JSON form has lost the YAML type of a key or a
// number's spelling, or the rule is Go's or needs two values at once.
// (002, the YAML level, is never visible to a schema.) Schema's doc
// comment lists the same.
var schemaOnly = regexp.MustCompile(`is not a Go identifier|must be an integer of at most|leaves the default protocol_type empty|keys must be strings|merge keys \(<<\) are not supported|is a YAML number that JSON cannot write`)

// schemaCannotSay returns the first error that a schema could have stated,
// or "" when every error is of a kind it cannot.
func schemaCannotSay(ds diag.List) string {
	errs := 0
	for _, d := range ds {
		if d.Severity != diag.Error {
			continue
		}
		errs++
		if d.Code != registry.InvalidYAMLSyntax && !schemaOnly.MatchString(d.Message) {
			return d.Error()
		}
	}
	if errs == 0 {
		return "no error, but an unqualified handler_class"
	}
	return ""
}

// yamlToJSON decodes one YAML document into the JSON data model the way
// Parse reads it: string scalars (unquoted dates included) are strings,
// every key is its scalar's text, aliases are followed. It reports false
// for what has no JSON form: no single document, non-core tags, non-finite
// floats, and alias expansions beyond a bound.
func yamlToJSON(data []byte) (any, bool) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := safeDecode(dec, &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	var next yaml.Node
	if err := safeDecode(dec, &next); err == nil {
		return nil, false
	}
	budget := 10_000
	return nodeToJSON(doc.Content[0], 0, &budget)
}

func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml panic: %v", r)
		}
	}()
	return dec.Decode(n)
}

func nodeToJSON(n *yaml.Node, depth int, budget *int) (any, bool) {
	if *budget--; *budget < 0 || depth > 100 {
		return nil, false
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, false
		}
		return nodeToJSON(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			key := k.Value
			if k.Kind != yaml.ScalarNode {
				key = fmt.Sprintf("<%s key>", kindName(k))
			}
			v, ok := nodeToJSON(n.Content[i+1], depth+1, budget)
			if !ok {
				return nil, false
			}
			m[key] = v
		}
		return m, true
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, ok := nodeToJSON(c, depth+1, budget)
			if !ok {
				return nil, false
			}
			s[i] = v
		}
		return s, true
	case yaml.ScalarNode:
		switch n.Tag {
		case strTag, timestampTag:
			return n.Value, true
		case nullTag:
			return nil, true
		case boolTag:
			var b bool
			return b, n.Decode(&b) == nil
		case intTag, floatTag:
			var x any
			if n.Decode(&x) != nil {
				return nil, false
			}
			switch x := x.(type) {
			case int:
				return x, true
			case int64:
				return x, true
			case uint64:
				return x, true
			case float64:
				if math.IsInf(x, 0) || math.IsNaN(x) {
					return nil, false
				}
				return x, true
			}
		}
	}
	return nil, false
}

// corpus returns the contracts in the repository's examples and test data:
// every *.yaml file, the *.yaml files of the testscript archives, and the
// seed corpus of FuzzParse.
func corpus(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, root := range []string{"../examples", "../testdata", "../gen/testdata", "testdata"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				return nil
			}
			info, err := d.Info()
			if err != nil || info.Size() > maxCorpusFile && !strings.HasSuffix(path, ".txtar") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			path = filepath.ToSlash(path)
			switch {
			case strings.HasSuffix(path, ".yaml"):
				out[path] = data
			case strings.HasSuffix(path, ".txtar"):
				for _, f := range txtar.Parse(data).Files {
					if strings.HasSuffix(f.Name, ".yaml") && len(f.Data) <= maxCorpusFile {
						out[path+":"+f.Name] = f.Data
					}
				}
			case strings.Contains(path, "/fuzz/FuzzParse/"):
				if b, ok := fuzzInput(data); ok {
					out[path] = b
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// fuzzInput reads a one-value corpus file: "go test fuzz v1" then []byte("...").
func fuzzInput(data []byte) ([]byte, bool) {
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, false
	}
	lit, ok := strings.CutPrefix(lines[1], "[]byte(")
	if !ok || !strings.HasSuffix(lit, ")") {
		return nil, false
	}
	s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
	if err != nil || len(s) > maxCorpusFile {
		return nil, false
	}
	return []byte(s), true
}

func TestSchemaAgreesWithParseOnCorpus(t *testing.T) {
	s := compiledSchema(t)
	files := corpus(t)
	if len(files) < 20 {
		t.Fatalf("only %d contracts in the corpus; is the walk looking in the right places?", len(files))
	}
	accepted := 0
	for name, data := range files {
		v := judge(s, data)
		if v.parseOK {
			accepted++
		}
		checkAgreement(t, name, data, v)
	}
	if accepted < 5 {
		t.Errorf("Parse accepts only %d of %d corpus contracts", accepted, len(files))
	}
	t.Logf("%d contracts, %d accepted by Parse", len(files), accepted)
}

// head is a valid contract's required part.
const head = "handler_name: n\nhandler_class: example.com/app/h.T\nhandler_type: compute\n"

func TestSchemaAgreesWithParse(t *testing.T) {
	s := compiledSchema(t)
	tests := []struct {
		name       string
		yaml       string
		parse      bool // Parse accepts
		schema     bool // the schema accepts
		schemaOnly bool // a known case where the schema accepts more
	}{
		{"minimal", head, true, true, false},
		{"alias name", "name: n\nhandler_class: a/b.T\nhandler_type: effect\n", true, true, false},
		{"full", head + "capability_tags: [a, b]\nprotocol_type: p\nhandler_version: {major: 1, minor: 2, patch: 3, prerelease: rc.1, build: b.5}\nsecurity: {trusted_namespace: example.com/app, audit_logging: true}\nhandler_routing: {routes: [{path: /x, weight: 1.5}], on: null}\n", true, true, false},
		{"nulls", head + "capability_tags: null\nprotocol_type: null\nhandler_version: null\nsecurity: null\nhandler_routing: null\n", true, true, false},
		{"null inside", head + "handler_version: {major: 1, minor: 0, patch: 0, prerelease: null, build: null}\nsecurity: {trusted_namespace: null}\n", true, true, false},
		{"tag string", head + "tags: solo\n", true, true, false},
		{"tags with a number", head + "tags: [a, 1, {b: c}, [d]]\n", true, true, false}, // dropped with warnings
		{"empty tag", head + "tags: ['', ' ']\n", true, true, false},
		{"empty security", head + "security: {}\n", true, true, false},
		{"empty routing", head + "handler_routing: {}\n", true, true, false},
		{"type case and space", "handler_name: n\nhandler_class: a/b.T\nhandler_type: \" NonDeterministic_COMPUTE\\t\"\n", true, true, false},
		{"type with dotted capital I", "handler_name: n\nhandler_class: a/b.T\nhandler_type: NONDETERMİNİSTİC_COMPUTE\n", true, true, false},
		{"type with no-break space", "handler_name: n\nhandler_class: a/b.T\nhandler_type: \"\u00a0effect\u3000\"\n", true, true, false},
		{"class with spaces around", "handler_name: n\nhandler_class: \" a/b.T\\u00a0\"\nhandler_type: effect\n", true, true, false},
		{"class gopkg.in", "handler_name: n\nhandler_class: gopkg.in/yaml.v3.Node\nhandler_type: effect\n", true, true, false},
		{"class no slash", "handler_name: n\nhandler_class: main.T\nhandler_type: effect\n", true, true, false},
		{"class unicode type", "handler_name: n\nhandler_class: example.com/h.Обработчик\nhandler_type: effect\n", true, true, false},
		{"class astral type", "handler_name: n\nhandler_class: example.com/h.\U0001D49C\nhandler_type: effect\n", true, true, false},
		{"class space in path", "handler_name: n\nhandler_class: example.com/my app/h.T\nhandler_type: effect\n", true, true, false}, // gen reports 010
		{"class newline in path", "handler_name: n\nhandler_class: \"a\\nb/c.T\"\nhandler_type: effect\n", true, true, false},
		{"name with inner space", "handler_name: \" my handler \"\nhandler_class: a/b.T\nhandler_type: effect\n", true, true, false},
		{"name BOM character", "handler_name: \"\\uFEFF\"\nhandler_class: a/b.T\nhandler_type: effect\n", true, true, false},
		{"name date", "handler_name: 2024-01-01\nhandler_class: a/b.T\nhandler_type: effect\n", true, true, false},
		{"version date prerelease", head + "handler_version: {major: 1, minor: 0, patch: 0, prerelease: 2024-01-01}\n", true, true, false},
		{"version hex", head + "handler_version: {major: 0x1, minor: 0, patch: 0}\n", true, true, false},
		{"version integral float", head + "handler_version: {major: 1.0, minor: 2e1, patch: !!float 3}\n", true, true, false}, // as pydantic's lax mode reads them

		{"empty", "", false, false, false},
		{"list root", "- a\n", false, false, false},
		{"missing name", "handler_class: a/b.T\nhandler_type: effect\n", false, false, false},
		{"missing class", "handler_name: n\nhandler_type: effect\n", false, false, false},
		{"missing type", "handler_name: n\nhandler_class: a/b.T\n", false, false, false},
		{"name and alias", head + "name: m\n", false, false, false},
		{"tags and alias", head + "tags: [a]\ncapability_tags: [b]\n", false, false, false},
		{"unknown key", head + "handler_clas: x\n", false, false, false},
		{"blank name", "handler_name: \"  \"\nhandler_class: a/b.T\nhandler_type: effect\n", false, false, false},
		{"no-break-space name", "handler_name: \"\u00a0\u3000\"\nhandler_class: a/b.T\nhandler_type: effect\n", false, false, false},
		{"number name", "handler_name: 12345\nhandler_class: a/b.T\nhandler_type: effect\n", false, false, false},
		{"bad type", "handler_name: n\nhandler_class: a/b.T\nhandler_type: reducer\n", false, false, false},
		{"class unqualified", "handler_name: n\nhandler_class: Unqualified\nhandler_type: effect\n", false, false, false},
		{"class empty path", "handler_name: n\nhandler_class: .T\nhandler_type: effect\n", false, false, false},
		{"class blank path", "handler_name: n\nhandler_class: \"  .T\"\nhandler_type: effect\n", false, false, false},
		{"class trailing slash", "handler_name: n\nhandler_class: a/.T\nhandler_type: effect\n", false, false, false},
		{"class digit type", "handler_name: n\nhandler_class: a/b.1T\nhandler_type: effect\n", false, false, false},
		{"class dash type", "handler_name: n\nhandler_class: a/b.T-x\nhandler_type: effect\n", false, false, false},
		{"class trailing dot", "handler_name: n\nhandler_class: a/b.T.\nhandler_type: effect\n", false, false, false},
		{"tags mapping", head + "tags: {a: b}\n", false, false, false},
		{"tags number", head + "tags: 3\n", false, false, false},
		{"version string", head + "handler_version: \"1.2.3\"\n", false, false, false},
		{"version missing patch", head + "handler_version: {major: 1, minor: 2}\n", false, false, false},
		{"version negative", head + "handler_version: {major: -1, minor: 0, patch: 0}\n", false, false, false},
		{"version unknown key", head + "handler_version: {major: 1, minor: 0, patch: 0, pre: x}\n", false, false, false},
		{"version bad prerelease", head + "handler_version: {major: 1, minor: 0, patch: 0, prerelease: \"rc..1\"}\n", false, false, false},
		{"security unknown key", head + "security: {audit: true}\n", false, false, false},
		{"audit null", head + "security: {audit_logging: null}\n", false, false, false},
		{"audit string", head + "security: {audit_logging: \"yes\"}\n", false, false, false},
		{"namespace number", head + "security: {trusted_namespace: 3}\n", false, false, false},
		{"routing list", head + "handler_routing: [a]\n", false, false, false},
		{"protocol blank", head + "protocol_type: \" \"\n", false, false, false},

		// Parse refuses, the schema cannot tell.
		{"version fractional", head + "handler_version: {major: 1.5, minor: 0, patch: 0}\n", false, false, false},
		{"routing int keys", head + "handler_routing: {1: a}\n", false, true, true},
		{"empty default protocol", "handler_name: handler-\nhandler_class: a/b.T\nhandler_type: effect\n", false, true, true},
		{"duplicate keys", head + "tags: a\ntags: b\n", false, true, true},
		{"explicit tag", head + "protocol_type: !!str p\nhandler_routing: {a: !!binary aGk=}\n", false, false, false}, // no JSON form
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(s, []byte(tt.yaml))
			checkAgreement(t, tt.name, []byte(tt.yaml), v)
			if v.parseOK != tt.parse {
				t.Errorf("Parse accepts: %v, want %v (%s)", v.parseOK, tt.parse, v.parseErrs)
			}
			if v.json && v.schemaOK != tt.schema {
				t.Errorf("schema accepts: %v, want %v (%s)", v.schemaOK, tt.schema, v.schemaErr)
			}
			if tt.schemaOnly && (v.parseOK || !v.schemaOK) {
				t.Errorf("not a schema-only case")
			}
		})
	}
}

// FuzzSchemaAgreement looks for contracts Parse accepts and the schema
// rejects. Run with go test -fuzz FuzzSchemaAgreement ./contracts.
func FuzzSchemaAgreement(f *testing.F) {
	f.Add([]byte(head))
	f.Add([]byte(head + "capability_tags: [a, 1]\nhandler_version: {major: 1, minor: 2, patch: 3, prerelease: rc.1}\nsecurity: {audit_logging: true}\n"))
	f.Add([]byte("name: \" x\"\nhandler_class: \" a/b.T \"\nhandler_type: \" EFFECT \"\n"))
	f.Add([]byte(head + "handler_version: {major: 1.0, minor: 0, patch: 0}\n"))
	f.Add([]byte(head + "handler_routing: {a: 0x1F, b: 12345678901234567890123}\n"))
	s := compiledSchema(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxCorpusFile {
			return
		}
		checkAgreement(t, "input", data, judge(s, data))
	})
}

// TestSchemaWhiteSpace checks that the schema's white space is exactly
// unicode.IsSpace, what strings.TrimSpace trims, and that the schema is
// ASCII (its non-ASCII runes written as \u escapes).
func TestSchemaWhiteSpace(t *testing.T) {
	re := regexp.MustCompile(`^[` + ws + `]$`)
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if got := re.MatchString(string(r)); got != unicode.IsSpace(r) {
			t.Errorf("%U: the schema's white space %v, unicode.IsSpace %v", r, got, unicode.IsSpace(r))
		}
	}
	for i, c := range Schema() {
		if c >= utf8.RuneSelf {
			t.Fatalf("non-ASCII byte %#x at %d of the schema", c, i)
		}
	}
}

// TestSchemaTypeLetters checks the handler_type pattern against ParseType
// with each letter replaced by every rune that has a case mapping.
func TestSchemaTypeLetters(t *testing.T) {
	re := pattern(t, keyType)
	var runes []rune
	for r := rune(0x20); r < 0x7f; r++ {
		runes = append(runes, r)
	}
	for _, cr := range unicode.CaseRanges {
		for r := rune(cr.Lo); r <= rune(cr.Hi); r++ {
			runes = append(runes, r)
		}
	}
	for _, word := range []string{"compute", "effect", "nondeterministic_compute"} {
		w := []rune(word)
		for i := range w {
			for _, r := range runes {
				v := string(w[:i]) + string(r) + string(w[i+1:])
				_, err := registry.ParseType(v)
				if got := re.MatchString(v); got != (err == nil) {
					t.Errorf("%q (%U at %d): schema %v, ParseType %v", v, r, i, got, err)
				}
			}
		}
	}
}
