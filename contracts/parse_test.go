package contracts

import (
	"crypto/sha256"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

const valid = "handler_name: handler-echo\nhandler_class: example.com/app/handlers.Echo\nhandler_type: compute\n"

// want is one expected diagnostic. Line and Col zero are not checked; msg
// is a substring of the message.
type want struct {
	code      registry.Code
	line, col int
	msg       string
	warning   bool
}

func e(code registry.Code, line, col int, msg string) want { return want{code, line, col, msg, false} }
func w(code registry.Code, line, col int, msg string) want { return want{code, line, col, msg, true} }

const (
	c002 = registry.InvalidYAMLSyntax
	c003 = registry.SchemaValidationFailed
)

func checkDiags(t *testing.T, file string, got diag.List, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("got %d diagnostics, want %d:\n%s", len(got), len(wants), render(got))
	}
	for i, w := range wants {
		d := got[i]
		switch {
		case d.Code != w.code,
			(d.Severity == diag.Warning) != w.warning,
			w.line != 0 && d.Pos.Line != w.line,
			w.col != 0 && d.Pos.Col != w.col,
			d.Pos.File != file,
			!strings.Contains(d.Message, w.msg):
			t.Errorf("diagnostic %d = %v (line %d col %d), want %v %s at %d:%d containing %q (warning %v)",
				i, d.Error(), d.Pos.Line, d.Pos.Col, w.code, w.code.Name(), w.line, w.col, w.msg, w.warning)
		}
	}
}

func render(l diag.List) string {
	var b strings.Builder
	for _, d := range l {
		fmt.Fprintf(&b, "\t%s\n", d.Error())
	}
	return b.String()
}

func TestParseValid(t *testing.T) {
	src := `# a full contract
name: "  handler-echo  "
handler_class: " example.com/app/handlers.Echo "
handler_type: " Nondeterministic_Compute "
tags: [ " a ", b ]
protocol_type: " echo-proto "
handler_version: {major: 2, minor: 0x1, patch: 3, prerelease: rc.1, build: b-5.x}
security:
  trusted_namespace: " example.com/app "
  audit_logging: true
handler_routing:
  z: [1, 2.5, true, null, 2024-01-01, "<&>"]
  a: {y: 1, x: 2}
`
	c, diags := Parse("h/contract.yaml", []byte(src))
	if c == nil || len(diags) != 0 {
		t.Fatalf("Parse: %v\n%s", c, render(diags))
	}
	wantC := &Contract{
		Path:         "h/contract.yaml",
		Digest:       sha256.Sum256([]byte(src)),
		Name:         "handler-echo",
		Class:        "example.com/app/handlers.Echo",
		ImportPath:   "example.com/app/handlers",
		TypeName:     "Echo",
		Type:         registry.NondeterministicCompute,
		Tags:         []string{"a", "b"},
		ProtocolType: "echo-proto",
		Version:      registry.Version{Major: 2, Minor: 1, Patch: 3, Prerelease: "rc.1", Build: "b-5.x"},
		Security:     Security{TrustedNamespace: "example.com/app", AuditLogging: true},
		Routing:      `{"a":{"x":2,"y":1},"z":[1,2.5,true,null,"2024-01-01","<&>"]}`,
		NamePos:      diag.Position{File: "h/contract.yaml", Line: 2, Col: 7},
		ClassPos:     diag.Position{File: "h/contract.yaml", Line: 3, Col: 16},
		TypePos:      diag.Position{File: "h/contract.yaml", Line: 4, Col: 15},
	}
	if !reflect.DeepEqual(c, wantC) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", c, wantC)
	}
}

func TestParseDefaults(t *testing.T) {
	c, diags := Parse("c.yaml", []byte(valid))
	if c == nil || len(diags) != 0 {
		t.Fatalf("Parse: %s", render(diags))
	}
	if c.ProtocolType != "echo" || c.Version != (registry.Version{Major: 1}) || c.Tags == nil || len(c.Tags) != 0 ||
		c.Routing != "" || c.Security != (Security{}) || c.Type != registry.Compute {
		t.Errorf("defaults: %+v", c)
	}
}

