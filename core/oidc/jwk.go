package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// Limits on what a provider may send.
const (
	MaxDocumentBytes = 64 << 10 // discovery document, key set
	MaxKeys          = 64       // keys in a set
	minRSABits       = 2048
)

// Algorithms accepted (RFC 7518 §3.1 "alg" values, copied verbatim).
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
)

// jwk is RFC 7517 §4 with the RSA (RFC 7518 §6.3.1) and EC (§6.2.1) members.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// key is a usable verification key of the set.
type key struct {
	kid string
	alg string // the algorithm it verifies: AlgRS256 or AlgES256
	pub crypto.PublicKey
}

// parseKeySet reads a JWK Set (RFC 7517 §5) and keeps the RSA and P-256 signature
// keys; keys of other types or uses are skipped, broken keys of a known type refused.
func parseKeySet(b []byte) ([]key, error) {
	if len(b) > MaxDocumentBytes {
		return nil, errors.New("oidc: key set too large")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("oidc: key set: %w", err)
	}
	if len(set.Keys) > MaxKeys {
		return nil, fmt.Errorf("oidc: key set: more than %d keys", MaxKeys)
	}
	var keys []key
	for i, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" { // RFC 7517 §4.2
			continue
		}
		var (
			kk  key
			err error
		)
		switch k.Kty {
		case "RSA":
			kk, err = k.rsa()
		case "EC":
			kk, err = k.ec()
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("oidc: key set: key %d (%q): %w", i, k.Kid, err)
		}
		if kk.alg == "" {
			continue // a key for another algorithm
		}
		keys = append(keys, kk)
	}
	return keys, nil
}

func (k jwk) rsa() (key, error) {
	if k.Alg != "" && k.Alg != AlgRS256 {
		return key{kid: k.Kid}, nil
	}
	n, err1 := b64.DecodeString(k.N)
	e, err2 := b64.DecodeString(k.E)
	if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
		return key{}, errors.New("bad RSA n or e")
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.N.BitLen() < minRSABits || pub.E < 3 || pub.E%2 == 0 {
		return key{}, fmt.Errorf("RSA key of %d bits or exponent %d refused", pub.N.BitLen(), pub.E)
	}
	return key{kid: k.Kid, alg: AlgRS256, pub: pub}, nil
}

func (k jwk) ec() (key, error) {
	if k.Crv != "P-256" || (k.Alg != "" && k.Alg != AlgES256) {
		return key{kid: k.Kid}, nil
	}
	x, err1 := b64.DecodeString(k.X)
	y, err2 := b64.DecodeString(k.Y)
	if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
		return key{}, errors.New("bad P-256 x or y")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return key{}, fmt.Errorf("P-256 point: %w", err)
	}
	return key{kid: k.Kid, alg: AlgES256, pub: pub}, nil
}

// find returns the key for a token's kid and alg: the key with that kid, or, for a
// token without kid, the set's only key of that algorithm.
func find(keys []key, kid, alg string) (key, bool) {
	var only []key
	for _, k := range keys {
		if k.alg != alg {
			continue
		}
		if kid != "" && k.kid == kid {
			return k, true
		}
		only = append(only, k)
	}
	if kid == "" && len(only) == 1 {
		return only[0], true
	}
	return key{}, false
}
