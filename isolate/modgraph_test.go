package isolate_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryUsersDoNotDownloadIsolation: neither a module that imports
// only package registry nor one that imports isolate has go-plugin or
// gRPC in its module graph (isolate's transport is its own, over a
// socketpair), and the isolate module adds no module to the root's but
// itself. It works offline, from the go.mod files that building this
// module put in the module cache.
func TestRegistryUsersDoNotDownloadIsolation(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pkg  string
		want bool
	}{
		{"github.com/handlergen/handlergen/registry", false},
		{"github.com/handlergen/handlergen/isolate", true}, // want: it requires isolate
	} {
		dir := t.TempDir()
		src := "package main\n\nimport _ \"" + tt.pkg + "\"\n\nfunc main() {}\n"
		mod := "module example.com/user\n\ngo 1.26.0\n\n" +
			"require github.com/handlergen/handlergen v0.0.0-00010101000000-000000000000\n" +
			"replace github.com/handlergen/handlergen => " + root + "\n"
		if tt.want {
			mod += "require github.com/handlergen/handlergen/isolate v0.0.0-00010101000000-000000000000\n" +
				"replace github.com/handlergen/handlergen/isolate => " + filepath.Join(root, "isolate") + "\n"
		}
		for name, data := range map[string]string{"go.mod": mod, "main.go": src} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o666); err != nil {
				t.Fatal(err)
			}
		}
		// The graph comes from go.mod files alone: no go mod tidy, which
		// would load the tests of dependencies, whose modules this
		// module's build never downloaded.
		cmd := exec.Command("go", "mod", "graph")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: go mod graph: %v\n%s", tt.pkg, err, out)
		}
		graph := string(out)
		for _, dep := range []string{"github.com/hashicorp/", "google.golang.org/grpc@", "google.golang.org/protobuf@"} {
			if strings.Contains(graph, dep) {
				t.Errorf("a module importing %s: %s in its module graph", tt.pkg, dep)
			}
		}
	}
}
