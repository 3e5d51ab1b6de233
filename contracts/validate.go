package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/token"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/handlergen/handlergen/internal/suggest"
	"github.com/handlergen/handlergen/registry"
)

// The contract's keys. aliases maps each accepted spelling to its key.
const (
	keyName     = "handler_name"
	keyClass    = "handler_class"
	keyType     = "handler_type"
	keyTags     = "capability_tags"
	keyProtocol = "protocol_type"
	keyVersion  = "handler_version"
	keySecurity = "security"
	keyRouting  = "handler_routing"
)

var aliases = map[string]string{
	keyName: keyName, "name": keyName,
	keyClass: keyClass,
	keyType:  keyType,
	keyTags:  keyTags, "tags": keyTags,
	keyProtocol: keyProtocol,
	keyVersion:  keyVersion,
	keySecurity: keySecurity,
	keyRouting:  keyRouting,
}

var (
	rootKeys     = slices.Sorted(maps.Keys(aliases))
	versionKeys  = []string{"build", "major", "minor", "patch", "prerelease"}
	securityKeys = []string{"audit_logging", "trusted_namespace"}
)

// entry is one key of a mapping with its value, keyed by canonical name.
type entry struct {
	name     string // as written: "name" or "handler_name"
	key, val *yaml.Node
}

// contract validates the root mapping.
// handlerTypes are the handler types a contract may declare; their
// spellings are registry's (Type.String).
var handlerTypes = []registry.Type{registry.Compute, registry.Effect, registry.NondeterministicCompute}

func (p *parser) contract(root *yaml.Node) *Contract {
	fields := p.fields(root, "", aliases, rootKeys)
	c := &Contract{Tags: []string{}, Version: registry.Version{Major: 1}}
	for _, req := range []string{keyName, keyClass, keyType} {
		if _, ok := fields[req]; !ok {
			p.schemaf(root, "missing required key %s", req)
		}
	}
	if e, ok := fields[keyName]; ok {
		c.Name, _ = p.nonEmpty(e)
		c.NamePos = p.nodePos(e.val)
	}
	if e, ok := fields[keyClass]; ok {
		p.class(c, e)
		c.ClassPos = p.nodePos(e.val)
	}
	if e, ok := fields[keyType]; ok {
		p.handlerType(c, e)
		c.TypePos = p.nodePos(e.val)
	}
	if e, ok := fields[keyTags]; ok {
		c.Tags = p.tags(e)
	}
	p.protocol(c, fields)
	if e, ok := fields[keyVersion]; ok && !isNull(e.val) {
		c.Version = p.version(e)
	}
	if e, ok := fields[keySecurity]; ok && !isNull(e.val) {
		c.Security = p.security(e)
	}
	if e, ok := fields[keyRouting]; ok && !isNull(e.val) {
		c.Routing = p.routing(e)
	}
	return c
}

// fields collects the string keys of mapping m by canonical name, reporting
// unknown keys (with a suggestion from known), keys that are not strings,
// and a key given together with its alias. where prefixes messages about a
// nested mapping ("handler_version"), "" for the root.
func (p *parser) fields(m *yaml.Node, where string, canon map[string]string, known []string) map[string]entry {
	m = deref(m)
	out := make(map[string]entry)
	in := ""
	if where != "" {
		in = " in " + where
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		dk := deref(k)
		if !isString(dk) {
			p.keyNotString(k, "keys"+in, dk)
			continue
		}
		name := dk.Value
		c, ok := canon[name]
		if !ok {
			if p.diags.full() {
				p.schemaf(k, "unknown key") // counted only: skip the did-you-mean search
				continue
			}
			p.schemaf(k, "unknown key %q%s%s", name, in, didYouMean(name, known))
			continue
		}
		if prev, ok := out[c]; ok {
			// The same spelling twice is a duplicate key, reported as 002.
			if prev.name != name {
				p.schemaf(k, "both %q and %q given; use only one", prev.name, name)
			}
			continue
		}
		out[c] = entry{name: name, key: k, val: v}
	}
	return out
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n.Kind == yaml.ScalarNode && n.Tag == nullTag
}

