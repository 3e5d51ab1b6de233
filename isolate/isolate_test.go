package isolate_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/isolate"
	"github.com/handlergen/handlergen/registry"
)

// The test binary is its own host: TestMain serves when a Client started it.
func TestMain(m *testing.M) {
	if isolate.IsHost() {
		isolate.Serve(testRegistry(os.Getenv("ISOLATE_TEST_VARIANT")))
	}
	if mode, ok := os.LookupEnv("ISOLATE_TEST_RAWECHO"); ok {
		rawEcho(mode) // for BenchmarkRawRoundTrip; does not return
	}
	if os.Getenv("ISOLATE_TEST_PROBE") != "" { // run by selfprobe: would this process be a host?
		fmt.Print("host=", isolate.IsHost())
		os.Exit(0)
	}
	if os.Getenv("ISOLATE_TEST_SERVICE") != "" {
		service() // a service for TestServiceDies; does not return
	}
	// Hosts built with -race would sleep a second at exit (the race
	// runtime's atexit_sleep_ms), and every Close waits for its host.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// service starts a client, prints its host's pid and waits to be killed.
func service() {
	c, err := isolate.NewClient(testRegistry(""), isolate.Config{HostLog: io.Discard, Env: []string{"GORACE"}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	h, err := c.New(context.Background(), "echo")
	if err == nil {
		var resp registry.Response
		resp, err = h.Execute(context.Background(), registry.Request{})
		fmt.Println(resp.Metadata["pid"])
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	select {}
}

// testHandler behaves as its name says.
type testHandler struct {
	name   string
	config map[string]any
}

func (h *testHandler) HandlerType() registry.Type { return registry.Compute }
func (h *testHandler) Initialize(_ context.Context, config map[string]any) error {
	if config["fail"] == true {
		return errors.New("initialize refused")
	}
	if pid, ok := config["onlypid"]; ok && pid != strconv.Itoa(os.Getpid()) {
		return errors.New("initialize refused in this host")
	}
	if config["gate"] == true {
		waitGate()
	}
	h.config = config
	return nil
}
func (h *testHandler) Shutdown(context.Context) error { return nil }
func (h *testHandler) Describe() registry.Descriptor {
	return registry.Descriptor{Name: h.name, Type: registry.Compute, Description: "in pid " + strconv.Itoa(os.Getpid())}
}

func (h *testHandler) Execute(ctx context.Context, req registry.Request) (registry.Response, error) {
	pid := map[string]string{"pid": strconv.Itoa(os.Getpid())}
	switch h.name {
	case "panic":
		panic("handler exploded")
	case "exit":
		os.Exit(3)
	case "sleep": // ignores its context
		slog.InfoContext(ctx, "sleeping forever")
		select {}
	case "goroutine-panic":
		go panic("in a goroutine of the handler")
		select {}
	case "config":
		return registry.Response{Payload: h.config["key"], Metadata: pid}, nil
	case "badresponse":
		return registry.Response{Payload: math.NaN()}, nil
	case "fail":
		return registry.Response{}, errors.New("handler said no")
	case "log":
		slog.InfoContext(ctx, "handler log line")
	case "badvalue": // returns the value JSON cannot carry that the payload names
		kind, _ := req.Payload.(string)
		return registry.Response{Payload: unjsonable(kind)}, nil
	case "count": // the instances alive in this host, besides this one
		runtime.GC()
		return registry.Response{Payload: live.Load() - 1}, nil
	case "coded":
		return registry.Response{}, fmt.Errorf("wrapped: %w", &registry.Error{Code: registry.HandlerNotFound, Name: "other",
			Op: "lookup", Contract: "other/contract.yaml", CorrelationID: uuid.MustParse("00000000-0000-4000-8000-000000000001"), Err: errors.New("no other")})
	case "panicerror": // an error whose methods panic when the host reads it
		return registry.Response{}, panicError{unwrap: req.Payload == "unwrap"}
	case "exitlater": // returns, then the host exits
		go func() { time.Sleep(10 * time.Millisecond); os.Exit(4) }()
	case "env": // the host's environment
		return registry.Response{Payload: strings.Join(os.Environ(), "\n"), Metadata: pid}, nil
	case "spawn": // starts a long sleep and returns its pid
		cmd := exec.Command("/bin/sleep", "600")
		if err := cmd.Start(); err != nil {
			return registry.Response{}, err
		}
		return registry.Response{Payload: strconv.Itoa(cmd.Process.Pid), Metadata: pid}, nil
	case "selfprobe": // runs this binary again, with the host marker it can see (none) or the payload's
		cmd := exec.Command("/proc/self/exe")
		cmd.Env = append(os.Environ(), "ISOLATE_TEST_PROBE=1")
		if marker, _ := req.Payload.(string); marker != "" {
			cmd.Env = append(cmd.Env, marker)
		}
		out, err := cmd.CombinedOutput()
		return registry.Response{Payload: string(out), Metadata: pid}, err
	case "memhog": // allocates and touches the payload's number of MiB
		n, _ := req.Payload.(float64)
		var keep [][]byte
		for range int(n) {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		return registry.Response{Payload: len(keep), Metadata: pid}, nil
	case "big": // a response of the payload's number of bytes
		n, _ := req.Payload.(float64)
		return registry.Response{Payload: strings.Repeat("x", int(n)), Metadata: pid}, nil
	}
	return registry.Response{Payload: req.Payload, Metadata: pid}, nil
}

type healthy struct{ testHandler }

func (healthy) HealthCheck(context.Context) (registry.Health, error) {
	return registry.Health{Healthy: true, Detail: "fine"}, nil
}

var names = []string{"badresponse", "badvalue", "big", "coded", "config", "count", "ctorfail", "ctorpanic", "echo", "env", "exit", "exitlater", "fail", "gated", "goroutine-panic", "health", "log", "memhog", "panic", "panicerror", "selfprobe", "sleep", "spawn"}

// live counts the handler instances of this process (a host) that the
// garbage collector has not collected.
var live atomic.Int64

func track[T any](h *T) *T {
	live.Add(1)
	runtime.AddCleanup(h, func(struct{}) { live.Add(-1) }, struct{}{})
	return h
}

// waitGate waits while the file $ISOLATE_GATE is missing.
func waitGate() {
	for gate := os.Getenv("ISOLATE_GATE"); gate != ""; time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(gate); err == nil {
			return
		}
	}
}

// unjsonable returns a value of the kind that encoding/json cannot encode.
func unjsonable(kind string) any {
	switch kind {
	case "chan":
		return make(chan int)
	case "func":
		return func() {}
	case "complex":
		return complex(1, 2)
	case "nan":
		return math.NaN()
	case "inf":
		return []any{math.Inf(-1)}
	case "mapkey":
		return map[bool]int{true: 1}
	case "cycle":
		m := map[string]any{}
		m["m"] = m
		return m
	case "marshalerr":
		return badMarshaler{err: true}
	case "marshalpanic":
		return map[string]any{"deep": []any{badMarshaler{}}}
	}
	return kind
}

var unjsonableKinds = []string{"chan", "func", "complex", "nan", "inf", "mapkey", "cycle", "marshalerr", "marshalpanic"}

// panicError's Error (or Unwrap) panics.
type panicError struct{ unwrap bool }

func (e panicError) Error() string {
	if e.unwrap {
		return "an error"
	}
	panic("Error exploded")
}

func (e panicError) Unwrap() error {
	if e.unwrap {
		panic("Unwrap exploded")
	}
	return nil
}

// badMarshaler's MarshalJSON fails, or panics.
type badMarshaler struct{ err bool }

func (b badMarshaler) MarshalJSON() ([]byte, error) {
	if b.err {
		return nil, errors.New("cannot marshal this")
	}
	panic("MarshalJSON exploded")
}

func testRegistry(variant string) *registry.Registry[registry.Handler] {
	var entries []registry.Entry[registry.Handler]
	for _, n := range names {
		e := registry.Entry[registry.Handler]{
			Name: n, Class: "example.com/test." + n, Type: registry.Compute,
			Contract: "handlers/" + n + "/contract.yaml", Digest: fmt.Sprintf("%064x", len(n)),
			New: func(context.Context) (registry.Handler, error) { return track(&testHandler{name: n}), nil },
		}
		switch n {
		case "ctorpanic":
			e.New = func(context.Context) (registry.Handler, error) { panic("constructor exploded") }
		case "ctorfail":
			e.New = func(context.Context) (registry.Handler, error) { return nil, errors.New("no database") }
		case "gated": // ignores its context; waits while the file $ISOLATE_GATE is missing
			e.New = func(context.Context) (registry.Handler, error) {
				waitGate()
				return track(&testHandler{name: n}), nil
			}
		case "health":
			e.New = func(context.Context) (registry.Handler, error) { return track(&healthy{testHandler{name: n}}), nil }
		}
		if variant == "digest" && n == "echo" {
			e.Digest = fmt.Sprintf("%064x", 99)
		}
		if variant == "class" && n == "health" {
			e.Class = "example.com/other.health"
		}
		if variant == "missing" && n == "config" || variant == "empty" {
			continue
		}
		entries = append(entries, e)
	}
	switch variant {
	case "extra-first", "extra-last":
		name := map[string]string{"extra-first": "aaa", "extra-last": "zzz"}[variant]
		entries = append(entries, registry.Entry[registry.Handler]{Name: name, Class: "example.com/test." + name,
			New: func(context.Context) (registry.Handler, error) { return track(&testHandler{name: name}), nil }})
	}
	return registry.New(entries)
}

// syncBuffer collects the host's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newClient starts a client whose host is this test binary, and checks at
// the end that Close leaves no process and no goroutine behind.
func newClient(t *testing.T, cfg isolate.Config) (*isolate.Client, *syncBuffer) {
	t.Helper()
	log := &syncBuffer{}
	if cfg.HostLog == nil {
		cfg.HostLog = log
	}
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 10 * time.Millisecond
	}
	if cfg.Group == nil { // these tests crash a host with one handler and call another in the next
		cfg.Group = oneHost
	}
	if cfg.Env == nil {
		cfg.Env = testEnv
	}
	if cfg.QuarantineAfter == 0 {
		cfg.QuarantineAfter = -1
	}
	before := runtime.NumGoroutine()
	c, err := isolate.NewClient(testRegistry(""), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		if kids := children(t); len(kids) != 0 {
			t.Errorf("child processes after Close: %v", kids)
		}
		settle(t, before)
	})
	return c, log
}

// oneHost puts every handler in one host.
func oneHost(string) string { return "all" }

// testEnv is what hosts of the tests need from the test's environment:
// GORACE (set by TestMain) and where waitGate looks.
var testEnv = []string{"GORACE", "ISOLATE_GATE"}

// children returns the PIDs of this process's children (Linux).
func children(t *testing.T) []string {
	t.Helper()
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", os.Getpid()))
	if len(tasks) == 0 {
		t.Skip("no /proc/PID/task/*/children here")
	}
	var pids []string
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		pids = append(pids, strings.Fields(string(b))...)
	}
	return pids
}

// settle waits for the goroutines to come back to n (the runtime and
// testing have some that come and go) and fails if they do not.
func settle(t *testing.T, n int) {
	t.Helper()
	var now int
	for range 200 {
		if now = runtime.NumGoroutine(); now <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Errorf("%d goroutines after Close, %d before:\n%s", now, n, buf[:runtime.Stack(buf, true)])
}

// crash ends c's host with a handler that calls os.Exit: that call fails
// with HostFailed, and the next starts a new host.
func crash(t *testing.T, c *isolate.Client) {
	t.Helper()
	if _, err := execute(t, c, context.Background(), "exit", nil); code(err) != registry.HostFailed {
		t.Fatalf("exit: %v, want %v", err, registry.HostFailed)
	}
}

func code(err error) registry.Code {
	var re *registry.Error
	if errors.As(err, &re) {
		return re.Code
	}
	return 0
}

func execute(t *testing.T, c *isolate.Client, ctx context.Context, name string, payload any) (registry.Response, error) {
	t.Helper()
	h, err := c.New(ctx, name)
	if err != nil {
		t.Fatalf("New(%q): %v", name, err)
	}
	return h.Execute(ctx, registry.Request{Operation: "run", Payload: payload})
}

func TestExecuteInHost(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	resp, err := execute(t, c, context.Background(), "echo", map[string]any{"n": 1, "s": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(resp.Payload) != "map[n:1 s:x]" {
		t.Errorf("payload = %#v", resp.Payload)
	}
	if pid := resp.Metadata["pid"]; pid == strconv.Itoa(os.Getpid()) || pid == "" {
		t.Errorf("handler ran in pid %q, this is %d", pid, os.Getpid())
	}
	if got := c.Registry().Names(); strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("Names = %v", got)
	}
	h, _ := c.New(context.Background(), "health")
	hc, ok := h.(registry.HealthChecker)
	if !ok {
		t.Fatal("health handler is not a HealthChecker through the client")
	}
	if health, err := hc.HealthCheck(context.Background()); err != nil || !health.Healthy || health.Detail != "fine" {
		t.Errorf("HealthCheck = %+v, %v", health, err)
	}
	if e, _ := c.New(context.Background(), "echo"); e != nil {
		if _, ok := e.(registry.HealthChecker); ok {
			t.Error("echo is a HealthChecker through the client")
		}
		if d := e.Describe(); !strings.HasPrefix(d.Description, "in pid ") || d.Description == "in pid "+strconv.Itoa(os.Getpid()) {
			t.Errorf("Describe = %+v", d)
		}
	}
}

// TestFailuresAreCoded: each way a handler can fail comes back as its code,
// and the host (or, after exit, a new one) keeps serving.
func TestFailuresAreCoded(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	tests := []struct {
		name string
		code registry.Code
		new  bool // fails in New
		msg  string
	}{
		{"ctorpanic", registry.HandlerPanicked, true, `handler "ctorpanic" panicked in its constructor: panic: constructor exploded`},
		{"ctorfail", registry.ConstructorFailed, true, `constructor of handler "ctorfail" failed: no database`},
		{"nosuch", registry.HandlerNotFound, true, `no handler registered as "nosuch"`},
		{"panic", registry.HandlerPanicked, false, `handler "panic" panicked in Execute: panic: handler exploded`},
		{"badresponse", registry.PayloadNotJSON, false, "unsupported value: NaN"},
		{"exit", registry.HostFailed, false, "failed during the call"},
		{"goroutine-panic", registry.HostFailed, false, "failed during the call"},
		{"fail", 0, false, "handler said no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := c.New(ctx, tt.name)
			if !tt.new {
				if err != nil {
					t.Fatal(err)
				}
				_, err = h.Execute(ctx, registry.Request{})
			}
			if err == nil || code(err) != tt.code || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err = %v (code %v), want code %v containing %q", err, code(err), tt.code, tt.msg)
			}
			var pe *registry.PanicError
			if tt.code == registry.HandlerPanicked && (!errors.As(err, &pe) || !strings.Contains(string(pe.Stack), "isolate_test.go")) {
				t.Errorf("no stack from the host: %#v", pe)
			}
			// The service goes on: a call after the failure succeeds.
			if resp, err := execute(t, c, ctx, "echo", "after "+tt.name); err != nil || resp.Payload != "after "+tt.name {
				t.Errorf("after %s: %v, %v", tt.name, resp, err)
			}
		})
	}
}

func TestPayloadNotJSON(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	for _, p := range []any{make(chan int), func() {}, math.Inf(1), map[bool]int{true: 1}} {
		_, err := execute(t, c, ctx, "echo", p)
		if code(err) != registry.PayloadNotJSON || !strings.Contains(err.Error(), "request") {
			t.Errorf("payload %T: %v", p, err)
		}
	}
	h, _ := c.New(ctx, "echo")
	if err := h.Initialize(ctx, map[string]any{"c": make(chan int)}); code(err) != registry.PayloadNotJSON {
		t.Errorf("config: %v", err)
	}
}

// TestSIGKILLMidCall: a host killed during a call fails that call with
// HostFailed, and the next call succeeds on a new host.
func TestSIGKILLMidCall(t *testing.T) {
	c, log := newClient(t, isolate.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(resp.Metadata["pid"])
	h, _ := c.New(ctx, "sleep")
	done := make(chan error, 1)
	go func() {
		_, err := h.Execute(ctx, registry.Request{})
		done <- err
	}()
	for !strings.Contains(log.String(), "sleeping forever") {
		time.Sleep(5 * time.Millisecond)
	}
	if err := kill(pid); err != nil {
		t.Fatal(err)
	}
	if err := <-done; code(err) != registry.HostFailed || !strings.Contains(err.Error(), strconv.Itoa(pid)) {
		t.Fatalf("call in flight: %v", err)
	}
	resp, err = execute(t, c, ctx, "echo", "again")
	if err != nil || resp.Payload != "again" || resp.Metadata["pid"] == strconv.Itoa(pid) {
		t.Fatalf("next call: %+v, %v", resp, err)
	}
}

// TestDeadlineKillsHost: a handler that ignores its context returns
// CallAbandoned at the deadline; the host is killed KillAfter later, and the
// next call runs in a new host.
func TestDeadlineKillsHost(t *testing.T) {
	c, log := newClient(t, isolate.Config{KillAfter: 100 * time.Millisecond})
	resp, err := execute(t, c, context.Background(), "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = execute(t, c, ctx, "sleep", nil)
	if code(err) != registry.CallAbandoned || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	for strings.Contains(log.String(), "killing the host") == false {
		time.Sleep(10 * time.Millisecond)
	}
	again, err := execute(t, c, context.Background(), "echo", nil)
	if err != nil || again.Metadata["pid"] == resp.Metadata["pid"] {
		t.Fatalf("next call: %+v, %v (first host %s)", again, err, resp.Metadata["pid"])
	}
	// A cancelled context (no deadline) abandons the call as well.
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	if _, err := execute(t, c, ctx, "sleep", nil); code(err) != registry.CallAbandoned || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

// TestHandshakeRefusesOtherContracts: a host built from other contracts is
// refused before any call, naming the first difference.
// Every kind of difference between the host's handlers and the client's:
// a digest, a class, a handler missing there or extra there (before, after
// the others, or all of them).
func TestHandshakeRefusesOtherContracts(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for variant, want := range map[string]string{
		"digest":      `the contract of handler "echo" (handlers/echo/contract.yaml) has digest`,
		"class":       `handler "health" is example.com/other.health there, example.com/test.health here`,
		"missing":     `it has no handler "config"`,
		"empty":       `it has no handler "badresponse"`,
		"extra-first": `it has a handler "aaa" this registry does not`,
		"extra-last":  `it has a handler "zzz" this registry does not`,
	} {
		t.Run(variant, func(t *testing.T) {
			before := runtime.NumGoroutine()
			_, err := isolate.NewClient(testRegistry(""), isolate.Config{HostLog: &syncBuffer{}, Env: []string{"GORACE"}, Command: func() *exec.Cmd {
				cmd := exec.Command(exe)
				cmd.Env = []string{"ISOLATE_TEST_VARIANT=" + variant}
				return cmd
			}})
			if code(err) != registry.HostMismatch || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want 054 with %q", err, want)
			}
			if kids := children(t); len(kids) != 0 {
				t.Errorf("refused host still running: %v", kids)
			}
			settle(t, before)
		})
	}
}

// TestHostFailsToStart: a command that is no host is HostFailed, whether it
// exits, says something else than the handshake, or says nothing
// until the start times out; nothing of it is left behind.
func TestHostFailsToStart(t *testing.T) {
	for _, argv := range [][]string{{"/bin/false"}, {"/bin/echo", "not a handshake"}, {"/bin/sleep", "60"}} {
		t.Run(argv[0], func(t *testing.T) {
			before := runtime.NumGoroutine()
			_, err := isolate.NewClient(testRegistry(""), isolate.Config{HostLog: &syncBuffer{}, Env: []string{"GORACE"}, StartTimeout: 300 * time.Millisecond,
				Command: func() *exec.Cmd { return exec.Command(argv[0], argv[1:]...) }})
			if code(err) != registry.HostFailed {
				t.Fatalf("err = %v", err)
			}
			if kids := children(t); len(kids) != 0 {
				t.Errorf("child processes after a failed start: %v", kids)
			}
			settle(t, before)
		})
	}
}

// TestCorrelationIDInHostLog: the caller's correlation ID reaches the host's
// context and log lines, those of the host and those the handler writes.
func TestCorrelationIDInHostLog(t *testing.T) {
	c, log := newClient(t, isolate.Config{HostLogLevel: slog.LevelDebug})
	id := uuid.New()
	ctx := registry.WithCorrelationID(context.Background(), id)
	if _, err := execute(t, c, ctx, "log", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t, c, ctx, "panic", nil); code(err) != registry.HandlerPanicked {
		t.Fatal(err)
	} else if re := (*registry.Error)(nil); !errors.As(err, &re) || re.CorrelationID != id {
		t.Errorf("error's correlation ID: %v", err)
	}
	// The host's log lines come through its standard error, apart from
	// the replies: Close waits for the host and for the copy to end.
	c.Close()
	var lines []string
	for _, l := range strings.Split(log.String(), "\n") {
		if strings.Contains(l, id.String()) {
			lines = append(lines, l)
		}
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{`"msg":"handler log line"`, `"msg":"handler call"`, `"msg":"handler panicked"`} {
		if !strings.Contains(all, want) {
			t.Errorf("no log line %s with the correlation ID in:\n%s", want, log.String())
		}
	}
}

// TestReinitializedInNewHost: a handler made before its host died is made
// again in the new host, with its config.
func TestReinitializedInNewHost(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	h, _ := c.New(ctx, "config")
	if err := h.Initialize(ctx, map[string]any{"key": "value"}); err != nil {
		t.Fatal(err)
	}
	first, err := h.Execute(ctx, registry.Request{})
	if err != nil || first.Payload != "value" {
		t.Fatal(first, err)
	}
	crash(t, c)
	second, err := h.Execute(ctx, registry.Request{})
	if err != nil || second.Payload != "value" || second.Metadata["pid"] == first.Metadata["pid"] {
		t.Fatalf("after restart: %+v, %v", second, err)
	}
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Execute(ctx, registry.Request{}); err == nil {
		t.Error("Execute after Shutdown succeeded")
	}
}

// TestConcurrentCalls: calls from many goroutines, some of them crashing
// the host, all end with a result or a code, never a hang or a panic.
func TestConcurrentCalls(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			name := []string{"echo", "echo", "panic", "exit"}[i%4]
			h, err := c.New(ctx, name)
			if err == nil {
				_, err = h.Execute(ctx, registry.Request{Payload: i})
			}
			if err != nil && code(err) == 0 {
				t.Errorf("%s: uncoded %v", name, err)
			}
		}()
	}
	wg.Wait()
}
