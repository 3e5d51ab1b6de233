package gen

// BoolFlags exposes boolFlags to the external tests.
var BoolFlags = boolFlags
