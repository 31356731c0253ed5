# Terraform (terraform/) offline: OpenTofu's formatter, tflint with its bundled terraform
# ruleset (terraform/.tflint.hcl) and the HCL cross-checks in terraform/ (go test). Both tools
# are built at pinned versions into .cache/bin once per machine: OpenTofu from the Go module
# proxy's module source (`go install` refuses its replace directives, so the module is copied
# to a writable folder (a throw-away go.mod keeps the repository's go.mod untouched) and
# `go build ./cmd/tofu` runs there, with version.dev=no as OpenTofu's release builds set
# it), tflint by `go install`. Measured 2026-11-27 on the
# 2-core machine: with empty module and build caches and other builds running (load ~15),
# tofu 1007 s and tflint 353 s, 2.2 GB of modules + 2.3 GB of build cache; with a partly
# warm module cache and less load, 248 s and 149 s. Later runs reuse .cache/bin: the suite
# itself takes seconds. `tofu validate` is not run: it needs the AWS provider, which cannot
# be downloaded here (terraform/README.md, "What is validated offline").
.PHONY: test-terraform terraform-tools

TOFU_VERSION   := v1.12.6
TFLINT_VERSION := v0.64.0
TOFU_BIN       := .cache/bin/tofu-$(TOFU_VERSION)
TFLINT_BIN     := .cache/bin/tflint-$(TFLINT_VERSION)/tflint

$(TOFU_BIN):
	@mkdir -p .cache/bin
	@src=$$(mktemp -d $(CURDIR)/.cache/tofu-src.XXXXXX); trap 'chmod -R u+w $$src; rm -rf $$src' EXIT; \
	(cd $$src && printf 'module tofudownload\n' >go.mod && $(GO) mod download -json github.com/opentofu/opentofu@$(TOFU_VERSION) >download.json) && \
	cp -R "$$($(GO) env GOMODCACHE)/github.com/opentofu/opentofu@$(TOFU_VERSION)" $$src/opentofu && \
	chmod -R u+w $$src/opentofu && \
	(cd $$src/opentofu && CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags '-X github.com/opentofu/opentofu/version.dev=no' -o $(CURDIR)/$(TOFU_BIN).tmp ./cmd/tofu) && \
	mv $(TOFU_BIN).tmp $(TOFU_BIN)

$(TFLINT_BIN):
	@mkdir -p $(dir $(TFLINT_BIN))
	GOBIN=$(CURDIR)/$(dir $(TFLINT_BIN)) CGO_ENABLED=0 $(GO) install github.com/terraform-linters/tflint@$(TFLINT_VERSION)

terraform-tools: $(TOFU_BIN) $(TFLINT_BIN)

# tflint runs on modules/ and examples/ only: testdata/broken holds deliberate faults for the
# Go checks. TF_CLI_CONFIG_FILE=/dev/null: no ~/.terraformrc needed (nothing is downloaded).
test-terraform: terraform-tools
	TF_CLI_CONFIG_FILE=/dev/null $(TOFU_BIN) fmt -check -recursive -diff terraform
	for d in modules examples; do \
	  (cd terraform/$$d && $(CURDIR)/$(TFLINT_BIN) --config=$(CURDIR)/terraform/.tflint.hcl --recursive) || exit 1; \
	done
	$(GO) test -count=1 ./terraform/...

CI_SUITES += test-terraform
