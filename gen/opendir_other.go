//go:build !unix

package gen

import "os"

func openDir(name string) (*os.File, error) { return os.Open(name) }