// TestParseValues covers the accepted forms of each key, as the contract
// fields they produce.
func TestParseValues(t *testing.T) {
	for _, tc := range []struct {
		name, extra string
		check       func(*Contract) bool
	}{
		{"tags null", "tags: null", func(c *Contract) bool { return c.Tags != nil && len(c.Tags) == 0 }},
		{"tags string", "capability_tags: ' solo '", func(c *Contract) bool { return reflect.DeepEqual(c.Tags, []string{"solo"}) }},
		{"tags empty list", "tags: []", func(c *Contract) bool { return c.Tags != nil && len(c.Tags) == 0 }},
		{"tags block list", "capability_tags:\n  - x\n  - y", func(c *Contract) bool { return reflect.DeepEqual(c.Tags, []string{"x", "y"}) }},
		{"protocol null is default", "protocol_type: null", func(c *Contract) bool { return c.ProtocolType == "echo" }},
		{"version null is default", "handler_version: ~", func(c *Contract) bool { return c.Version.String() == "1.0.0" }},
		{"version zero", "handler_version: {major: 0, minor: 0, patch: 0}", func(c *Contract) bool { return c.Version.String() == "0.0.0" }},
		{"security null", "security: null", func(c *Contract) bool { return c.Security == Security{} }},
		{"security namespace null", "security: {trusted_namespace: null}", func(c *Contract) bool { return c.Security == Security{} }},
		{"routing null", "handler_routing: null", func(c *Contract) bool { return c.Routing == "" }},
		{"routing empty", "handler_routing: {}", func(c *Contract) bool { return c.Routing == "{}" }},
		{"routing alias", "handler_routing: {a: &x [1], b: *x}", func(c *Contract) bool { return c.Routing == `{"a":[1],"b":[1]}` }},
		{"routing big int", "handler_routing: {n: 18446744073709551615}", func(c *Contract) bool { return c.Routing == `{"n":18446744073709551615}` }},
		{"explicit str tag", "protocol_type: !!str 12", func(c *Contract) bool { return c.ProtocolType == "12" }},
		{"date is a string", "protocol_type: 2024-01-01", func(c *Contract) bool { return c.ProtocolType == "2024-01-01" }},
		{"yes is a string (YAML 1.2)", "protocol_type: yes", func(c *Contract) bool { return c.ProtocolType == "yes" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := Parse("c.yaml", []byte(valid+tc.extra+"\n"))
			if c == nil || len(diags) != 0 {
				t.Fatalf("Parse: %s", render(diags))
			}
			if !tc.check(c) {
				t.Errorf("unexpected contract %+v", c)
			}
		})
	}
}

