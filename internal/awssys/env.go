package awssys

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Env reads variables; Getenv is os.Getenv, tests pass a map.
type Env func(string) string

// OSEnv is the process environment.
func OSEnv() Env { return os.Getenv }

// MapEnv serves variables from m (tests).
func MapEnv(m map[string]string) Env { return func(k string) string { return m[k] } }

// Environment variables (docs/design/functions.md).
const (
	EnvTenant            = "BREVDUVA_TENANT"
	EnvParticipant       = "BREVDUVA_PARTICIPANT"
	EnvAPPartyID         = "BREVDUVA_AP_PARTY_ID"
	EnvFunctionAddresses = "BREVDUVA_FUNCTION_ADDRESSES"
	EnvTable             = "BREVDUVA_TABLE"
	EnvBucket            = "BREVDUVA_BUCKET"
	EnvQueueURL          = "BREVDUVA_QUEUE_URL"
	EnvPayloadKMSKey     = "BREVDUVA_PAYLOAD_KMS_KEY"
	EnvAS4Key            = "BREVDUVA_AS4_KEY"
	EnvAS4Cert           = "BREVDUVA_AS4_CERT"
	EnvO2OKey            = "BREVDUVA_O2O_KEY"
	EnvO2OCert           = "BREVDUVA_O2O_CERT"
	EnvAPTrust           = "BREVDUVA_AP_TRUST"
	EnvO2OTrust          = "BREVDUVA_O2O_TRUST"
	EnvTLSRoots          = "BREVDUVA_TLS_ROOTS"
	EnvSMLZone           = "BREVDUVA_SML_ZONE"
	EnvDNSServer         = "BREVDUVA_DNS_SERVER"
	EnvSMPRoots          = "BREVDUVA_SMP_ROOTS"
	EnvListen            = "BREVDUVA_LISTEN"
	EnvOAuthIssuer       = "BREVDUVA_OAUTH_ISSUER"
	EnvOAuthPublicKey    = "BREVDUVA_OAUTH_PUBLIC_KEY"
	EnvSDKAPIBasePath    = "BREVDUVA_SDK_API_BASE_PATH"
	EnvSMPBaseURL        = "BREVDUVA_SMP_BASE_URL"
	EnvSMPKey            = "BREVDUVA_SMP_KEY"
	EnvSMPCert           = "BREVDUVA_SMP_CERT"
	EnvSMPAdminToken     = "BREVDUVA_SMP_ADMIN_TOKEN"
	EnvLogLevel          = "BREVDUVA_LOG_LEVEL"
	EnvEdgeSecret        = "BREVDUVA_EDGE_SECRET" // HMAC key of the edge Worker's by-ref calls (its BYREF_SECRET)
	EnvEdgeBucket        = "BREVDUVA_EDGE_BUCKET" // the bucket the edge Worker stages inbound AS4 messages in
	// EnvReceiptTimeout: how long a sent message may wait for its Meddelandekvittens before it
	// ends MESSAGE_EXCHANGE_ERROR (a Go duration such as "72h"; unset: wait for ever;
	// ⚠U spec-facts §k 17).
	EnvReceiptTimeout = "BREVDUVA_RECEIPT_TIMEOUT"

	// Endpoint overrides for local API servers (emulators); unset in AWS.
	EnvDynamoDBEndpoint = "BREVDUVA_DYNAMODB_ENDPOINT"
	EnvS3Endpoint       = "BREVDUVA_S3_ENDPOINT"
	EnvSQSEndpoint      = "BREVDUVA_SQS_ENDPOINT"
	EnvKMSEndpoint      = "BREVDUVA_KMS_ENDPOINT"

	// Set by the Lambda runtime.
	EnvRuntimeAPI   = "AWS_LAMBDA_RUNTIME_API"
	EnvRegion       = "AWS_REGION"
	EnvAccessKeyID  = "AWS_ACCESS_KEY_ID"
	EnvSecretKey    = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken = "AWS_SESSION_TOKEN"
)

// ErrMissing is wrapped by errors about a required variable that is unset.
var ErrMissing = errors.New("awssys: required environment variable not set")

func (e Env) need(errs *[]error, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		v := strings.TrimSpace(e(n))
		if v == "" {
			*errs = append(*errs, fmt.Errorf("%w: %s", ErrMissing, n))
		}
		m[n] = v
	}
	return m
}

func (e Env) get(name string) string { return strings.TrimSpace(e(name)) }

func (e Env) list(name string) []string {
	var out []string
	for _, s := range strings.Split(e.get(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
