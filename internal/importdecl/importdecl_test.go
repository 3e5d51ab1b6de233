package importdecl

import "testing"

func TestDecl(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []Spec
		want  string
	}{
		{"none", nil, ""},
		{"std only", []Spec{{Path: "strings", PkgName: "strings"}, {Path: "context", PkgName: "context"}},
			"import (\n\t\"context\"\n\t\"strings\"\n)"},
		{"other only", []Spec{{Path: "example.com/b", PkgName: "b"}, {Path: "example.com/a", PkgName: "a"}},
			"import (\n\t\"example.com/a\"\n\t\"example.com/b\"\n)"},
		{"grouped, aliased, deduplicated",
			[]Spec{
				{Path: "example.com/x/errors", Name: "errors1", PkgName: "errors"},
				{Path: "errors", Name: "errors", PkgName: "errors"},
				{Path: "github.com/mattn/go-sqlite3", Name: "sqlite3", PkgName: "sqlite3"},
				{Path: "errors", Name: "errors", PkgName: "errors"},
				{Path: "context", PkgName: "context"},
			},
			"import (\n\t\"context\"\n\t\"errors\"\n\n\terrors1 \"example.com/x/errors\"\n\t\"github.com/mattn/go-sqlite3\"\n)"},
		{"sorted by path, not by alias",
			[]Spec{{Path: "example.com/b", Name: "a", PkgName: "b"}, {Path: "example.com/a", Name: "z", PkgName: "a"}},
			"import (\n\tz \"example.com/a\"\n\ta \"example.com/b\"\n)"},
	} {
		if got := Decl(tc.specs); got != tc.want {
			t.Errorf("%s: Decl =\n%s\nwant\n%s", tc.name, got, tc.want)
		}
	}
}

func TestIsStd(t *testing.T) {
	for path, want := range map[string]bool{
		"fmt": true, "net/http": true, "example.com/x": false, "gopkg.in/yaml.v3": false, "internal/x": true, "x.y": false,
	} {
		if got := IsStd(path); got != want {
			t.Errorf("IsStd(%q) = %v, want %v", path, got, want)
		}
	}
}
