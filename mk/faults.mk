# Fault injection (internal/faults, docs/design/faults.md): the full sweep kills the local
# system with SIGKILL at every port call of a clean run of the send, receive and deliver
# paths, and fails every port call (before and after it took effect), then checks the stores
# for lost or duplicated messages. `make test` runs a quick subset of both. Nothing to
# install: the suite runs the test binary itself as the local system.
.PHONY: test-faults

test-faults:
	BREVDUVA_FAULTS=full $(GO) test -race -count=1 -timeout 15m -parallel 8 -v -run 'TestEveryPortCovered|TestCheckFindsProblems|TestKill9|TestStorageErrors' ./internal/faults

CI_SUITES += test-faults