// str returns the string value of e, reporting other types.
func (p *parser) str(e entry) (string, bool) {
	if !isString(e.val) {
		p.schemaf(e.val, "%s must be a string, got %s", e.name, kindName(e.val))
		return "", false
	}
	return deref(e.val).Value, true
}

// nonEmpty returns the trimmed string value of e, reporting an empty one.
func (p *parser) nonEmpty(e entry) (string, bool) {
	s, ok := p.str(e)
	if !ok {
		return "", false
	}
	s = strings.TrimSpace(s)
	if s == "" {
		p.schemaf(e.val, "%s must not be empty", e.name)
		return "", false
	}
	return s, true
}

// class splits handler_class at the last '.' after the last '/'. A class
// without such a dot is left for gen to report as MODULE_NOT_FOUND, as the
// Python loader reports it at import time.
func (p *parser) class(c *Contract, e entry) {
	s, ok := p.nonEmpty(e)
	if !ok {
		return
	}
	c.Class = s
	slash := strings.LastIndexByte(s, '/')
	dot := strings.LastIndexByte(s[slash+1:], '.')
	if dot < 0 {
		c.TypeName = s
		return
	}
	dot += slash + 1
	c.ImportPath, c.TypeName = s[:dot], s[dot+1:]
	if c.ImportPath == "" || strings.HasSuffix(c.ImportPath, "/") {
		p.schemaf(e.val, "%s %q has an empty import path; want IMPORT/PATH.TypeName", e.name, s)
	}
	if !token.IsIdentifier(c.TypeName) {
		p.schemaf(e.val, "%s %q: type name %q is not a Go identifier", e.name, s, c.TypeName)
	}
}

func (p *parser) handlerType(c *Contract, e entry) {
	s, ok := p.str(e)
	if !ok {
		return
	}
	t, err := registry.ParseType(s)
	if err != nil {
		msg := err.Error()
		names := make([]string, len(handlerTypes))
		for i, t := range handlerTypes {
			names[i] = t.String()
		}
		if near := suggest.Closest(strings.ToLower(strings.TrimSpace(s)), names, 1); len(near) > 0 {
			msg += ` (did you mean "` + near[0] + `"?)`
		}
		p.schemaf(e.val, "%s", msg)
		return
	}
	c.Type = t
}

// tags reads capability_tags: null is no tags, a string is one tag, and
// non-string items of a list are dropped with a warning, as in the Python
// loader. The Python loader also turns any other value (a number, a
// mapping) into no tags silently; that is almost certainly a mistake in the
// contract, so here it is an error.
func (p *parser) tags(e entry) []string {
	v := deref(e.val)
	switch {
	case isNull(v):
		return []string{}
	case isString(v):
		return []string{strings.TrimSpace(v.Value)}
	case v.Kind != yaml.SequenceNode:
		p.schemaf(e.val, "%s must be a list of strings, got %s", e.name, kindName(v))
		return []string{}
	}
	tags := make([]string, 0, len(v.Content))
	for i, item := range v.Content {
		if !isString(item) {
			p.diags.Warnf(registry.SchemaValidationFailed, p.nodePos(item), "%s item %d is %s, not a string; dropped", e.name, i+1, kindName(item))
			continue
		}
		tags = append(tags, strings.TrimSpace(deref(item).Value))
	}
	return tags
}

// protocol sets ProtocolType from protocol_type or the default derived from
// the name. Null counts as absent, as for every optional key.
func (p *parser) protocol(c *Contract, fields map[string]entry) {
	if e, ok := fields[keyProtocol]; ok && !isNull(e.val) {
		c.ProtocolType, _ = p.nonEmpty(e)
		return
	}
	if c.Name == "" {
		return // no name, already reported
	}
	c.ProtocolType = strings.TrimPrefix(c.Name, "handler-")
	if c.ProtocolType == "" {
		e := fields[keyName]
		p.schemaf(e.val, "%s %q leaves the default protocol_type empty; set protocol_type", e.name, c.Name)
	}
}

