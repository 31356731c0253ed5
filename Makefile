# Brevduva — see README.md. Two commands set up a fresh machine: `make run` and `make test`.
GO        ?= go
PKGS      ?= ./...
BIN       := bin
DATA      ?= .brevduva
FUZZTIME  ?= 30s
BENCHTIME ?= 1s
# Interop checks against tools we did not write run when the tools are installed;
# `make interop` (and CI) require them.
HAVE_INTEROP := $(shell command -v xmlsec1 >/dev/null 2>&1 && command -v xmllint >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 \
	&& test -f /usr/share/java/xmlsec.jar && test -f /usr/share/java/Saxon-HE.jar && test -f /usr/share/java/slf4j-api.jar && echo 1)

.PHONY: ci-suites staticcheck all build run test unit fmt-check vet wasm-core interop bench fuzz lint wasm lambda clean

all: build

build:
	$(GO) build -o $(BIN)/brevduva ./cmd/brevduva

# run builds the CLI and runs the local system with two demo municipalities and the test bed.
# The first run creates $(DATA)/demo (PKI, config.json, data); later runs reuse it. The URLs and
# the path of demo.json (client ids and secrets) are printed; Ctrl-C stops cleanly.
run: build wasm
	@mkdir -p $(DATA)
	./$(BIN)/brevduva serve --demo $(DATA)/demo

# test is what CI runs. Where the interop tools are installed they are required, so their
# checks run inside the one `go test` pass; where not, those tests say they were skipped.
test: fmt-check vet staticcheck wasm-core unit
ifneq ($(HAVE_INTEROP),1)
	@echo "NOTE: interop tools missing (xmlsec1, xmllint, javac, Santuario, Saxon-HE, slf4j): interop checks were skipped; .ci/run installs them"
endif

unit:
	BREVDUVA_REQUIRE_INTEROP=$${BREVDUVA_REQUIRE_INTEROP:-$(HAVE_INTEROP)} $(GO) test -race -count=1 $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

wasm-core:
	GOOS=js GOARCH=wasm $(GO) build ./core/...

# interop runs only the checks against independent tools, and fails where a tool is missing.
interop:
	BREVDUVA_REQUIRE_INTEROP=1 $(GO) test -count=1 -run 'Interop' $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $(PKGS)

# fuzz runs every Fuzz target for FUZZTIME each (not part of `make test`). Minimisation is
# capped because Go spends minutes minimising our large seed documents otherwise.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10x $$pkg || exit 1; \
	  done; \
	done

lint: fmt-check vet staticcheck

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

wasm:
	@mkdir -p $(BIN)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(BIN)/brevduva.wasm ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(BIN)/wasm_exec.js

lambda:
	@mkdir -p $(BIN)/lambda
	@for d in functions/*/; do \
	  [ -f $$d/main.go ] || continue; n=$$(basename $$d); \
	  CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -o $(BIN)/lambda/$$n/bootstrap ./$$d && \
	  (cd $(BIN)/lambda/$$n && rm -f ../$$n.zip && zip -q ../$$n.zip bootstrap); \
	done; ls $(BIN)/lambda/*.zip 2>/dev/null || echo "no functions yet"

clean:
	rm -rf $(BIN)

# Slower suites (AWS API emulators, browser, workerd) live in their own makefiles and are
# run by .ci/run after `make test`; each defines a target named in CI_SUITES.
CI_SUITES :=
-include mk/*.mk

ci-suites:
	@for s in $(CI_SUITES); do echo "== make $$s"; $(MAKE) $$s || exit 1; done
