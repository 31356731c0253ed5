// Package x25519cert issues X.509 certificates for X25519 keys (RFC 8410 §4),
// the encryption certificates of eDelivery AS4 2.0, for tests and demos.
// crypto/x509.CreateCertificate refuses *ecdh.PublicKey, so the certificate is
// first made for a throw-away Ed25519 key and its subjectPublicKeyInfo is then
// replaced by the X25519 key before the issuer signs the TBSCertificate again.
// The issuing CA must have an Ed25519 key (eDelivery AS4 2.0 CAs sign with EdDSA).
package x25519cert

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/brevduva/brevduva/internal/demopki"
)

// Issue returns a certificate for pub with subject CN cn, issued by ca, with
// key usage keyAgreement and the validity period of o.
func Issue(ca *demopki.Authority, cn string, pub *ecdh.PublicKey, o demopki.Options) (*x509.Certificate, error) {
	caKey, ok := ca.Key.(ed25519.PrivateKey)
	if !ok {
		return nil, errors.New("x25519cert: the CA key must be Ed25519")
	}
	if pub.Curve() != ecdh.X25519() {
		return nil, errors.New("x25519cert: not an X25519 key")
	}
	o.Kind = demopki.Ed25519
	o.KeyUsage = x509.KeyUsageKeyAgreement
	tmp, err := ca.Issue(cn, o)
	if err != nil {
		return nil, fmt.Errorf("x25519cert: %w", err)
	}
	var cert struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(tmp.Cert.Raw, &cert); err != nil {
		return nil, fmt.Errorf("x25519cert: %w", err)
	}
	// Split the TBSCertificate SEQUENCE into its elements.
	var elems []asn1.RawValue
	rest := cert.TBS.Bytes
	for len(rest) > 0 {
		var rv asn1.RawValue
		if rest, err = asn1.Unmarshal(rest, &rv); err != nil {
			return nil, fmt.Errorf("x25519cert: %w", err)
		}
		elems = append(elems, rv)
	}
	// version [0], serial, signature, issuer, validity, subject, subjectPublicKeyInfo, ...
	const spkiIndex = 6
	if len(elems) <= spkiIndex || elems[0].Tag != 0 || elems[0].Class != asn1.ClassContextSpecific {
		return nil, errors.New("x25519cert: unexpected TBSCertificate layout")
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("x25519cert: %w", err)
	}
	elems[spkiIndex] = asn1.RawValue{FullBytes: spki}
	var body []byte
	for _, e := range elems {
		body = append(body, e.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
	if err != nil {
		return nil, fmt.Errorf("x25519cert: %w", err)
	}
	sig := ed25519.Sign(caKey, tbs)
	der, err := asn1.Marshal(struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}{asn1.RawValue{FullBytes: tbs}, cert.SigAlg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		return nil, fmt.Errorf("x25519cert: %w", err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("x25519cert: parse: %w", err)
	}
	return c, nil
}

// PublicKey returns c's public key; for X25519, which crypto/x509 does not
// decode in certificates, it is parsed from the subjectPublicKeyInfo.
func PublicKey(c *x509.Certificate) (any, error) {
	if c.PublicKey != nil {
		return c.PublicKey, nil
	}
	return x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo)
}

// NewKey returns a fresh X25519 key.
func NewKey() (*ecdh.PrivateKey, error) { return ecdh.X25519().GenerateKey(rand.Reader) }
