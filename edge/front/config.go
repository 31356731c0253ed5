package front

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/edge/sigv4"
)

// Worker variables and secrets (wrangler.toml [vars], `wrangler secret put`; edge/README.md).
const (
	EnvOriginURL         = "ORIGIN_URL"
	EnvLookupPrefixes    = "LOOKUP_PREFIXES"
	EnvAS4Path           = "AS4_PATH"
	EnvDirectMaxBytes    = "DIRECT_MAX_BYTES"
	EnvPartBytes         = "PART_BYTES"
	EnvOriginTimeoutMS   = "ORIGIN_TIMEOUT_MS"
	EnvS3Endpoint        = "S3_ENDPOINT"
	EnvS3Bucket          = "S3_BUCKET"
	EnvS3Region          = "S3_REGION"
	EnvS3AccessKeyID     = "S3_ACCESS_KEY_ID"
	EnvS3SecretAccessKey = "S3_SECRET_ACCESS_KEY" // secret
	EnvByRefSecret       = "BYREF_SECRET"         // secret
	EnvRequireClientCert = "REQUIRE_CLIENT_CERT"
	EnvSMPPath           = "SMP_PATH"
	EnvSMPRootsPEM       = "SMP_ROOTS_PEM"
	EnvSDKAPIURL         = "SDK_API_URL"
	EnvDebugMemory       = "DEBUG_MEMORY" // "true": report memory peaks in HeaderMemory (tests only)
)

// S3 multipart parts: at least 5 MiB except the last (Amazon S3 multipart upload limits),
// at most 8 MiB here so a Worker holds little of a message at a time.
const (
	MinPartBytes = 5 << 20
	MaxPartBytes = 8 << 20
)

// Defaults of the optional variables.
const (
	DefaultAS4Path        = "/as4"
	DefaultDirectMaxBytes = 4_000_000
	DefaultOriginTimeout  = 25 * time.Second
	DefaultSMPPath        = "/smp/"
)

// DefaultLookupPrefixes are the read-only lookups proxied and cached: the address book API
// and the SMP (ServiceGroup and SignedServiceMetadata with CertPub).
var DefaultLookupPrefixes = []string{"/addressbook/api/", DefaultSMPPath}

// Config is the Worker's configuration.
type Config struct {
	Origin            *url.URL // the AWS origin: as4-receive, SMP and address book behind one base URL
	LookupPrefixes    []string
	AS4Path           string
	DirectMaxBytes    int64 // bodies up to this size go to the origin's AS4Path directly
	PartBytes         int
	MaxMessageBytes   int64 // the PMode's cap (core/pmode, ⚠U spec-facts §k 19)
	OriginTimeout     time.Duration
	S3Endpoint        *url.URL // path-style: {endpoint}/{bucket}/{key}
	S3Bucket          string
	S3                sigv4.Signer
	ByRefSecret       []byte
	RequireClientCert bool
	WebConfig         []byte // /web/config.json
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("front: configuration")

// ConfigFromEnv reads the configuration; get returns "" for an unset name. Every problem
// is reported, not only the first.
func ConfigFromEnv(get func(string) string) (Config, error) {
	var errs []error
	need := func(name string) string {
		v := strings.TrimSpace(get(name))
		if v == "" {
			errs = append(errs, fmt.Errorf("%w: %s not set", ErrConfig, name))
		}
		return v
	}
	c := Config{LookupPrefixes: DefaultLookupPrefixes, AS4Path: DefaultAS4Path, DirectMaxBytes: DefaultDirectMaxBytes,
		PartBytes: MinPartBytes, MaxMessageBytes: pmode.EDelivery115().MaxMessageBytes, OriginTimeout: DefaultOriginTimeout}
	c.Origin = absURL(&errs, EnvOriginURL, need(EnvOriginURL))
	c.S3Endpoint = absURL(&errs, EnvS3Endpoint, need(EnvS3Endpoint))
	c.S3Bucket = need(EnvS3Bucket)
	c.S3 = sigv4.Signer{AccessKeyID: need(EnvS3AccessKeyID), SecretAccessKey: need(EnvS3SecretAccessKey),
		Region: need(EnvS3Region), Service: "s3"}
	c.ByRefSecret = []byte(need(EnvByRefSecret))
	if v := strings.TrimSpace(get(EnvLookupPrefixes)); v != "" {
		c.LookupPrefixes = strings.Fields(strings.ReplaceAll(v, ",", " "))
	}
	if v := strings.TrimSpace(get(EnvAS4Path)); v != "" {
		c.AS4Path = v
	}
	c.DirectMaxBytes = intVar(&errs, get, EnvDirectMaxBytes, c.DirectMaxBytes, 0, c.MaxMessageBytes)
	c.PartBytes = int(intVar(&errs, get, EnvPartBytes, int64(c.PartBytes), MinPartBytes, MaxPartBytes))
	ms := intVar(&errs, get, EnvOriginTimeoutMS, c.OriginTimeout.Milliseconds(), 1, 300_000)
	c.OriginTimeout = time.Duration(ms) * time.Millisecond
	switch v := strings.TrimSpace(get(EnvRequireClientCert)); v {
	case "", "true":
		c.RequireClientCert = true
	case "false":
	default:
		errs = append(errs, fmt.Errorf("%w: %s must be true or false", ErrConfig, EnvRequireClientCert))
	}
	var err error
	c.WebConfig, err = webConfig(get)
	errs = append(errs, err)
	return c, errors.Join(errs...)
}

func absURL(errs *[]error, name, v string) *url.URL {
	if v == "" {
		return nil
	}
	u, err := url.Parse(strings.TrimSuffix(v, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		*errs = append(*errs, fmt.Errorf("%w: %s must be an absolute http(s) URL", ErrConfig, name))
		return nil
	}
	return u
}

func intVar(errs *[]error, get func(string) string, name string, def, lo, hi int64) int64 {
	v := strings.TrimSpace(get(name))
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		*errs = append(*errs, fmt.Errorf("%w: %s must be an integer in [%d, %d]", ErrConfig, name, lo, hi))
		return def
	}
	return n
}

// webConfig is the web client's /web/config.json (the shape web.Options.Config has in
// the local system): the SMP path and roots, and the SDK API's base URL when not
// same-origin.
func webConfig(get func(string) string) ([]byte, error) {
	m := map[string]string{"smpPath": DefaultSMPPath, "smpRootsPEM": get(EnvSMPRootsPEM)}
	if v := strings.TrimSpace(get(EnvSMPPath)); v != "" {
		m["smpPath"] = v
	}
	if v := strings.TrimSpace(get(EnvSDKAPIURL)); v != "" {
		m["sdkApiUrl"] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%w: web config: %w", ErrConfig, err)
	}
	return b, nil
}
