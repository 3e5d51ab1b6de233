package contracts

import (
	"fmt"
	"math/big"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/handlergen/handlergen/registry"
)

// TestSyntaxErrorPositions checks that every YAML syntax error (002) names
// the line, and the column, at which the document breaks: on line 1, where
// yaml.v3's message has no line at all; for "unknown anchor", which has
// none either; for a tab, which yaml.v3 puts on the line before; for a
// second document; with CRLF line ends and a byte-order mark.
func TestSyntaxErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line, col int
		msg       string
	}{
		{"bad escape on line 1", `handler_name: "\q"` + "\n", 1, 16, "found unknown escape character"},
		{"bad escape on line 3", "a: b\nc: d\nhandler_name: \"ab\\q\"\n", 3, 18, "found unknown escape character"},
		{"bad hex escape", `a: "\x4"` + "\n", 1, 6, "did not find expected hexdecimal number"},
		{"YAML 9.9", "%YAML 9.9\n---\na: b\n", 1, 9, "found incompatible YAML document"},
		{"duplicate TAG", "%TAG ! tag:a,2000:\n%TAG ! tag:b,2000:\n---\na: b\n", 2, 8, "found duplicate %TAG directive"},
		{"undefined tag handle", "a: !x!y b\n", 1, 7, "found undefined tag handle"},
		{"unknown anchor on line 1", "a: *x\n", 1, 4, "unknown anchor 'x' referenced"},
		{"unknown anchor on line 3", "a: b\nc: d\ne: [1, *xyz]\n", 3, 8, "unknown anchor 'xyz' referenced"},
		{"anchor used before it is set", "a: *x\nb: &x 1\n", 1, 4, "unknown anchor 'x' referenced"},
		{"tab on line 4", "a: b\nc:\n  d: e\n\tf: g\n", 4, 1, "found a tab character that violates indentation"},
		{"tab in a folded scalar", "a: >\n\tx\n", 2, 1, "found a tab character where an indentation space is expected"},
		{"cannot start a token on line 1", "a: @b\n", 1, 4, "found character that cannot start any token"},
		{"cannot start a token on line 2", "a: b\nc: `d\n", 2, 4, "found character that cannot start any token"},
		{"unclosed quote", "a: b\nc: d\nf: 'x\n", 3, 4, "found unexpected end of stream"},
		{"unclosed flow mapping", "{a: b\n", 1, 5, "did not find expected ',' or '}'"},
		{"unclosed flow sequence", "a: b\nc: [d,\n e,\n f\ng: h\n", 4, 2, "did not find expected ',' or ']'"},
		{"mapping value in plain scalar", "a: b\n  c: d\n", 2, 4, "mapping values are not allowed in this context"},
		{"list after mapping", "- a\nb: c\n", 2, 2, "did not find expected '-' indicator"},
		{"key in a list", "a:\n  - b\n  c: d\n", 3, 4, "did not find expected '-' indicator"},
		{"literal scalar dedent", "a: |\n  x\n b\n", 3, 2, "did not find expected key"},
		{"text after a quoted key", "a: b\n\"c\": d\n\"e\" f: g\n", 3, 6, "did not find expected key"},
		{"broken second document", "a: b\n---\nc: [\n", 3, 4, "did not find expected node content"},
		{"CRLF", "a: b\r\nc: \"\\q\"\r\n", 2, 5, "found unknown escape character"},
		{"BOM", "\xef\xbb\xbfa: b\nc: *x\n", 2, 4, "unknown anchor 'x' referenced"},
		{"multi-byte before", "é: ü\nx: \"\\q\"\n", 2, 5, "found unknown escape character"},
		{"columns count runes", "é: \"ü\\q\"\n", 1, 6, "found unknown escape character"},
		{"no final newline", "a: b\nc: *x", 2, 4, "unknown anchor"},
		{"unknown anchor as a flow key", "a: b\n# *x\nc: {*x: 1}\n", 3, 5, "unknown anchor 'x' referenced"},
		{"unknown anchor as a key", "a: b\n*x: 1\n", 2, 1, "unknown anchor 'x' referenced"},
		{"unknown anchor before LS", "a: \"*x\"\nb: *x\u2028c: 1\n", 2, 4, "unknown anchor 'x' referenced"},
		{"unknown anchor before NEL", "a: \"*x\"\nb: [*x\u0085]\n", 2, 5, "unknown anchor 'x' referenced"},
		{"fault at an LS", "a: &\u2028b\n", 1, 5, "did not find expected alphabetic or numeric character"},
		{"tag handle before an LS", "a: !x!y\u2028", 1, 8, "found undefined tag handle"},
		{"unknown anchor after mentions", "# *x\na: '*x'\nb: \"*x, *x\"\nc: [1, *x]\n", 4, 8, "unknown anchor 'x' referenced"},
		{"unknown anchor after a valid use", "a: &x 1\nb: *x\nc: *y\nd: [*x, *y]\n", 3, 4, "unknown anchor 'y' referenced"},
		{"unknown anchor renamed name exists", "a: &x-1 1\n# *x\nb: [*x-1, *x]\n", 3, 11, "unknown anchor 'x' referenced"},
		// A hostile file that mentions the alias on every line before it:
		// a search line by line would run out of budget and say line 1.
		{"unknown anchor after 40000 mentions", strings.Repeat("# *x\n", 40000) + "a: *x\n", 40001, 4, "unknown anchor 'x' referenced"},
		{"CR line breaks", "a: b\rc: d\re: *x\r", 3, 4, "unknown anchor"},
		{"control character after CR", "a: b\rc: \x01\n", 2, 4, "control character U+0001"},
		{"NUL after CRLF", "a: b\r\nc: d\x00\n", 2, 5, "contains a NUL byte"},
		{"bad UTF-8 after LS", "a: b\u2028\xff", 2, 1, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("c.yaml", []byte(tc.src))
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1:\n%s", len(diags), render(diags))
			}
			d := diags[0]
			if d.Code != registry.InvalidYAMLSyntax || d.Pos.Line != tc.line || d.Pos.Col != tc.col || !strings.Contains(d.Message, tc.msg) || strings.Contains(d.Message, "syntax: line ") {
				t.Errorf("got %s (line %d col %d), want 002 at %d:%d containing %q", d.Error(), d.Pos.Line, d.Pos.Col, tc.line, tc.col, tc.msg)
			}
		})
	}
}

