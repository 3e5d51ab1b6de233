package registry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/handlergen/handlergen/registry"
)

// auditLog is a slog JSON handler writing to a buffer, and the records it
// wrote, decoded.
type auditLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *auditLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *auditLog) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: level}))
}

// wait returns the records once there are at least n, failing after a
// generous bound. A late panic of an abandoned call is logged on the
// handler's goroutine: a test that counted goroutines to know it was
// logged could be misled by a goroutine of an earlier test (a subtest's,
// say) that was still ending when it counted.
func (l *auditLog) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	for start := time.Now(); ; time.Sleep(time.Millisecond) {
		if recs := l.records(t); len(recs) >= n || time.Since(start) > 10*time.Second {
			return recs
		}
	}
}

func (l *auditLog) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(l.buf.Bytes()))
	for dec.More() {
		var rec map[string]any
		if err := dec.Decode(&rec); err != nil {
			t.Fatal(err)
		}
		delete(rec, "time")
		out = append(out, rec)
	}
	return out
}

var errBoom = errors.New("boom")

func auditedEntries() []registry.Entry[registry.Handler] {
	es := stubEntries("audited", "broken", "plain")
	es[0].AuditLogging = true
	es[0].Class = "example.com/app/handlers.Audited"
	es[0].Contract = "handlers/audited/handler_contract.yaml"
	es[0].Digest = "d1"
	es[1].AuditLogging = true
	es[1].Contract = "handlers/broken/contract.yaml"
	es[1].Digest = "d2"
	es[1].New = func(context.Context) (registry.Handler, error) { return nil, errBoom }
	return es
}

