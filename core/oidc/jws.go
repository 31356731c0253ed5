package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MaxTokenBytes caps a presented token (RSA signatures and provider claims are larger
// than core/oauth's tokens).
const MaxTokenBytes = 16 << 10

var b64 = base64.RawURLEncoding

// header is the JOSE header members the verifier reads (RFC 7515 §4.1).
type header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// compact is a split JWS Compact Serialization (RFC 7515 §7.1).
type compact struct {
	header  header
	input   string // BASE64URL(header) "." BASE64URL(payload): what is signed
	payload []byte
	sig     []byte
}

func parseCompact(token string) (compact, error) {
	if len(token) > MaxTokenBytes {
		return compact{}, errors.New("token too long")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 { // five parts would be a JWE: never accepted
		return compact{}, errors.New("not a compact JWS")
	}
	var c compact
	hb, err := b64.DecodeString(parts[0])
	if err != nil {
		return compact{}, errors.New("header encoding")
	}
	if err := json.Unmarshal(hb, &c.header); err != nil {
		return compact{}, errors.New("header JSON")
	}
	if c.payload, err = b64.DecodeString(parts[1]); err != nil {
		return compact{}, errors.New("payload encoding")
	}
	if c.sig, err = b64.DecodeString(parts[2]); err != nil {
		return compact{}, errors.New("signature encoding")
	}
	c.input = parts[0] + "." + parts[1]
	switch {
	case c.header.Alg != AlgRS256 && c.header.Alg != AlgES256: // RFC 8725 §3.1: an allow list
		return compact{}, fmt.Errorf("alg %q not accepted", c.header.Alg)
	case c.header.Crit != nil: // RFC 7515 §4.1.11
		return compact{}, errors.New("crit header not understood")
	}
	return c, nil
}

// verify checks c's signature with k (whose alg equals the header's).
func (c compact) verify(k key) error {
	sum := sha256.Sum256([]byte(c.input))
	switch pub := k.pub.(type) {
	case *rsa.PublicKey: // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], c.sig) != nil {
			return errors.New("signature")
		}
	case *ecdsa.PublicKey: // RFC 7518 §3.4: R || S, 32 octets each
		if len(c.sig) != 64 {
			return errors.New("ES256 signature is not 64 octets")
		}
		r, s := new(big.Int).SetBytes(c.sig[:32]), new(big.Int).SetBytes(c.sig[32:])
		if !ecdsa.Verify(pub, sum[:], r, s) {
			return errors.New("signature")
		}
	default:
		panic("internal error: oidc key of unknown type")
	}
	return nil
}
