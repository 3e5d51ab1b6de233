package contracts

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/registry"
)

// Bounds on the YAML tree. A contract is a few dozen nodes; the bounds only
// stop hostile input, such as a "billion laughs" document whose aliases
// expand exponentially, from costing more than a moment and a little memory.
const (
	maxDepth      = 100    // nesting of mappings and lists, aliases followed
	maxAliasNodes = 10_000 // nodes reached through aliases, counting repeats
)

// YAML tags after resolution. A contract uses the JSON-like subset of YAML;
// anything else (!!binary, !!set, !!python/object, local !tags) is refused
// because no contract needs it and a Python loader given the same file might
// construct something else.
const (
	strTag       = "!!str"
	intTag       = "!!int"
	floatTag     = "!!float"
	boolTag      = "!!bool"
	nullTag      = "!!null"
	mapTag       = "!!map"
	seqTag       = "!!seq"
	timestampTag = "!!timestamp"
	mergeTag     = "!!merge"
)

// tagKind holds the core tags, the only ones a contract may use, and the
// kind of node each can be given to.
var tagKind = map[string]yaml.Kind{
	strTag: yaml.ScalarNode, intTag: yaml.ScalarNode, floatTag: yaml.ScalarNode, boolTag: yaml.ScalarNode, nullTag: yaml.ScalarNode,
	mapTag: yaml.MappingNode, seqTag: yaml.SequenceNode,
}

// nodeKindName names a node's kind in messages about its syntax.
func nodeKindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}

// Parse parses and validates one contract. path is used only for positions
// and Contract.Path. The contract is nil if and only if the list holds
// errors; warnings may accompany a valid contract. Every problem in the file
// is reported, not only the first.
func Parse(path string, data []byte) (*Contract, diag.List) {
	p := &parser{path: path}
	c := p.parse(data)
	ds := p.diags.list()
	if ds.HasErrors() {
		return nil, ds
	}
	c.Path = path
	c.Digest = sha256.Sum256(data)
	return c, ds
}

// parser collects the diagnostics of one file.
type parser struct {
	path  string
	diags fileDiags
}

// maxFileDiags bounds what one contract file reports. A hostile file within
// the size limit can hold millions of faults (a tag list of 2.6 million
// numbers, 870,000 unknown keys); reporting each cost seconds and gigabytes
// and helps nobody, so past the bound they are counted, not kept.
const maxFileDiags = 100

// fileDiags is one file's diagnostics, kept up to maxFileDiags.
type fileDiags struct {
	kept                   diag.List
	dropped, droppedErrors int
	firstDropped           diag.Diagnostic // its code and position stand for the rest
}

// full reports whether further diagnostics are only counted, so that a
// caller can skip work (a did-you-mean search) whose text would be dropped.
func (l *fileDiags) full() bool { return len(l.kept) >= maxFileDiags }

func (l *fileDiags) Errorf(code registry.Code, pos diag.Position, format string, args ...any) *diag.Diagnostic {
	if l.full() {
		return l.drop(diag.Error, code, pos)
	}
	return l.kept.Errorf(code, pos, format, args...)
}

func (l *fileDiags) Warnf(code registry.Code, pos diag.Position, format string, args ...any) *diag.Diagnostic {
	if l.full() {
		return l.drop(diag.Warning, code, pos)
	}
	return l.kept.Warnf(code, pos, format, args...)
}

// drop counts a diagnostic past the bound. The caller may still add related
// positions to what it gets back; they go nowhere.
func (l *fileDiags) drop(sev diag.Severity, code registry.Code, pos diag.Position) *diag.Diagnostic {
	if l.dropped == 0 {
		l.firstDropped = diag.Diagnostic{Code: code, Pos: pos}
	}
	l.dropped++
	if sev == diag.Error {
		l.droppedErrors++
	}
	return new(diag.Diagnostic)
}

// HasErrors counts the dropped errors too: a contract whose only errors
// came past the bound is still invalid.
func (l *fileDiags) HasErrors() bool { return l.droppedErrors > 0 || l.kept.HasErrors() }

// list returns the kept diagnostics, sorted, and one more that says how
// many were left out (an error when any of those was).
func (l *fileDiags) list() diag.List {
	l.kept.Sort()
	if l.dropped == 0 {
		return l.kept
	}
	d := l.firstDropped
	d.Severity = diag.Warning
	if l.droppedErrors > 0 {
		d.Severity = diag.Error
	}
	d.Message = fmt.Sprintf("%d more problems in this file (%d of them errors) not reported: only the first %d are; fix those and run again", l.dropped, l.droppedErrors, maxFileDiags)
	return append(l.kept, d)
}

