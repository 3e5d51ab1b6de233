// Package app holds the registry. Its own hello makes the registry import
// the hello handler package under another name.
package app

//go:generate handlergen -interface example.com/farm/iface.Handler -o registry_gen.go ../handlers

var hello = "app"
