// Package trust validates X.509 certificate chains (RFC 5280 §6, through
// crypto/x509) for the AS4 layer of Säker digital kommunikation: a peer access
// point's certificate must chain to the environment's AP CA (spec-facts §j) at
// an injected time, carry the key usage its role needs (RFC 5280 §4.2.1.3), and,
// for RSA, have a modulus of 2048 to 4096 bits (eDelivery AS4 1.15, security
// section: RSA keys of 2048 up to 4096 bits).
//
// Captured material from other implementations often has certificates whose
// issuer is not published; a Store may pin such leaves, which are then trusted
// by exact equality (still subject to the validity period and key checks).
// Revocation is checked only against CRLs the caller provides (RFC 5280 §6.3),
// as a fixed list or through a CRLSource port (an adapter that fetches them); the
// package fetches nothing itself.
//
// Revocation policy: a CRL whose signature does not verify or whose nextUpdate has
// passed is refused, and so is a certificate whose revocation status a configured
// CRLSource cannot determine (RFC 5280 §6.3.3: status UNDETERMINED). That is fail
// closed: once a deployment configures CRLs, no fresh CRL means no trust.
package trust

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Sentinels; Verify's errors wrap exactly one of them.
var (
	ErrUntrusted = errors.New("trust: certificate not trusted")
	ErrExpired   = errors.New("trust: certificate outside its validity period")
	ErrKeyUsage  = errors.New("trust: key usage not permitted")
	ErrKeySize   = errors.New("trust: key type or size not permitted")
	ErrRevoked   = errors.New("trust: certificate revoked")
	ErrConfig    = errors.New("trust: store misconfigured")
)

// Usage is what a certificate is used for.
type Usage int

const (
	// Signing: digitalSignature or nonRepudiation (RFC 5280 §4.2.1.3).
	Signing Usage = iota
	// Encryption: keyEncipherment for RSA key transport, keyAgreement for X25519/ECDH.
	Encryption
)

// AS4 key size limits (eDelivery AS4 1.15).
const (
	MinRSABits = 2048
	MaxRSABits = 4096
)

// Store is a trust store. The zero value trusts nothing.
type Store struct {
	// Roots are the trust anchors (for AS4: the environment's AP CA and its root).
	Roots []*x509.Certificate
	// Intermediates may complete chains in addition to those a message carries.
	Intermediates []*x509.Certificate
	// Pinned leaves are trusted by byte equality; for captured test material only.
	Pinned []*x509.Certificate
	// CRLs are checked for every certificate of the chain whose issuer signed one.
	CRLs []*x509.RevocationList
	// Revocation, when set, supplies further CRLs at every Verify (fetched ones).
	Revocation CRLSource
	// Now is the validation time; required.
	Now func() time.Time
	// MinRSABits and MaxRSABits default to 2048 and 4096.
	MinRSABits, MaxRSABits int
	// ExtKeyUsage, when set, is required of the chain; default any.
	ExtKeyUsage []x509.ExtKeyUsage
}

// CRLSource supplies the current CRLs at validation time (RFC 5280 §5), e.g. those
// an adapter fetched from configured distribution points and caches until their
// nextUpdate. It may return a CRL whose nextUpdate has passed (the last one it
// has); Verify then refuses certificates of that issuer. An error means the
// revocation status cannot be determined, and Verify refuses (fail closed).
type CRLSource interface {
	CRLs(now time.Time) ([]*x509.RevocationList, error)
}

// NewStore returns a store with roots as anchors and now as its clock.
func NewStore(roots []*x509.Certificate, now func() time.Time) *Store {
	return &Store{Roots: append([]*x509.Certificate(nil), roots...), Now: now}
}

// Verify checks leaf for usage and returns its chain (leaf first, anchor last).
// extra are further certificates the message carried (intermediates).
func (s *Store) Verify(leaf *x509.Certificate, extra []*x509.Certificate, usage Usage) ([]*x509.Certificate, error) {
	if leaf == nil {
		return nil, fmt.Errorf("trust: no certificate: %w", ErrUntrusted)
	}
	if s == nil || s.Now == nil {
		return nil, fmt.Errorf("trust: no clock: %w", ErrConfig)
	}
	now := s.Now()
	if err := s.checkKey(leaf); err != nil {
		return nil, err
	}
	if err := checkUsage(leaf, usage); err != nil {
		return nil, err
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("trust: %q valid %s to %s, checked at %s: %w", leaf.Subject.String(),
			leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), ErrExpired)
	}
	for _, p := range s.Pinned {
		if p != nil && bytes.Equal(p.Raw, leaf.Raw) {
			chain := []*x509.Certificate{leaf}
			if err := s.checkRevoked(chain, now); err != nil {
				return nil, err
			}
			return chain, nil
		}
	}
	if len(s.Roots) == 0 {
		return nil, fmt.Errorf("trust: %q: no trust anchors: %w", leaf.Subject.String(), ErrUntrusted)
	}
	roots := x509.NewCertPool()
	for _, r := range s.Roots {
		roots.AddCert(r)
	}
	inter := x509.NewCertPool()
	for _, c := range s.Intermediates {
		inter.AddCert(c)
	}
	for _, c := range extra {
		if c != nil && !bytes.Equal(c.Raw, leaf.Raw) {
			inter.AddCert(c)
		}
	}
	eku := s.ExtKeyUsage
	if len(eku) == 0 {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now, KeyUsages: eku})
	if err != nil {
		var inv x509.CertificateInvalidError
		if errors.As(err, &inv) && inv.Reason == x509.Expired {
			return nil, fmt.Errorf("trust: %q: %v: %w", leaf.Subject.String(), err, ErrExpired)
		}
		return nil, fmt.Errorf("trust: %q: %v: %w", leaf.Subject.String(), err, ErrUntrusted)
	}
	var lastErr error
	for _, chain := range chains {
		if err := s.checkRevoked(chain, now); err != nil {
			lastErr = err
			continue
		}
		return chain, nil
	}
	return nil, lastErr
}

