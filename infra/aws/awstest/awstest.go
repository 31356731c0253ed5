// Package awstest connects the infra/aws tests to the local AWS API emulators that
// scripts/aws-emulators.sh starts: it reads their endpoints from the environment and skips
// a test when its emulator is not configured, unless BREVDUVA_REQUIRE_EMULATORS=1, in which
// case the test fails. It is test support: no adapter imports it.
package awstest

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Environment variables naming the emulators' endpoints (http://127.0.0.1:PORT).
const (
	EnvRequire  = "BREVDUVA_REQUIRE_EMULATORS"
	EnvDynamoDB = "BREVDUVA_DYNAMODB_ENDPOINT"
	EnvSQS      = "BREVDUVA_SQS_ENDPOINT"
	EnvKMS      = "BREVDUVA_KMS_ENDPOINT"
	EnvS3       = "BREVDUVA_S3_ENDPOINT" // optional: an external S3 server (MinIO); else gofakes3 in-process
	EnvS3KMSKey = "BREVDUVA_S3_KMS_KEY"  // with EnvS3: the SSE-KMS key id the external server knows
)

// Region is the region the tests claim; the emulators accept any.
const Region = "eu-north-1"

// Endpoint returns the endpoint in env, or skips t when it is unset (fails it when
// BREVDUVA_REQUIRE_EMULATORS=1).
func Endpoint(t testing.TB, env string) string {
	t.Helper()
	ep := os.Getenv(env)
	if ep == "" {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s is not set and %s=1: start the emulators with scripts/aws-emulators.sh start", env, EnvRequire)
		}
		t.Skipf("%s not set: run `make test-aws` (scripts/aws-emulators.sh) for this test", env)
	}
	return ep
}

// Credentials are static test credentials; the emulators do not check them.
var Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: "AKIDBREVDUVATEST", SecretAccessKey: "brevduva-test-secret", Source: "awstest"}, nil
})

// HTTPClient keeps enough idle connections for the suites' concurrent goroutines.
var HTTPClient = &http.Client{
	Timeout: 30 * time.Second,
	Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
	},
}

var seq atomic.Int64

// Name returns a name unique in this test process, for tables, queues and buckets:
// lower-case letters, digits and '-'.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), seq.Add(1))
}