func TestAudit(t *testing.T) {
	var log auditLog
	base := registry.New(auditedEntries())
	a := registry.Wrap(base, registry.WithLogger(log.logger(slog.LevelInfo)))
	id := uuid.MustParse("6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5")
	ctx := registry.WithCorrelationID(context.Background(), id)

	if h, err := a.New(ctx, "audited"); err != nil || h.Describe().Name != "audited" {
		t.Fatalf("New(audited) = %v, %v", h, err)
	}
	if _, err := a.New(ctx, "plain"); err != nil {
		t.Fatal(err)
	}
	_, errBroken := a.New(ctx, "broken")
	if !errors.Is(errBroken, errBoom) || !errors.Is(errBroken, registry.ErrConstructorFailed) {
		t.Fatalf("New(broken) error %v", errBroken)
	}
	_, errUnknown := a.New(context.Background(), "audtied")
	var re *registry.Error
	if !errors.As(errUnknown, &re) || re.Code != registry.HandlerNotFound {
		t.Fatalf("New(audtied) error %v", errUnknown)
	}

	want := []map[string]any{
		{
			"level": "INFO", "msg": "handler instantiated",
			"correlation_id": id.String(), "handler_name": "audited", "handler_class": "example.com/app/handlers.Audited",
			"contract": "handlers/audited/handler_contract.yaml", "digest": "d1",
		},
		{
			"level": "WARN", "msg": "handler instantiation failed",
			"code": "HANDLER_LOADER_051", "correlation_id": id.String(), "handler_name": "broken",
			"handler_class": "example.com/handlers.broken", "contract": "handlers/broken/contract.yaml", "digest": "d2",
			"error": errBroken.Error(),
		},
		{
			"level": "WARN", "msg": "handler instantiation failed",
			"code": "HANDLER_LOADER_050", "correlation_id": re.CorrelationID.String(), "handler_name": "audtied",
			"error": errUnknown.Error(),
		},
	}
	got := log.records(t)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(got), len(want), log.buf.String())
	}
	for i := range want {
		if !equalRecords(got[i], want[i]) {
			t.Errorf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	if !strings.Contains(errUnknown.Error(), `did you mean "audited"`) {
		t.Errorf("unknown-name error lost its suggestion: %v", errUnknown)
	}
}

func equalRecords(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAuditCorrelationID checks that an audited instance without a
// correlation ID in its context is logged with a fresh UUIDv4.
func TestAuditCorrelationID(t *testing.T) {
	var log auditLog
	a := registry.Wrap(registry.New(auditedEntries()), registry.WithLogger(log.logger(slog.LevelInfo)))
	var noCtx context.Context // nil is allowed, as for Registry.New
	if _, err := a.New(noCtx, "audited"); err != nil {
		t.Fatal(err)
	}
	recs := log.records(t)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	id, err := uuid.Parse(recs[0]["correlation_id"].(string))
	if err != nil || id.Version() != 4 {
		t.Errorf("correlation_id %v (%v), want a UUIDv4", recs[0]["correlation_id"], err)
	}
}

func TestAuditLevels(t *testing.T) {
	var log auditLog
	a := registry.Wrap(registry.New(auditedEntries()), registry.WithLogger(log.logger(slog.LevelError)))
	a.New(context.Background(), "audited")
	a.New(context.Background(), "broken")
	a.New(context.Background(), "missing")
	if log.buf.Len() != 0 {
		t.Errorf("records below the logger's level:\n%s", log.buf.String())
	}
	log.buf.Reset()
	a = registry.Wrap(registry.New(auditedEntries()), registry.WithLogger(log.logger(slog.LevelWarn)))
	a.New(context.Background(), "audited")
	a.New(context.Background(), "missing")
	if recs := log.records(t); len(recs) != 1 || recs[0]["level"] != "WARN" {
		t.Errorf("at Warn: %v", recs)
	}
}

func TestAuditDefaultLogger(t *testing.T) {
	var log auditLog
	old := slog.Default()
	slog.SetDefault(log.logger(slog.LevelInfo))
	defer slog.SetDefault(old)
	a := registry.Wrap(registry.New(auditedEntries()), registry.WithLogger(nil))
	a.New(context.Background(), "audited")
	if recs := log.records(t); len(recs) != 1 || recs[0]["msg"] != "handler instantiated" {
		t.Errorf("default logger: %v", recs)
	}
}

// TestWrapDelegates checks that a wrapped registry answers as its
// registry does, and that a wrapped nil registry is empty and still logs.
func TestWrapDelegates(t *testing.T) {
	r := registry.New(auditedEntries())
	a := registry.Wrap(r, registry.WithLogger(slog.New(slog.DiscardHandler)), registry.WithContainment())
	if a.Len() != 3 || !slices.Equal(a.Names(), r.Names()) || len(a.Entries()) != 3 ||
		len(a.Describe().Handlers) != 3 {
		t.Errorf("wrapped registry differs from its registry")
	}
	if e, ok := a.Lookup("plain"); !ok || e.Name != "plain" {
		t.Errorf("Lookup(plain) = %+v, %v", e, ok)
	} else if re, _ := r.Lookup("plain"); re != e {
		t.Errorf("Lookup(plain) is not the registry's own entry")
	}
	if ja, _ := json.Marshal(a); !bytes.Equal(ja, must(json.Marshal(r))) {
		t.Errorf("wrapped registry as JSON: %s", ja)
	}
	var sink *registry.Entry[registry.Handler]
	for _, name := range []string{"audited", "nope"} {
		if n := testing.AllocsPerRun(1000, func() { sink, _ = a.Lookup(name) }); n != 0 {
			t.Errorf("wrapped Lookup(%q) allocates %v times", name, n)
		}
		if n := testing.AllocsPerRun(1000, func() { sink, _ = r.Lookup(name) }); n != 0 {
			t.Errorf("Registry.Lookup(%q) allocates %v times", name, n)
		}
	}
	_ = sink
	if h, err := r.New(context.Background(), "plain"); err != nil || h.Describe().Name != "plain" {
		t.Errorf("the registry changed: %v, %v", h, err)
	} else if h2, _ := a.New(context.Background(), "plain"); h2 == h || h2 == nil {
		t.Errorf("wrapped New = %v", h2)
	}

	var log auditLog
	old := slog.Default()
	slog.SetDefault(log.logger(slog.LevelInfo))
	defer slog.SetDefault(old)
	nilA := registry.Wrap[registry.Handler](nil, registry.WithLogger(nil))
	if nilA.Len() != 0 || len(nilA.Names()) != 0 || len(nilA.Entries()) != 0 {
		t.Error("wrapped nil registry is not empty")
	}
	if _, ok := nilA.Lookup("x"); ok {
		t.Error("wrapped nil registry found x")
	}
	if _, err := nilA.New(context.Background(), "x"); !errors.Is(err, registry.ErrHandlerNotFound) {
		t.Errorf("wrapped nil registry New: %v", err)
	}
	if b, err := json.Marshal(nilA); err != nil || string(b) != `{"handlers":[]}` {
		t.Errorf("wrapped nil registry as JSON: %s, %v", b, err)
	}
	if recs := log.records(t); len(recs) != 1 || recs[0]["code"] != "HANDLER_LOADER_050" {
		t.Errorf("wrapped nil registry log: %v", recs)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestWrapWrapped: Wrap of a wrapped registry keeps its options and adds
// the new ones; containment of another interface panics at Wrap.
func TestWrapWrapped(t *testing.T) {
	var log auditLog
	r := registry.New(auditedEntries())
	a := registry.Wrap(registry.Wrap(r, registry.WithLogger(log.logger(slog.LevelInfo))), registry.WithContainment())
	h, err := a.New(context.Background(), "audited")
	if err != nil {
		t.Fatal(err)
	}
	if registry.Contain(h, nil) != h {
		t.Errorf("New did not return a contained handler")
	}
	if recs := log.records(t); len(recs) != 1 || recs[0]["msg"] != "handler instantiated" {
		t.Errorf("records: %v", recs)
	}
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "WithContainment") {
			t.Errorf("Wrap of a Registry[any] with containment: recovered %v", p)
		}
	}()
	registry.Wrap(registry.New[any](nil), registry.WithContainment())
}

// TestAuditConcurrent runs audited instantiation from many goroutines, for
// the race detector.
func TestAuditConcurrent(t *testing.T) {
	var log auditLog
	a := registry.Wrap(registry.New(auditedEntries()), registry.WithLogger(log.logger(slog.LevelInfo)))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				a.New(context.Background(), "audited")
				a.New(context.Background(), "missing")
			}
		})
	}
	wg.Wait()
	if n := len(log.records(t)); n != 8*50*2 {
		t.Errorf("%d records, want %d", n, 8*50*2)
	}
}

