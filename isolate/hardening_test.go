package isolate_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
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

// within fails the test if f does not return in a minute: a hang is the
// defect these tests look for, not slowness.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s hangs", what)
	}
}

// waitReaped waits until pid is no longer a child of this process.
func waitReaped(t *testing.T, pid string) {
	t.Helper()
	for range 1000 {
		if !slices.Contains(children(t), pid) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("host %s still running", pid)
}

// TestPayloadsJSONCannotCarry: every kind of value encoding/json cannot
// encode, a MarshalJSON that fails or panics among them, is a coded error
// at the call on the client's side and on the host's; neither process
// goes down.
func TestPayloadsJSONCannotCarry(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	first, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range unjsonableKinds {
		t.Run(kind, func(t *testing.T) {
			h, err := c.New(ctx, "echo")
			if err != nil {
				t.Fatal(err)
			}
			v := unjsonable(kind)
			if _, err := h.Execute(ctx, registry.Request{Payload: v}); code(err) != registry.PayloadNotJSON {
				t.Errorf("payload: %v", err)
			}
			if _, err := h.Execute(ctx, registry.Request{Config: map[string]any{"v": v}}); code(err) != registry.PayloadNotJSON {
				t.Errorf("request config: %v", err)
			}
			if err := h.Initialize(ctx, map[string]any{"v": v}); code(err) != registry.PayloadNotJSON {
				t.Errorf("initialize config: %v", err)
			}
			_, err = execute(t, c, ctx, "badvalue", kind)
			if got := code(err); got != registry.PayloadNotJSON && got != registry.HandlerPanicked {
				t.Errorf("response: %v (code %v), want 056 or 052", err, got)
			}
			if resp, err := execute(t, c, ctx, "echo", nil); err != nil || resp.Metadata["pid"] != first.Metadata["pid"] {
				t.Errorf("after %s the host changed or failed: %+v, %v", kind, resp, err)
			}
		})
	}
}

// TestCloseInterruptsBackoff: Close does not wait out the backoff before a
// restart, nor start a host it would kill at once; a call waiting for the
// restart fails with a code, and one whose context ends while it waits is
// abandoned at once.
func TestCloseInterruptsBackoff(t *testing.T) {
	c, _ := newClient(t, isolate.Config{MinBackoff: time.Hour, MaxBackoff: time.Hour})
	ctx := context.Background()
	crash(t, c)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	within(t, "New during the backoff", func() {
		if _, err := c.New(short, "echo"); code(err) != registry.CallAbandoned || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("New whose context ends during the backoff: %v", err)
		}
	})
	waiting := make(chan error, 1)
	go func() {
		_, err := c.New(ctx, "echo")
		waiting <- err
	}()
	within(t, "Close during the backoff", func() { c.Close() })
	within(t, "a New waiting for the restart", func() {
		if err := <-waiting; code(err) != registry.HostFailed {
			t.Errorf("New waiting when the client closed: %v", err)
		}
	})
}

