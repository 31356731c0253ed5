package trust_test

import (
	"crypto/rand"
	"crypto/x509"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/internal/demopki"
)

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestVerify(t *testing.T) {
	pki := demopki.ForTest(t)
	leaf := pki.Leaf("ap-a").Cert
	ca := pki.CA("ap-ca").Cert.Cert
	now := time.Now()
	store := trust.NewStore([]*x509.Certificate{ca}, at(now))

	chain, err := store.Verify(leaf, nil, trust.Signing)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(chain) != 2 || chain[1] != ca {
		t.Fatalf("chain = %v", chain)
	}
	if _, err := store.Verify(leaf, nil, trust.Encryption); err != nil {
		t.Fatalf("Verify encryption: %v", err)
	}

	tests := []struct {
		name  string
		store *trust.Store
		leaf  *x509.Certificate
		want  error
	}{
		{"other CA", trust.NewStore([]*x509.Certificate{pki.CA("o2o-ca").Cert.Cert}, at(now)), leaf, trust.ErrUntrusted},
		{"no anchors", &trust.Store{Now: at(now)}, leaf, trust.ErrUntrusted},
		{"expired", trust.NewStore([]*x509.Certificate{ca}, at(leaf.NotAfter.Add(time.Hour))), leaf, trust.ErrExpired},
		{"not yet valid", trust.NewStore([]*x509.Certificate{ca}, at(leaf.NotBefore.Add(-time.Hour))), leaf, trust.ErrExpired},
		{"no clock", &trust.Store{Roots: []*x509.Certificate{ca}}, leaf, trust.ErrConfig},
		{"nil leaf", store, nil, trust.ErrUntrusted},
	}
	for _, tc := range tests {
		if _, err := tc.store.Verify(tc.leaf, nil, trust.Signing); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestRootFromMessageIsNotAnAnchor: a CA certificate the message carries only
// completes chains; it never becomes a trust anchor.
func TestRootFromMessageIsNotAnAnchor(t *testing.T) {
	root, err := demopki.NewCA("root", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := root.Issue("leaf", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	other := demopki.ForTest(t).CA("ap-ca").Cert.Cert
	s := trust.NewStore([]*x509.Certificate{other}, at(time.Now()))
	if _, err := s.Verify(leaf.Cert, []*x509.Certificate{root.Cert.Cert}, trust.Signing); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("a root carried by the message must not become an anchor: %v", err)
	}
}

func TestKeyUsage(t *testing.T) {
	ca := demopki.ForTest(t).CA("ap-ca")
	encOnly, err := ca.Issue("enc-only", demopki.Options{Bits: 2048, KeyUsage: x509.KeyUsageKeyEncipherment})
	if err != nil {
		t.Fatal(err)
	}
	s := trust.NewStore([]*x509.Certificate{ca.Cert.Cert}, at(time.Now()))
	if _, err := s.Verify(encOnly.Cert, nil, trust.Signing); !errors.Is(err, trust.ErrKeyUsage) {
		t.Fatalf("signing with keyEncipherment-only cert: %v", err)
	}
	if _, err := s.Verify(encOnly.Cert, nil, trust.Encryption); err != nil {
		t.Fatalf("encryption: %v", err)
	}
	sigOnly, err := ca.Issue("sig-only", demopki.Options{Bits: 2048, KeyUsage: x509.KeyUsageDigitalSignature})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(sigOnly.Cert, nil, trust.Encryption); !errors.Is(err, trust.ErrKeyUsage) {
		t.Fatalf("encryption with signature-only cert: %v", err)
	}
}

func TestKeySize(t *testing.T) {
	ca := demopki.ForTest(t).CA("ap-ca")
	small, err := ca.Issue("small", demopki.Options{Bits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	s := trust.NewStore([]*x509.Certificate{ca.Cert.Cert}, at(time.Now()))
	if _, err := s.Verify(small.Cert, nil, trust.Signing); !errors.Is(err, trust.ErrKeySize) {
		t.Fatalf("1024-bit key: %v", err)
	}
	s.MinRSABits = 1024
	if _, err := s.Verify(small.Cert, nil, trust.Signing); err != nil {
		t.Fatalf("1024-bit key with MinRSABits 1024: %v", err)
	}
	ed, err := ca.Issue("ed", demopki.Options{Kind: demopki.Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ed.Cert, nil, trust.Signing); err != nil {
		t.Fatalf("Ed25519 leaf: %v", err)
	}
}

func TestPinned(t *testing.T) {
	pki := demopki.ForTest(t)
	leaf := pki.Leaf("ap-b").Cert
	s := &trust.Store{Pinned: []*x509.Certificate{leaf}, Now: at(time.Now())}
	chain, err := s.Verify(leaf, nil, trust.Signing)
	if err != nil || len(chain) != 1 {
		t.Fatalf("pinned: %v %v", chain, err)
	}
	if _, err := s.Verify(pki.Leaf("ap-a").Cert, nil, trust.Signing); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("unpinned: %v", err)
	}
	s.Now = at(leaf.NotAfter.Add(time.Second))
	if _, err := s.Verify(leaf, nil, trust.Signing); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("pinned but expired: %v", err)
	}
}

func TestCRL(t *testing.T) {
	pki := demopki.ForTest(t)
	ca := pki.CA("ap-ca")
	leaf := pki.Leaf("ap-a").Cert
	now := time.Now()
	mk := func(serials ...*big.Int) *x509.RevocationList {
		t.Helper()
		var entries []x509.RevocationListEntry
		for _, s := range serials {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
		}
		der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
			Number: big.NewInt(1), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(time.Hour),
			RevokedCertificateEntries: entries,
		}, ca.Cert.Cert, ca.Key)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		return crl
	}
	s := trust.NewStore([]*x509.Certificate{ca.Cert.Cert}, at(now))
	s.CRLs = []*x509.RevocationList{mk(big.NewInt(12345))}
	if _, err := s.Verify(leaf, nil, trust.Signing); err != nil {
		t.Fatalf("not revoked: %v", err)
	}
	s.CRLs = []*x509.RevocationList{mk(leaf.SerialNumber)}
	if _, err := s.Verify(leaf, nil, trust.Signing); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("revoked: %v", err)
	}
	s.Now = at(now.Add(2 * time.Hour))
	s.CRLs = []*x509.RevocationList{mk()}
	if _, err := s.Verify(leaf, nil, trust.Signing); !errors.Is(err, trust.ErrUntrusted) {
		t.Fatalf("stale CRL: %v", err)
	}
}

// crlSource is a CRLSource that answers what it holds.
type crlSource struct {
	crls []*x509.RevocationList
	err  error
}

func (s crlSource) CRLs(time.Time) ([]*x509.RevocationList, error) { return s.crls, s.err }

func TestCRLSource(t *testing.T) {
	pki := demopki.ForTest(t)
	ca := pki.CA("ap-ca")
	leaf := pki.Leaf("ap-a").Cert
	now := time.Now()
	crl := func(next time.Time, revoked ...*big.Int) *x509.RevocationList {
		t.Helper()
		var entries []x509.RevocationListEntry
		for _, s := range revoked {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
		}
		l, err := ca.CRL(entries, now.Add(-time.Hour), next)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	s := trust.NewStore([]*x509.Certificate{ca.Cert.Cert}, at(now))
	cases := []struct {
		name string
		src  crlSource
		want error
	}{
		{"fresh, not listed", crlSource{crls: []*x509.RevocationList{crl(now.Add(time.Hour), big.NewInt(7))}}, nil},
		{"fresh, revoked", crlSource{crls: []*x509.RevocationList{crl(now.Add(time.Hour), leaf.SerialNumber)}}, trust.ErrRevoked},
		{"stale (fail closed)", crlSource{crls: []*x509.RevocationList{crl(now.Add(-time.Second))}}, trust.ErrUntrusted},
		{"undetermined (fail closed)", crlSource{err: errors.New("fetch failed")}, trust.ErrUntrusted},
		{"nothing configured", crlSource{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.Revocation = c.src
			_, err := s.Verify(leaf, nil, trust.Signing)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}