// TestSyntaxErrorLineAnywhere puts one fault on every line of a contract
// in turn: the reported line must follow it.
func TestSyntaxErrorLineAnywhere(t *testing.T) {
	lines := []string{"handler_name: n", "handler_class: a/b.T", "handler_type: effect", "tags: [a, b]", "handler_routing:", "  a: 1", "  b: [x, y]"}
	for _, fault := range []struct{ text, msg string }{
		{`x: "\q"`, "unknown escape"},
		{"x: *nope", "unknown anchor"},
		{"x: @", "cannot start any token"},
	} {
		for i := range len(lines) + 1 {
			src := strings.Join(lines[:i], "\n") + "\n"
			if i == 0 {
				src = ""
			}
			indent := ""
			if i > 5 {
				indent = "  " // inside handler_routing
			}
			src += indent + fault.text + "\n" + strings.Join(lines[i:], "\n") + "\n"
			_, diags := Parse("c.yaml", []byte(src))
			if len(diags) != 1 || diags[0].Pos.Line != i+1 || !strings.Contains(diags[0].Message, fault.msg) {
				t.Errorf("%q on line %d: got\n%s", fault.text, i+1, render(diags))
			}
		}
	}
}

// TestExplicitTagKinds gives every core tag to every kind of node. A tag
// that contradicts its node (!!null [a, b], !!str {a: 1}, !!map [a]) is
// refused (002), as PyYAML refuses it; one that fits is read as usual.
func TestExplicitTagKinds(t *testing.T) {
	nodes := []struct {
		kind, text string
	}{
		{"scalar", "x"},
		{"mapping", "{a: 1}"},
		{"block mapping", "\n    a: 1"},
		{"sequence", "[a, b]"},
		{"block sequence", "\n    - a"},
	}
	// A scalar each tag can hold, so that only the kind is in question.
	scalars := map[string]string{strTag: "x", intTag: "1", floatTag: "1.5", boolTag: "true", nullTag: "~", mapTag: "x", seqTag: "x"}
	for _, tag := range []string{strTag, intTag, floatTag, boolTag, nullTag, mapTag, seqTag} {
		for _, n := range nodes {
			text := n.text
			if n.kind == "scalar" {
				text = scalars[tag]
			}
			fits := tagKind[tag] == map[string]yaml.Kind{"scalar": yaml.ScalarNode, "mapping": yaml.MappingNode, "block mapping": yaml.MappingNode, "sequence": yaml.SequenceNode, "block sequence": yaml.SequenceNode}[n.kind]
			for _, key := range []string{"handler_routing:\n  k: ", "capability_tags: "} {
				src := head + key + tag + " " + text + "\n"
				_, diags := Parse("c.yaml", []byte(src))
				has002 := false
				for _, d := range diags {
					if d.Code == registry.InvalidYAMLSyntax {
						has002 = true
						if !strings.Contains(d.Message, "cannot be given to a") || d.Pos.Line != 4 && d.Pos.Line != 5 {
							t.Errorf("%s on a %s: %s", tag, n.kind, d.Error())
						}
					}
				}
				if has002 == fits {
					t.Errorf("%s on a %s under %q: 002 %v, want %v\n%s", tag, n.kind, key, has002, !fits, render(diags))
				}
			}
		}
	}
	// The examples of the issue, by name.
	for _, src := range []string{
		"capability_tags: !!null [a, b]\n",
		"handler_routing: !!seq {a: 1}\n",
		"handler_routing: !!str {a: 1}\n",
		"handler_routing: {a: !!int \"x\"}\n",
		"handler_routing: {a: !!map [1]}\n",
		"handler_routing: {a: !!bool yes}\n",                        // YAML 1.1's yes is not a 1.2 bool
		"handler_version: {major: !!int 1.0, minor: 0, patch: 0}\n", // 1.0 is not an int by YAML's rules
	} {
		if _, diags := Parse("c.yaml", []byte(head+src)); len(diags) != 1 || diags[0].Code != registry.InvalidYAMLSyntax {
			t.Errorf("%q: want one 002, got\n%s", src, render(diags))
		}
	}
}

