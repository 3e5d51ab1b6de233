module github.com/handlergen/handlergen/isolate

go 1.26.0

require (
	github.com/google/uuid v1.6.0
	github.com/handlergen/handlergen v0.0.0-00010101000000-000000000000
)

require (
	github.com/bmatcuk/doublestar/v4 v4.10.4 // indirect
	github.com/dave/jennifer v1.7.1 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/mod v0.42.0 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/tools v0.52.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)

// The runtime is developed beside this module; users take the same
// pre-release path (README, "Process isolation").
replace github.com/handlergen/handlergen => ../

tool github.com/handlergen/handlergen/cmd/handlergen