func (p *parser) version(e entry) registry.Version {
	var v registry.Version
	if deref(e.val).Kind != yaml.MappingNode {
		p.schemaf(e.val, "%s must be a mapping with major, minor and patch, got %s", e.name, kindName(e.val))
		return v
	}
	fields := p.fields(e.val, e.name, identity(versionKeys), versionKeys)
	for _, k := range []string{"major", "minor", "patch"} {
		if _, ok := fields[k]; !ok {
			p.schemaf(e.val, "%s missing required key %s", e.name, k)
		}
	}
	v.Major = p.uint(e.name, fields["major"])
	v.Minor = p.uint(e.name, fields["minor"])
	v.Patch = p.uint(e.name, fields["patch"])
	v.Prerelease = p.semverIdents(e.name, fields["prerelease"])
	v.Build = p.semverIdents(e.name, fields["build"])
	return v
}

func identity(keys []string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = k
	}
	return m
}

// uint returns the non-negative int at e; zero when e is absent. A float
// with no fractional part (1.0, 2e1) is that integer, as JSON Schema's
// "integer" and pydantic's lax mode read it (PyYAML, being YAML 1.1, reads
// 2e1 as a string, so Python refuses that one); 1.5 is not. A bool or a
// numeric string is refused, as by the schema, though lax mode takes them.
func (p *parser) uint(where string, e entry) int {
	if e.val == nil {
		return 0
	}
	v := deref(e.val)
	var i int64
	switch {
	case v.Kind == yaml.ScalarNode && (v.Tag == intTag || v.Tag == floatTag) && tooLarge(v.Value):
		// Digits that yaml.v3 could not make an int of: too large.
		p.schemaf(e.val, "%s.%s must be an integer of at most %d, got %s", where, e.name, int64(math.MaxInt64), v.Value)
		return 0
	case v.Kind == yaml.ScalarNode && v.Tag == floatTag:
		// Read from the text, exactly: through a float64,
		// 9007199254740993.0 would quietly become ...992.
		n, ok, large := integralDecimal(v.Value)
		switch {
		case large:
			p.schemaf(e.val, "%s.%s must be an integer of at most %d, got %s", where, e.name, int64(math.MaxInt64), v.Value)
			return 0
		case !ok || leadingZero.MatchString(v.Value):
			// 089: octal in YAML 1.1 (and so not a number to PyYAML),
			// decimal in YAML 1.2; neither reading is safe to pick.
			p.schemaf(e.val, "%s.%s must be a non-negative integer, got %s", where, e.name, describe(v))
			return 0
		}
		return int(n)
	case v.Kind != yaml.ScalarNode || v.Tag != intTag || v.Decode(&i) != nil || i < 0:
		p.schemaf(e.val, "%s.%s must be a non-negative integer, got %s", where, e.name, describe(v))
		return 0
	}
	return int(i)
}

// decimalFloat is a decimal float as YAML writes one (digit separators
// removed): sign, integer digits, fraction digits, exponent.
var decimalFloat = regexp.MustCompile(`^([-+]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([-+]?[0-9]+))?$`)

