package synth

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestWrite generates a small module with two registries, runs handlergen
// on it and builds everything: the handlers, the generated registries, the
// map literal and the programs (go vet builds them all), and runs one.
func TestWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "handlergen")
	run(t, repo, "go", "build", "-o", bin, "./cmd/handlergen")
	for _, local := range []bool{false, true} {
		dir := filepath.Join(t.TempDir(), "m")
		l, err := Write(dir, Options{N: 6, Registries: 2, Repo: repo, LocalInterface: local})
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Handlers) != 6 || len(l.Outputs) != 2 || l.Inputs[1] != "handlers/r1" || (l.Interface != "") != local {
			t.Fatalf("layout = %+v", l)
		}
		for k, out := range l.Outputs {
			args := []string{"-o", "registry_gen.go", "../" + l.Inputs[k]}
			if local {
				args = append([]string{"-interface", l.Interface}, args...)
			}
			run(t, filepath.Join(dir, out), bin, args...)
		}
		// go generate must agree with the direct runs: the directive
		// carries the same arguments.
		run(t, dir, bin, "check", "./...")
		run(t, dir, "go", "vet", "./...")
		got := run(t, dir, "go", "run", "./cmd/app1")
		if strings.TrimSpace(got) != "3" {
			t.Errorf("app1 has %q handlers, want 3", got)
		}
	}
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if os.Getenv("HANDLERGEN_CACHE") == "" {
		// Not the user's cache: one of the test's own.
		cmd.Env = append(os.Environ(), "HANDLERGEN_CACHE="+t.TempDir())
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
