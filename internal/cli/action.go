package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/handlergen/handlergen/diag"
	"github.com/handlergen/handlergen/gen"
	"github.com/handlergen/handlergen/internal/cmdline"
	"github.com/handlergen/handlergen/internal/output"
	"github.com/handlergen/handlergen/internal/pathx"
)

const actionUsage = `usage: handlergen action -config FILE

Runs one registry from declared inputs only, as a build-farm action
(Bazel, Buck2, Please): the config (JSON, see docs/build-farms.md) names
the contract files, the arguments the header records, the output, and the
export data of every package needed. No go command runs and nothing else
is read: no environment, directory walk or cache. Paths are relative to
the working directory.
`

// actionConfig is the config of handlergen action (docs/build-farms.md).
// Every path is relative to the working directory, the execroot.
type actionConfig struct {
	// Dir is the directory go generate runs in (the output package's, for
	// a //go:generate line): Args' paths, and the contract paths the
	// registry records, are relative to it. Default ".".
	Dir string `json:"dir"`
	// Args are handlergen's arguments as the //go:generate line gives
	// them (without the program name): their flags apply, and the header
	// records them. Their inputs are recorded only: Contracts are read.
	Args      []string `json:"args"`
	Contracts []string `json:"contracts"`
	// Package is the output's package clause when Args has no -package
	// (what go generate passes as $GOPACKAGE); ImportPath its import path.
	Package    string `json:"package"`
	ImportPath string `json:"importpath"`
	// Modules are the main modules' paths: the default allowlist.
	Modules []string `json:"modules"`
	// Packages maps an import path to its export data file (as the
	// unitchecker's PackageFile); ImportCfg names a file of the compiler's
	// "packagefile PATH=FILE" lines. Both may be given; they must agree.
	Packages  map[string]string `json:"packages"`
	ImportCfg string            `json:"importcfg"`
	// Stdlib is a directory of the standard library's export data, PATH.a
	// for each standard package (rules_go's stdlib), used for a standard
	// package neither names.
	Stdlib string `json:"stdlib"`
	// Srcs are packages' Go files, for the init() audit (optional).
	Srcs map[string][]string `json:"srcs"`
	// PackageFiles are the output package's other Go files (optional).
	PackageFiles []string `json:"package_files"`
	// Output is the file generate mode writes. Check names the checked-in
	// registry instead, which check mode compares with, writing Stamp
	// when it is fresh.
	Output string `json:"output"`
	Check  string `json:"check"`
	Stamp  string `json:"stamp"`
	// Diagnostics is a file that receives what the run reports (always
	// written, empty on a clean run); Format is -format's.
	Diagnostics   string `json:"diagnostics"`
	Format        string `json:"format"`
	CorrelationID string `json:"correlation_id"`
}