func TestParseClass(t *testing.T) {
	for _, tc := range []struct {
		class, importPath, typeName string
		msg                         string // error, or "" for none
	}{
		{"example.com/a/b.T", "example.com/a/b", "T", ""},
		{"gopkg.in/yaml.v3.Node", "gopkg.in/yaml.v3", "Node", ""},
		{"main.T", "main", "T", ""},
		{"Unqualified", "", "Unqualified", ""},
		{"example.com/pkg", "", "example.com/pkg", ""}, // no dot after the last '/': gen reports 010
		{".T", "", "", "empty import path"},
		{"a/.T", "", "", "empty import path"},
		{"a/b.", "", "", "not a Go identifier"},
		{"a/b.1T", "", "", "not a Go identifier"},
		{"a/b.T-x", "", "", "not a Go identifier"},
		{"   ", "", "", "handler_class must not be empty"},
	} {
		t.Run(tc.class, func(t *testing.T) {
			src := fmt.Sprintf("handler_name: n\nhandler_class: %q\nhandler_type: effect\n", tc.class)
			c, diags := Parse("c.yaml", []byte(src))
			if tc.msg != "" {
				checkDiags(t, "c.yaml", diags, []want{e(c003, 2, 16, tc.msg)})
				return
			}
			if c == nil {
				t.Fatalf("Parse: %s", render(diags))
			}
			if c.ImportPath != tc.importPath || c.TypeName != tc.typeName || c.Class != tc.class {
				t.Errorf("got %q %q %q", c.Class, c.ImportPath, c.TypeName)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const base = "handler_class: a/b.T\nhandler_type: effect\n" // line 1-2
	const named = "handler_name: n\n" + base                    // lines 1-3
	for _, tc := range []struct {
		name, src string
		want      []want
	}{
		// Empty documents.
		{"empty", "", []want{e(c003, 1, 1, "contract file is empty")}},
		{"whitespace", " \n\t\n", []want{e(c003, 0, 0, "contract file is empty")}},
		{"comment", "# nothing\n", []want{e(c003, 0, 0, "contract file is empty")}},
		{"null", "null\n", []want{e(c003, 1, 1, "contract file is empty")}},
		{"tilde", "~", []want{e(c003, 1, 1, "contract file is empty")}},
		{"document marker", "---\n", []want{e(c003, 0, 0, "contract file is empty")}},
		{"BOM only", "\xef\xbb\xbf", []want{e(c003, 1, 1, "contract file is empty")}},

		// Root.
		{"list root", "- a\n- b\n", []want{e(c003, 1, 1, "contract must be a mapping, got list")}},
		{"scalar root", "hello\n", []want{e(c003, 1, 1, "contract must be a mapping, got string")}},
		{"int root", "42\n", []want{e(c003, 1, 1, "got int")}},
		{"empty mapping", "{}\n", []want{
			e(c003, 1, 1, "missing required key handler_class"),
			e(c003, 1, 1, "missing required key handler_name"),
			e(c003, 1, 1, "missing required key handler_type"),
		}},

		// Missing keys, reported at the root mapping.
		{"missing name", base, []want{e(c003, 1, 1, "missing required key handler_name")}},
		{"missing all but name", "\n\n  handler_name: n\n", []want{
			e(c003, 3, 3, "missing required key handler_class"),
			e(c003, 3, 3, "missing required key handler_type"),
		}},

		// handler_name.
		{"name int", "handler_name: 12345\n" + base, []want{e(c003, 1, 15, "handler_name must be a string, got int")}},
		{"name null", "handler_name: null\n" + base, []want{e(c003, 1, 15, "handler_name must be a string, got null")}},
		{"name empty value", "handler_name:\n" + base, []want{e(c003, 1, 14, "got null")}},
		{"name bool", "handler_name: true\n" + base, []want{e(c003, 1, 15, "got bool")}},
		{"name float", "handler_name: 1.5\n" + base, []want{e(c003, 1, 15, "got float")}},
		{"name list", "handler_name: [a]\n" + base, []want{e(c003, 1, 15, "got list")}},
		{"name mapping", "handler_name: {a: b}\n" + base, []want{e(c003, 1, 15, "got mapping")}},
		{"name blank", "handler_name: '   '\n" + base, []want{e(c003, 1, 15, "handler_name must not be empty")}},
		{"alias name int", "name: 7\n" + base, []want{e(c003, 1, 7, "name must be a string, got int")}},
		{"name and alias", "handler_name: a\nname: b\n" + base, []want{e(c003, 2, 1, `both "handler_name" and "name" given`)}},
		{"alias and name", "name: b\nhandler_name: a\n" + base, []want{e(c003, 2, 1, `both "name" and "handler_name" given`)}},
		{"name handler- only", "handler_name: handler-\n" + base, []want{e(c003, 1, 15, "leaves the default protocol_type empty")}},

		// handler_class.
		{"class int", "handler_name: n\nhandler_class: 3\nhandler_type: effect\n", []want{e(c003, 2, 16, "handler_class must be a string, got int")}},
		{"class empty", "handler_name: n\nhandler_class: ''\nhandler_type: effect\n", []want{e(c003, 2, 16, "handler_class must not be empty")}},

		// handler_type.
		{"type bad", "handler_name: n\nhandler_class: a/b.T\nhandler_type: reducer\n", []want{e(c003, 3, 15, `invalid handler_type "reducer". Valid types: compute, effect, nondeterministic_compute`)}},
		{"type typo", "handler_name: n\nhandler_class: a/b.T\nhandler_type: Effects\n", []want{e(c003, 3, 15, `invalid handler_type "Effects". Valid types: compute, effect, nondeterministic_compute (did you mean "effect"?)`)}},
		{"type int", "handler_name: n\nhandler_class: a/b.T\nhandler_type: 1\n", []want{e(c003, 3, 15, "handler_type must be a string, got int")}},
		{"type list", "handler_name: n\nhandler_class: a/b.T\nhandler_type: [compute]\n", []want{e(c003, 3, 15, "got list")}},
		{"type null", "handler_name: n\nhandler_class: a/b.T\nhandler_type:\n", []want{e(c003, 3, 14, "got null")}},

		// capability_tags.
		{"tags non-string items", named + "tags: [a, 1, true, null, [x], b]\n", []want{
			w(c003, 4, 11, "tags item 2 is int, not a string; dropped"),
			w(c003, 4, 14, "item 3 is bool"),
			w(c003, 4, 20, "item 4 is null"),
			w(c003, 4, 26, "item 5 is list"),
		}},
		{"tags int", named + "capability_tags: 5\n", []want{e(c003, 4, 18, "capability_tags must be a list of strings, got int")}},
		{"tags mapping", named + "tags: {a: b}\n", []want{e(c003, 4, 7, "got mapping")}},
		{"tags and alias", named + "tags: a\ncapability_tags: b\n", []want{e(c003, 5, 1, `both "tags" and "capability_tags" given`)}},

		// protocol_type.
		{"protocol blank", named + "protocol_type: ' '\n", []want{e(c003, 4, 16, "protocol_type must not be empty")}},
		{"protocol int", named + "protocol_type: 1\n", []want{e(c003, 4, 16, "protocol_type must be a string, got int")}},

		// handler_version.
		{"version string", named + "handler_version: \"1.2.3\"\n", []want{e(c003, 4, 18, "handler_version must be a mapping with major, minor and patch, got string")}},
		{"version list", named + "handler_version: [1, 2, 3]\n", []want{e(c003, 4, 18, "got list")}},
		{"version negative", named + "handler_version: {major: -1, minor: 0, patch: 0}\n", []want{e(c003, 4, 26, "handler_version.major must be a non-negative integer, got int -1")}},
		{"version float", named + "handler_version: {major: 1, minor: 1.5, patch: 0}\n", []want{e(c003, 4, 36, "handler_version.minor must be a non-negative integer, got float 1.5")}},
		{"version string part", named + "handler_version: {major: 1, minor: 0, patch: '0'}\n", []want{e(c003, 4, 46, "handler_version.patch must be a non-negative integer, got string 0")}},
		{"version huge", named + "handler_version: {major: 99999999999999999999, minor: 0, patch: 0}\n", []want{e(c003, 4, 26, "handler_version.major must be an integer of at most 9223372036854775807, got 99999999999999999999")}},
		{"version max", named + "handler_version: {major: 9223372036854775807, minor: 0, patch: 0}\n", nil},
		{"version max+1", named + "handler_version: {major: 9223372036854775808, minor: 0, patch: 0}\n", []want{e(c003, 4, 26, "must be an integer of at most")}},
		{"version bad octal", named + "handler_version: {major: 089, minor: 0, patch: 0}\n", []want{e(c003, 4, 26, "handler_version.major must be a non-negative integer, got float 089")}},
		{"version missing", named + "handler_version: {major: 1}\n", []want{
			e(c003, 4, 18, "handler_version missing required key minor"),
			e(c003, 4, 18, "handler_version missing required key patch"),
		}},
		{"version unknown", named + "handler_version: {major: 1, minor: 0, patch: 0, pre: x}\n", []want{e(c003, 4, 49, `unknown key "pre" in handler_version`)}},
		{"version typo", named + "handler_version: {majr: 1, minor: 0, patch: 0}\n", []want{
			e(c003, 4, 18, "missing required key major"),
			e(c003, 4, 19, `unknown key "majr" in handler_version (did you mean "major"?)`),
		}},
		{"version prerelease", named + "handler_version: {major: 1, minor: 0, patch: 0, prerelease: 'a..b'}\n", []want{e(c003, 4, 61, `handler_version.prerelease "a..b" is not dot-separated identifiers`)}},
		{"version build int", named + "handler_version: {major: 1, minor: 0, patch: 0, build: 5}\n", []want{e(c003, 4, 56, "handler_version.build must be a string, got int")}},

		// security.
		{"security list", named + "security: [a]\n", []want{e(c003, 4, 11, "security must be a mapping, got list")}},
		{"security extra", named + "security: {audit_logging: true, owner: x}\n", []want{e(c003, 4, 33, `unknown key "owner" in security`)}},
		{"security audit string", named + "security: {audit_logging: 'yes'}\n", []want{e(c003, 4, 27, "security.audit_logging must be a bool, got string")}},
		{"security namespace int", named + "security: {trusted_namespace: 1}\n", []want{e(c003, 4, 31, "security.trusted_namespace must be a string, got int")}},

		// handler_routing.
		{"routing list", named + "handler_routing: [a]\n", []want{e(c003, 4, 18, "handler_routing must be a mapping, got list")}},
		{"routing int key", named + "handler_routing: {a: {1: x}}\n", []want{e(c003, 4, 23, "handler_routing keys must be strings, got int")}},
		{"routing inf", named + "handler_routing: {a: .inf}\n", []want{e(c003, 4, 22, "handler_routing value .inf is a YAML number that JSON cannot write as it is written: write a JSON number, or quote it to keep it a string; JSON has no infinity or NaN")}},
		{"routing nan", named + "handler_routing: {a: [.nan]}\n", []want{e(c003, 4, 23, "JSON has no infinity or NaN")}},

		// Unknown keys.
		{"unknown with suggestion", named + "handler_nmae: x\n", []want{e(c003, 4, 1, `unknown key "handler_nmae" (did you mean "handler_name"?)`)}},
		{"unknown case", named + "Security: {}\n", []want{e(c003, 4, 1, `(did you mean "security"?)`)}},
		{"unknown no suggestion", named + "description: x\n", []want{e(c003, 4, 1, `unknown key "description"`)}},
		{"unknown short", named + "x: 1\n", []want{e(c003, 4, 1, `unknown key "x"`)}},
		{"key int", named + "1: x\n", []want{e(c003, 4, 1, "keys must be strings, got int")}},
		{"key list", named + "? [a]\n: x\n", []want{e(c003, 4, 3, "keys must be strings, got list")}},
		{"merge key", named + "<<: {handler_type: compute}\n", []want{e(c003, 4, 1, "merge keys (<<) are not supported")}},
		{"merge key in routing", named + "handler_routing: {<<: {a: 1}}\n", []want{e(c003, 4, 19, "merge keys (<<) are not supported (handler_routing keys must be plain strings)")}},

		// Several problems in one file are all reported.
		{"many", "handler_name: 1\nhandler_class: 2\nhandler_type: 3\nfoo: 4\n", []want{
			e(c003, 1, 15, "handler_name must be a string"),
			e(c003, 2, 16, "handler_class must be a string"),
			e(c003, 3, 15, "handler_type must be a string"),
			e(c003, 4, 1, `unknown key "foo"`),
		}},

		// YAML-level problems (002).
		{"syntax", named + "a: b: c\n", []want{e(c002, 4, 0, "invalid YAML syntax: mapping values are not allowed")}},
		{"unclosed flow", named + "x: [\n", []want{e(c002, 0, 0, "invalid YAML syntax")}},
		{"unknown anchor", named + "x: *nope\n", []want{e(c002, 0, 0, "unknown anchor")}},
		{"two documents", named + "---\n" + named, []want{e(c002, 4, 1, "more than one YAML document")}},
		{"second document empty", named + "---\n", []want{e(c002, 4, 1, "more than one YAML document")}},
		{"second document broken", named + "---\n[\n", []want{e(c002, 0, 0, "invalid YAML syntax")}},
		{"duplicate key", named + "handler_type: compute\n", []want{e(c002, 4, 1, `duplicate key "handler_type" (first at line 3)`)}},
		{"duplicate nested key", named + "handler_routing: {a: {b: 1, b: 2}}\n", []want{e(c002, 4, 29, `duplicate key "b" (first at line 4)`)}},
		{"python tag", named + "x: !!python/object/apply:os.system [ls]\n", []want{e(c002, 4, 4, "YAML tag !!python/object/apply:os.system is not allowed")}},
		{"local tag", "handler_name: !custom n\n" + base, []want{e(c002, 1, 15, "YAML tag !custom is not allowed")}},
		{"binary tag", named + "handler_routing: {a: !!binary aGVsbG8=}\n", []want{e(c002, 4, 22, "YAML tag !!binary")}},
		{"timestamp tag", named + "handler_routing: {a: !!timestamp 2024-01-01}\n", []want{e(c002, 4, 22, "YAML tag !!timestamp")}},
		{"set tag", named + "handler_routing: {a: !!set {x: null}}\n", []want{e(c002, 4, 22, "YAML tag !!set")}},
		{"mismatched core tag", named + "handler_routing: {a: !!int abc}\n", []want{e(c002, 4, 22, "as a !!int")}},
		{"nul", named + "x: a\x00b\n", []want{e(c002, 4, 5, "contains a NUL byte")}},
		{"invalid utf8", named + "x: caf\xe9\n", []want{e(c002, 4, 7, "not valid UTF-8: invalid byte 0xe9")}},
		{"invalid utf8 after multibyte", "é: \xff", []want{e(c002, 1, 4, "invalid byte 0xff")}},
		{"control character", named + "x: \x01\n", []want{e(c002, 4, 4, "control character U+0001")}},
		{"UTF-16", "\xff\xfeh\x00", []want{e(c002, 1, 1, "invalid byte 0xff")}},
		{"self alias", named + "x: &a [*a]\n", []want{e(c002, 4, 8, "YAML alias *a refers to a node that contains it")}},
		{"cyclic alias in mapping", named + "x: &a {b: {c: *a}}\n", []want{e(c002, 4, 15, "YAML alias *a refers")}},
		{"deep nesting", named + "x: " + strings.Repeat("[", 150) + strings.Repeat("]", 150) + "\n", []want{e(c002, 4, 0, "nesting deeper than 100 levels")}},
		{"deep block nesting", named + "x:\n" + deepBlock(120), []want{e(c002, 0, 0, "nesting deeper than 100 levels")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := Parse("c.yaml", []byte(tc.src))
			checkDiags(t, "c.yaml", diags, tc.want)
			if (c == nil) != diags.HasErrors() {
				t.Errorf("contract %v with errors %v", c, diags.HasErrors())
			}
		})
	}
}

func deepBlock(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "%s- \n", strings.Repeat("  ", i+1))
	}
	return b.String()
}

// TestParseWarningsKeepContract checks that warnings alone leave a contract.
func TestParseWarningsKeepContract(t *testing.T) {
	c, diags := Parse("c.yaml", []byte(valid+"tags: [a, 1]\n"))
	if c == nil || len(diags) != 1 || diags[0].Severity != diag.Warning {
		t.Fatalf("Parse = %v\n%s", c, render(diags))
	}
	if !reflect.DeepEqual(c.Tags, []string{"a"}) {
		t.Errorf("tags = %q", c.Tags)
	}
}

func TestParseDuplicateRelated(t *testing.T) {
	_, diags := Parse("c.yaml", []byte(valid+"handler_name: again\n"))
	if len(diags) != 1 || len(diags[0].Related) != 1 || diags[0].Related[0].Pos != (diag.Position{File: "c.yaml", Line: 1, Col: 1}) {
		t.Fatalf("diagnostics: %+v", diags)
	}
}

func TestParseBOMAndCRLF(t *testing.T) {
	src := "\xef\xbb\xbf" + strings.ReplaceAll(valid+"tags: [a]\n", "\n", "\r\n")
	c, diags := Parse("c.yaml", []byte(src))
	if c == nil || len(diags) != 0 {
		t.Fatalf("Parse: %s", render(diags))
	}
	if c.Name != "handler-echo" || c.Tags[0] != "a" || c.NamePos.Line != 1 || c.NamePos.Col != 15 || c.TypePos.Line != 3 {
		t.Errorf("contract %+v", c)
	}
	if c.Digest != sha256.Sum256([]byte(src)) {
		t.Error("digest is not of the file's bytes")
	}
}

// TestParseBillionLaughs checks that exponential alias expansion is refused
// quickly, wherever the aliases are used.
func TestParseBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString(valid)
	b.WriteString("handler_routing:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	for _, tail := range []string{"", "tags: *a9\n"} {
		start := time.Now()
		c, diags := Parse("c.yaml", []byte(b.String()+tail))
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
		checkDiags(t, "c.yaml", diags, []want{e(c002, 0, 0, "aliases expand to more than 10000 nodes")})
		if c != nil {
			t.Error("contract returned")
		}
	}
}

// TestParseAliasesWithinBound checks that ordinary anchors and aliases work.
func TestParseAliasesWithinBound(t *testing.T) {
	src := "handler_name: &n handler-x\nhandler_class: a/b.T\nhandler_type: effect\nprotocol_type: *n\n"
	c, diags := Parse("c.yaml", []byte(src))
	if c == nil || len(diags) != 0 {
		t.Fatalf("Parse: %s", render(diags))
	}
	if c.ProtocolType != "handler-x" {
		t.Errorf("protocol_type = %q", c.ProtocolType)
	}
}

func TestSuggest(t *testing.T) {
	for key, want := range map[string]string{
		"handler_nme":   ` (did you mean "handler_name"?)`,
		"HANDLER_CLASS": ` (did you mean "handler_class"?)`,
		"tag":           ` (did you mean "tags"?)`,
		"a":             "",
		"description":   "",
		"":              "",
	} {
		if got := didYouMean(key, rootKeys); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", key, got, want)
		}
	}
}
