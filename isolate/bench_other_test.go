//go:build !linux

package isolate_test

func rawEcho(string) {}
