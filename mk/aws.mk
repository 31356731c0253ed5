# AWS adapters (infra/aws) against local AWS API servers: dynalite (DynamoDB), fauxqs (SQS),
# local-kms (KMS), and gofakes3 in process (S3). scripts/aws-emulators.sh installs them at
# pinned versions into .cache and starts them on free 127.0.0.1 ports; they are stopped
# even when the tests fail. BREVDUVA_WITH_MINIO=1 adds MinIO (built once, ~5 min) for the
# S3 tests. See docs/design/aws.md.
.PHONY: test-aws

test-aws:
	@state=.cache/aws-emulators.$$$$; \
	trap 'BREVDUVA_AWS_EMU_DIR=$$state scripts/aws-emulators.sh stop' EXIT; \
	BREVDUVA_AWS_EMU_DIR=$$state scripts/aws-emulators.sh start && \
	set -a && . $$state/env && set +a && \
	BREVDUVA_REQUIRE_EMULATORS=1 $(GO) test -race -count=1 ./infra/aws/...

CI_SUITES += test-aws
