//go:build !unix

package contracts

import "errors"

// mkfifo reports that this system has no named pipes of the Unix kind; the
// tests that need one skip.
func mkfifo(string) error { return errors.ErrUnsupported }
