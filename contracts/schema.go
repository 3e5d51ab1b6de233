package contracts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// SchemaID is the $id of the contract JSON Schema.
const SchemaID = "https://github.com/handlergen/handlergen/contract.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the contract format,
// indented, with a trailing newline. The bytes are the same on every call
// and machine. Patterns are written in the syntax on which ECMA-262 (with or
// without the u flag), RE2 and Python's re agree, so editors and validators
// in any of those languages read them alike.
//
// The schema describes a valid contract, and Parse is the authority: every
// contract Parse accepts with a qualified handler_class, the schema accepts
// (contracts/schema_validate_test.go checks this). White space is Go's
// (unicode.IsSpace), as Parse trims it, and handler_type letters include
// every rune unicode.ToLower maps to them. Integers are JSON Schema's, so
// 1.0 is one, as Parse (like pydantic's lax mode) reads it. The schema
// accepts some contracts Parse refuses, for what a schema of the JSON form
// cannot say: YAML-level rules (tags, duplicate keys, one document), keys
// that are not strings, routing numbers that JSON cannot write as written
// (0x1F), Go keywords as type names, numbers that do not fit an int64, and
// a name that leaves the default protocol_type empty.
// (schema_validate_test.go's schemaOnly lists them, and FuzzSchemaAgreement
// fails on any other disagreement in either direction.)
func Schema() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(schema()); err != nil {
		panic(err) // the schema is a constant made of maps and strings
	}
	return asciiJSON(buf.Bytes())
}

// asciiJSON writes every non-ASCII rune of a JSON document as a \u escape,
// so that the white space in patterns stays visible and the file is ASCII.
// The decoded strings are unchanged: outside strings JSON has no non-ASCII.
func asciiJSON(b []byte) []byte {
	var out bytes.Buffer
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			out.WriteByte(byte(r))
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.Bytes()
}

type object = map[string]any

// ws is the inside of a character class of the runes unicode.IsSpace
// reports, which strings.TrimSpace trims. Non-ASCII ones past U+00FF are
// the runes themselves, not regexp escapes, as RE2 has no \u escape and
// ECMA-262 no \x{...}; Schema writes them as JSON \u escapes.
const ws = `\t\n\v\f\r \x85\xA0` + "\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

const nonBlank = `[^` + ws + `]` // somewhere a character that is not white space

// classPattern matches a handler_class that Parse accepts and splits into
// a non-empty import path and a type name: optional white space, the import
// path (not white space at the start, not '/' at the end), '.', the type
// name, optional white space. As no '.' or '/' can be part of the type
// name, the '.' matched is the last one, after the last '/'. Type names
// are ASCII identifiers or contain any non-ASCII rune, a superset of Go's
// Unicode identifiers that every regexp engine can write.
const classPattern = `^[` + ws + `]*(?:[^` + ws + `/]|[^` + ws + `][\s\S]*[^/])\.` +
	`(?:[A-Za-z_]|[^\x00-\x7F])(?:[A-Za-z0-9_]|[^\x00-\x7F])*[` + ws + `]*$`

func schema() object {
	str := func(desc string) object {
		return object{"type": "string", "pattern": nonBlank, "description": desc}
	}
	name := str("The handler's unique name in the registry; surrounding white space is trimmed.")
	tags := object{
		"description": "Capability tags: a list of strings, a single string (one tag) or null (no tags). Items of a list that are not strings are dropped with a warning.",
		"anyOf": []any{
			object{"type": "null"},
			object{"type": "string"},
			object{"type": "array"},
		},
	}
	return object{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "handlergen handler contract",
		"description": "A handler contract (handler_contract.yaml or contract.yaml), compatible with the Python HandlerPluginLoader's schema. Exactly one of handler_name and name is required, and at most one of capability_tags and tags.",
		"type":        "object",
		"properties": object{
			keyName: name,
			"name":  object{"$ref": "#/properties/handler_name", "description": "Alias of handler_name."},
			keyClass: object{
				"type":        "string",
				"pattern":     classPattern,
				"description": "The handler's Go type as IMPORT/PATH.TypeName, split at the last '.' after the last '/'.",
				"examples":    []any{"example.com/app/handlers.Echo"},
			},
			keyType: object{
				"type":        "string",
				"pattern":     typePattern(),
				"description": "The handler's category: compute, effect or nondeterministic_compute, case-insensitive, surrounding white space ignored.",
			},
			keyTags: tags,
			"tags":  object{"$ref": "#/properties/capability_tags", "description": "Alias of capability_tags."},
			keyProtocol: object{
				"type":        []any{"string", "null"},
				"pattern":     nonBlank,
				"description": "The protocol the handler serves; default: handler_name without a leading \"handler-\".",
			},
			keyVersion: object{
				"type":                 []any{"object", "null"},
				"description":          "The handler's semantic version; default 1.0.0.",
				"additionalProperties": false,
				"required":             []any{"major", "minor", "patch"},
				"properties": object{
					"major":      object{"type": "integer", "minimum": 0, "maximum": int64(math.MaxInt64)},
					"minor":      object{"type": "integer", "minimum": 0, "maximum": int64(math.MaxInt64)},
					"patch":      object{"type": "integer", "minimum": 0, "maximum": int64(math.MaxInt64)},
					"prerelease": semverIdents("Pre-release identifiers, as after '-' in 1.0.0-rc.1."),
					"build":      semverIdents("Build metadata, as after '+' in 1.0.0+build.5."),
				},
			},
			keySecurity: object{
				"type":                 []any{"object", "null"},
				"description":          "Security settings, carried as metadata.",
				"additionalProperties": false,
				"properties": object{
					"trusted_namespace": object{"type": []any{"string", "null"}},
					"audit_logging":     object{"type": "boolean"},
				},
			},
			keyRouting: object{
				"type":        []any{"object", "null"},
				"description": "Routing metadata, carried as JSON.",
			},
		},
		"required":             []any{keyClass, keyType},
		"additionalProperties": false,
		"oneOf": []any{
			object{"required": []any{keyName}},
			object{"required": []any{"name"}},
		},
		"not": object{"required": []any{keyTags, "tags"}},
	}
}

func semverIdents(desc string) object {
	return object{
		"type":        []any{"string", "null"},
		"pattern":     `^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$`,
		"description": desc,
	}
}

// typePattern matches the handler types as ParseType reads them: white
// space around, and case-insensitive as strings.ToLower is. ECMA-262 has no
// inline (?i), so each letter becomes a class of the runes that lower-case
// to it: [Cc][Oo]..., [Iiİ] for the dotted capital I.
func typePattern() string {
	var alts []string
	for _, t := range handlerTypes {
		var b strings.Builder
		for _, r := range t.String() {
			if v := lowersTo(r); len(v) > 1 {
				b.WriteString("[" + v + "]")
			} else {
				b.WriteString(v)
			}
		}
		alts = append(alts, b.String())
	}
	return `^[` + ws + `]*(` + strings.Join(alts, "|") + `)[` + ws + `]*$`
}

// lowersTo returns the runes that unicode.ToLower maps to the lower-case
// ASCII letter r, upper case first, r last: "Iİi" for 'i'. Any other r is
// returned alone.
func lowersTo(r rune) string {
	if r < 'a' || r > 'z' {
		return string(r)
	}
	var b strings.Builder
	for _, cr := range unicode.CaseRanges {
		for c := rune(cr.Lo); c <= rune(cr.Hi); c++ {
			if c != r && unicode.ToLower(c) == r {
				b.WriteRune(c)
			}
		}
	}
	b.WriteRune(r)
	return b.String()
}
