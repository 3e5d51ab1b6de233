package registry

import (
	"runtime/debug"
	"sync"
)

// SetReadBuildInfo makes Describe read build information from f until
// restore is called. Tests that use it must not run in parallel.
func SetReadBuildInfo(f func() (*debug.BuildInfo, bool)) (restore func()) {
	old := readBuildInfo
	readBuildInfo = f
	buildModules = sync.OnceValue(loadModules)
	return func() {
		readBuildInfo = old
		buildModules = sync.OnceValue(loadModules)
	}
}
