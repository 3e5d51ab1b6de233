package contracts

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/handlergen/handlergen/registry"
)

// SchemaID is the $id of the contract JSON Schema.
const SchemaID = "https://github.com/handlergen/handlergen/contract.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the contract format,
// indented, with a trailing newline. The bytes are the same on every call
// and machine. Patterns are ECMA-262, as JSON Schema requires.
//
// The schema describes a valid contract. Parse is the authority; where the
// two differ it is by what a schema cannot say: handler_class type names
// are limited to ASCII identifiers here, and YAML-level rules (tags,
// duplicate keys, one document) have no JSON counterpart.
func Schema() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(schema()); err != nil {
		panic(err) // the schema is a constant made of maps and strings
	}
	return buf.Bytes()
}

type object = map[string]any

const nonBlank = `\S` // somewhere a character that is not white space

func schema() object {
	str := func(desc string) object {
		return object{"type": "string", "pattern": nonBlank, "description": desc}
	}
	name := str("The handler's unique name in the registry; surrounding white space is trimmed.")
	tags := object{
		"description": "Capability tags: a list of strings, a single string (one tag) or null (no tags).",
		"anyOf": []any{
			object{"type": "null"},
			object{"type": "string"},
			object{"type": "array", "items": object{"type": "string"}},
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
				"pattern":     `^\s*\S*[^\s/]\.[A-Za-z_][A-Za-z0-9_]*\s*$`,
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
					"major":      object{"type": "integer", "minimum": 0},
					"minor":      object{"type": "integer", "minimum": 0},
					"patch":      object{"type": "integer", "minimum": 0},
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

// typePattern matches the handler types case-insensitively. ECMA-262 has
// no inline (?i), so each letter becomes a class: [Cc][Oo]...
func typePattern() string {
	var alts []string
	for _, t := range []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute} {
		var b strings.Builder
		for _, r := range t.String() {
			if u := strings.ToUpper(string(r)); u != string(r) {
				b.WriteString("[" + u + string(r) + "]")
			} else {
				b.WriteRune(r)
			}
		}
		alts = append(alts, b.String())
	}
	return `^\s*(` + strings.Join(alts, "|") + `)\s*$`
}
