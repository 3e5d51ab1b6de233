package scaffold

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/handlergen/handlergen/registry"
)

// SchemaFile is the name under which a module keeps `handlergen schema`'s
// output; a new contract points its editor at it when the module root has it.
const SchemaFile = "contract.schema.json"

// contract is the new handler's handler_contract.yaml. It points editors at
// the module's JSON Schema when the module root has one.
func contract(name, class string, typ registry.Type, dir, modRoot string) []byte {
	var b bytes.Buffer
	if _, err := os.Stat(filepath.Join(modRoot, SchemaFile)); err == nil {
		if rel, err := filepath.Rel(dir, filepath.Join(modRoot, SchemaFile)); err == nil {
			fmt.Fprintf(&b, "# yaml-language-server: $schema=%s\n", filepath.ToSlash(rel))
		}
	}
	fmt.Fprintf(&b, "handler_name: %s\n", yamlString(name))
	fmt.Fprintf(&b, "handler_class: %s\n", yamlString(class))
	fmt.Fprintf(&b, "handler_type: %s\n", typ)
	b.WriteString("handler_version: {major: 1, minor: 0, patch: 0}\n")
	return b.Bytes()
}

// yamlString quotes s (always: a handler named "yes" or "1e3" must stay a
// string). JSON strings are YAML double-quoted strings.
func yamlString(s string) string { return strconv.Quote(s) }
