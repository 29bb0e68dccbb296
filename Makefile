# The two commands of the README: `make demo` and `make test`. Each installs
# what it needs first and skips what is already there.

GO      ?= go
BIN     := bin/lockstep
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)

.PHONY: all build deps test demo bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lockstep

deps:
	@./.ci/deps.sh

# Every test, against real PostgreSQL, Prometheus and nginx started on
# loopback by the tests themselves.
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 14m ./...

# The main job on the sample service's history in testdata/demo.
demo: deps build
	@./testdata/demo/run.sh $(BIN)

# lockstep against the peers, side by side; prints ratios.
bench: deps build
	@./bench/lint.sh $(BIN)
bench-backfill: deps
	@GO=$(GO) ./bench/backfill.sh

fuzz:
	$(GO) test ./lint -run '^$$' -fuzz FuzzLint -fuzztime 60s

clean:
	rm -rf bin demo-out bench/.cache/corpus
