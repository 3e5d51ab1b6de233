package diag

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/handlergen/handlergen/registry"
)

func TestPositionString(t *testing.T) {
	tests := []struct {
		pos  Position
		want string
	}{
		{Position{}, ""},
		{Position{Line: 3, Col: 4}, ""}, // no file: nothing to point at
		{Position{File: "a.yaml"}, "a.yaml"},
		{Position{File: "a.yaml", Col: 4}, "a.yaml"},
		{Position{File: "a.yaml", Line: 3}, "a.yaml:3"},
		{Position{File: "a.yaml", Line: 3, Col: 4}, "a.yaml:3:4"},
		{Position{File: "dir with space/c:d.yaml", Line: 10, Col: 1}, "dir with space/c:d.yaml:10:1"},
	}
	for _, tt := range tests {
		if got := tt.pos.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.pos, got, tt.want)
		}
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		s    Severity
		want string
	}{
		{Error, "error"},
		{Warning, "warning"},
		{Severity(7), "error"}, // anything unknown fails the run
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Severity(%d).String() = %q, want %q", tt.s, got, tt.want)
		}
		b, err := tt.s.MarshalText()
		if err != nil || string(b) != tt.want {
			t.Errorf("Severity(%d).MarshalText() = %q, %v", tt.s, b, err)
		}
	}
	b, err := json.Marshal(Diagnostic{Code: registry.InitSideEffect, Severity: Warning, Message: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"code":"HANDLER_LOADER_016","severity":"warning","position":{},"message":"m"}`; string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
}

func TestDiagnosticError(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Code: registry.EmptyPatternsList, Message: "no inputs"}, "HANDLER_LOADER_030: no inputs"},
		{Diagnostic{Code: registry.InitSideEffect, Severity: Warning, Message: "init"}, "HANDLER_LOADER_016: warning: init"},
		{Diagnostic{Code: registry.SchemaValidationFailed, Pos: Position{File: "c.yaml", Line: 2, Col: 3}, Message: "bad"}, "c.yaml:2:3: HANDLER_LOADER_003: bad"},
		{Diagnostic{Code: registry.InitSideEffect, Severity: Warning, Pos: Position{File: "p.go", Line: 9}, Message: "init"}, "p.go:9: HANDLER_LOADER_016: warning: init"},
	}
	for _, tt := range tests {
		if got := tt.d.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestListBuilders(t *testing.T) {
	var l List
	d := l.Errorf(registry.FileNotFound, Position{File: "a"}, "%s: %d%%", "x", 5)
	d.Related = append(d.Related, Related{Message: "r"})
	l.Warnf(registry.InitSideEffect, Position{}, "w %q", "q")
	var other List
	other.Append(l...)
	other.Append()
	if len(other) != 2 || other[0].Message != "x: 5%" || other[0].Severity != Error || len(other[0].Related) != 1 ||
		other[1].Message != `w "q"` || other[1].Severity != Warning {
		t.Errorf("built %+v", other)
	}
}

func TestListCount(t *testing.T) {
	tests := []struct {
		name          string
		l             List
		errors, warns int
		hasErrors     bool
		errText       string
	}{
		{"nil", nil, 0, 0, false, ""},
		{"warnings", List{{Severity: Warning, Code: 16}, {Severity: Warning, Code: 43}}, 0, 2, false, ""},
		{"one error", List{{Severity: Warning, Code: 16, Message: "w"}, {Code: 3, Message: "e", Pos: Position{File: "f", Line: 1}}}, 1, 1, true, "f:1: HANDLER_LOADER_003: e"},
		{"three errors", List{{Code: 1, Message: "a"}, {Severity: Warning, Code: 16}, {Code: 2, Message: "b"}, {Code: 3, Message: "c"}}, 3, 1, true, "HANDLER_LOADER_001: a (and 2 more errors)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, w := tt.l.Count()
			if e != tt.errors || w != tt.warns {
				t.Errorf("Count() = %d, %d; want %d, %d", e, w, tt.errors, tt.warns)
			}
			if got := tt.l.HasErrors(); got != tt.hasErrors {
				t.Errorf("HasErrors() = %v", got)
			}
			err := tt.l.Err()
			if (err != nil) != tt.hasErrors {
				t.Fatalf("Err() = %v", err)
			}
			if err == nil {
				return
			}
			if err.Error() != tt.errText {
				t.Errorf("Err().Error() = %q, want %q", err, tt.errText)
			}
			var le ListError
			if !errors.As(err, &le) || len(le) != len(tt.l) {
				t.Errorf("Err() is %T, not the ListError of the list", err)
			}
		})
	}
	if got := (ListError{{Severity: Warning}}).Error(); got != "no errors" {
		t.Errorf("ListError of warnings = %q", got)
	}
}

func TestListSort(t *testing.T) {
	l := List{
		{Code: 3, Pos: Position{File: "b.yaml", Line: 2, Col: 1}, Message: "b2"},
		{Code: 3, Pos: Position{File: "a.yaml", Line: 10, Col: 1}, Message: "a10"},
		{Code: 3, Pos: Position{File: "a.yaml", Line: 2, Col: 5}, Message: "a2:5"},
		{Code: 42, Pos: Position{}, Message: "run"},
		{Code: 3, Pos: Position{File: "a.yaml", Line: 2, Col: 1}, Message: "z"},
		{Code: 2, Pos: Position{File: "a.yaml", Line: 2, Col: 1}, Message: "code 2"},
		{Code: 3, Pos: Position{File: "a.yaml", Line: 2, Col: 1}, Message: "y"},
		{Code: 30, Pos: Position{}, Message: "run"},
		{Code: 3, Pos: Position{File: "a.yaml"}, Message: "file"},
		{Code: 3, Pos: Position{File: "a.yaml", Line: 2, Col: 1}, Message: "y", Severity: Warning}, // ties keep their order
	}
	l.Sort()
	var got []string
	for _, d := range l {
		got = append(got, d.Message+"/"+d.Severity.String())
	}
	want := []string{"run/error", "run/error", "file/error", "code 2/error", "y/error", "y/warning", "z/error", "a2:5/error", "a10/error", "b2/error"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sorted %q, want %q", got, want)
		}
	}
	if l[0].Code != 30 || l[1].Code != 42 {
		t.Errorf("run-wide diagnostics not ordered by code: %v, %v", l[0].Code, l[1].Code)
	}
}

// TestCompact: only a diagnostic equal in every field to an earlier one is
// dropped; one that differs in any field, related positions included, is kept.
func TestCompact(t *testing.T) {
	base := Diagnostic{Code: registry.ImportError, Severity: Error, Pos: Position{File: "a.yaml", Line: 2, Col: 3}, Message: "m",
		Related: []Related{{Pos: Position{File: "h.go", Line: 1}, Message: "r"}}}
	vary := []func(d *Diagnostic){
		func(d *Diagnostic) { d.Code = registry.ModuleNotFound },
		func(d *Diagnostic) { d.Severity = Warning },
		func(d *Diagnostic) { d.Pos.File = "b.yaml" },
		func(d *Diagnostic) { d.Pos.Line = 9 },
		func(d *Diagnostic) { d.Pos.Col = 9 },
		func(d *Diagnostic) { d.Message = "m2" },
		func(d *Diagnostic) { d.Related = nil },
		func(d *Diagnostic) { d.Related = []Related{{Pos: Position{File: "h.go", Line: 2}, Message: "r"}} },
		func(d *Diagnostic) { d.Related = []Related{{Pos: Position{File: "h.go", Line: 1}, Message: "r2"}} },
		func(d *Diagnostic) { d.Message = `m" 0 0 "x` }, // quoting keeps fields apart
	}
	for i, f := range vary {
		d := base
		f(&d)
		if got := (List{base, d, base, d}).Compact(); len(got) != 2 {
			t.Errorf("variant %d: %d diagnostics after Compact, want 2", i, len(got))
		}
	}
	if got := (List{base, base, base}).Compact(); len(got) != 1 {
		t.Errorf("three equal diagnostics: %d after Compact, want 1", len(got))
	}
}