func (p *parser) pos(line, col int) diag.Position {
	return diag.Position{File: p.path, Line: line, Col: col}
}

func (p *parser) nodePos(n *yaml.Node) diag.Position { return p.pos(n.Line, n.Column) }

func (p *parser) errorf(code registry.Code, n *yaml.Node, format string, args ...any) *diag.Diagnostic {
	return p.diags.Errorf(code, p.nodePos(n), format, args...)
}

func (p *parser) schemaf(n *yaml.Node, format string, args ...any) {
	p.errorf(registry.SchemaValidationFailed, n, format, args...)
}

func (p *parser) parse(data []byte) *Contract {
	root := p.document(data)
	if root == nil {
		return nil
	}
	if !p.wellFormed(root) {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		p.schemaf(root, "contract must be a mapping, got %s", kindName(root))
		return nil
	}
	return p.contract(root)
}

// document decodes the single YAML document in data and returns its root
// node, or nil after reporting why there is none.
func (p *parser) document(data []byte) *yaml.Node {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !p.checkEncoding(data) {
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		// yaml.v3 refuses a tab where a token could start, even on a
		// line with nothing else.
		p.diags.Errorf(registry.SchemaValidationFailed, p.pos(1, 1), "contract file is empty")
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := decode(dec, &doc); {
	case err == io.EOF:
		p.diags.Errorf(registry.SchemaValidationFailed, p.pos(1, 1), "contract file is empty")
		return nil
	case err != nil:
		p.syntaxError(data, err)
		return nil
	}
	// PyYAML's safe_load refuses a stream of several documents; so do we,
	// rather than silently using the first.
	var next yaml.Node
	switch err := decode(dec, &next); {
	case err == nil:
		p.errorf(registry.InvalidYAMLSyntax, &next, "contract file holds more than one YAML document")
		return nil
	case err != io.EOF:
		p.syntaxError(data, err)
		return nil
	}
	if len(doc.Content) == 0 {
		p.diags.Errorf(registry.SchemaValidationFailed, p.pos(1, 1), "contract file is empty")
		return nil
	}
	root := doc.Content[0]
	if r := deref(root); r.Kind == yaml.ScalarNode && r.Tag == nullTag {
		p.schemaf(root, "contract file is empty")
		return nil
	}
	return root
}

// decode runs dec.Decode, turning a panic inside yaml.v3 (it re-panics
// anything that is not its own error) into an error: no input may crash
// the generator.
func decode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	return dec.Decode(n)
}

// checkEncoding refuses what the YAML parser would refuse with a poorer
// message or no position: bytes that are not UTF-8, NUL bytes and other
// characters outside YAML's printable set.
func (p *parser) checkEncoding(data []byte) bool {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		var problem string
		switch {
		case r == utf8.RuneError && size == 1:
			problem = fmt.Sprintf("is not valid UTF-8: invalid byte %#x", data[i])
		case r == 0:
			problem = "contains a NUL byte"
		case !printable(r):
			problem = fmt.Sprintf("contains control character %U, which YAML does not allow", r)
		default:
			i += size
			continue
		}
		p.diags.Errorf(registry.InvalidYAMLSyntax, p.pos(lineCol(data, i)), "contract file %s", problem)
		return false
	}
	return true
}

// printable reports whether YAML 1.2 allows r in a stream (c-printable).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r' || r == 0x85:
		return true
	case r < 0x20 || r == 0x7f:
		return false
	case r < 0xa0:
		return r < 0x80
	}
	return r <= 0xd7ff || (r >= 0xe000 && r <= 0xfffd) || r >= 0x10000
}

// wellFormed walks the whole tree, following aliases, and reports what
// makes it unacceptable as YAML (002): non-core tags, scalars that do not
// fit their explicit tag, duplicate keys, and nesting or alias expansion
// beyond the bounds. It reports false if validation should not go on: the
// bounds protect every later walk that follows aliases.
func (p *parser) wellFormed(root *yaml.Node) bool {
	w := walker{p: p, open: make(map[*yaml.Node]bool)}
	ok := w.walk(root, 0, false)
	return ok && !p.diags.HasErrors()
}

type walker struct {
	p        *parser
	expanded int
	open     map[*yaml.Node]bool // collections being walked: an alias to one is a cycle
}

