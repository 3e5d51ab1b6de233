package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

// probe is a handler whose every method first runs act (which may panic,
// block or do nothing) and then returns fixed results and err.
type probe struct {
	act   func(ctx context.Context)
	err   error
	calls atomic.Int32
}

func (p *probe) enter(ctx context.Context) {
	p.calls.Add(1)
	if p.act != nil {
		p.act(ctx)
	}
}

var errBadConfig = errors.New("config not passed through")

func (p *probe) HandlerType() registry.Type { p.enter(context.Background()); return registry.Compute }
func (p *probe) Initialize(ctx context.Context, config map[string]any) error {
	p.enter(ctx)
	if config["k"] != 1 {
		return errBadConfig
	}
	return p.err
}
func (p *probe) Shutdown(ctx context.Context) error { p.enter(ctx); return p.err }
func (p *probe) Execute(ctx context.Context, req registry.Request) (registry.Response, error) {
	p.enter(ctx)
	return registry.Response{Payload: req.Payload, Metadata: map[string]string{"op": req.Operation}}, p.err
}
func (p *probe) Describe() registry.Descriptor {
	p.enter(context.Background())
	return registry.Descriptor{Name: "self", Type: registry.Compute, Description: "from the handler"}
}

// healthProbe is a probe that is also a HealthChecker.
type healthProbe struct{ *probe }

func (p healthProbe) HealthCheck(ctx context.Context) (registry.Health, error) {
	p.enter(ctx)
	return registry.Health{Healthy: true, Detail: "ok"}, p.err
}

// method is one context-taking method of a contained handler: how to call
// it, what the probe returns from it, and the zero result of a failed call.
type method struct {
	name       string
	call       func(h registry.Handler, ctx context.Context) (any, error)
	want, zero any
}

var ctxMethods = []method{
	{"Initialize", func(h registry.Handler, ctx context.Context) (any, error) {
		return nil, h.Initialize(ctx, map[string]any{"k": 1})
	}, nil, nil},
	{"Execute", func(h registry.Handler, ctx context.Context) (any, error) {
		return h.Execute(ctx, registry.Request{Operation: "op", Payload: "in"})
	}, registry.Response{Payload: "in", Metadata: map[string]string{"op": "op"}}, registry.Response{}},
	{"Shutdown", func(h registry.Handler, ctx context.Context) (any, error) {
		return nil, h.Shutdown(ctx)
	}, nil, nil},
	{"HealthCheck", func(h registry.Handler, ctx context.Context) (any, error) {
		hc, ok := h.(registry.HealthChecker)
		if !ok {
			return nil, errors.New("not a HealthChecker")
		}
		return hc.HealthCheck(ctx)
	}, registry.Health{Healthy: true, Detail: "ok"}, registry.Health{}},
}

// panics are the kinds of value a handler can panic with, and how to
// recognise each in a *PanicError.
var panics = []struct {
	name  string
	panic func()
	check func(v any) bool
}{
	{"string", func() { panic("boom") }, func(v any) bool { return v == "boom" }},
	{"error", func() { panic(errBoom) }, func(v any) bool { return v == errBoom }},
	{"runtime", func() { writeNilMap(nil) }, func(v any) bool { _, ok := v.(runtime.Error); return ok }},
	{"nil", func() { panic(nil) }, func(v any) bool { _, ok := v.(*runtime.PanicNilError); return ok }},
	// A deferred function of the handler panics while it panics: recover
	// sees the last panic.
	{"nested", func() {
		defer func() { panic("second") }()
		panic("first")
	}, func(v any) bool { return v == "second" }},
	// A deferred function recovers and panics again with what it recovered.
	{"repanic", func() {
		defer func() { panic(recover()) }()
		panic("again")
	}, func(v any) bool { return v == "again" }},
}

var probeID = uuid.MustParse("00000000-0000-4000-8000-0000000000c0")

func probeEntry() *registry.Entry[registry.Handler] {
	return &registry.Entry[registry.Handler]{
		Name: "p", Class: "example.com/handlers.Probe", Type: registry.Effect,
		Version: registry.Version{Major: 1, Minor: 2, Patch: 3}, Tags: []string{"a", "b"},
		Contract: "handlers/p/contract.yaml",
	}
}