// TestRoutingNumbers checks that handler_routing carries each number as
// it is written, whatever its size or precision, and refuses a YAML number
// JSON cannot write as written instead of rewriting it.
func TestRoutingNumbers(t *testing.T) {
	for _, lit := range []string{
		"12345678901234567890123", "-9223372036854775809", "18446744073709551616", "1e400", "-1E-400",
		"1.50", "0.1", "1.0", "-0", "0", "3e2", "2.5E+10", "100000000000000000000000000000000000000000.000000000000000000001",
		"!!float 1", "!!int 7", "!!int 12345678901234567890123", "!!int -9223372036854775809", "!!float 1e400", "!!float 12345678901234567890123",
	} {
		c, diags := Parse("c.yaml", []byte(head+"handler_routing: {n: "+lit+", l: ["+lit+"]}\n"))
		want := strings.TrimPrefix(strings.TrimPrefix(lit, "!!float "), "!!int ")
		if c == nil || c.Routing != fmt.Sprintf(`{"l":[%s],"n":%s}`, want, want) {
			t.Errorf("%s: routing %v\n%s", lit, c, render(diags))
		}
	}
	for _, tc := range []struct{ lit, msg string }{
		{"0x1F", "as a JSON number it is 31"},
		{"-0x1F", "as a JSON number it is -31"},
		{"0o17", "as a JSON number it is 15"},
		{"1_000", "as a JSON number it is 1000"},
		{"+1", "as a JSON number it is 1"},
		{".5", "as a JSON number it is 0.5"},
		{"5.", "as a JSON number it is 5"},
		{"007", "octal in YAML 1.1"},
		{"0777", "octal in YAML 1.1"},
		{".inf", "JSON has no infinity or NaN"},
		{"-.Inf", "JSON has no infinity or NaN"},
		{".NaN", "JSON has no infinity or NaN"},
		{"!!int 0x10", "as a JSON number it is 16"},
		{"!!float .inf", "JSON has no infinity or NaN"},
		{"!!int 007", "octal in YAML 1.1"},
		{"!!int +5", "as a JSON number it is 5"},
	} {
		_, diags := Parse("c.yaml", []byte(head+"handler_routing: {n: "+tc.lit+"}\n"))
		if len(diags) != 1 || diags[0].Code != registry.SchemaValidationFailed || diags[0].Pos.Line != 4 || diags[0].Pos.Col != 22 ||
			!strings.Contains(diags[0].Message, "is a YAML number that JSON cannot write as it is written") || !strings.Contains(diags[0].Message, tc.msg) {
			t.Errorf("%s: want one 003 at 4:22 containing %q, got\n%s", tc.lit, tc.msg, render(diags))
		}
	}
	// Strings stay strings, however numeric they look.
	for _, lit := range []string{`"1e400"`, `'0x1F'`, "!!str 12", "1:30", "0x", "1e", "--1"} {
		c, diags := Parse("c.yaml", []byte(head+"handler_routing: {n: "+lit+"}\n"))
		if c == nil || !strings.HasPrefix(c.Routing, `{"n":"`) {
			t.Errorf("%s: routing %v\n%s", lit, c, render(diags))
		}
	}
}

