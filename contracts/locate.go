package contracts

// This file finds where a YAML syntax error is. yaml.v3 reports no column
// and, for some errors, no line or the wrong one; the decoder is asked
// again on prefixes of the file instead. That search is the one costly
// part of parsing a bad contract, so it runs on a budget of bytes handed
// to the decoder (4 MiB, plus three times the file's size), which
// TestLocateCostBounded holds for the worst inputs there are; past it the
// error gets yaml.v3's own line and no column.

import (
	"bytes"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/handlergen/handlergen/registry"
)

var yamlLineError = regexp.MustCompile(`(?s)^yaml: line (\d+): (.*)$`)

// syntaxError reports a yaml.v3 error at the line and column where the
// document first becomes invalid for that reason. yaml.v3's own "line N"
// cannot be used as it is: it names the line of the construct being read
// (the start of a quoted scalar, not its bad escape), is 0-based for some
// errors and 1-based for others, and is left out altogether for line 1 and
// for errors such as "unknown anchor". So the position is found by asking
// the decoder again: the shortest prefix of the file that fails with the
// same message ends on the line, and at the character, that breaks it.
func (p *parser) syntaxError(data []byte, err error) {
	msg, hint := yamlMessage(err)
	line, col := locate(data, msg, hint)
	p.diags.Errorf(registry.InvalidYAMLSyntax, p.pos(line, col), "invalid YAML syntax: %s", msg)
}

// yamlMessage splits a yaml.v3 error into its message and the line it
// names (0 when none).
func yamlMessage(err error) (string, int) {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return m[2], n
	}
	return trimYAMLPrefix(msg), 0
}

// decodeError is the message of the first error decoding data as
// document does (one document, then the check for a second), or "".
func decodeError(data []byte) string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 2 {
		var n yaml.Node
		switch err := decode(dec, &n); {
		case err == io.EOF:
			return ""
		case err != nil:
			msg, _ := yamlMessage(err)
			return msg
		}
	}
	return ""
}

// maxColumnSearch bounds the line length for which the column is sought:
// a longer line (a hostile one-line file) gets the line alone.
const maxColumnSearch = 4096

var unknownAnchor = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)

// locate finds the 1-based line and column at which data first fails to
// decode with msg: the shortest prefix of whole lines that fails so, then
// the shortest prefix of that line. The decoder reads a stream in order,
// so once a prefix holds the fault every longer one fails with it too,
// and a search over prefix lengths finds the first. hint is yaml.v3's
// line, at or just before the fault, where the search starts, so that a
// few decodes suffice. The column is 0 when unknown.
func locate(data []byte, msg string, hint int) (line, col int) {
	s := search{data: data, msg: msg, budget: locateBudget(len(data)), decode: decodeError}
	return s.locate(hint)
}

// locateBudget bounds the bytes one search hands the decoder: 4 MiB,
// which a contract of a few kilobytes never needs, plus three times the
// file's size, so a large hostile file gets yaml.v3's line (or 1) and no
// column rather than a long search.
func locateBudget(size int) int { return 4<<20 + 3*size }

// search is one locate: every decode it makes goes through try, which
// charges it to the budget.
type search struct {
	data          []byte
	msg           string
	budget, spent int
	over          bool // a decode was refused; the search's answer is unused
	decode        func([]byte) string
}

// try returns the error of decoding b (see decodeError), or ok false,
// decoding nothing, when b would overspend the budget.
func (s *search) try(b []byte) (msg string, ok bool) {
	if s.over || s.spent+len(b) > s.budget {
		s.over = true
		return "", false
	}
	s.spent += len(b)
	return s.decode(b), true
}

// fails reports whether data[:end] fails with msg. Past the budget it
// reports true, which ends a search over prefixes quickly.
func (s *search) fails(end int) bool {
	m, ok := s.try(s.data[:end])
	return !ok || m == s.msg
}

func (s *search) locate(hint int) (line, col int) {
	data := s.data
	lines := yamlLines(data)
	n := len(lines)
	fallback := min(max(hint, 1), max(n, 1))
	if n == 0 {
		return fallback, 0
	}
	ends := make([]int, n+1)
	for i, l := range lines {
		ends[i+1] = ends[i] + len(l)
	}
	if m := unknownAnchor.FindStringSubmatch(s.msg); m != nil {
		cands := aliasCandidates(data, m[1])
		if at, ok := s.firstAliasToken(m[1], cands); ok {
			// Within one document the first alias token of that name
			// is the one that fails: an anchor, once set, stays set.
			// Where a renamed name could be the file's own, or a later
			// document could hold the fault, the answer is confirmed on
			// the file itself: the prefix through that line fails so,
			// the one before it does not.
			k := sort.SearchInts(ends[1:], at+1) + 1
			sure := !bytes.Contains(data, []byte(m[1]+"-")) && !bytes.Contains(data, []byte("---")) && !bytes.Contains(data, []byte("..."))
			if sure || s.fails(ends[k]) && (k == 1 || !s.fails(ends[k-1])) && !s.over {
				return k, utf8.RuneCount(data[ends[k-1]:at]) + 1
			}
		}
		// Only an alias token raises it, so the first candidate line
		// that fails is the one; the column is its '*'.
		for _, at := range cands {
			k := sort.SearchInts(ends[1:], at+1) + 1 // the line holding byte at
			if s.fails(ends[k]) && !s.over {
				return k, utf8.RuneCount(data[ends[k-1]:at]) + 1
			}
		}
	}
	line = firstTrue(1, n, fallback, func(k int) bool { return s.fails(ends[k]) })
	if s.over {
		return fallback, 0
	}
	text := lines[line-1]
	if len(text) > maxColumnSearch {
		return line, 0
	}
	start := ends[line-1]
	c := firstTrue(1, len(text), len(text), func(c int) bool { return s.fails(start + c) })
	if s.over {
		return line, 0
	}
	// The fault is where the c-th byte's character starts: a prefix can
	// end inside a multi-byte line break (LS) or character. Columns
	// count runes.
	for c > 1 && !utf8.RuneStart(text[c-1]) {
		c--
	}
	return line, utf8.RuneCount(text[:c-1]) + 1
}