func runAction(e env, args []string, stdout, stderr io.Writer) int {
	if helpOnly(args) {
		fmt.Fprint(stderr, actionUsage)
		return ExitOK
	}
	if len(args) == 2 && args[0] == "-config" || len(args) == 1 && strings.HasPrefix(args[0], "-config=") {
	} else {
		say(stderr, "handlergen action: want -config FILE")
		return ExitUsage
	}
	file := args[len(args)-1]
	if len(args) == 1 {
		file = strings.TrimPrefix(args[0], "-config=")
	}
	root, err := e.getwd()
	if err != nil {
		say(stderr, "handlergen action: %v", err)
		return ExitUsage
	}
	a, raw, err := readActionConfig(root, file)
	if err != nil {
		say(stderr, "handlergen action: %s: %s", file, underRoot(root, err))
		return ExitUsage
	}
	cfg, mode, err := a.gen(root)
	if err != nil {
		say(stderr, "handlergen action: %s: %v", file, err)
		return ExitUsage
	}
	r := &run{cmd: "action", mode: mode, env: e, flags: &cmdline.Flags{}, cfg: cfg}
	format := a.Format
	if format == "" {
		format = string(diag.Text)
	}
	if r.format, err = diag.ParseFormat(format); err != nil {
		say(stderr, "handlergen action: %s: %v", file, err)
		return ExitUsage
	}
	// No clock and no randomness: the ID is the config's.
	r.correlationID = uuid.NewSHA1(uuid.NameSpaceURL, raw)
	if a.CorrelationID != "" {
		if r.correlationID, err = uuid.Parse(a.CorrelationID); err != nil {
			say(stderr, "handlergen action: %s: correlation_id %q: %v", file, a.CorrelationID, err)
			return ExitUsage
		}
	}
	res, err := gen.RunAction(context.Background(), cfg, mode)
	if err != nil {
		say(stderr, "handlergen action: %s", underRoot(root, err))
		return ExitUsage
	}
	b := &batch{dir: root, stderr: stderr}
	b.add(res, root)
	b.outputs[0] = path.Clean(filepath.ToSlash(a.outputName()))
	if !b.diags.HasErrors() {
		var err error
		switch {
		case mode == gen.Generate:
			err = writeActionFile(root, a.Output, res.Source)
		case a.Stamp != "":
			err = writeActionFile(root, a.Stamp, nil)
		}
		if err != nil {
			say(stderr, "handlergen action: %s", underRoot(root, err))
			return ExitUsage
		}
		b.written[0] = mode == gen.Generate
	}
	var out, errs bytes.Buffer
	r.stdout, r.stderr = &out, &errs
	r.report(b)
	stdout.Write(out.Bytes())
	stderr.Write(errs.Bytes())
	if a.Diagnostics != "" {
		if err := writeActionFile(root, a.Diagnostics, append(out.Bytes(), errs.Bytes()...)); err != nil {
			say(stderr, "handlergen action: %s", underRoot(root, err))
			return ExitUsage
		}
	}
	if b.diags.HasErrors() {
		return ExitError
	}
	return ExitOK
}

// underRoot is err's text with the execroot taken out of every path in
// it: the paths are relative to the working directory, as the config's
// are, and one machine's layout stays out of what the action reports.
func underRoot(root string, err error) string {
	return strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
}

// outputName is how diagnostics name the output: the registry the run
// makes, as the checked-in file or the output the action writes.
func (a *actionConfig) outputName() string {
	if a.Check != "" {
		return a.Check
	}
	return a.Output
}

// writeActionFile writes one of the action's declared outputs. The build
// system made its place fresh; it is written directly, not through a
// temporary file, so that nothing else in its directory is touched.
func writeActionFile(root, name string, data []byte) error {
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", name)
	}
	return os.WriteFile(p, data, 0o644)
}

// readActionConfig reads the config, and the importcfg it names.
func readActionConfig(root, file string) (*actionConfig, []byte, error) {
	// Bounded, and never blocking on what is not a regular file; the
	// caller names the file.
	raw, err := output.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
	if err != nil {
		return nil, nil, err
	}
	var a actionConfig
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, nil, err
	}
	if dec.More() {
		return nil, nil, fmt.Errorf("more than one JSON value")
	}
	for _, p := range a.paths() {
		if err := localPath(p); err != nil {
			return nil, nil, err
		}
	}
	if a.ImportCfg != "" {
		data, err := output.ReadFile(filepath.Join(root, filepath.FromSlash(a.ImportCfg)))
		if err != nil {
			// A refusal (not a regular file, too large) does not name it.
			return nil, nil, fmt.Errorf("%s: %v", a.ImportCfg, pathx.Pathless(err))
		}
		pf, err := parseImportCfg(data)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", a.ImportCfg, err)
		}
		if a.Packages == nil {
			a.Packages = map[string]string{}
		}
		for p, f := range pf {
			if old, ok := a.Packages[p]; ok && old != f {
				return nil, nil, fmt.Errorf("package %s: packages names %s, importcfg %s", p, old, f)
			}
			if err := localPath(f); err != nil {
				return nil, nil, fmt.Errorf("%s: %v", a.ImportCfg, err)
			}
			a.Packages[p] = f
		}
	}
	return &a, raw, nil
}

// paths are the config's paths, every one of which must be local.
func (a *actionConfig) paths() []string {
	ps := []string{a.ImportCfg, a.Stdlib, a.Output, a.Check, a.Stamp, a.Diagnostics}
	ps = append(ps, a.Contracts...)
	ps = append(ps, a.PackageFiles...)
	for _, f := range a.Packages {
		ps = append(ps, f)
	}
	for _, fs := range a.Srcs {
		ps = append(ps, fs...)
	}
	return slices.DeleteFunc(ps, func(p string) bool { return p == "" })
}

