// Package byref is the receive-by-reference call between the edge Worker (edge/) and the
// AS4 receive function (functions/as4-receive): the Worker has streamed an inbound AS4
// message into object storage and hands the function a Ref to it instead of the body, so
// no part of a large message passes through a buffered Lambda invocation
// (docs/design/functions.md, "Size limits and the large-message path").
//
// The call is POST Path with the JSON Ref as body, authenticated by an HMAC-SHA256
// (RFC 2104, FIPS 198-1) over a version label, a Unix timestamp and the body, keyed with
// a secret shared by the Worker (a secret binding) and the function (an environment
// variable). The receiver compares in constant time and accepts a timestamp only inside
// Window of its own clock. This is transport authentication between two parts of one
// access point; the AS4 message itself is still trusted only through its WS-Security
// signature.
package byref

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Path is the receive-by-reference endpoint of the AS4 receive function.
const Path = "/as4/by-ref"

// Header names of the authentication.
const (
	HeaderTime      = "X-Brevduva-Edge-Time"
	HeaderSignature = "X-Brevduva-Edge-Signature"
)

// label versions the signed string, so a future format cannot be confused with this one.
const label = "brevduva-edge-byref-v1"

// Window is how far the timestamp may be from the receiver's clock, either way.
const Window = 5 * time.Minute

// MaxBodyBytes caps the JSON body the receiver reads.
const MaxBodyBytes = 64 << 10

// KeyPrefix is where the Worker stages inbound messages; the receiver refuses any other key.
const KeyPrefix = "inbound/"

// ClientCert is what the TLS terminator (Cloudflare mTLS, request.cf.tlsClientAuth)
// verified about the sending AP's client certificate. Informational for the engine,
// which trusts only the WS-Security signature.
type ClientCert struct {
	Verified          bool   `json:"verified"`
	FingerprintSHA256 string `json:"fingerprintSHA256,omitempty"`
	SubjectDN         string `json:"subjectDN,omitempty"`
	IssuerDN          string `json:"issuerDN,omitempty"`
	Serial            string `json:"serial,omitempty"`
}

// Ref names a staged AS4 message and the HTTP metadata it arrived with.
type Ref struct {
	Bucket      string      `json:"bucket"`
	Key         string      `json:"key"`
	Size        int64       `json:"size"`
	ContentType string      `json:"contentType"`
	SOAPAction  string      `json:"soapAction,omitempty"`
	ClientCert  *ClientCert `json:"clientCert,omitempty"`
}

// Validate checks the fields every Ref needs.
func (r Ref) Validate() error {
	switch {
	case r.Bucket == "":
		return errors.New("byref: no bucket")
	case !strings.HasPrefix(r.Key, KeyPrefix) || strings.Contains(r.Key, ".."):
		return fmt.Errorf("byref: key %q outside %s", r.Key, KeyPrefix)
	case r.Size <= 0:
		return errors.New("byref: size must be positive")
	case r.ContentType == "":
		return errors.New("byref: no content type")
	}
	return nil
}

// ErrAuth is wrapped by every authentication failure.
var ErrAuth = errors.New("byref: authentication failed")

// Sign returns the header values that authenticate body at t.
func Sign(secret []byte, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	return timestamp, hex.EncodeToString(mac(secret, timestamp, body))
}

// Verify checks the header values of a request against body at now.
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no secret configured", ErrAuth)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrAuth)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Window || d < -Window {
		return fmt.Errorf("%w: timestamp outside the %s window", ErrAuth, Window)
	}
	got, err := hex.DecodeString(signature)
	if err != nil || !hmac.Equal(got, mac(secret, timestamp, body)) {
		return fmt.Errorf("%w: bad signature", ErrAuth)
	}
	return nil
}

func mac(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label + "\n" + timestamp + "\n"))
	m.Write(body)
	return m.Sum(nil)
}

// Marshal is the JSON body of a Ref.
func Marshal(r Ref) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("byref: %w", err)
	}
	return b, nil
}

// Parse reads and validates a JSON Ref.
func Parse(b []byte) (Ref, error) {
	var r Ref
	if err := json.Unmarshal(b, &r); err != nil {
		return Ref{}, fmt.Errorf("byref: %w", err)
	}
	return r, r.Validate()
}
