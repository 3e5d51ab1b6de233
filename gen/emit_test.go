package gen

import (
	"maps"
	"testing"
)

func TestNameImports(t *testing.T) {
	base := []importedPkg{{registryPath, "registry"}, {"context", "context"}}
	for _, tc := range []struct {
		name     string
		imports  []importedPkg
		declared []string
		want     map[string]string
	}{
		{"no clash", []importedPkg{{"x/a", "a"}}, []string{"Registry"},
			map[string]string{registryPath: "registry", "context": "context", "x/a": "a"}},
		{"same name, first wins", []importedPkg{{"x/a/h", "h"}, {"x/b/h", "h"}}, nil,
			map[string]string{registryPath: "registry", "context": "context", "x/a/h": "h", "x/b/h": "h1"}},
		{"the file's own imports keep their names", []importedPkg{{"x/context", "context"}, {"x/registry", "registry"}}, nil,
			map[string]string{registryPath: "registry", "context": "context", "x/context": "context1", "x/registry": "registry1"}},
		{"declared names are not import names", []importedPkg{{"x/h", "h"}, {"x/h1", "h1"}}, []string{"h", "handlergenhEntries"},
			map[string]string{registryPath: "registry", "context": "context", "x/h": "h1", "x/h1": "h11"}},
		{"predeclared identifiers and init are not import names", []importedPkg{{"x/error", "error"}, {"x/len", "len"}, {"x/init", "init"}}, nil,
			map[string]string{registryPath: "registry", "context": "context", "x/error": "error1", "x/len": "len1", "x/init": "init1"}},
		{"a path imported twice keeps its first name", []importedPkg{{"x/a", "a"}, {"x/a", "a"}}, nil,
			map[string]string{registryPath: "registry", "context": "context", "x/a": "a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nameImports(append(base[:len(base):len(base)], tc.imports...), tc.declared...)
			if !maps.Equal(got, tc.want) {
				t.Errorf("nameImports = %v, want %v", got, tc.want)
			}
		})
	}
}
