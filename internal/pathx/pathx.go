// Package pathx holds the two path helpers that every package reporting
// diagnostics needs: Rel, which makes a path fit for a diag.Position's
// File, and Pathless, which takes the path out of an error whose position
// already names the file.
package pathx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Rel makes p fit for a Position's File: relative to dir and
// slash-separated. A path that cannot be made relative is reduced to its
// base name, so that an absolute path never reaches a message or a
// generated file.
func Rel(dir, p string) string {
	if !filepath.IsAbs(p) {
		return filepath.ToSlash(filepath.Clean(p))
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return filepath.Base(p)
	}
	return filepath.ToSlash(rel)
}

// Pathless strips the path from an *os.PathError (or one it wraps), for a
// message whose Position already names the file, relatively.
func Pathless(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}
