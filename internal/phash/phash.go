// Package phash is the perfect hash shared by the generator and the registry
// runtime. handlergen builds a Table over the handler names at generate time
// and emits it as static data; registry.Registry looks a name up with one
// hash, two array reads and one string comparison, with no map and nothing
// built when the program starts.
//
// The scheme is PTHash's "hash and displace": a 64-bit hash of the name picks
// a bucket (high bits) and a home slot (low bits); the bucket's pilot value,
// found by Build, is mixed into the home slot so that every name of every
// bucket lands on a slot of its own. Slots maps a slot to the index of the
// entry; the caller compares the name stored there, so a name that is not in
// the set is rejected by that one comparison.
//
// The hash function and the layout are part of the contract between a
// generated file and the registry package it is compiled with; both live in
// the same module, so they change together.
package phash

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
)

// Constants of the hash (wyhash's primes).
const (
	k0 = 0xa0761d6478bd642f
	k1 = 0xe7037ed1a0b428db
	k2 = 0x8ebc6af09c88c6e3
	// PilotMul spreads a pilot over the slot bits. It is odd, so the pilots
	// 0..m-1 give m distinct displacements modulo any power of two m.
	PilotMul = 0x589965cc75374cc3
)

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func le32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// Hash returns the 64-bit hash of s under seed. It is wyhash's structure:
// strings of up to 16 bytes take two overlapping reads, longer ones 16 bytes
// per round.
func Hash(seed uint64, s string) uint64 {
	n := len(s)
	h := seed ^ k0
	var a, b uint64
	switch {
	case n > 16:
		t := s
		for len(t) > 16 {
			h = mix(le64(t)^k1, le64(t[8:])^h)
			t = t[16:]
		}
		a, b = le64(s[n-16:]), le64(s[n-8:])
	case n >= 4:
		q := (n >> 3) << 2
		a = le32(s)<<32 | le32(s[q:])
		b = le32(s[n-4:])<<32 | le32(s[n-4-q:])
	case n > 0:
		a = uint64(s[0])<<16 | uint64(s[n>>1])<<8 | uint64(s[n-1])
	}
	return mix(k1^uint64(n), mix(a^k1, b^h))
}

// Table is a perfect hash over a set of distinct names. Pilots and Slots
// have power-of-two lengths.
type Table struct {
	Seed   uint64
	Pilots []uint32 // per bucket: the displacement that places its names
	Slots  []uint32 // per slot: the index of the name placed there (0 when empty)
}

// Slot returns the slot of a name with hash h: Slots[Slot(h)] is the only
// candidate index for it.
func (t *Table) Slot(h uint64) uint64 {
	p := t.Pilots[(h>>32)&uint64(len(t.Pilots)-1)]
	return (h ^ uint64(p)*PilotMul) & uint64(len(t.Slots)-1)
}

// Find returns the candidate index of name: the caller compares the name at
// that index, which differs when name is not in the set.
func (t *Table) Find(name string) uint32 {
	return t.Slots[t.Slot(Hash(t.Seed, name))]
}

// Valid reports whether t has the shape Find needs.
func (t *Table) Valid() bool {
	return isPow2(len(t.Pilots)) && isPow2(len(t.Slots))
}

func isPow2(n int) bool { return n > 0 && n&(n-1) == 0 }

func nextPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// ErrDuplicate is returned by Build for a name given twice.
var ErrDuplicate = errors.New("duplicate name")

// maxSeeds bounds the seeds Build tries; with the load factors below a
// first seed almost always works.
const maxSeeds = 64

// Build computes a table for names, which must be distinct. The result
// depends only on the names and their order, so the generator's output is
// deterministic. Slots has at least 1.25 slots per name, Pilots one bucket
// per three names (both rounded up to powers of two).
func Build(names []string) (Table, error) {
	n := len(names)
	m := nextPow2(n + n/4)
	nb := nextPow2((n + 2) / 3)
	hs := make([]uint64, n)
	for try := range maxSeeds {
		seed := mix(uint64(try)+1, k2)
		for i, s := range names {
			hs[i] = Hash(seed, s)
		}
		t, err := place(names, hs, seed, m, nb)
		if err == nil {
			return t, nil
		}
		if errors.Is(err, ErrDuplicate) {
			return Table{}, err
		}
	}
	return Table{}, fmt.Errorf("phash: no perfect hash for %d names after %d seeds", n, maxSeeds)
}

var errRetry = errors.New("retry")

func place(names []string, hs []uint64, seed uint64, m, nb int) (Table, error) {
	t := Table{Seed: seed, Pilots: make([]uint32, nb), Slots: make([]uint32, m)}
	bucketOf := func(h uint64) int { return int((h >> 32) & uint64(nb-1)) }
	// Bucket members, as name indices, in counting-sort order.
	start := make([]int, nb+1)
	for _, h := range hs {
		start[bucketOf(h)+1]++
	}
	for b := range nb {
		start[b+1] += start[b]
	}
	members := make([]int, len(hs))
	fill := slices.Clone(start[:nb])
	for i, h := range hs {
		b := bucketOf(h)
		members[fill[b]] = i
		fill[b]++
	}
	// Largest buckets first; ties by bucket number, for determinism.
	order := make([]int, nb)
	for b := range order {
		order[b] = b
	}
	slices.SortStableFunc(order, func(a, b int) int { return (start[b+1] - start[b]) - (start[a+1] - start[a]) })

	mask := uint64(m - 1)
	taken := make([]bool, m)
	var slotsOf []uint64
	for _, b := range order {
		ms := members[start[b]:start[b+1]]
		if len(ms) == 0 {
			break
		}
		// Names of one bucket move together (the pilot is XORed into all
		// of them), so two with the same home slot never separate.
		for x := range ms {
			for y := range x {
				if hs[ms[x]] == hs[ms[y]] && names[ms[x]] == names[ms[y]] {
					return Table{}, fmt.Errorf("phash: %w %q", ErrDuplicate, names[ms[x]])
				}
				if hs[ms[x]]&mask == hs[ms[y]]&mask {
					return Table{}, errRetry
				}
			}
		}
		placed := false
		for p := uint64(0); p < uint64(m); p++ {
			slotsOf = slotsOf[:0]
			ok := true
			for _, i := range ms {
				s := (hs[i] ^ p*PilotMul) & mask
				if taken[s] {
					ok = false
					break
				}
				slotsOf = append(slotsOf, s)
			}
			if !ok {
				continue
			}
			for k, i := range ms {
				taken[slotsOf[k]] = true
				t.Slots[slotsOf[k]] = uint32(i)
			}
			t.Pilots[b] = uint32(p)
			placed = true
			break
		}
		if !placed {
			return Table{}, errRetry
		}
	}
	return t, nil
}
