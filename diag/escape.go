package diag

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// What handlergen prints is read by people and by CI runners, and parts
// of it — paths, class and handler names, go:generate arguments, the go
// command's messages — come from files a pull request can change. A CI
// runner takes some lines of a job's output for commands: GitHub Actions a
// line that starts with "::" once leading white space is trimmed
// ("::stop-commands::" silences every later annotation), and, like Azure
// Pipelines ("##vso[", "##["), a "##[" anywhere in a line. A terminal
// obeys escape sequences, and bidirectional-text controls reorder what a
// reviewer sees. So every value is escaped where it is printed, by the
// renderers here and by the CLI's printers with Escape and EscapeLines.

// Escape returns s fit to print as one line of output, or as part of one:
//
//   - a line break, a carriage return, a tab and every other control
//     character (C0, DEL, C1) is written as a Go escape (\n, \r, \t, \x1b,
//     \u0085), as are invisible format characters (bidirectional
//     overrides and isolates, zero-width characters, U+FEFF), the
//     Unicode line and paragraph separators, and bytes that are not UTF-8
//     (\xff);
//   - a "#" that follows a "#" is written \x23, so "##" appears nowhere;
//   - a ":" that would make s start with "::", after white space, is
//     written \x3a.
//
// A backslash is left as it is. Escape(s) is s whenever s is a plain
// one-line message, which every message handlergen writes itself is.
func Escape(s string) string { return guardLine(escape(s, false)) }

// EscapeLines is Escape for text that handlergen lays out in lines, such
// as a diff: each "\n" ends a line and each tab is kept, as layout; every
// line is otherwise escaped as Escape escapes it.
func EscapeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = guardLine(escape(l, true))
	}
	return strings.Join(lines, "\n")
}

// hidden reports a rune that Escape writes as an escape: a control or
// format character, or a line or paragraph separator.
func hidden(r rune) bool {
	return r < 0x20 || r == 0x7f || (0x80 <= r && r < 0xa0) ||
		r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r)
}

func escape(s string, keepTab bool) string {
	if !needsEscape(s, keepTab) {
		return s
	}
	var b strings.Builder
	hash := false // the last thing written was a literal '#'
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t' && keepTab:
			b.WriteByte('\t')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case hidden(r) && r > 0xffff:
			fmt.Fprintf(&b, `\U%08x`, r)
		case hidden(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		case r == '#' && hash:
			b.WriteString(`\x23`)
			r = 0
		default:
			b.WriteString(s[i : i+size])
		}
		hash = r == '#'
		i += size
	}
	return b.String()
}

func needsEscape(s string, keepTab bool) bool {
	for i, r := range s {
		switch {
		case r == '\t' && keepTab:
		case r == utf8.RuneError, hidden(r), r == '#' && strings.HasPrefix(s[i+1:], "#"):
			return true
		}
	}
	return false
}

// guardLine escapes the first of two colons that begin line after white
// space, as a CI runner trims it.
func guardLine(line string) string {
	rest := strings.TrimLeftFunc(line, unicode.IsSpace)
	if !strings.HasPrefix(rest, "::") {
		return line
	}
	i := len(line) - len(rest)
	return line[:i] + `\x3a` + line[i+1:]
}

// jsonSafe escapes, in an encoded JSON document, what encoding/json
// leaves as it is and Escape would not print: "##" (as #\u0023), DEL, C1
// controls, format characters and anything not UTF-8. Each can only occur
// inside a string, where a \u escape decodes to the same text, so the
// document means exactly what it meant. encoding/json already escapes
// the C0 controls and the line and paragraph separators; an indented
// document's lines start with white space and then a brace, a bracket, a
// quote or a literal, never "::".
func jsonSafe(doc []byte) []byte {
	safe := true
	for i, r := range string(doc) {
		if r == utf8.RuneError || (hidden(r) && r >= 0x7f) || r == '#' && i+1 < len(doc) && doc[i+1] == '#' {
			safe = false
			break
		}
	}
	if safe {
		return doc
	}
	out := make([]byte, 0, len(doc)+64)
	hash := false
	for i := 0; i < len(doc); {
		r, size := utf8.DecodeRune(doc[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case r == '#' && hash:
			out = append(out, `\u0023`...)
			r = 0
		case hidden(r) && r >= 0x7f:
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
		default:
			out = append(out, doc[i:i+size]...)
		}
		hash = r == '#'
		i += size
	}
	return out
}
