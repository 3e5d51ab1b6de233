// Package out receives the generated registry.
package out

// h1 is declared by the output package: no import may take the name.
var h1 = "taken"
