package registry

import textdist "github.com/handlergen/handlergen/internal/suggest"

const maxSuggestions = 3

// nearest returns up to maxSuggestions known names closest to an unknown
// one. It runs only on the error path of New; internal/suggest bounds the
// work a long (possibly hostile) name can cause.
func nearest[H any](entries []Entry[H], name string) []string {
	if name == "" || len(name) > textdist.MaxLen || len(entries) == 0 {
		return nil
	}
	names := make([]string, len(entries))
	for i := range entries {
		names[i] = entries[i].Name
	}
	return textdist.Closest(name, names, maxSuggestions)
}
