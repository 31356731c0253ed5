package oauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrInvalidToken is returned for a token that is malformed, not signed by this
// installation's key, expired or not yet valid.
var ErrInvalidToken = errors.New("oauth: invalid token")

// MaxTokenBytes caps a presented token.
const MaxTokenBytes = 4096

const jwsHeader = `{"alg":"EdDSA","typ":"at+jwt"}` // RFC 8037 §3.1, RFC 9068 §2.1

type claims struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Tenant   string `json:"tnt"`
	Scope    string `json:"scope"`
	IssuedAt int64  `json:"iat"`
	Expires  int64  `json:"exp"`
	ID       string `json:"jti"`
	// FunctionAddresses, when present, limits the token to these mailboxes.
	FunctionAddresses *[]string `json:"fas,omitempty"`
}

var b64 = base64.RawURLEncoding

func sign(key ed25519.PrivateKey, c claims) (string, error) {
	body, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("oauth: sign: %w", err)
	}
	input := b64.EncodeToString([]byte(jwsHeader)) + "." + b64.EncodeToString(body)
	return input + "." + b64.EncodeToString(ed25519.Sign(key, []byte(input))), nil
}

// Verifier checks access tokens issued with the private half of Key.
type Verifier struct {
	Key    ed25519.PublicKey
	Issuer string
	Now    func() time.Time
	// Leeway tolerates clock skew on iat and exp (0: none; one process issues and checks).
	Leeway time.Duration
}

// Verify returns the principal of token, or ErrInvalidToken (wrapped with the reason).
func (v *Verifier) Verify(token string) (Principal, error) {
	bad := func(why string) (Principal, error) {
		return Principal{}, fmt.Errorf("oauth: %s: %w", why, ErrInvalidToken)
	}
	if len(token) > MaxTokenBytes {
		return bad("token too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return bad("not a compact jws")
	}
	hdr, err := b64.DecodeString(parts[0])
	if err != nil || string(hdr) != jwsHeader {
		return bad("unexpected header")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil || len(v.Key) != ed25519.PublicKeySize || !ed25519.Verify(v.Key, []byte(parts[0]+"."+parts[1]), sig) {
		return bad("signature")
	}
	body, err := b64.DecodeString(parts[1])
	if err != nil {
		return bad("payload encoding")
	}
	var c claims
	if err := json.Unmarshal(body, &c); err != nil {
		return bad("payload")
	}
	now := v.Now().Unix()
	leeway := int64(v.Leeway / time.Second)
	switch {
	case c.Issuer != v.Issuer:
		return bad("issuer")
	case c.Expires+leeway <= now:
		return bad("expired")
	case c.IssuedAt-leeway > now:
		return bad("issued in the future")
	case c.Tenant == "" || c.Subject == "":
		return bad("no tenant or client")
	}
	p := Principal{ClientID: c.Subject, Tenant: c.Tenant, Scopes: splitScope(c.Scope)}
	if c.FunctionAddresses != nil {
		p.LimitFunctionAddresses, p.FunctionAddresses = true, *c.FunctionAddresses
	}
	return p, nil
}

func newJTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
