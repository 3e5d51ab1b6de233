// Package apicheck holds a test that no public package of the module
// hands out a type from an internal package: its callers could not name
// it.
package apicheck
