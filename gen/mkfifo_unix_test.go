//go:build unix

package gen

import "syscall"

// mkfifo makes a named pipe, for the tests of what handlergen refuses to
// read; mkfifo_other_test.go says where there is none.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o644) }
