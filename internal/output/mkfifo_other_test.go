//go:build !unix

package output

import "errors"

// mkfifo reports that this system has no named pipes of the Unix kind; the
// tests that need one skip.
func mkfifo(string) error { return errors.ErrUnsupported }

// setUmask does nothing where there is no umask; the test that sets one
// skips first, as it finds no /proc/self/status.
func setUmask(int) int { return 0 }
