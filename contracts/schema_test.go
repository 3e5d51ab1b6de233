package contracts

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"regexp"
	"slices"
	"testing"
)

func TestSchema(t *testing.T) {
	b := Schema()
	if !bytes.Equal(b, Schema()) {
		t.Fatal("Schema is not deterministic")
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !json.Valid(b) {
		t.Fatalf("Schema is not one JSON document with a trailing newline:\n%s", b)
	}
	var s struct {
		Schema     string                     `json:"$schema"`
		ID         string                     `json:"$id"`
		Title      string                     `json:"title"`
		Additional *bool                      `json:"additionalProperties"`
		Required   []string                   `json:"required"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.Schema != "https://json-schema.org/draft/2020-12/schema" || s.ID != SchemaID || s.Title == "" {
		t.Errorf("header: %+v", s)
	}
	if s.Additional == nil || *s.Additional {
		t.Error("additionalProperties is not false")
	}
	if got := slices.Sorted(maps.Keys(s.Properties)); !slices.Equal(got, rootKeys) {
		t.Errorf("properties %q, want the contract keys %q", got, rootKeys)
	}
	if !slices.Equal(s.Required, []string{keyClass, keyType}) {
		t.Errorf("required = %q", s.Required)
	}
	if bytes.Contains(b, []byte(`\u003c`)) {
		t.Error("HTML escaping in the schema")
	}
}

// pattern returns a property's pattern, compiled. The patterns use only
// syntax on which ECMA-262 and RE2 agree.
func pattern(t *testing.T, key string) *regexp.Regexp {
	t.Helper()
	var s struct {
		Properties map[string]struct {
			Pattern string `json:"pattern"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(s.Properties[key].Pattern)
}

func TestSchemaTypePattern(t *testing.T) {
	re := pattern(t, keyType)
	for _, v := range []string{"compute", "EFFECT", " Nondeterministic_Compute\t", "eFfEcT"} {
		if !re.MatchString(v) {
			t.Errorf("%q does not match", v)
		}
	}
	for _, v := range []string{"", "reducer", "computes", "compute effect", "c0mpute"} {
		if re.MatchString(v) {
			t.Errorf("%q matches", v)
		}
	}
}

// TestSchemaClassPattern checks that the schema and Parse agree on which
// handler_class values are valid.
func TestSchemaClassPattern(t *testing.T) {
	re := pattern(t, keyClass)
	for _, class := range []string{
		"example.com/a/b.T", "gopkg.in/yaml.v3.Node", "main.T", " a/b.T_1 ",
		"Unqualified", "example.com/pkg", ".T", "a/.T", "a/b.", "a/b.1T", "a/b.T-x", "a/b.T.",
	} {
		c, _ := Parse("c.yaml", []byte("handler_name: n\nhandler_type: effect\nhandler_class: '"+class+"'\n"))
		parseOK := c != nil && c.ImportPath != ""
		if schemaOK := re.MatchString(class); schemaOK != parseOK {
			t.Errorf("%q: schema says %v, Parse says %v", class, schemaOK, parseOK)
		}
	}
}

// TestSchemaFileUpToDate keeps the committed contract.schema.json, which
// editors reach through a yaml-language-server comment, equal to Schema().
func TestSchemaFileUpToDate(t *testing.T) {
	got, err := os.ReadFile("../contract.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(Schema()) {
		t.Error("contract.schema.json is stale: go run ./cmd/handlergen schema > contract.schema.json")
	}
}