func (w *walker) walk(n *yaml.Node, depth int, viaAlias bool) bool {
	if depth > maxDepth {
		w.p.errorf(registry.InvalidYAMLSyntax, n, "YAML nesting deeper than %d levels", maxDepth)
		return false
	}
	if viaAlias {
		if w.expanded++; w.expanded > maxAliasNodes {
			w.p.errorf(registry.InvalidYAMLSyntax, n, "YAML aliases expand to more than %d nodes", maxAliasNodes)
			return false
		}
	} else {
		// Checked once, where the node is written, not again for each alias.
		w.checkTag(n)
		if n.Kind == yaml.MappingNode {
			w.checkDuplicates(n)
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			w.p.errorf(registry.InvalidYAMLSyntax, n, "unknown YAML alias *%s", n.Value)
			return false
		}
		if w.open[n.Alias] {
			w.p.errorf(registry.InvalidYAMLSyntax, n, "YAML alias *%s refers to a node that contains it", n.Value)
			return false
		}
		return w.walk(n.Alias, depth, true)
	case yaml.MappingNode, yaml.SequenceNode:
		w.open[n] = true
		defer delete(w.open, n)
		for _, c := range n.Content {
			if !w.walk(c, depth+1, viaAlias) {
				return false
			}
		}
	}
	return true
}

func (w *walker) checkTag(n *yaml.Node) {
	if n.Kind == yaml.AliasNode {
		return
	}
	explicit := n.Style&yaml.TaggedStyle != 0
	kind, core := tagKind[n.Tag]
	switch {
	case core:
	case !explicit && (n.Tag == timestampTag || n.Tag == mergeTag):
		// An unquoted date is a plain string in the YAML 1.2 core schema;
		// an unquoted << is reported as an unsupported key by validation.
		return
	default:
		w.p.errorf(registry.InvalidYAMLSyntax, n, "YAML tag %s is not allowed in a contract (only str, int, float, bool, null, map and seq)", n.Tag)
		return
	}
	if explicit && kind != n.Kind {
		// "!!null [a, b]" and "!!str {a: 1}" parse, and yaml.v3 would
		// read the node as its kind says; PyYAML refuses them, so a
		// contract cannot mean one thing to each loader.
		w.p.errorf(registry.InvalidYAMLSyntax, n, "YAML tag %s cannot be given to a %s", n.Tag, nodeKindName(n.Kind))
		return
	}
	if explicit && n.Kind == yaml.ScalarNode {
		if n.Tag == intTag && yamlInt.MatchString(n.Value) || n.Tag == floatTag && yamlFloat.MatchString(n.Value) {
			// A number by YAML 1.2's rules, though maybe too large
			// for Go to decode (!!int 12345678901234567890123);
			// validation reads its text.
			return
		}
		// "!!int abc" parses; only decoding notices the mismatch.
		var v any
		if err := n.Decode(&v); err != nil {
			w.p.errorf(registry.InvalidYAMLSyntax, n, "%s", trimYAMLPrefix(err.Error()))
		}
	}
}

// checkDuplicates reports repeated keys, which yaml.v3 refuses when it
// decodes into Go values but not when it builds nodes. PyYAML would keep the
// last silently; a contract must not be read two ways.
func (w *walker) checkDuplicates(m *yaml.Node) {
	first := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := deref(m.Content[i])
		if k.Kind != yaml.ScalarNode || k.Tag == mergeTag {
			continue
		}
		id := k.Tag + "\x00" + k.Value
		if prev, ok := first[id]; ok {
			d := w.p.errorf(registry.InvalidYAMLSyntax, m.Content[i], "duplicate key %q (first at line %d)", k.Value, prev.Line)
			d.Related = append(d.Related, diag.Related{Pos: w.p.nodePos(prev), Message: "first " + strconv.Quote(k.Value)})
			continue
		}
		first[id] = m.Content[i]
	}
}

// deref follows aliases. The walk has bounded them before any caller runs.
func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// kindName names a node's type the way messages say it.
func kindName(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.DocumentNode:
		return "document"
	}
	switch n.Tag {
	case strTag, timestampTag:
		return "string"
	case intTag:
		return "int"
	case floatTag:
		return "float"
	case boolTag:
		return "bool"
	case nullTag:
		return "null"
	}
	return n.Tag
}

// isString reports whether n is a string scalar. Unquoted dates count:
// yaml.v3 tags them !!timestamp, but YAML 1.2 has no such type.
func isString(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && (n.Tag == strTag || n.Tag == timestampTag)
}