// TestCallsAfterClose: every call on a closed client or on its handlers is
// a coded error at once; Describe answers from the contract; Close again
// is harmless.
func TestCallsAfterClose(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	h, err := c.New(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	hh, err := c.New(ctx, "health")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	within(t, "calls after Close", func() {
		if _, err := c.New(ctx, "echo"); code(err) != registry.HostFailed {
			t.Errorf("New: %v", err)
		}
		if _, err := h.Execute(ctx, registry.Request{}); code(err) != registry.HostFailed {
			t.Errorf("Execute: %v", err)
		}
		if err := h.Initialize(ctx, nil); code(err) != registry.HostFailed {
			t.Errorf("Initialize: %v", err)
		}
		if _, err := hh.(registry.HealthChecker).HealthCheck(ctx); code(err) != registry.HostFailed {
			t.Errorf("HealthCheck: %v", err)
		}
		if d := h.Describe(); d.Name != "echo" || d.Type != registry.Compute {
			t.Errorf("Describe: %+v", d)
		}
		if err := h.Shutdown(ctx); err != nil && code(err) == 0 {
			t.Errorf("Shutdown: uncoded %v", err)
		}
		if err := c.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})
}

// TestCloseRacesEverything: Close while calls run, hosts crash, watchdogs
// wait and restarts are in progress; every call ends with a result or a
// code, and Close leaves no process or goroutine (newClient checks).
func TestCloseRacesEverything(t *testing.T) {
	c, _ := newClient(t, isolate.Config{KillAfter: 20 * time.Millisecond, MinBackoff: time.Millisecond})
	var wg sync.WaitGroup
	started := make(chan struct{}, 64)
	for i := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := []string{"echo", "sleep", "exit", "echo", "panic", "health"}[i%6]
			for n := 0; ; n++ {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
				h, err := c.New(ctx, name)
				if err == nil {
					_, err = h.Execute(ctx, registry.Request{Payload: n})
				}
				cancel()
				if n == 0 {
					started <- struct{}{}
				}
				if err != nil && code(err) == 0 {
					t.Errorf("%s: uncoded %v", name, err)
				}
				if err != nil && strings.Contains(err.Error(), "client closed") {
					return
				}
			}
		}()
	}
	for range 12 {
		<-started
	}
	within(t, "Close", func() { c.Close() })
	within(t, "calls after Close", wg.Wait)
}

// TestManyHandlersOneHostDies: when a host with many handlers making calls
// is killed, each call in flight fails with 055 and every handler works
// again in one new host.
func TestManyHandlersOneHostDies(t *testing.T) {
	c, log := newClient(t, isolate.Config{})
	ctx := context.Background()
	first, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	var hs []registry.Handler
	for range 20 {
		h, err := c.New(ctx, "echo")
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			_, err := execute(t, c, ctx, "sleep", nil)
			errs <- err
		}()
	}
	for strings.Count(log.String(), "sleeping forever") < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	pid, _ := strconv.Atoi(first.Metadata["pid"])
	if err := kill(pid); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := <-errs; code(err) != registry.HostFailed {
			t.Errorf("call in flight: %v", err)
		}
	}
	pids := map[string]bool{}
	for _, h := range hs {
		resp, err := h.Execute(ctx, registry.Request{Payload: "again"})
		if err != nil || resp.Payload != "again" {
			t.Fatalf("after the host died: %+v, %v", resp, err)
		}
		pids[resp.Metadata["pid"]] = true
	}
	if len(pids) != 1 || pids[first.Metadata["pid"]] {
		t.Errorf("handlers ran in hosts %v after host %d died", pids, pid)
	}
}