// ctxKinds are the contexts a contained call runs under: one that cannot
// end (the call stays on the caller's goroutine), one that can (the call
// gets its own), and nil (taken as context.Background()).
var ctxKinds = []struct {
	name string
	make func() (context.Context, context.CancelFunc)
}{
	{"background", func() (context.Context, context.CancelFunc) {
		return registry.WithCorrelationID(context.Background(), probeID), func() {}
	}},
	{"cancellable", func() (context.Context, context.CancelFunc) {
		return context.WithCancel(registry.WithCorrelationID(context.Background(), probeID))
	}},
	{"nil", func() (context.Context, context.CancelFunc) { return nil, func() {} }},
}

// wantContained checks err is the coded error of a contained call.
func wantContained(t *testing.T, err error, code registry.Code, op, name string, id uuid.UUID) *registry.Error {
	t.Helper()
	var re *registry.Error
	if !errors.As(err, &re) || re.Code != code {
		t.Fatalf("error %v, want code %v", err, code)
	}
	if re.Op != op || re.Name != name || (name != "" && re.Contract != "handlers/p/contract.yaml") {
		t.Errorf("error %+v, want Op %s, Name %q", re, op, name)
	}
	if id != uuid.Nil && re.CorrelationID != id || id == uuid.Nil && re.CorrelationID.Version() != 4 {
		t.Errorf("correlation ID %v, want %v (or a UUIDv4 if nil)", re.CorrelationID, id)
	}
	return re
}

func TestContainPanics(t *testing.T) {
	for _, m := range ctxMethods {
		for _, pk := range panics {
			for _, ck := range ctxKinds {
				t.Run(m.name+"/"+pk.name+"/"+ck.name, func(t *testing.T) {
					ctx, cancel := ck.make()
					defer cancel()
					h := registry.Contain(healthProbe{&probe{act: func(context.Context) { pk.panic() }}}, probeEntry())
					got, err := m.call(h, ctx)
					id := probeID
					if ctx == nil {
						id = uuid.Nil
					}
					wantContained(t, err, registry.HandlerPanicked, m.name, "p", id)
					if !reflect.DeepEqual(got, m.zero) {
						t.Errorf("result %#v, want %#v", got, m.zero)
					}
					var pe *registry.PanicError
					if !errors.As(err, &pe) || !pk.check(pe.Value) || !strings.Contains(string(pe.Stack), "contain_test.go") {
						t.Errorf("panic %#v", pe)
					}
					if want := `HANDLER_LOADER_052: handler "p" panicked in ` + m.name + `: panic: `; !strings.HasPrefix(err.Error(), want) {
						t.Errorf("message %q, want prefix %q", err, want)
					}
				})
			}
		}
	}
}

// TestContainPassthrough: what a handler returns, results and errors, comes
// back unchanged, on either path.
func TestContainPassthrough(t *testing.T) {
	errOwn := &registry.Error{Code: registry.HandlerPanicked} // the handler's own, not taken for a panic
	for _, m := range ctxMethods {
		for _, ck := range ctxKinds {
			for _, herr := range []error{nil, errBoom, errOwn} {
				t.Run(m.name+"/"+ck.name+"/"+errName(herr), func(t *testing.T) {
					ctx, cancel := ck.make()
					defer cancel()
					p := &probe{err: herr}
					got, err := m.call(registry.Contain(healthProbe{p}, probeEntry()), ctx)
					if err != herr || !reflect.DeepEqual(got, m.want) || p.calls.Load() != 1 {
						t.Errorf("= %#v, %v (%d calls), want %#v, %v", got, err, p.calls.Load(), m.want, herr)
					}
				})
			}
		}
	}
	// Describe and HandlerType answer as the handler does.
	h := registry.Contain(&probe{}, probeEntry())
	if d := h.Describe(); d.Name != "self" || d.Description != "from the handler" {
		t.Errorf("Describe = %+v", d)
	}
	if ty := h.HandlerType(); ty != registry.Compute {
		t.Errorf("HandlerType = %v", ty)
	}
}

func errName(err error) string {
	if err == nil {
		return "nil"
	}
	return strings.ReplaceAll(err.Error(), " ", "_")
}

