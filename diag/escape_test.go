package diag

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/handlergen/handlergen/internal/cicheck"
)

func TestEscape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain/path.yaml", "plain/path.yaml"},
		{`unknown key "x" (did you mean "y"?)`, `unknown key "x" (did you mean "y"?)`},
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"nul\x00 del\x7f", `nul\x00 del\x7f`},
		{"c1 \u0085 \u009b", `c1 \u0085 \u009b`},
		{"bidi \u202e \u2066 \u200f \u061c", `bidi \u202e \u2066 \u200f \u061c`},
		{"zero\u200bwidth \ufeff", `zero\u200bwidth \ufeff`},
		{"lines \u2028 \u2029", `lines \u2028 \u2029`},
		{"tag \U000e0041", `tag \U000e0041`},
		{"bad \xff\xfe utf8", `bad \xff\xfe utf8`},
		{"\ufffd stays", "\ufffd stays"},
		{"# one, #two", "# one, #two"},
		{"##vso[task.complete]", `#\x23vso[task.complete]`},
		{"x ##[error]y", `x #\x23[error]y`},
		{"####", `#\x23#\x23`},
		{"#####", `#\x23#\x23#`},
		{"::stop-commands::x", `\x3a:stop-commands::x`},
		{"  ::error::x", `  \x3a:error::x`},
		{"\u3000\u00a0::error::x", "\u3000\u00a0\\x3a:error::x"},
		{"\t::x", `\t::x`}, // the tab is escaped: the line starts with a backslash
		{":one colon", ":one colon"},
		{"a ::mid-line", "a ::mid-line"},
		{"\n::stop-commands::x", `\n::stop-commands::x`},
	} {
		got := Escape(tt.in)
		if got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if bad := cicheck.Lines(got, false); bad != nil {
			t.Errorf("Escape(%q) = %q: %s", tt.in, got, bad)
		}
		if again := Escape(got); again != got {
			t.Errorf("Escape is not idempotent on %q: %q", got, again)
		}
	}
}

func TestEscapeLines(t *testing.T) {
	in := "--- a\n+\tfunc f() {\n ::stop-commands::x\n \t ::error::y\n-##vso[task.complete]\n+\x1b[2J\r\n"
	want := "--- a\n+\tfunc f() {\n \\x3a:stop-commands::x\n \t \\x3a:error::y\n-#\\x23vso[task.complete]\n+\\x1b[2J\\r\n"
	if got := EscapeLines(in); got != want {
		t.Errorf("EscapeLines:\n got %q\nwant %q", got, want)
	}
	if bad := cicheck.Lines(EscapeLines(in), false); bad != nil {
		t.Error(bad)
	}
}

// TestNoCommandLines renders diagnostics with hostile paths, messages and
// related positions in every format and holds each line to cicheck: no
// CI command but the annotations -format github writes, each of them one
// well-formed command, and no raw control character.
func TestNoCommandLines(t *testing.T) {
	l := sample()
	for _, f := range []struct {
		name        string
		annotations bool
		write       func(*bytes.Buffer) error
	}{
		{"text", false, func(b *bytes.Buffer) error { return WriteText(b, l) }},
		{"json", false, func(b *bytes.Buffer) error { return WriteJSON(b, NewReport("check", "", l)) }},
		{"github", true, func(b *bytes.Buffer) error { return WriteGitHub(b, l) }},
		{"sarif", false, func(b *bytes.Buffer) error { return WriteSARIF(b, l, ToolInfo{}) }},
	} {
		var b bytes.Buffer
		if err := f.write(&b); err != nil {
			t.Fatal(err)
		}
		for _, bad := range cicheck.Lines(b.String(), f.annotations) {
			t.Errorf("%s: %s", f.name, bad)
		}
		if f.annotations {
			if n := strings.Count(b.String(), "\n"); n != len(l) {
				t.Errorf("github: %d lines for %d diagnostics", n, len(l))
			}
		}
	}
}

// TestJSONExact: JSON escapes what it must as \u escapes, so a consumer
// reads back every value exactly (a byte that is not UTF-8 aside, which
// JSON cannot hold).
func TestJSONExact(t *testing.T) {
	l := hostile()
	var b bytes.Buffer
	if err := WriteJSON(&b, NewReport("check", "", l)); err != nil {
		t.Fatal(err)
	}
	type related struct {
		Pos     Position `json:"position"`
		Message string   `json:"message"`
	}
	var r struct {
		Diagnostics []struct {
			Pos     Position  `json:"position"`
			Message string    `json:"message"`
			Related []related `json:"related"`
		}
	}
	if err := json.Unmarshal(b.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	valid := func(s string) string { return strings.ToValidUTF8(s, "\ufffd") }
	for i, d := range r.Diagnostics {
		want := l[i]
		if d.Pos.File != valid(want.Pos.File) || d.Message != valid(want.Message) {
			t.Errorf("diagnostic %d: %q %q, want %q %q", i, d.Pos.File, d.Message, want.Pos.File, want.Message)
		}
		for j, r := range d.Related {
			if r.Pos.File != want.Related[j].Pos.File || r.Message != want.Related[j].Message {
				t.Errorf("diagnostic %d, related %d: %+v, want %+v", i, j, r, want.Related[j])
			}
		}
	}
}
