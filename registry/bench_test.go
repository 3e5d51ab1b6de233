package registry_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/handlergen/handlergen/internal/phash"
	"github.com/handlergen/handlergen/registry"
)

// The benchmarks compare Registry with the usual alternatives for a registry
// of handlers keyed by name:
//
//   - registry: this package, a sorted slice found through a perfect hash;
//   - map: a hand-written map[string]func() H built at init;
//   - mutexmap: self-registration from init functions into an RWMutex-guarded
//     map, as database/sql drivers and Caddy modules do;
//   - reflect: map[string]reflect.Type and reflect.New, the closest Go gets to
//     the Python loader's importlib lookups.

var benchSizes = []int{10, 1000}

func benchNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("handler.%04d", i)
	}
	return names
}

// mutexRegistry is the database/sql / Caddy self-registration pattern.
type mutexRegistry struct {
	mu sync.RWMutex
	m  map[string]func() registry.Handler
}

func (r *mutexRegistry) Register(name string, f func() registry.Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[name]; dup {
		panic("duplicate " + name)
	}
	r.m[name] = f
}

func (r *mutexRegistry) Lookup(name string) (func() registry.Handler, bool) {
	r.mu.RLock()
	f, ok := r.m[name]
	r.mu.RUnlock()
	return f, ok
}

type benchSet struct {
	names    []string // registered names, sorted
	keys     []string // the same names in a fixed random order, to look up
	reg      *registry.Registry[registry.Handler]
	plain    map[string]func() registry.Handler
	mutex    *mutexRegistry
	reflects map[string]reflect.Type
}

func newBenchSet(n int) *benchSet {
	s := &benchSet{
		names:    benchNames(n),
		plain:    map[string]func() registry.Handler{},
		mutex:    &mutexRegistry{m: map[string]func() registry.Handler{}},
		reflects: map[string]reflect.Type{},
	}
	// As generated code does: the table is computed ahead (by handlergen).
	t, err := phash.Build(s.names)
	if err != nil {
		panic(err)
	}
	s.reg = registry.NewIndexed(stubEntries(s.names...), registry.Index{Seed: t.Seed, Pilots: t.Pilots, Slots: t.Slots})
	s.keys = slices.Clone(s.names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { s.keys[i], s.keys[j] = s.keys[j], s.keys[i] })
	ctor := func() registry.Handler { return &stub{} }
	for _, name := range s.names {
		s.plain[name] = ctor
		s.mutex.Register(name, ctor) // as each package's init() would
		s.reflects[name] = reflect.TypeFor[stub]()
	}
	return s
}

var (
	sinkBool    bool
	sinkHandler registry.Handler
	sinkEntry   *registry.Entry[registry.Handler]
	sinkCtor    func() registry.Handler
	sinkType    reflect.Type
)

// Each contender's loop is written out rather than shared through a func
// value, so that no indirect call is part of what is measured.
func BenchmarkLookup(b *testing.B) {
	for _, n := range benchSizes {
		s := newBenchSet(n)
		b.Run(fmt.Sprintf("n=%d/registry", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkEntry, sinkBool = s.reg.Lookup(s.keys[i%n])
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/map", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkCtor, sinkBool = s.plain[s.keys[i%n]]
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/mutexmap", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkCtor, sinkBool = s.mutex.Lookup(s.keys[i%n])
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/reflect", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sinkType, sinkBool = s.reflects[s.keys[i%n]]
				i++
			}
		})
	}
}

func BenchmarkNew(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		s := newBenchSet(n)
		b.Run(fmt.Sprintf("n=%d/registry", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				h, err := s.reg.New(ctx, s.keys[i%n])
				if err != nil {
					b.Fatal(err)
				}
				sinkHandler = h
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/map", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f, ok := s.plain[s.keys[i%n]]
				if !ok {
					b.Fatal("missing")
				}
				sinkHandler = f()
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/mutexmap", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				f, ok := s.mutex.Lookup(s.keys[i%n])
				if !ok {
					b.Fatal("missing")
				}
				sinkHandler = f()
				i++
			}
		})
		b.Run(fmt.Sprintf("n=%d/reflect", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				t, ok := s.reflects[s.keys[i%n]]
				if !ok {
					b.Fatal("missing")
				}
				sinkHandler = reflect.New(t).Interface().(registry.Handler)
				i++
			}
		})
	}
}

// BenchmarkNewUnknown measures the error path (suggestions, UUID).
func BenchmarkNewUnknown(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes {
		s := newBenchSet(n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := s.reg.New(ctx, "handler.x")
				if err == nil {
					b.Fatal("no error")
				}
			}
		})
	}
}

// BenchmarkReady measures what it costs to have a registry ready to use:
// NewIndexed is what generated code calls at package initialisation (the
// entries and the table are static data, so it is constant work); New
// checks the order (its registry searches by bisection); map fills the
// map[string]func() H that a hand-written map literal builds in init.
func BenchmarkReady(b *testing.B) {
	for _, n := range benchSizes {
		names := benchNames(n)
		entries := stubEntries(names...)
		t, err := phash.Build(names)
		if err != nil {
			b.Fatal(err)
		}
		ix := registry.Index{Seed: t.Seed, Pilots: t.Pilots, Slots: t.Slots}
		var sinkReg *registry.Registry[registry.Handler]
		b.Run(fmt.Sprintf("n=%d/NewIndexed", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkReg = registry.NewIndexed(entries, ix)
			}
		})
		b.Run(fmt.Sprintf("n=%d/New", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				sinkReg = registry.New(entries)
			}
		})
		ctor := func() registry.Handler { return &stub{} }
		b.Run(fmt.Sprintf("n=%d/map", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m := make(map[string]func() registry.Handler, n)
				for _, name := range names {
					m[name] = ctor
				}
				sinkMap = m
			}
		})
		if sinkReg != nil && sinkReg.Len() != n {
			b.Fatal("wrong size")
		}
	}
}

var sinkMap map[string]func() registry.Handler

// BenchmarkContain measures what containment costs (registry.Contain,
// Wrap with WithContainment) against the direct calls: Execute under a context that
// cannot end (the call stays on the caller's goroutine, under recover) and
// under a cancellable one (the call gets its own goroutine), and New.
func BenchmarkContain(b *testing.B) {
	req := registry.Request{Operation: "op", Payload: "in"}
	direct := registry.Handler(&stub{name: "s"})
	contained := registry.Contain(direct, nil)
	bg := context.Background()
	cctx, cancel := context.WithCancel(bg)
	defer cancel()
	var sinkResp registry.Response
	for _, c := range []struct {
		name string
		h    registry.Handler
		ctx  context.Context
	}{
		{"Execute/direct", direct, bg},
		{"Execute/contained", contained, bg},
		{"Execute/contained-cancellable", contained, cctx},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := c.h.Execute(c.ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				sinkResp = resp
			}
		})
	}
	_ = sinkResp
	s := newBenchSet(1000)
	cr := registry.Wrap(s.reg, registry.WithContainment())
	b.Run("New/registry", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			h, err := s.reg.New(bg, s.keys[i%1000])
			if err != nil {
				b.Fatal(err)
			}
			sinkHandler = h
			i++
		}
	})
	b.Run("New/contained", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			h, err := cr.New(bg, s.keys[i%1000])
			if err != nil {
				b.Fatal(err)
			}
			sinkHandler = h
			i++
		}
	})
}