// TestVersionIntegralFloat: an integral float is that integer, as the
// Python loader's pydantic (lax mode) and JSON Schema read it; a
// fractional, negative, non-finite or leading-zero one is not, and the
// value is read from the text, not through a float64.
func TestVersionIntegralFloat(t *testing.T) {
	for _, tc := range []struct {
		major string
		want  int
	}{{"1.0", 1}, {"2e1", 20}, {"1.50e1", 15}, {"!!float 3", 3}, {"0.0", 0}, {"-0.0", 0}, {"9007199254740993.0", 9007199254740993}, {"9223372036854775807.0", 9223372036854775807}} {
		c, diags := Parse("c.yaml", []byte(head+"handler_version: {major: "+tc.major+", minor: 0, patch: 0}\n"))
		if c == nil || c.Version.Major != tc.want {
			t.Errorf("major %s: %v\n%s", tc.major, c, render(diags))
		}
	}
	for _, tc := range []struct{ major, msg string }{
		{"1.5", "must be a non-negative integer, got float 1.5"},
		{"-1.0", "must be a non-negative integer, got float -1.0"},
		{".inf", "must be a non-negative integer, got float .inf"},
		{".nan", "must be a non-negative integer"},
		{"1e-1", "must be a non-negative integer"},
		{"089", "must be a non-negative integer, got float 089"},
		{"9223372036854775808.0", "must be an integer of at most 9223372036854775807"},
		{"!!int 12345678901234567890123", "must be an integer of at most 9223372036854775807"},
		{"!!float 1e400", "must be an integer of at most 9223372036854775807"},
		{"1e19", "must be an integer of at most 9223372036854775807"},
	} {
		_, diags := Parse("c.yaml", []byte(head+"handler_version: {major: "+tc.major+", minor: 0, patch: 0}\n"))
		if len(diags) != 1 || diags[0].Code != registry.SchemaValidationFailed || !strings.Contains(diags[0].Message, tc.msg) {
			t.Errorf("major %s: want one 003 containing %q, got\n%s", tc.major, tc.msg, render(diags))
		}
	}
}

// TestIntegralDecimal holds the digit-wise reading of a version float to
// big.Rat's exact one, over every way of writing a value with a sign,
// leading and trailing zeros, a fraction and an exponent.
func TestIntegralDecimal(t *testing.T) {
	var texts []string
	for _, sign := range []string{"", "+", "-"} {
		for _, mant := range []string{"0", "00", "1", "10", "0.0", ".5", "5.", "1.5", "1.50", "0.001", "123", "9223372036854775807", "9223372036854775808", "922337203685477580.7", "1_0.0_1", "."} {
			for _, exp := range []string{"", "e0", "E1", "e+2", "e-1", "e-3", "e18", "e19", "e-19", "e400", "e-400", "e9223372036854775807", "e-9223372036854775808", "e99999999999999999999", "e-99999999999999999999"} {
				texts = append(texts, sign+mant+exp)
			}
		}
	}
	texts = append(texts, "", "e1", "1e", "1.2.3", "0x10", "1/2", ".inf", "1e+", "--1")
	for _, text := range texts {
		n, ok, large := integralDecimal(text)
		var wantN int64
		wantOK, wantLarge := false, false
		if m := decimalFloat.FindStringSubmatch(strings.ReplaceAll(text, "_", "")); m != nil && m[2]+m[3] != "" && len(m[4]) < 6 {
			r, valid := new(big.Rat).SetString(strings.ReplaceAll(text, "_", ""))
			if valid && r.IsInt() && r.Sign() >= 0 {
				if r.Num().IsInt64() {
					wantN, wantOK = r.Num().Int64(), true
				} else {
					wantLarge = true
				}
			}
		} else if m != nil && m[2]+m[3] != "" {
			// An exponent too long for big.Rat to be asked: zero stays
			// zero, anything else is huge or has a fraction.
			zero := strings.Trim(m[2]+m[3], "0") == ""
			wantOK = zero
			wantLarge = !zero && m[1] != "-" && !strings.HasPrefix(m[4], "-")
		}
		if n != wantN || ok != wantOK || large != wantLarge {
			t.Errorf("integralDecimal(%q) = %d, %v, %v; want %d, %v, %v", text, n, ok, large, wantN, wantOK, wantLarge)
		}
	}
}

// BenchmarkVersionLongNumber: a contract whose version number is a
// million digits long parses in time linear in its size (it took seconds,
// and minutes at 5 MB, through big.Rat).
func BenchmarkVersionLongNumber(b *testing.B) {
	src := []byte(head + "handler_version: {major: 1." + strings.Repeat("0", 1<<20) + ", minor: 0, patch: 0}\n")
	for b.Loop() {
		if c, diags := Parse("c.yaml", src); c == nil || c.Version.Major != 1 {
			b.Fatalf("%v", diags)
		}
	}
}