// TestContainDescribePanics: Describe and HandlerType have no error to
// return; a panic in them gives the entry's values, or zero values without
// an entry.
func TestContainDescribePanics(t *testing.T) {
	for _, pk := range panics {
		for _, withEntry := range []bool{true, false} {
			t.Run(pk.name+"/entry="+map[bool]string{true: "yes", false: "nil"}[withEntry], func(t *testing.T) {
				var e *registry.Entry[registry.Handler]
				wantD, wantT := registry.Descriptor{}, registry.Type(0)
				if withEntry {
					e = probeEntry()
					wantD = registry.Descriptor{Name: "p", Type: registry.Effect, Version: e.Version, Tags: []string{"a", "b"}}
					wantT = registry.Effect
				}
				h := registry.Contain(&probe{act: func(context.Context) { pk.panic() }}, e)
				if d := h.Describe(); !reflect.DeepEqual(d, wantD) {
					t.Errorf("Describe = %+v, want %+v", d, wantD)
				}
				if ty := h.HandlerType(); ty != wantT {
					t.Errorf("HandlerType = %v, want %v", ty, wantT)
				}
			})
		}
	}
	// The tags returned are a copy: the entry's are shared.
	e := probeEntry()
	d := registry.Contain(&probe{act: func(context.Context) { panic("x") }}, e).Describe()
	d.Tags[0] = "changed"
	if e.Tags[0] != "a" {
		t.Error("Describe's fallback shares the entry's tags")
	}
}

// TestContainAbandoned: a handler that ignores its context does not hold
// its caller once the context ends, by deadline or cancellation; the call
// goes on until the handler returns, and its goroutine then ends.
func TestContainAbandoned(t *testing.T) {
	for _, m := range ctxMethods {
		for _, how := range []string{"deadline", "cancel", "done-before"} {
			t.Run(m.name+"/"+how, func(t *testing.T) {
				before := runtime.NumGoroutine()
				started, release := make(chan struct{}, 1), make(chan struct{})
				p := &probe{act: func(context.Context) { started <- struct{}{}; <-release }}
				h := registry.Contain(healthProbe{p}, probeEntry())
				base := registry.WithCorrelationID(context.Background(), probeID)
				var (
					ctx    context.Context
					cancel context.CancelFunc
					want   error
				)
				switch how {
				case "deadline":
					ctx, cancel = context.WithTimeout(base, 20*time.Millisecond)
					want = context.DeadlineExceeded
				case "cancel":
					ctx, cancel = context.WithCancel(base)
					go func() { <-started; cancel() }()
					want = context.Canceled
				case "done-before":
					ctx, cancel = context.WithCancel(base)
					cancel()
					want = context.Canceled
				}
				defer cancel()
				got, err := m.call(h, ctx)
				re := wantContained(t, err, registry.CallAbandoned, m.name, "p", probeID)
				if !errors.Is(err, want) || !errors.Is(err, registry.ErrCallAbandoned) || re.Err != want {
					t.Errorf("error %v, want it to wrap %v", err, want)
				}
				if !reflect.DeepEqual(got, m.zero) {
					t.Errorf("result %#v, want %#v", got, m.zero)
				}
				if msg := `HANDLER_LOADER_053: handler "p" abandoned in ` + m.name + `: ` + want.Error(); !strings.HasPrefix(err.Error(), msg) {
					t.Errorf("message %q, want prefix %q", err, msg)
				}
				close(release) // the abandoned call returns; its goroutine ends
				settle(t, before)
				if how == "done-before" && p.calls.Load() != 0 {
					t.Errorf("a call whose context was already done reached the handler")
				}
				if how == "cancel" && p.calls.Load() != 1 {
					t.Errorf("%d calls, want 1", p.calls.Load())
				}
			})
		}
	}
}