// TestAuditConstructorPanic: a constructor's panic is logged as a failure
// with its code and the stack of the panic; a constructor's own error is
// logged without a stack.
func TestAuditConstructorPanic(t *testing.T) {
	var log auditLog
	es := auditedEntries()
	es[2].New = func(context.Context) (registry.Handler, error) { panic("boom") }
	a := registry.Wrap(registry.New(es), registry.WithLogger(log.logger(slog.LevelInfo)))
	_, err := a.New(context.Background(), "plain")
	if !errors.Is(err, registry.ErrHandlerPanicked) {
		t.Fatalf("New(plain): %v", err)
	}
	a.New(context.Background(), "broken")
	recs := log.records(t)
	if len(recs) != 2 {
		t.Fatalf("%d records:\n%s", len(recs), log.buf.String())
	}
	stack, _ := recs[0]["stack"].(string)
	if recs[0]["code"] != "HANDLER_LOADER_052" || recs[0]["error"] != err.Error() ||
		!strings.Contains(stack, "wrap_test.go") || !strings.Contains(stack, "panic") {
		t.Errorf("panic record %v", recs[0])
	}
	if _, ok := recs[1]["stack"]; ok || recs[1]["code"] != "HANDLER_LOADER_051" {
		t.Errorf("error record %v", recs[1])
	}
}
