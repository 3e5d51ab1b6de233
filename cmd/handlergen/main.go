// Command handlergen turns YAML handler contracts into a compiled-in,
// type-checked Go registry. See the README or run handlergen -h.
package main

import (
	"os"

	"github.com/handlergen/handlergen/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
