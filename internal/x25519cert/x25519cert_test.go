package x25519cert_test

import (
	"crypto/ecdh"
	"crypto/x509"
	"testing"

	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/x25519cert"
)

func TestIssue(t *testing.T) {
	ca, err := demopki.NewCA("ed ca", demopki.Options{Kind: demopki.Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	k, err := x25519cert.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	c, err := x25519cert.Issue(ca, "enc", k.PublicKey(), demopki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// crypto/x509 leaves PublicKey nil for X25519; the key is in the SPKI.
	pk, err := x509.ParsePKIXPublicKey(c.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := pk.(*ecdh.PublicKey)
	if !ok || !pub.Equal(k.PublicKey()) {
		t.Fatalf("public key %T", pk)
	}
	if c.KeyUsage != x509.KeyUsageKeyAgreement {
		t.Fatalf("key usage %v", c.KeyUsage)
	}
	if err := c.CheckSignatureFrom(ca.Cert.Cert); err != nil {
		t.Fatalf("signature: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert.Cert)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Fatalf("chain: %v", err)
	}
}