func (s *Store) checkKey(c *x509.Certificate) error {
	pub := c.PublicKey
	if pub == nil { // crypto/x509 does not decode X25519 keys in certificates (RFC 8410)
		pub, _ = x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		lo, hi := s.MinRSABits, s.MaxRSABits
		if lo == 0 {
			lo = MinRSABits
		}
		if hi == 0 {
			hi = MaxRSABits
		}
		if n := k.N.BitLen(); n < lo || n > hi {
			return fmt.Errorf("trust: %q: RSA key of %d bits, want %d to %d (eDelivery AS4 1.15): %w", c.Subject.String(), n, lo, hi, ErrKeySize)
		}
	case ed25519.PublicKey, *ecdh.PublicKey, *ecdsa.PublicKey:
	default:
		return fmt.Errorf("trust: %q: key type %T: %w", c.Subject.String(), pub, ErrKeySize)
	}
	return nil
}

// checkUsage applies RFC 5280 §4.2.1.3: when the extension is present, the bit
// for the role must be set.
func checkUsage(c *x509.Certificate, u Usage) error {
	if c.KeyUsage == 0 {
		return nil // extension absent: no restriction
	}
	var need x509.KeyUsage
	switch u {
	case Signing:
		need = x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment
	case Encryption:
		if _, ok := c.PublicKey.(*rsa.PublicKey); ok {
			need = x509.KeyUsageKeyEncipherment
		} else {
			need = x509.KeyUsageKeyAgreement
		}
	default:
		return fmt.Errorf("trust: unknown usage %d: %w", u, ErrConfig)
	}
	if c.KeyUsage&need == 0 {
		return fmt.Errorf("trust: %q: key usage %#x lacks %#x: %w", c.Subject.String(), c.KeyUsage, need, ErrKeyUsage)
	}
	return nil
}

// checkRevoked looks every certificate of chain up in the CRLs its issuer signed.
// A CRL whose signature does not verify, or whose nextUpdate has passed, is refused.
func (s *Store) checkRevoked(chain []*x509.Certificate, now time.Time) error {
	crls := s.CRLs
	if s.Revocation != nil {
		more, err := s.Revocation.CRLs(now)
		if err != nil { // RFC 5280 §6.3.3: UNDETERMINED; refused (package doc)
			return fmt.Errorf("trust: revocation status of %q undetermined: %v: %w", chain[0].Subject.String(), err, ErrUntrusted)
		}
		crls = append(append([]*x509.RevocationList(nil), crls...), more...)
	}
	if len(crls) == 0 {
		return nil
	}
	for i, c := range chain {
		var issuer *x509.Certificate
		if i+1 < len(chain) {
			issuer = chain[i+1]
		}
		for _, crl := range crls {
			if crl == nil || !bytes.Equal(crl.RawIssuer, c.RawIssuer) {
				continue
			}
			if issuer == nil {
				issuer = s.findIssuer(c)
			}
			if issuer == nil {
				return fmt.Errorf("trust: CRL for %q: issuer unknown: %w", c.Issuer.String(), ErrUntrusted)
			}
			if err := crl.CheckSignatureFrom(issuer); err != nil {
				return fmt.Errorf("trust: CRL of %q: %v: %w", c.Issuer.String(), err, ErrUntrusted)
			}
			if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
				return fmt.Errorf("trust: CRL of %q stale since %s: %w", c.Issuer.String(), crl.NextUpdate.UTC().Format(time.RFC3339), ErrUntrusted)
			}
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber != nil && e.SerialNumber.Cmp(c.SerialNumber) == 0 && !e.RevocationTime.After(now) {
					return fmt.Errorf("trust: %q serial %s revoked at %s: %w", c.Subject.String(), c.SerialNumber.Text(16), e.RevocationTime.UTC().Format(time.RFC3339), ErrRevoked)
				}
			}
		}
	}
	return nil
}

func (s *Store) findIssuer(c *x509.Certificate) *x509.Certificate {
	for _, list := range [][]*x509.Certificate{s.Roots, s.Intermediates} {
		for _, cand := range list {
			if bytes.Equal(cand.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(cand) == nil {
				return cand
			}
		}
	}
	return nil
}
