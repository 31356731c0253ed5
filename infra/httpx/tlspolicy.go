package httpx

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
)

// TLSPolicy is the configurable part of the TLS settings of both sides (AS4_CP_TA39:
// "TLS parameters configurable"): the lowest protocol version and the TLS 1.2 cipher
// suites. The zero value is the default, MinVersion and CipherSuites (⚠U spec-facts
// §k 20). TLS 1.3 suites are fixed by Go and all AEAD with ephemeral key exchange.
type TLSPolicy struct {
	MinVersion   uint16   // 0: MinVersion
	CipherSuites []uint16 // nil: CipherSuites
}

// ErrWeakTLS is returned by ParseTLSPolicy for a version below TLS 1.2 or a suite Go
// lists as insecure: a configuration may narrow the defaults, never weaken them below
// what AS4_CP_TA40–42 require.
var ErrWeakTLS = errors.New("httpx: tls policy weaker than allowed")

// tlsVersions are the configurable version names.
var tlsVersions = map[string]uint16{"1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13}

// ParseTLSPolicy reads a configured minimum version ("1.2" or "1.3"; "" keeps the
// default) and TLS 1.2 suite names as Go and IANA spell them
// ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"; empty keeps the default).
func ParseTLSPolicy(minVersion string, suites []string) (TLSPolicy, error) {
	var p TLSPolicy
	if minVersion != "" {
		v, ok := tlsVersions[minVersion]
		if !ok {
			return TLSPolicy{}, fmt.Errorf("httpx: tls min version %q (want 1.2 or 1.3): %w", minVersion, ErrWeakTLS)
		}
		p.MinVersion = v
	}
	for _, name := range suites {
		id, ok := secureSuite(name)
		if !ok {
			return TLSPolicy{}, fmt.Errorf("httpx: tls cipher suite %q is unknown or insecure: %w", name, ErrWeakTLS)
		}
		p.CipherSuites = append(p.CipherSuites, id)
	}
	if p.CipherSuites != nil && !slices.ContainsFunc(p.CipherSuites, func(id uint16) bool { return slices.Contains(http2Suites, id) }) {
		return TLSPolicy{}, errors.New("httpx: tls cipher suites need TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or its ECDSA twin (HTTP/2, RFC 9113 §9.2.2; net/http refuses to serve without)")
	}
	return p, nil
}

// http2Suites are the TLS 1.2 suites of which HTTP/2 needs one (RFC 9113 §9.2.2).
var http2Suites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}

func secureSuite(name string) (uint16, bool) {
	for _, s := range tls.CipherSuites() {
		if s.Name == name && slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			return s.ID, true
		}
	}
	return 0, false
}

// Apply sets c's version floor and suites from p (the defaults where p is zero) and
// returns c.
func (p TLSPolicy) Apply(c *tls.Config) *tls.Config {
	c.MinVersion = MinVersion
	if p.MinVersion != 0 {
		c.MinVersion = p.MinVersion
	}
	c.CipherSuites = CipherSuites
	if p.CipherSuites != nil {
		c.CipherSuites = p.CipherSuites
	}
	return c
}
