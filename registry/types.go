package registry

import (
	"fmt"
	"strings"
)

// Type is a handler's category, the contract's handler_type.
type Type uint8

// The handler types a contract may declare.
const (
	Compute                 Type = iota + 1 // pure, deterministic
	Effect                                  // talks to the outside world
	NondeterministicCompute                 // pure but not reproducible (randomness, clocks)
)

var typeNames = [...]string{Compute: "compute", Effect: "effect", NondeterministicCompute: "nondeterministic_compute"}

// String returns the contract spelling: compute, effect or nondeterministic_compute.
func (t Type) String() string {
	if t >= Compute && t <= NondeterministicCompute {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// ParseType reads a contract's handler_type, trimmed and case-insensitive.
func ParseType(s string) (Type, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "compute":
		return Compute, nil
	case "effect":
		return Effect, nil
	case "nondeterministic_compute":
		return NondeterministicCompute, nil
	}
	return 0, fmt.Errorf("invalid handler_type %q. Valid types: compute, effect, nondeterministic_compute", s)
}

// MarshalText writes the contract spelling.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads the contract spelling.
func (t *Type) UnmarshalText(b []byte) error {
	v, err := ParseType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// Version is a contract's handler_version, a semantic version.
type Version struct {
	Major, Minor, Patch int
	Prerelease, Build   string
}

// String formats the version as semver: 1.2.3-rc.1+build.5.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Prerelease != "" {
		s += "-" + v.Prerelease
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// MarshalText writes the semver form.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }
