package gen

import (
	"os"
	"testing"
)

// TestMain keeps the tests out of the user's cache: unless
// HANDLERGEN_CACHE says otherwise (off, or a directory), the verification
// cache lives in a temporary directory for the run.
func TestMain(m *testing.M) {
	if os.Getenv(cacheEnv) == "" {
		dir, err := os.MkdirTemp("", "handlergen-cache-")
		if err != nil {
			panic(err)
		}
		os.Setenv(cacheEnv, dir)
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}