// localPath refuses a path that leaves the execroot or names it by an
// absolute path, which would put one machine's layout into the action.
func localPath(p string) error {
	if !filepath.IsLocal(filepath.FromSlash(p)) {
		return fmt.Errorf("path %q: want a path relative to the working directory, inside it", p)
	}
	return nil
}

// parseImportCfg reads the compiler's importcfg: "packagefile PATH=FILE"
// lines. importmap lines (vendoring) and comments are not needed.
func parseImportCfg(data []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		verb, args, _ := strings.Cut(line, " ")
		switch verb {
		case "packagefile":
			p, f, ok := strings.Cut(strings.TrimSpace(args), "=")
			if !ok || p == "" || f == "" {
				return nil, fmt.Errorf("line %d: want packagefile PATH=FILE", n)
			}
			out[p] = f
		case "importmap", "modinfo", "packageshlib":
			// Not needed to read types.
		default:
			return nil, fmt.Errorf("line %d: unknown directive %q", n, verb)
		}
	}
	return out, sc.Err()
}

// gen is the generator's configuration for the action, run at root.
func (a *actionConfig) gen(root string) (gen.Config, gen.Mode, error) {
	var cfg gen.Config
	mode := gen.Generate
	switch {
	case a.Output != "" && a.Check != "":
		return cfg, mode, fmt.Errorf("give output (generate) or check (check mode), not both")
	case a.Output == "" && a.Check == "":
		return cfg, mode, fmt.Errorf("give output (generate) or check (check mode)")
	case a.Check != "":
		mode = gen.Check
	case a.Stamp != "":
		return cfg, mode, fmt.Errorf("stamp is for check mode")
	}
	if a.ImportPath == "" {
		return cfg, mode, fmt.Errorf("importpath (the output package's import path) is required")
	}
	if len(a.Packages) == 0 && a.Stdlib == "" {
		return cfg, mode, fmt.Errorf("no packages: give the export data of the interface's and the handlers' packages (packages or importcfg)")
	}
	dir := a.Dir
	if dir == "" {
		dir = "."
	}
	if err := localPath(dir); err != nil {
		return cfg, mode, fmt.Errorf("dir: %v", err)
	}
	f, err := cmdline.Recorded(a.Args)
	if err != nil {
		return cfg, mode, fmt.Errorf("args: %v", err)
	}
	if f.Dir != "" {
		return cfg, mode, fmt.Errorf("args: -C has no place in an action: dir says where go generate runs")
	}
	cfg = ConfigOf(f, filepath.Join(root, filepath.FromSlash(dir)))
	cfg.Base = root
	if filepath.IsAbs(f.Output) {
		return cfg, mode, fmt.Errorf("args: -o %q: want a path relative to dir", f.Output)
	}
	if cfg.Package == "" {
		cfg.Package = a.Package
	}
	if cfg.Package == "" || !cmdline.IsIdent(cfg.Package) {
		return cfg, mode, fmt.Errorf("package %q: want the output's package name (a Go identifier), here or as -package in args", cfg.Package)
	}
	if len(a.Contracts) == 0 {
		return cfg, mode, fmt.Errorf("no contracts")
	}
	cfg.Inputs = nil
	for _, c := range a.Contracts {
		// Files only: a directory or a glob would be walked.
		if strings.ContainsAny(c, "*?[") {
			return cfg, mode, fmt.Errorf("contract %q: want a file, not a glob", c)
		}
		if fi, err := os.Lstat(filepath.Join(root, filepath.FromSlash(c))); err == nil && fi.IsDir() {
			return cfg, mode, fmt.Errorf("contract %q: want a file, not a directory", c)
		}
		rel, err := filepath.Rel(cfg.Dir, filepath.Join(root, filepath.FromSlash(c)))
		if err != nil {
			return cfg, mode, err
		}
		cfg.Inputs = append(cfg.Inputs, rel)
	}
	cfg.Action = &gen.Action{
		Root: root, ImportPath: a.ImportPath, Modules: a.Modules, Packages: a.Packages, Stdlib: a.Stdlib,
		Sources: a.Srcs, PackageFiles: a.PackageFiles, Check: a.Check,
	}
	return cfg, mode, nil
}
