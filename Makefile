# handlergen: make demo runs the main job, make test is the test suite CI runs.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
QUICKSTART  := examples/quickstart
# isolate is a nested module (a service that only imports package registry never downloads it):
# the root's ./... does not reach it, so every target runs it on its own.
ISOLATE     := isolate
# A race-enabled binary sleeps a second at exit for reports from goroutines
# still running; a test binary has waited for its tests by then.
RACE_ENV    := GORACE=atexit_sleep_ms=0

.PHONY: demo test check fmt vet staticcheck fuzz bench

## demo: regenerate the quickstart registry (writes only if it changed) and dispatch handlers by name;
## then the isolation example: handlers that panic, exit and hang in a host process, the service surviving all three
demo:
	cd $(QUICKSTART) && $(GO) generate ./...
	$(GO) run ./$(QUICKSTART)
	$(GO) run ./$(QUICKSTART) greet World
	$(GO) run ./$(QUICKSTART) upper "compiled in, not imported"
	$(GO) run ./$(QUICKSTART) dice
	cd $(ISOLATE) && $(GO) generate ./example/...
	cd $(ISOLATE) && $(GO) run ./example

## test: formatting, vet, staticcheck, and every test with the race detector; then the generator's
## tests again without its verification cache (the suite's own runs use a temporary cache), and the
## staleness suite in full (under -race it runs a sample)
test: fmt vet staticcheck
	$(RACE_ENV) $(GO) test -race ./...
	HANDLERGEN_CACHE=off $(GO) test -count=1 ./gen ./internal/cli
	# the staleness suite in full (a sample of it runs under -race above)
	$(GO) test -count=1 -run '^TestStaleness$$' ./internal/cli
	cd $(ISOLATE) && $(RACE_ENV) $(GO) test -race ./...
	# isolation's time bounds (a 100 MB payload, a 1 s deadline) without the race detector, which stalls large copies
	cd $(ISOLATE) && $(GO) test -count=1 -run '^(TestDeadlineBoundsTransfer|TestSmallCallNotBehindLargeOne|TestCrashLoopCostsOthersNothing)$$' .

fmt:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	cd $(ISOLATE) && $(GO) vet ./...
	# Everything, tests too, builds for Windows (CI runs on Linux only).
	GOOS=windows $(GO) vet ./...
	cd $(ISOLATE) && GOOS=windows $(GO) vet ./...

staticcheck:
	$(GO) run $(STATICCHECK) ./...
	cd $(ISOLATE) && $(GO) run $(STATICCHECK) ./...

## check: what CI runs on a repository that uses handlergen: fail on invalid contracts or a stale registry
check:
	$(GO) tool handlergen check -diff ./...
	cd $(ISOLATE) && $(GO) tool handlergen check -diff ./...

## fuzz: run each fuzz target for FUZZTIME (default 60s)
FUZZTIME ?= 60s
fuzz:
	$(GO) test ./contracts -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./contracts -run '^$$' -fuzz '^FuzzDiscover$$' -fuzztime $(FUZZTIME)
	$(GO) test ./contracts -run '^$$' -fuzz '^FuzzSchemaAgreement$$' -fuzztime $(FUZZTIME)
	$(GO) test ./gen -run '^$$' -fuzz '^FuzzAllowlist$$' -fuzztime $(FUZZTIME)
	cd $(ISOLATE) && $(GO) test ./internal/wire -run '^$$' -fuzz '^FuzzDecodeMeta$$' -fuzztime $(FUZZTIME)
	cd $(ISOLATE) && $(GO) test . -run '^$$' -fuzz '^FuzzHostStream$$' -fuzztime $(FUZZTIME)

## bench: synthetic modules of BENCH_N handlers: warm/cold generate and check against the go list floor,
## compile and start-up of the generated registry, the runtime benchmarks; rewrites BENCHMARKS.md and docs/bench.svg
BENCH_N    ?= 100 1000 10000
BENCH_RUNS ?= 5
BENCH_COLD ?= $(BENCH_N)
BENCH_COLD_RUNS ?= 3
# BENCH_WORK keeps the synthetic modules in one place between runs, so a second run finds
# their packages in the build cache instead of compiling 10,000 of them again (default: a temporary directory)
BENCH_WORK ?=
bench:
	$(GO) run ./internal/benchtool -n "$(BENCH_N)" -runs $(BENCH_RUNS) -cold "$(BENCH_COLD)" -cold-runs $(BENCH_COLD_RUNS) -work "$(BENCH_WORK)" -o BENCHMARKS.md -svg docs/bench.svg
