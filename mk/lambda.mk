# Lambda functions (functions/*, internal/awssys) end to end: the as4-receive bootstrap
# under the Lambda runtime interface emulator (aws-lambda-rie, pinned, installed into
# .cache/bin) against dynalite + fauxqs (scripts/aws-emulators.sh) and gofakes3 in
# process. The emulators are stopped even when the tests fail. The test logs the cold
# start and warm durations (BENCHMARKS.md, "Lambda"). See docs/design/functions.md.
.PHONY: test-lambda

RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE_BIN     := .cache/bin/aws-lambda-rie-$(RIE_VERSION)

$(RIE_BIN):
	@mkdir -p .cache/bin .cache/rie-gobin
	GOBIN=$(CURDIR)/.cache/rie-gobin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)
	mv .cache/rie-gobin/aws-lambda-rie $(RIE_BIN)

test-lambda: $(RIE_BIN)
	@state=.cache/aws-emulators-lambda.$$$$; \
	trap 'BREVDUVA_AWS_EMU_DIR=$$state scripts/aws-emulators.sh stop' EXIT; \
	BREVDUVA_AWS_EMU_DIR=$$state scripts/aws-emulators.sh start && \
	set -a && . $$state/env && set +a && \
	log=.cache/test-lambda.log; \
	BREVDUVA_RIE=$(CURDIR)/$(RIE_BIN) BREVDUVA_REQUIRE_EMULATORS=1 \
	  $(GO) test -race -count=1 -v ./functions/... ./internal/awssys/... >$$log 2>&1; rc=$$?; \
	grep -E 'LAMBDA|^(--- |ok|FAIL|panic)' $$log; [ $$rc = 0 ] || { tail -50 $$log; exit $$rc; }

CI_SUITES += test-lambda
