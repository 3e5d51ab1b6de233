package gen

import (
	"bytes"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// entryStart is the first line of an entry of a generated registry, with
// its handler's name.
var entryStart = regexp.MustCompile(`(?m)^\t\{\n\t\tName: +("(?:[^"\\\n]|\\.)*"),\n`)

// entries splits a generated registry into its entries' text by handler
// name. A file handlergen did not write that way has none, which is fine:
// the summary is advice, and the comparison of bytes decides staleness.
func entries(src []byte) map[string]string {
	out := map[string]string{}
	locs := entryStart.FindAllSubmatchIndex(src, -1)
	for i, l := range locs {
		end := len(src)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		if e := bytes.Index(src[l[0]:end], []byte("\n\t},\n")); e >= 0 {
			end = l[0] + e
		}
		name, err := strconv.Unquote(string(src[l[2]:l[3]]))
		if err != nil {
			continue
		}
		out[name] = string(src[l[0]:end])
	}
	return out
}

// staleSummary says what differs between a registry on disk and the one
// generated, by handler: which were added, removed or changed (class,
// type, contract, constructor…), or that only the rest of the file did.
func staleSummary(onDisk, generated []byte) string {
	old, now := entries(onDisk), entries(generated)
	var added, removed, changed []string
	for _, n := range slices.Sorted(maps.Keys(now)) {
		o, ok := old[n]
		switch {
		case !ok:
			added = append(added, n)
		case o != now[n]:
			changed = append(changed, n)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(old)) {
		if _, ok := now[n]; !ok {
			removed = append(removed, n)
		}
	}
	var parts []string
	for _, p := range []struct {
		what  string
		names []string
	}{{"added", added}, {"removed", removed}, {"changed", changed}} {
		if len(p.names) > 0 {
			parts = append(parts, p.what+" "+nameList(p.names))
		}
	}
	if len(parts) == 0 {
		return "the handlers are the same; the rest of the file (header, imports, package or names) differs"
	}
	return "handlers " + strings.Join(parts, "; ")
}

// nameList quotes up to five names and counts the rest.
func nameList(names []string) string {
	const most = 5
	var q []string
	for _, n := range names[:min(len(names), most)] {
		q = append(q, strconv.Quote(n))
	}
	s := strings.Join(q, ", ")
	if len(names) > most {
		s += fmt.Sprintf(" and %d more", len(names)-most)
	}
	return s
}
