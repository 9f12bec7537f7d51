# Every target installs what it needs: libpact_ffi comes from the npm registry through
# scripts/install-pact-ffi.sh (idempotent), Go modules from the Go module proxy.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
GO ?= go
BIN := bin/conformance
export PACT_DO_NOT_TRACK := true

# Resolves the Pact FFI directory (installing the library when needed) and exports the cgo and loader
# paths for the rest of the recipe line.
PACT_ENV = D="$$(scripts/install-pact-ffi.sh)" && export CGO_LDFLAGS="-L$$D -Wl,-rpath,$$D" LD_LIBRARY_PATH="$$D$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"

ACTIONLINT := github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
GORELEASER := github.com/goreleaser/goreleaser/v2@v2.15.1
REPORTS := reports
TOOLS := .tools

.PHONY: all build conformance verify test lint pacts pact-drift bench clean release-check html-check

all: test

## build: a pure-Go binary (CGO_ENABLED=0); verify loads libpact_ffi at run time
build:
	CGO_ENABLED=0 $(GO) build -buildvcs=auto -o $(BIN) ./cmd/conformance

## conformance: the whole suite against the embedded mock providers
conformance: build
	./$(BIN) run --junit $(REPORTS)/junit.xml --html $(REPORTS)/report.html --report-json $(REPORTS)/report.json

## verify: the committed Pact contracts against the embedded mocks
verify: build
	$(PACT_ENV) && ./$(BIN) verify

## test: formatting, vet, every test with the race detector (includes the pact drift check, and the
## OpenAPI documents linted by Redocly, installed from npm by its lock file); -timeout 30m
## because a busy runner makes internal/cli slow, not wrong (10 minutes is Go's default per package)
test: lint
	$(PACT_ENV) && export PACT_CLI="$$(scripts/install-pact-cli.sh || true)" && \
	export OPENAPI_TOOLS="$$(scripts/install-openapi-tools.sh || true)" && $(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags nopactffi ./internal/pactffi

## lint: gofmt, go vet, actionlint on the workflows (installed from the Go module proxy), and action.yml,
## which actionlint does not read, by scripts' TestActionMetadataHoldsTogether and TestEveryActionIsPinnedBySHA;
## and a Windows build, the release target least like this machine (a unix-only call once broke it)
lint:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.pact/*'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(PACT_ENV) && $(GO) vet ./...
	$(GO) run $(ACTIONLINT) -no-color
	$(GO) test -count=1 -run 'TestActionMetadataHoldsTogether|TestEveryActionIsPinnedBySHA' ./scripts
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/conformance

## release-check: the GoReleaser configuration checked, a snapshot release of every target in dist/
## (binaries, archives, checksums; nothing published), and each archive's contents checked against README
## GoReleaser is built once into .tools/ (go run would link it again on every call, minutes each)
release-check: $(TOOLS)/goreleaser
	$(TOOLS)/goreleaser check
	$(TOOLS)/goreleaser release --snapshot --clean --skip=publish
	scripts/check-archives.sh dist

$(TOOLS)/goreleaser:
	GOBIN="$(CURDIR)/$(TOOLS)" $(GO) install $(GORELEASER)

## html-check: the HTML report rendered in headless Chromium (installed from Debian when missing)
html-check:
	command -v chromium >/dev/null || command -v google-chrome >/dev/null || { sudo -n true 2>/dev/null && S=sudo; $${S:-} apt-get update -q && $${S:-} apt-get install -y -q chromium; }
	$(PACT_ENV) && CONFORMANCE_REQUIRE_CHROMIUM=1 CONFORMANCE_SCREENSHOT=$(CURDIR)/$(REPORTS)/report.png $(GO) test -count=1 -run TestHTMLReportInHeadlessChromium -v ./internal/cli

## pacts: regenerate pacts/ from the consumer tests (review the diff, then commit)
pacts:
	$(PACT_ENV) && PACT_UPDATE=1 $(GO) test -count=1 -run 'TestPact' ./clients/...

## pact-drift: fail when regenerating the pacts would change the committed ones
pact-drift:
	$(PACT_ENV) && $(GO) test -count=1 -run 'TestPact' ./clients/...

## bench: schema validation per exchange, whole suite runs against the loopback floor (1 and 8 copies),
## the mocks' stores at 1k/10k/100k items and the Pomelo soak's RSS, with allocations
bench:
	$(PACT_ENV) && $(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./internal/schema ./clients/baas
	$(PACT_ENV) && $(GO) test -run '^$$' -bench 'BenchmarkSuite' -benchmem -benchtime 1x ./internal/runner
	$(GO) test -run '^$$' -bench 'BenchmarkStore' -benchmem -benchtime 2000x ./internal/mock/pomelo ./internal/mock/gu1
	$(GO) test -run '^$$' -bench 'BenchmarkSoakRSS' -benchtime 1x ./internal/mock/pomelo

clean:
	rm -rf bin reports dist
