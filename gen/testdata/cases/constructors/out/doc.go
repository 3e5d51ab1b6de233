// Package out receives the generated registry.
package out