// TestContainAbandonedThenPanics: an abandoned call whose handler panics
// later does not crash the process; a contained registry logs the panic.
func TestContainAbandonedThenPanics(t *testing.T) {
	var log auditLog
	before := runtime.NumGoroutine()
	started, release := make(chan struct{}, 1), make(chan struct{})
	r := registry.New([]registry.Entry[registry.Handler]{{
		Name: "p", Class: "example.com/handlers.Probe", Contract: "handlers/p/contract.yaml",
		New: func(context.Context) (registry.Handler, error) {
			return &probe{act: func(context.Context) { started <- struct{}{}; <-release; panic("late") }}, nil
		},
	}})
	c := containedRegistry(r, log.logger(slog.LevelInfo))
	// No correlation ID in ctx: the late panic is logged with the one the
	// abandoned call's error got.
	ctx, cancel := context.WithCancel(context.Background())
	h, err := c.New(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	go func() { <-started; cancel() }()
	_, err = h.Execute(ctx, registry.Request{})
	re := wantContained(t, err, registry.CallAbandoned, "Execute", "p", uuid.Nil)
	close(release)
	recs := log.wait(t, 2)
	settle(t, before)
	if len(recs) != 2 {
		t.Fatalf("%d records:\n%s", len(recs), log.buf.String())
	}
	id := re.CorrelationID.String()
	if recs[0]["msg"] != "handler call abandoned" || recs[1]["msg"] != "handler panicked" ||
		recs[1]["method"] != "Execute" || !strings.Contains(recs[1]["error"].(string), "panic: late") ||
		recs[0]["correlation_id"] != id || recs[1]["correlation_id"] != id {
		t.Errorf("records %v, want correlation_id %s", recs, id)
	}
	// Abandoned calls that panic without a logger are recovered all the same.
	started, release = make(chan struct{}, 1), make(chan struct{})
	ctx, cancel = context.WithCancel(context.Background())
	h = registry.Contain(&probe{act: func(context.Context) { started <- struct{}{}; <-release; panic("late") }}, nil)
	go func() { <-started; cancel() }()
	if err := h.Shutdown(ctx); !errors.Is(err, registry.ErrCallAbandoned) {
		t.Fatalf("Shutdown: %v", err)
	}
	close(release)
	settle(t, before)
}

// TestContainGoexit: a handler that calls runtime.Goexit on its own
// goroutine neither returns nor panics with a value; the caller gets
// HandlerPanicked rather than zero results that look like success.
func TestContainGoexit(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := registry.Contain(&probe{act: func(context.Context) { runtime.Goexit() }}, probeEntry())
	_, err := h.Execute(ctx, registry.Request{})
	if !errors.Is(err, registry.ErrHandlerPanicked) || !strings.Contains(err.Error(), "Goexit") {
		t.Errorf("Execute: %v", err)
	}
}

// TestContainNoLeak: calls that return leave no goroutine behind, on either
// path, whether they return, fail or panic.
func TestContainNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := range 300 {
		var act func(context.Context)
		if i%3 == 0 {
			act = func(context.Context) { panic(i) }
		}
		h := registry.Contain(healthProbe{&probe{act: act, err: map[bool]error{true: errBoom}[i%2 == 0]}}, probeEntry())
		for _, m := range ctxMethods {
			m.call(h, ctx)
			m.call(h, context.Background())
		}
	}
	settle(t, before)
}