// firstAliasToken finds, with one decode, which candidate is the alias
// the decoder fails on: each "*name" is renamed apart ("*name-0",
// "*name-1", …), so the error names the first one that is an alias token,
// however many lie in comments or quotes before it. ok is false when the
// error does not name one; locate confirms the answer on the file itself.
func (s *search) firstAliasToken(name string, cands []int) (at int, ok bool) {
	if len(cands) == 0 {
		return 0, false
	}
	data := s.data
	var b bytes.Buffer
	b.Grow(len(data) + 8*len(cands))
	last := 0
	for i, c := range cands {
		end := c + 1 + len(name)
		b.Write(data[last:end])
		b.WriteString("-" + strconv.Itoa(i))
		last = end
	}
	b.Write(data[last:])
	msg, ok := s.try(b.Bytes())
	m := unknownAnchor.FindStringSubmatch(msg)
	if !ok || m == nil {
		return 0, false
	}
	str, found := strings.CutPrefix(m[1], name+"-")
	i, err := strconv.Atoi(str)
	if !found || err != nil || i < 0 || i >= len(cands) || strconv.Itoa(i) != str {
		return 0, false
	}
	return cands[i], true
}

// aliasCandidates returns the offsets of "*name" in data followed by what
// ends an alias (white space, a flow indicator, the end): every alias
// token *name among them, and perhaps some text in comments or quotes.
func aliasCandidates(data []byte, name string) []int {
	var out []int
	tok := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], tok)
		if i < 0 {
			return out
		}
		at := off + i
		end := at + len(tok)
		// What yaml.v3 lets follow an alias: white space, a line break
		// (NEL, LS and PS too), or one of ?:,]}%@` (and [{ here).
		if end == len(data) || bytes.IndexByte([]byte(" \t\r\n,[]{}?:%@`"), data[end]) >= 0 || breakLen(data, end) > 0 {
			out = append(out, at)
		}
		off = at + 1
	}
}

// yamlLines splits data after each line break as YAML (and yaml.v3's
// positions) count them: CRLF, CR, LF, NEL, LS and PS.
func yamlLines(data []byte) [][]byte {
	var lines [][]byte
	start := 0
	for i := 0; i < len(data); {
		n := breakLen(data, i)
		if n == 0 {
			i++
			continue
		}
		i += n
		lines = append(lines, data[start:i])
		start = i
	}
	if start < len(data) {
		lines = append(lines, data[start:])
	}
	return lines
}

// breakLen is the length of the line break at data[i:], or 0.
func breakLen(data []byte, i int) int {
	switch {
	case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
		return 2
	case data[i] == '\r' || data[i] == '\n':
		return 1
	case bytes.HasPrefix(data[i:], []byte("\u0085")):
		return 2
	case bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
		return 3
	}
	return 0
}

// lineCol is the 1-based line and column (in runes) of byte off of data,
// lines broken as YAML breaks them.
func lineCol(data []byte, off int) (line, col int) {
	line, start := 1, 0
	for i := 0; i < off; {
		n := breakLen(data, i)
		if n == 0 {
			i++
			continue
		}
		i += n
		line, start = line+1, min(i, off)
	}
	return line, utf8.RuneCount(data[start:off]) + 1
}

// firstTrue returns the smallest k in [lo, hi] with f(k), given f(hi) and
// that f is false below some k and true from there on. It starts at guess
// and gallops away from it, so a good guess costs a few calls.
func firstTrue(lo, hi, guess int, f func(int) bool) int {
	// Bracket the answer in (a, b]: f(a) false (or a = lo-1), f(b) true.
	a, b := lo-1, hi
	if f(guess) {
		b = guess
		for step := 1; b-step >= lo; step *= 2 {
			if !f(b - step) {
				a = b - step
				break
			}
			b -= step
		}
	} else {
		a = guess
		for step := 1; a+step < hi; step *= 2 {
			if f(a + step) {
				b = a + step
				break
			}
			a += step
		}
	}
	for b-a > 1 {
		m := a + (b-a)/2
		if f(m) {
			b = m
		} else {
			a = m
		}
	}
	return b
}

func trimYAMLPrefix(s string) string {
	if len(s) > 6 && s[:6] == "yaml: " {
		return s[6:]
	}
	return s
}
