# The edge Worker (edge/, Cloudflare Workers in Go with github.com/syumai/workers).
# `make worker` builds edge/build: worker/ (app.wasm from ./edge, and the library's JS shim
# written by its workers-assets-gen at the version go.mod pins) and assets/ (the web client
# from web/static with bin/brevduva.wasm and wasm_exec.js from `make wasm`, and edge/_headers);
# it prints the Worker's wasm size raw and gzip (Cloudflare's limit is on the gzip size).
# `make test-worker` runs edge/worker_test.go against wrangler 4.86.0's workerd (pinned
# in edge/package-lock.json, installed with npm ci) on 127.0.0.1; the test builds its own
# copy of the Worker. BREVDUVA_S3_ENDPOINT=<a MinIO> makes it stage into MinIO (SigV4 checked).
# The Worker runs with DEBUG_MEMORY=true and the test asserts its memory peaks do not grow
# with the message size (edge/README.md, Memory; figures in BENCHMARKS.md, Edge).
.PHONY: worker test-worker

WORKER_OUT := edge/build

worker: wasm
	@rm -rf $(WORKER_OUT) && mkdir -p $(WORKER_OUT)/assets/web
	$(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o $(WORKER_OUT)/worker
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags=-s -o $(WORKER_OUT)/worker/app.wasm ./edge
	cp web/static/* $(BIN)/brevduva.wasm $(BIN)/wasm_exec.js $(WORKER_OUT)/assets/web/
	cp edge/_headers $(WORKER_OUT)/assets/_headers
	@echo "worker wasm: $$(wc -c <$(WORKER_OUT)/worker/app.wasm) bytes raw, $$(gzip -9 -c $(WORKER_OUT)/worker/app.wasm | wc -c) bytes gzip"

test-worker:
	@test -x edge/node_modules/.bin/wrangler || (cd edge && npm ci --ignore-scripts --no-audit --no-fund)
	BREVDUVA_REQUIRE_WORKER=1 $(GO) test -count=1 -v -timeout 20m -run TestWorker ./edge

CI_SUITES += test-worker