// TestHostDiesBetweenCalls: a host that exits while no call is in flight
// (here a goroutine of a handler ends it after the call returned) fails no
// call: the next one starts a new host.
func TestHostDiesBetweenCalls(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	h, err := c.New(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		resp, err := execute(t, c, ctx, "exitlater", nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		waitReaped(t, resp.Metadata["pid"])
		again, err := h.Execute(ctx, registry.Request{Payload: "next"})
		if err != nil || again.Payload != "next" || again.Metadata["pid"] == resp.Metadata["pid"] {
			t.Fatalf("round %d: the call after the host exited: %+v, %v", round, again, err)
		}
	}
}

// hostInstances returns how many handler instances the host holds besides
// the one counting, after a garbage collection in both processes.
func hostInstances(t *testing.T, c *isolate.Client) float64 {
	t.Helper()
	resp, err := execute(t, c, context.Background(), "count", nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp.Payload.(float64)
}

// waitInstances waits until the host holds want instances.
func waitInstances(t *testing.T, c *isolate.Client, want float64) {
	t.Helper()
	var got float64
	for range 300 {
		runtime.GC()
		if got = hostInstances(t, c); got == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("host holds %v handler instances, want %v", got, want)
}

// gate makes the "gated" constructor wait until open is called.
func gate(t *testing.T) (open func()) {
	path := filepath.Join(t.TempDir(), "gate")
	t.Setenv("ISOLATE_GATE", path) // for the hosts started from now on
	return func() {
		if err := os.WriteFile(path, nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHostInstancesReleased: the host lets go of an instance when its
// handler is shut down (even with a context that has ended), dropped by
// the service without Shutdown, or made by a New the caller abandoned.
func TestHostInstancesReleased(t *testing.T) {
	open := gate(t)
	c, _ := newClient(t, isolate.Config{KillAfter: time.Minute})
	ctx := context.Background()
	kept, err := c.New(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	func() {
		for i := range 30 {
			h, err := c.New(ctx, []string{"echo", "config", "health"}[i%3])
			if err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if err := h.Initialize(ctx, map[string]any{"key": i}); err != nil {
					t.Fatal(err)
				}
			}
			if i%5 == 0 {
				if err := h.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
	}()
	ended, cancelEnded := context.WithCancel(ctx)
	cancelEnded()
	for range 3 {
		h, err := c.New(ctx, "echo")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Shutdown(ended); code(err) != registry.CallAbandoned {
			t.Fatalf("Shutdown with an ended context: %v", err)
		}
		runtime.KeepAlive(h) // released by Shutdown, not by the collector
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := c.New(short, "gated"); code(err) != registry.CallAbandoned {
		t.Fatalf("New abandoned: %v", err)
	}
	open()
	waitInstances(t, c, 1)
	if _, err := kept.Execute(ctx, registry.Request{}); err != nil {
		t.Fatal(err)
	}
}

// TestInitializeFailureThenRestart: a handler made again in a new host is
// initialized with the config of its last successful Initialize, never
// with one its handler refused, and not at all when none succeeded.
func TestInitializeFailureThenRestart(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		configs []map[string]any
		want    any
	}{
		{"refused only", []map[string]any{{"fail": true, "key": "bad"}}, nil},
		{"refused after one accepted", []map[string]any{{"key": "good"}, {"fail": true, "key": "bad"}}, "good"},
		{"accepted after one refused", []map[string]any{{"fail": true, "key": "bad"}, {"key": "good"}}, "good"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, err := c.New(ctx, "config")
			if err != nil {
				t.Fatal(err)
			}
			for _, cfg := range tt.configs {
				err := h.Initialize(ctx, cfg)
				if (cfg["fail"] == true) != (err != nil) {
					t.Fatalf("Initialize(%v): %v", cfg, err)
				}
			}
			crash(t, c)
			resp, err := h.Execute(ctx, registry.Request{})
			if err != nil || resp.Payload != tt.want {
				t.Errorf("after a restart: %+v, %v, want payload %v", resp, err, tt.want)
			}
		})
	}
}

// TestShutdownOfHandlerInLostHost: shutting down a handler whose host is
// gone starts no host to make and initialize it again only to shut it
// down; later calls fail.
func TestShutdownOfHandlerInLostHost(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	h, err := c.New(ctx, "config")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Initialize(ctx, map[string]any{"key": "v"}); err != nil {
		t.Fatal(err)
	}
	first, _ := h.Execute(ctx, registry.Request{})
	crash(t, c)
	waitReaped(t, first.Metadata["pid"])
	if err := h.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if kids := children(t); len(kids) != 0 {
		t.Errorf("Shutdown started a host: %v", kids)
	}
	if _, err := h.Execute(ctx, registry.Request{}); err == nil {
		t.Error("Execute after Shutdown succeeded")
	}
}

// TestHandlerErrorKeepsItsCode: a *registry.Error a handler returns, even
// wrapped, arrives with its code, name, operation, contract, correlation
// ID and the wrapping text.
func TestHandlerErrorKeepsItsCode(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	_, err := execute(t, c, context.Background(), "coded", nil)
	var re *registry.Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %v", err)
	}
	want := registry.Error{Code: registry.HandlerNotFound, Name: "other", Op: "lookup", Contract: "other/contract.yaml",
		CorrelationID: uuid.MustParse("00000000-0000-4000-8000-000000000001")}
	if re.Code != want.Code || re.Name != want.Name || re.Op != want.Op || re.Contract != want.Contract || re.CorrelationID != want.CorrelationID {
		t.Errorf("got %+v, want %+v", *re, want)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "wrapped: ") || !strings.Contains(msg, "no other") {
		t.Errorf("message %q", msg)
	}
}

// TestDeadlineBoundsWaitForAnotherCall: a call on a handler that another
// call is making again in a new host returns at its own deadline, not when
// the other call is done.
func TestDeadlineBoundsWaitForAnotherCall(t *testing.T) {
	open := gate(t)
	open()
	c, _ := newClient(t, isolate.Config{KillAfter: time.Minute})
	ctx := context.Background()
	h, err := c.New(ctx, "gated")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(os.Getenv("ISOLATE_GATE")); err != nil {
		t.Fatal(err)
	}
	crash(t, c)
	slow := make(chan error, 1)
	go func() {
		_, err := h.Execute(ctx, registry.Request{}) // makes it again, waiting for the gate
		slow <- err
	}()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	within(t, "a call behind one making the handler again", func() {
		if _, err := h.Execute(short, registry.Request{}); code(err) != registry.CallAbandoned {
			t.Errorf("short call: %v", err)
		}
	})
	open()
	if err := <-slow; err != nil {
		t.Error(err)
	}
}

// TestEndedContextStartsNothing: a call whose context has already ended
// (a deadline in the past, or cancelled) is abandoned at once, and starts
// no host to replace a lost one.
func TestEndedContextStartsNothing(t *testing.T) {
	c, _ := newClient(t, isolate.Config{})
	ctx := context.Background()
	h, err := c.New(ctx, "echo")
	if err != nil {
		t.Fatal(err)
	}
	first, err := h.Execute(ctx, registry.Request{})
	if err != nil {
		t.Fatal(err)
	}
	crash(t, c)
	waitReaped(t, first.Metadata["pid"])
	past, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	cancelled, cancel2 := context.WithCancel(ctx)
	cancel2()
	for name, ended := range map[string]context.Context{"past deadline": past, "cancelled": cancelled} {
		if _, err := c.New(ended, "echo"); code(err) != registry.CallAbandoned || !errors.Is(err, ended.Err()) {
			t.Errorf("%s: New: %v", name, err)
		}
		if _, err := h.Execute(ended, registry.Request{}); code(err) != registry.CallAbandoned {
			t.Errorf("%s: Execute: %v", name, err)
		}
		if err := h.Initialize(ended, nil); code(err) != registry.CallAbandoned {
			t.Errorf("%s: Initialize: %v", name, err)
		}
	}
	if kids := children(t); len(kids) != 0 {
		t.Errorf("an ended context started a host: %v", kids)
	}
	if _, err := h.Execute(ctx, registry.Request{}); err != nil {
		t.Errorf("then: %v", err)
	}
}

// TestHandlerErrorThatPanics: an error whose Error or Unwrap method panics
// when the host flattens or logs it is HandlerPanicked, and the host goes
// on.
func TestHandlerErrorThatPanics(t *testing.T) {
	c, _ := newClient(t, isolate.Config{HostLogLevel: slog.LevelDebug})
	ctx := context.Background()
	first, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"error", "unwrap"} {
		if _, err := execute(t, c, ctx, "panicerror", method); code(err) != registry.HandlerPanicked {
			t.Errorf("%s: %v", method, err)
		}
		if resp, err := execute(t, c, ctx, "echo", nil); err != nil || resp.Metadata["pid"] != first.Metadata["pid"] {
			t.Errorf("after %s the host changed or failed: %+v, %v", method, resp, err)
		}
	}
}

// TestReinitializeFails: when a handler's Initialize again in a new host
// fails, or its caller's context ends during it, the call returns an
// error, the instance made for it is released, and a later call makes it
// again.
func TestReinitializeFails(t *testing.T) {
	open := gate(t)
	open()
	c, _ := newClient(t, isolate.Config{KillAfter: time.Minute})
	ctx := context.Background()
	restart := func(h registry.Handler) {
		t.Helper()
		first, err := h.Execute(ctx, registry.Request{})
		if err != nil {
			t.Fatal(err)
		}
		crash(t, c)
		waitReaped(t, first.Metadata["pid"])
	}

	// Refused in the new host.
	resp, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	refused, _ := c.New(ctx, "config")
	if err := refused.Initialize(ctx, map[string]any{"onlypid": resp.Metadata["pid"]}); err != nil {
		t.Fatal(err)
	}
	restart(refused)
	if _, err := refused.Execute(ctx, registry.Request{}); err == nil || !strings.Contains(err.Error(), "refused in this host") {
		t.Errorf("Execute after a refused Initialize again: %v", err)
	}

	// Abandoned: the caller's context ends while the new host initializes.
	slow, _ := c.New(ctx, "config")
	if err := slow.Initialize(ctx, map[string]any{"gate": true, "key": "v"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(os.Getenv("ISOLATE_GATE")); err != nil {
		t.Fatal(err)
	}
	restart(slow)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := slow.Execute(short, registry.Request{}); code(err) != registry.CallAbandoned {
		t.Errorf("Execute abandoned during Initialize again: %v", err)
	}
	open()
	if resp, err := slow.Execute(ctx, registry.Request{}); err != nil || resp.Payload != "v" {
		t.Errorf("then: %+v, %v", resp, err)
	}
	refused.Shutdown(ctx)
	waitInstances(t, c, 1) // slow
}

// TestHostLogNeedNotBeSafe: Config.HostLog may be a writer that is not safe
// for concurrent use (a bytes.Buffer), though the client writes to it
// from several goroutines, and from several hosts in turn.
func TestHostLogNeedNotBeSafe(t *testing.T) {
	var log bytes.Buffer
	c, _ := newClient(t, isolate.Config{HostLog: &log, HostLogLevel: slog.LevelDebug})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				name := []string{"log", "log", "panic", "log", "exit", "log", "log", "fail"}[i]
				if h, err := c.New(context.Background(), name); err == nil {
					h.Execute(context.Background(), registry.Request{})
				}
			}
		}()
	}
	wg.Wait()
	// On a loaded machine every log call of the storm may meet a host that
	// exit just ended; one call on its own, once the host is back, writes
	// the line the check below looks for.
	for range 100 {
		if h, err := c.New(context.Background(), "log"); err == nil {
			if _, err := h.Execute(context.Background(), registry.Request{}); err == nil {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Close()
	if !strings.Contains(log.String(), "handler log line") {
		t.Errorf("no handler log lines in:\n%s", log.String())
	}
}

// TestServiceDies: a service that dies without Close (killed, crashed)
// leaves no host behind: the host ends when its client is gone.
func TestServiceDies(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	svc := exec.Command(exe, "-test.run=^$")
	svc.Env = append(os.Environ(), "ISOLATE_TEST_SERVICE=1")
	out, err := svc.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		svc.Process.Kill()
		svc.Wait()
		t.Fatalf("service said %q (%v)", line, err)
	}
	svc.Process.Kill()
	svc.Wait()
	for range 1000 {
		if !alive(pid) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	kill(pid)
	t.Fatalf("host %d still running after its service was killed", pid)
}

// alive reports whether process pid exists and is no zombie (Linux).
// kill ends process pid at once, as SIGKILL does on Unix.
func kill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// TestCloseDuringHostStart: Close while a host process is starting (slowly,
// here) waits for that start to end and leaves no process behind; the call
// waiting for the host fails with a code.
func TestCloseDuringHostStart(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var slow atomic.Bool
	c, _ := newClient(t, isolate.Config{MinBackoff: time.Millisecond, Command: func() *exec.Cmd {
		if slow.Load() {
			return exec.Command("/bin/sh", "-c", `sleep 0.3; exec "$0"`, exe)
		}
		return exec.Command(exe)
	}})
	ctx := context.Background()
	first, err := execute(t, c, ctx, "echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	slow.Store(true)
	crash(t, c)
	waitReaped(t, first.Metadata["pid"])
	waiting := make(chan error, 1)
	go func() {
		_, err := c.New(ctx, "echo")
		waiting <- err
	}()
	for len(children(t)) == 0 { // the new host's shell has started
		time.Sleep(time.Millisecond)
	}
	within(t, "Close during a start", func() { c.Close() })
	if err := <-waiting; code(err) != registry.HostFailed {
		t.Errorf("New waiting for the start: %v", err)
	}
}