// integralDecimal reads a decimal float's text exactly and reports the
// non-negative integer it is (ok), or that it is an integer beyond an
// int64 (large). It works on the digits alone, in time linear in the
// text: a big.Rat would take time quadratic in the digits (minutes for a
// contract holding one long number) or memory exponential in the exponent.
func integralDecimal(text string) (n int64, ok, large bool) {
	m := decimalFloat.FindStringSubmatch(strings.ReplaceAll(text, "_", ""))
	if m == nil || m[2]+m[3] == "" {
		return 0, false, false
	}
	digits := strings.TrimLeft(m[2]+m[3], "0")
	trimmed := strings.TrimRight(digits, "0")
	if trimmed == "" {
		return 0, true, false // zero, whatever its sign and exponent
	}
	if m[1] == "-" {
		return 0, false, false
	}
	// The value is trimmed × 10^exp, with exp counting the fraction's
	// digits and the zeros trimmed off the end.
	exp, err := strconv.ParseInt(m[4], 10, 64)
	if m[4] == "" {
		exp, err = 0, nil
	}
	if err != nil || exp > 1<<40 || exp < -1<<40 {
		// Far beyond any digits a contract can hold: the value is huge,
		// or has a fraction.
		return 0, false, !strings.HasPrefix(m[4], "-")
	}
	if exp -= int64(len(m[3])) - int64(len(digits)-len(trimmed)); exp < 0 {
		return 0, false, false // a fraction remains: the last digit is not 0
	}
	if exp > 19 || int64(len(trimmed))+exp > 19 {
		return 0, false, true
	}
	u, err := strconv.ParseUint(trimmed+strings.Repeat("0", int(exp)), 10, 64)
	if err != nil || u > math.MaxInt64 {
		return 0, false, true
	}
	return int64(u), true, false
}

// tooLarge reports whether digits is a decimal number beyond an int64
// (yaml.v3 calls those floats); 089, an invalid octal, is not.
func tooLarge(digits string) bool {
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return errors.Is(err, strconv.ErrRange) || err == nil && n > math.MaxInt64
}

// semverIdents returns the prerelease or build string at e, which must be
// dot-separated non-empty identifiers of [0-9A-Za-z-] as semver requires,
// so that Version.String is a valid version.
func (p *parser) semverIdents(where string, e entry) string {
	if e.val == nil || isNull(e.val) {
		return ""
	}
	e.name = where + "." + e.name
	s, ok := p.str(e)
	if !ok {
		return ""
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" || strings.TrimLeft(id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-") != "" {
			p.schemaf(e.val, "%s %q is not dot-separated identifiers of [0-9A-Za-z-]", e.name, s)
			return ""
		}
	}
	return s
}

// describe shows a scalar's value, or another node's kind.
func describe(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && n.Tag != nullTag {
		return kindName(n) + " " + n.Value
	}
	return kindName(n)
}

func (p *parser) security(e entry) Security {
	var s Security
	if deref(e.val).Kind != yaml.MappingNode {
		p.schemaf(e.val, "%s must be a mapping, got %s", e.name, kindName(e.val))
		return s
	}
	fields := p.fields(e.val, e.name, identity(securityKeys), securityKeys)
	if f, ok := fields["trusted_namespace"]; ok && !isNull(f.val) {
		f.name = e.name + "." + f.name
		if ns, ok := p.str(f); ok {
			s.TrustedNamespace = strings.TrimSpace(ns)
		}
	}
	if f, ok := fields["audit_logging"]; ok {
		v := deref(f.val)
		if v.Kind != yaml.ScalarNode || v.Tag != boolTag || v.Decode(&s.AuditLogging) != nil {
			p.schemaf(f.val, "%s.%s must be a bool, got %s", e.name, f.name, kindName(v))
		}
	}
	return s
}