// settle waits until no more than want goroutines run, failing after a
// generous bound: a goroutine of a call that returned must end.
func settle(t *testing.T, want int) {
	t.Helper()
	for start := time.Now(); runtime.NumGoroutine() > want; {
		if time.Since(start) > 10*time.Second {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, want %d:\n%s", runtime.NumGoroutine(), want, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// TestContainInlineAllocs: under a context that cannot end, containment
// allocates nothing more than the direct call.
func TestContainInlineAllocs(t *testing.T) {
	direct := &stub{name: "s"}
	h := registry.Contain(direct, nil)
	ctx := context.Background()
	req := registry.Request{Operation: "op"}
	var sink registry.Response
	d := testing.AllocsPerRun(1000, func() { sink, _ = direct.Execute(ctx, req) })
	c := testing.AllocsPerRun(1000, func() { sink, _ = h.Execute(ctx, req) })
	if c != d {
		t.Errorf("contained Execute allocates %v times, direct %v", c, d)
	}
	if n := testing.AllocsPerRun(1000, func() { _ = h.Shutdown(ctx) }); n != 0 {
		t.Errorf("contained Shutdown allocates %v times", n)
	}
	_ = sink
}

func TestContainHealthCheckerBothWays(t *testing.T) {
	if _, ok := registry.Contain(&probe{}, nil).(registry.HealthChecker); ok {
		t.Error("a handler without HealthCheck became a HealthChecker")
	}
	hc, ok := registry.Contain(healthProbe{&probe{}}, nil).(registry.HealthChecker)
	if !ok {
		t.Fatal("a HealthChecker lost HealthCheck")
	}
	if got, err := hc.HealthCheck(context.Background()); err != nil || !got.Healthy {
		t.Errorf("HealthCheck = %v, %v", got, err)
	}
}

// TestContainNilAndTwice: Contain(nil) is nil, a contained handler is not
// wrapped again (its errors are not nested), and without an entry errors
// name no handler.
func TestContainNilAndTwice(t *testing.T) {
	if h := registry.Contain(nil, probeEntry()); h != nil {
		t.Errorf("Contain(nil) = %v", h)
	}
	for _, inner := range []registry.Handler{&probe{}, healthProbe{&probe{}}} {
		once := registry.Contain(inner, probeEntry())
		if twice := registry.Contain(once, nil); twice != once {
			t.Errorf("Contain of a contained %T wrapped it again", inner)
		}
	}
	h := registry.Contain(registry.Contain(&probe{act: func(context.Context) { panic("boom") }}, nil), probeEntry())
	_, err := h.Execute(context.Background(), registry.Request{})
	re := wantContained(t, err, registry.HandlerPanicked, "Execute", "", uuid.Nil)
	if _, ok := re.Err.(*registry.PanicError); !ok {
		t.Errorf("cause %T, want the *PanicError itself", re.Err)
	}
	if want := "HANDLER_LOADER_052: handler panicked in Execute: panic: boom [correlation_id="; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message %q, want prefix %q", err, want)
	}
}

// containedEntries: "ok" makes probes that panic in Execute, "ctor" panics
// in its constructor, "slow" ignores its context until released.
func containedEntries(release chan struct{}) []registry.Entry[registry.Handler] {
	e := probeEntry()
	ok := *e
	ok.Name, ok.AuditLogging, ok.Digest = "ok", true, "d1"
	ok.New = func(context.Context) (registry.Handler, error) {
		return healthProbe{&probe{act: func(context.Context) { panic("in execute") }}}, nil
	}
	ctor := *e
	ctor.Name, ctor.Digest = "ctor", "d2"
	ctor.New = func(context.Context) (registry.Handler, error) { panic("in constructor") }
	slow := *e
	slow.Name = "slow"
	slow.New = func(context.Context) (registry.Handler, error) {
		return &probe{act: func(context.Context) { <-release }}, nil
	}
	return []registry.Entry[registry.Handler]{ctor, ok, slow}
}

func TestContainedLogs(t *testing.T) {
	var log auditLog
	release := make(chan struct{})
	defer close(release)
	c := containedRegistry(registry.New(containedEntries(release)), log.logger(slog.LevelInfo))
	ctx := registry.WithCorrelationID(context.Background(), probeID)

	_, errCtor := c.New(ctx, "ctor")
	wantContained(t, errCtor, registry.HandlerPanicked, "New", "ctor", probeID)
	h, err := c.New(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := h.(registry.HealthChecker); !ok {
		t.Error("contained New lost HealthCheck")
	}
	_, errExec := h.Execute(ctx, registry.Request{})
	wantContained(t, errExec, registry.HandlerPanicked, "Execute", "ok", probeID)
	slow, err := c.New(ctx, "slow")
	if err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	errSlow := slow.Shutdown(dctx)
	wantContained(t, errSlow, registry.CallAbandoned, "Shutdown", "slow", probeID)

	recs := log.records(t)
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4:\n%s", len(recs), log.buf.String())
	}
	stack := func(i int) string { s, _ := recs[i]["stack"].(string); delete(recs[i], "stack"); return s }
	if s := stack(0); !strings.Contains(s, "contain_test.go") {
		t.Errorf("constructor panic's stack %q", s)
	}
	if s := stack(2); !strings.Contains(s, "contain_test.go") {
		t.Errorf("Execute panic's stack %q", s)
	}
	want := []map[string]any{
		{
			"level": "WARN", "msg": "handler instantiation failed",
			"code": "HANDLER_LOADER_052", "correlation_id": probeID.String(), "handler_name": "ctor",
			"handler_class": "example.com/handlers.Probe", "contract": "handlers/p/contract.yaml", "digest": "d2",
			"error": errCtor.Error(),
		},
		{
			"level": "INFO", "msg": "handler instantiated",
			"correlation_id": probeID.String(), "handler_name": "ok", "handler_class": "example.com/handlers.Probe",
			"contract": "handlers/p/contract.yaml", "digest": "d1",
		},
		{
			"level": "WARN", "msg": "handler panicked",
			"code": "HANDLER_LOADER_052", "correlation_id": probeID.String(), "handler_name": "ok",
			"handler_class": "example.com/handlers.Probe", "contract": "handlers/p/contract.yaml",
			"method": "Execute", "error": errExec.Error(),
		},
		{
			"level": "WARN", "msg": "handler call abandoned",
			"code": "HANDLER_LOADER_053", "correlation_id": probeID.String(), "handler_name": "slow",
			"handler_class": "example.com/handlers.Probe", "contract": "handlers/p/contract.yaml",
			"method": "Shutdown", "error": errSlow.Error(),
		},
	}
	for i := range want {
		if !equalRecords(recs[i], want[i]) {
			t.Errorf("record %d:\n got %v\nwant %v", i, recs[i], want[i])
		}
	}

	// A panic in Describe is logged too, with the background context.
	log.buf.Reset()
	d := containedRegistry(registry.New([]registry.Entry[registry.Handler]{{
		Name: "d", New: func(context.Context) (registry.Handler, error) {
			return &probe{act: func(context.Context) { panic("in describe") }}, nil
		}}}), log.logger(slog.LevelInfo))
	dh, err := d.New(context.Background(), "d")
	if err != nil {
		t.Fatal(err)
	}
	// New calls nothing but the constructor; Describe then panics.
	if got := dh.Describe(); got.Name != "d" {
		t.Errorf("Describe = %+v", got)
	}
	if got := dh.HandlerType(); got != 0 {
		t.Errorf("HandlerType = %v", got)
	}
	recs = log.records(t)
	if len(recs) != 2 || recs[0]["method"] != "Describe" || recs[1]["method"] != "HandlerType" {
		t.Fatalf("Describe and HandlerType panic records %v", recs)
	}
	for _, rec := range recs {
		if rec["code"] != "HANDLER_LOADER_052" || rec["handler_name"] != "d" || !strings.Contains(rec["stack"].(string), "contain_test.go") {
			t.Errorf("record %v", rec)
		}
	}
}

// TestContainedNilLogger: without a logger nothing is logged, not even to
// slog.Default (which WithLogger(nil) would use).
func TestContainedNilLogger(t *testing.T) {
	var log auditLog
	old := slog.Default()
	slog.SetDefault(log.logger(slog.LevelInfo))
	defer slog.SetDefault(old)
	release := make(chan struct{})
	defer close(release)
	c := containedRegistry(registry.New(containedEntries(release)), nil)
	ctx := context.Background()
	if _, err := c.New(ctx, "ctor"); !errors.Is(err, registry.ErrHandlerPanicked) {
		t.Errorf("New(ctor): %v", err)
	}
	h, err := c.New(ctx, "ok")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Execute(ctx, registry.Request{}); !errors.Is(err, registry.ErrHandlerPanicked) {
		t.Errorf("Execute: %v", err)
	}
	if _, err := c.New(ctx, "nope"); !errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("New(nope): %v", err)
	}
	if log.buf.Len() != 0 {
		t.Errorf("logged without a logger:\n%s", log.buf.String())
	}
}

// TestContainedDelegates: a contained registry answers as its registry
// does.
func TestContainedDelegates(t *testing.T) {
	r := registry.New(auditedEntries())
	c := containedRegistry(r, nil)
	if c.Len() != 3 || !slices.Equal(c.Names(), r.Names()) || len(c.Entries()) != 3 ||
		!reflect.DeepEqual(c.Describe(), r.Describe()) {
		t.Errorf("contained view differs from its registry")
	}
	cj, err1 := json.Marshal(c)
	rj, err2 := json.Marshal(r)
	if err1 != nil || err2 != nil || string(cj) != string(rj) {
		t.Errorf("JSON differs: %s vs %s", cj, rj)
	}
	if e, ok := c.Lookup("plain"); !ok || e.Name != "plain" {
		t.Errorf("Lookup(plain) = %+v, %v", e, ok)
	}
	if n := testing.AllocsPerRun(1000, func() { sinkEntry, _ = c.Lookup("plain") }); n != 0 {
		t.Errorf("contained Lookup allocates %v times", n)
	}
	if _, err := c.New(context.Background(), "broken"); !errors.Is(err, errBoom) || !errors.Is(err, registry.ErrConstructorFailed) {
		t.Errorf("New(broken): %v", err)
	}
	h, err := c.New(context.Background(), "plain")
	if err != nil || h.Describe().Name != "plain" {
		t.Errorf("New(plain) = %v, %v", h, err)
	}
	if registry.Contain(h, nil) != h {
		t.Error("contained New did not return a contained handler")
	}

	// A constructor that returns no handler and no error: nothing to wrap.
	nr := containedRegistry(registry.New([]registry.Entry[registry.Handler]{{
		Name: "none", New: func(context.Context) (registry.Handler, error) { return nil, nil }}}), nil)
	if h, err := nr.New(context.Background(), "none"); h != nil || err != nil {
		t.Errorf("New(none) = %v, %v", h, err)
	}
}

// TestContainReturnAsContextEnds: a handler that returns, or panics, just
// as its context ends races the caller's wait. Whichever wins, the outcome
// is one of two and never both: the caller gets the handler's results (or
// its 052), or a 053 and, for a panic, a contained registry logs the late panic
// once. Run it with -race: the caller and the handler's goroutine share
// the pending call.
func TestContainReturnAsContextEnds(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(map[bool]string{false: "returns", true: "panics"}[panics], func(t *testing.T) {
			before := runtime.NumGoroutine()
			var log auditLog
			c := containedRegistry(registry.New([]registry.Entry[registry.Handler]{{
				Name: "p", New: func(ctx context.Context) (registry.Handler, error) {
					cancel := ctx.Value(cancelKey{}).(context.CancelFunc)
					return &probe{act: func(context.Context) {
						cancel()
						if panics {
							panic("as it ends")
						}
					}}, nil
				},
			}}), log.logger(slog.LevelInfo))
			var won, abandoned int
			for range 300 {
				ctx, cancel := context.WithCancel(context.Background())
				h, err := c.New(context.WithValue(ctx, cancelKey{}, cancel), "p")
				if err != nil {
					t.Fatal(err)
				}
				resp, err := h.Execute(ctx, registry.Request{Operation: "op", Payload: "in"})
				switch {
				case errors.Is(err, registry.ErrCallAbandoned):
					abandoned++
				case panics && errors.Is(err, registry.ErrHandlerPanicked):
					won++
				case !panics && err == nil && resp.Payload == "in":
					won++
				default:
					t.Fatalf("Execute = %v, %v", resp, err)
				}
			}
			var lateOrOwn, abandonedLogged int
			want := 0
			if panics {
				want = 300 // each panic, whichever way it went
			}
			for _, rec := range log.wait(t, abandoned+want) {
				switch rec["msg"] {
				case "handler panicked":
					lateOrOwn++
				case "handler call abandoned":
					abandonedLogged++
				}
			}
			if abandonedLogged != abandoned {
				t.Errorf("%d calls abandoned, %d logged", abandoned, abandonedLogged)
			}
			// Each panic is logged once: to the caller's record (won) or
			// late (abandoned).
			settle(t, before)
			if lateOrOwn != want {
				t.Errorf("%d panics logged, want %d (%d won, %d abandoned)", lateOrOwn, want, won, abandoned)
			}
			t.Logf("%d returned first, %d abandoned", won, abandoned)
		})
	}
}

