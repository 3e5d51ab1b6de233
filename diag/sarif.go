package diag

import (
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/handlergen/handlergen/registry"
)

// SARIF constants: the version and schema GitHub code scanning accepts.
const (
	SARIFVersion = "2.1.0"
	SARIFSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
)

// ToolInfo names the tool in a SARIF log. Empty Name and InformationURI
// default to "handlergen" and "https://github.com/handlergen/handlergen".
// Version is written only when set; leave it empty for output that is the
// same with every build of the tool.
type ToolInfo struct {
	Name           string
	InformationURI string
	Version        string
}

const (
	toolName = "handlergen"
	toolURI  = "https://github.com/handlergen/handlergen"
)

// The SARIF 2.1.0 subset handlergen writes. Struct fields keep the key
// order fixed, so the same List always gives the same bytes.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		ColumnKind  string            `json:"columnKind"`
		Results     []sarifResult     `json:"results"`
	}
	sarifInvocation struct {
		ExecutionSuccessful        bool                `json:"executionSuccessful"`
		ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		AssociatedRule sarifRuleReference `json:"associatedRule"`
		Level          string             `json:"level"`
		Message        sarifMessage       `json:"message"`
	}
	sarifRuleReference struct {
		ID    string `json:"id"`
		Index int    `json:"index"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string       `json:"id"`
		Name             string       `json:"name,omitempty"`
		ShortDescription sarifMessage `json:"shortDescription"`
		HelpURI          string       `json:"helpUri,omitempty"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID           string          `json:"ruleId"`
		RuleIndex        int             `json:"ruleIndex"`
		Level            string          `json:"level"`
		Message          sarifMessage    `json:"message"`
		Locations        []sarifLocation `json:"locations,omitempty"`
		RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
	}
	sarifLocation struct {
		ID               int                    `json:"id,omitempty"`
		PhysicalLocation *sarifPhysicalLocation `json:"physicalLocation,omitempty"`
		Message          *sarifMessage          `json:"message,omitempty"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId,omitempty"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
)

// WriteSARIF writes l as one SARIF 2.1.0 log, for GitHub code scanning
// (github/codeql-action/upload-sarif) and other SARIF viewers.
//
// The run's rules are the codes that occur in l, in ascending order. Each
// diagnostic with a file is a result: its code is the ruleId, its severity
// the level, its position a location relative to %SRCROOT% (the checkout's
// root) with the line and column when known, and its related positions with
// a file relatedLocations; the messages of related positions without a file
// are added to the result's message, one per line. A diagnostic without a
// file concerns the run as a whole (a glob that matched nothing, the handler
// limit), has no place in a result — GitHub refuses an upload holding a
// result without a location — and is written instead as a tool execution
// notification of the run's invocation, with the same rule, level and
// message.
//
// Results and notifications keep the order of l; sort it first for output
// that does not depend on the order stages finished in. The output holds
// nothing but what l and tool say: no time, no absolute path of the run, no
// version unless tool.Version is set.
func WriteSARIF(w io.Writer, l List, tool ToolInfo) error {
	if tool.Name == "" {
		tool.Name = toolName
	}
	if tool.InformationURI == "" {
		tool.InformationURI = toolURI
	}
	var codes []registry.Code
	for _, d := range l {
		codes = append(codes, d.Code)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	rules := make([]sarifRule, len(codes))
	for i, c := range codes {
		rules[i] = sarifRule{ID: c.String(), Name: c.Name(), ShortDescription: sarifMessage{Text: shortDescription(c)}}
		if c.Name() != "" {
			rules[i].HelpURI = toolURI + "#error-codes"
		}
	}
	results := []sarifResult{}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, d := range l {
		idx, _ := slices.BinarySearch(codes, d.Code)
		msg := d.Message
		loc, ok := sarifPhysical(d.Pos)
		if !ok {
			for _, rel := range d.Related {
				msg += "\n" + strings.TrimPrefix(rel.Pos.String()+": ", ": ") + rel.Message
			}
			inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
				AssociatedRule: sarifRuleReference{ID: d.Code.String(), Index: idx},
				Level:          sarifLevel(d.Severity),
				Message:        sarifMessage{Text: msg},
			})
			continue
		}
		r := sarifResult{
			RuleID:    d.Code.String(),
			RuleIndex: idx,
			Level:     sarifLevel(d.Severity),
			Locations: []sarifLocation{{PhysicalLocation: loc}},
		}
		for _, rel := range d.Related {
			pl, ok := sarifPhysical(rel.Pos)
			if !ok {
				msg += "\n" + rel.Message
				continue
			}
			r.RelatedLocations = append(r.RelatedLocations, sarifLocation{
				ID:               len(r.RelatedLocations) + 1,
				PhysicalLocation: pl,
				Message:          &sarifMessage{Text: rel.Message},
			})
		}
		r.Message = sarifMessage{Text: msg}
		results = append(results, r)
	}
	log := sarifLog{
		Schema:  SARIFSchema,
		Version: SARIFVersion,
		Runs: []sarifRun{{
			Tool: sarifTool{Driver: sarifDriver{
				Name:           tool.Name,
				Version:        tool.Version,
				InformationURI: tool.InformationURI,
				Rules:          rules,
			}},
			Invocations: []sarifInvocation{inv},
			// Columns come from yaml.v3 and go/token; for the ASCII of
			// contracts and Go identifiers every column kind agrees.
			ColumnKind: "unicodeCodePoints",
			Results:    results,
		}},
	}
	return writeJSON(w, log, false)
}

func sarifLevel(s Severity) string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// sarifPhysical turns a position into a physical location; false when it
// names no file. A relative path is a URI reference against %SRCROOT%, the
// checkout's root; an absolute one becomes a file URI.
func sarifPhysical(p Position) (*sarifPhysicalLocation, bool) {
	if p.File == "" {
		return nil, false
	}
	loc := &sarifPhysicalLocation{ArtifactLocation: sarifURI(p.File)}
	if p.Line > 0 {
		loc.Region = &sarifRegion{StartLine: p.Line}
		if p.Col > 0 {
			loc.Region.StartColumn = p.Col
		}
	}
	return loc, true
}

func sarifURI(file string) sarifArtifactLocation {
	file = strings.ReplaceAll(file, `\`, "/")
	if strings.HasPrefix(file, "/") || isDrivePath(file) {
		if !strings.HasPrefix(file, "/") {
			file = "/" + file
		}
		return sarifArtifactLocation{URI: (&url.URL{Scheme: "file", Path: file}).String()}
	}
	// url.URL escapes what a URI path may not hold (spaces, %, #, ?) and
	// keeps a colon in the first segment from reading as a scheme.
	return sarifArtifactLocation{URI: (&url.URL{Path: file}).String(), URIBaseID: "%SRCROOT%"}
}

// isDrivePath reports a Windows path such as C:/x.
func isDrivePath(s string) bool {
	return len(s) >= 3 && s[1] == ':' && s[2] == '/' &&
		('A' <= s[0] && s[0] <= 'Z' || 'a' <= s[0] && s[0] <= 'z')
}

// shortDescription describes c in one sentence: its summary in
// registry's table of codes, or, for a code the table lacks, the code.
func shortDescription(c registry.Code) string {
	if s := c.Summary(); s != "" {
		return s
	}
	return c.String()
}