// routing returns handler_routing as canonical JSON: the routing data is
// opaque to handlergen, and JSON with sorted keys is one spelling of it that
// the generated file can carry byte-identically on every machine.
func (p *parser) routing(e entry) string {
	if deref(e.val).Kind != yaml.MappingNode {
		p.schemaf(e.val, "%s must be a mapping, got %s", e.name, kindName(e.val))
		return ""
	}
	v, ok := p.plain(e.name, e.val)
	if !ok {
		return ""
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		p.schemaf(e.val, "%s cannot be represented as JSON: %v", e.name, err)
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// keyNotString reports a mapping key k (dk once aliases are followed) that
// is not a string, naming a merge key (<<) as such wherever it stands.
func (p *parser) keyNotString(k *yaml.Node, what string, dk *yaml.Node) {
	if dk.Tag == mergeTag {
		p.schemaf(k, "merge keys (<<) are not supported (%s must be plain strings)", what)
		return
	}
	p.schemaf(k, "%s must be strings, got %s", what, kindName(dk))
}

// plain converts a node to the JSON data model: map[string]any, []any,
// string, bool, json.Number and nil.
func (p *parser) plain(where string, n *yaml.Node) (any, bool) {
	v := deref(n)
	switch v.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(v.Content)/2)
		ok := true
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := deref(v.Content[i])
			if !isString(k) {
				p.keyNotString(v.Content[i], where+" keys", k)
				ok = false
				continue
			}
			x, xok := p.plain(where, v.Content[i+1])
			m[k.Value] = x
			ok = ok && xok
		}
		return m, ok
	case yaml.SequenceNode:
		s := make([]any, len(v.Content))
		ok := true
		for i, c := range v.Content {
			var cok bool
			s[i], cok = p.plain(where, c)
			ok = ok && cok
		}
		return s, ok
	}
	if v.Tag == intTag || v.Tag == floatTag || v.Tag == strTag && v.Style == 0 && yamlFloat.MatchString(v.Value) {
		return p.number(where, n, v)
	}
	if isString(v) {
		return v.Value, true
	}
	var x any
	if err := v.Decode(&x); err != nil {
		p.schemaf(n, "%s value %s: %s", where, v.Value, trimYAMLPrefix(err.Error()))
		return nil, false
	}
	return x, true
}

var (
	// jsonNumber is JSON's number grammar (RFC 8259).
	jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	// yamlFloat is YAML 1.2's float, which yaml.v3 leaves a string when
	// it does not fit a float64 (1e400).
	yamlFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
	// yamlInt is YAML 1.2's decimal integer.
	yamlInt = regexp.MustCompile(`^[-+]?[0-9]+$`)
	// leadingZero is a number that YAML 1.1 reads as octal, 1.2 as decimal.
	leadingZero = regexp.MustCompile(`^[-+]?0[0-9_]+$`)
)

// number keeps a number of handler_routing exactly as it is written: JSON
// can carry any decimal literal, so 12345678901234567890123,
// -9223372036854775809, 1e400 and 1.50 reach the registry as those very
// characters (a json.Number), not as the nearest float64. A YAML number
// that JSON cannot write as it stands (0x1F, 0o17, 1_000, +1, .5, 007,
// .inf) is refused rather than rewritten: its text would change, and the
// two loaders do not even agree on what some of them are (PyYAML reads
// 0o17 and 1e3 as strings, 007 as octal).
func (p *parser) number(where string, n, v *yaml.Node) (any, bool) {
	if jsonNumber.MatchString(v.Value) {
		return json.Number(v.Value), true
	}
	var hint string
	var x any
	switch {
	case leadingZero.MatchString(v.Value):
		hint = "; with its leading 0 it is octal in YAML 1.1 (PyYAML) and decimal in YAML 1.2"
	case v.Decode(&x) != nil:
	default:
		if f, ok := x.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
			hint = "; JSON has no infinity or NaN"
		} else {
			hint = fmt.Sprintf("; as a JSON number it is %v", x)
		}
	}
	p.schemaf(n, "%s value %s is a YAML number that JSON cannot write as it is written: write a JSON number, or quote it to keep it a string%s", where, v.Value, hint)
	return nil, false
}

// didYouMean returns ` (did you mean "k"?)` for the known key k closest to
// key, if one is close enough to be a likely typo.
func didYouMean(key string, known []string) string {
	near := suggest.Closest(key, known, 1)
	if len(near) == 0 {
		return ""
	}
	return ` (did you mean "` + near[0] + `"?)`
}