type cancelKey struct{}

// TestContainNilContext: a nil context is context.Background() for
// contained New and wrapped New too.
func TestContainNilContext(t *testing.T) {
	var log auditLog
	r := registry.New(containedEntries(nil))
	//lint:ignore SA1012 a nil context is what is tested
	h, err := containedRegistry(r, log.logger(slog.LevelInfo)).New(nil, "ok")
	if err != nil || h == nil {
		t.Fatalf("contained New(nil ctx) = %v, %v", h, err)
	}
	//lint:ignore SA1012 a nil context is what is tested
	if _, err := containedRegistry(r, nil).New(nil, "ctor"); !errors.Is(err, registry.ErrHandlerPanicked) {
		t.Errorf("contained New(nil ctx, ctor): %v", err)
	}
	//lint:ignore SA1012 a nil context is what is tested
	if _, err := h.Execute(nil, registry.Request{}); !errors.Is(err, registry.ErrHandlerPanicked) {
		t.Errorf("Execute(nil ctx): %v", err)
	}
}

// TestContainGoexitInline: under a context that cannot end, the handler
// runs on the caller's goroutine, and runtime.Goexit there ends the
// caller's goroutine, as Contain's documentation says; nothing returns.
func TestContainGoexitInline(t *testing.T) {
	h := registry.Contain(&probe{act: func(context.Context) { runtime.Goexit() }}, probeEntry())
	returned, ended := false, make(chan struct{})
	go func() {
		defer close(ended)
		h.Execute(context.Background(), registry.Request{})
		returned = true
	}()
	<-ended
	if returned {
		t.Error("Execute returned after runtime.Goexit on the caller's goroutine")
	}
}
