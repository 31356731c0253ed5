// Package demopki creates a test PKI shaped like DIGG's SDK environments
// (shared/design/spec-facts.md §j): an access point CA issuing AP certificates
// (CN = AP party id), an SMP CA issuing the SMP signing certificate, and an O2O CA
// issuing organisation function certificates, plus a TLS CA for mutual TLS.
//
// It is for demos and tests only: keys are written unencrypted.
package demopki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// Cert is a certificate with its private key.
type Cert struct {
	Name string
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Authority is a CA that issues certificates.
type Authority struct {
	Cert
}

// KeyKind selects the key algorithm of a new certificate.
type KeyKind int

const (
	RSA     KeyKind = iota // RSA with Options.Bits
	Ed25519                // eDelivery AS4 2.0 signing key
)

// Options shape a new certificate. Zero values give sensible defaults.
type Options struct {
	Bits      int       // RSA modulus size; default 3072 (as DIGG's CAs)
	Kind      KeyKind   // default RSA
	NotBefore time.Time // default now - 1h
	NotAfter  time.Time // default NotBefore + 2 years
	Org       string    // subject O; default "Brevduva demo"
	DNSNames  []string  // for TLS server certificates
	KeyUsage  x509.KeyUsage
	ExtUsage  []x509.ExtKeyUsage
	// PublicKey, when set, is certified instead of a newly generated key (for example an
	// X25519 key, which cannot sign). The returned Cert then has a nil Key.
	PublicKey crypto.PublicKey
}

func (o Options) withDefaults() Options {
	if o.Bits == 0 {
		o.Bits = 3072
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour).Truncate(time.Second)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = o.NotBefore.Add(2 * 365 * 24 * time.Hour)
	}
	if o.Org == "" {
		o.Org = "Brevduva demo"
	}
	return o
}

func newKey(o Options) (crypto.Signer, error) {
	switch o.Kind {
	case RSA:
		return rsa.GenerateKey(rand.Reader, o.Bits)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("demopki: unknown key kind %d", o.Kind)
}

// NewCA creates a self-signed root CA named cn.
func NewCA(cn string, o Options) (*Authority, error) {
	o = o.withDefaults()
	key, err := newKey(o)
	if err != nil {
		return nil, fmt.Errorf("demopki: ca key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{o.Org}, Country: []string{"SE"}},
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski(key.Public()),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("demopki: create ca %q: %w", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("demopki: parse ca %q: %w", cn, err)
	}
	return &Authority{Cert{Name: cn, Cert: c, Key: key}}, nil
}

// Issue creates an end-entity certificate with subject CN cn. Without KeyUsage in o it
// gets digitalSignature|keyEncipherment (what DIGG's function certificates carry) and,
// where DNSNames are given, serverAuth+clientAuth.
func (ca *Authority) Issue(cn string, o Options) (*Cert, error) {
	o = o.withDefaults()
	var key crypto.Signer
	pub := o.PublicKey
	if pub == nil {
		k, err := newKey(o)
		if err != nil {
			return nil, fmt.Errorf("demopki: key for %q: %w", cn, err)
		}
		key, pub = k, k.Public()
	}
	ku := o.KeyUsage
	if ku == 0 {
		ku = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		if _, ok := pub.(ed25519.PublicKey); ok {
			ku = x509.KeyUsageDigitalSignature
		}
	}
	eku := o.ExtUsage
	if eku == nil && len(o.DNSNames) > 0 {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	tmpl := &x509.Certificate{
		SerialNumber:   serial(),
		Subject:        pkix.Name{CommonName: cn, Organization: []string{o.Org}, Country: []string{"SE"}},
		NotBefore:      o.NotBefore,
		NotAfter:       o.NotAfter,
		KeyUsage:       ku,
		ExtKeyUsage:    eku,
		DNSNames:       o.DNSNames,
		SubjectKeyId:   ski(pub),
		AuthorityKeyId: ca.Cert.Cert.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("demopki: issue %q: %w", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("demopki: parse %q: %w", cn, err)
	}
	return &Cert{Name: cn, Cert: c, Key: key}, nil
}

// CRL issues a CRL (RFC 5280 §5) signed by ca that lists revoked, valid from
// thisUpdate to nextUpdate, numbered by thisUpdate's Unix time (so a later CRL has
// a larger number, RFC 5280 §5.2.3).
func (ca *Authority) CRL(revoked []x509.RevocationListEntry, thisUpdate, nextUpdate time.Time) (*x509.RevocationList, error) {
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:     big.NewInt(thisUpdate.Unix()),
		ThisUpdate: thisUpdate, NextUpdate: nextUpdate,
		RevokedCertificateEntries: revoked,
	}, ca.Cert.Cert, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("demopki: crl of %q: %w", ca.Cert.Cert.Subject.CommonName, err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("demopki: parse crl of %q: %w", ca.Cert.Cert.Subject.CommonName, err)
	}
	return crl, nil
}

// CRLPEM returns the PEM block ("X509 CRL", as openssl writes it) of crl.
func CRLPEM(crl *x509.RevocationList) *pem.Block { return &pem.Block{Type: "X509 CRL", Bytes: crl.Raw} }

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic("internal error: crypto/rand: " + err.Error())
	}
	return n.Add(n, big.NewInt(1))
}

func ski(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	h := sha1.Sum(der)
	return h[:]
}

// Set is the demo PKI that `brevduva pki demo` writes: file stem → certificate.
type Set struct {
	CAs    []*Authority // file stems "<name>" → <name>.ca.pem
	Leaves []*Cert      // <name>.key.pem, <name>.cert.pem
	// Issuer maps a leaf name to its CA's name.
	Issuer map[string]string
}

// Demo returns the standard demo PKI: CAs ap-ca, smp-ca, o2o-ca and tls-ca; AP certificates
// ap-a and ap-b (CN AP0001-BREVDUVA-DEMO, AP0002-BREVDUVA-DEMO), smp, organisation
// certificates org-a and org-b, and TLS certificates tls-a and tls-b for localhost.
func Demo(bits int) (*Set, error) { return DemoWith(Options{Bits: bits}) }

// DemoWith is Demo with every certificate made from o (key size, validity).
func DemoWith(o Options) (*Set, error) {
	s := &Set{Issuer: map[string]string{}}
	cas := map[string]string{
		"ap-ca":  "Brevduva Demo Accesspunkt CA",
		"smp-ca": "Brevduva Demo Rot CA SMP",
		"o2o-ca": "Brevduva Demo Function CA",
		"tls-ca": "Brevduva Demo TLS CA",
	}
	byName := map[string]*Authority{}
	for _, n := range []string{"ap-ca", "smp-ca", "o2o-ca", "tls-ca"} {
		ca, err := NewCA(cas[n], o)
		if err != nil {
			return nil, err
		}
		byName[n] = ca
		s.CAs = append(s.CAs, ca)
	}
	leaves := []struct {
		file, ca, cn string
		dns          []string
	}{
		{"ap-a", "ap-ca", "AP0001-BREVDUVA-DEMO", nil},
		{"ap-b", "ap-ca", "AP0002-BREVDUVA-DEMO", nil},
		{"smp", "smp-ca", "smp.brevduva.localhost", nil},
		{"org-a", "o2o-ca", "sdk.kommun-a.localhost", nil},
		{"org-b", "o2o-ca", "sdk.kommun-b.localhost", nil},
		{"tls-a", "tls-ca", "ap-a.localhost", []string{"localhost", "ap-a.localhost"}},
		{"tls-b", "tls-ca", "ap-b.localhost", []string{"localhost", "ap-b.localhost"}},
	}
	for _, l := range leaves {
		lo := o
		lo.DNSNames = l.dns
		c, err := byName[l.ca].Issue(l.cn, lo)
		if err != nil {
			return nil, err
		}
		c.Name = l.file
		s.Leaves = append(s.Leaves, c)
		s.Issuer[l.file] = l.ca
	}
	// CA file stems are the short names.
	for n, ca := range byName {
		ca.Name = n
	}
	return s, nil
}

// Write writes the set to dir and returns the paths written.
func (s *Set) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("demopki: %w", err)
	}
	var written []string
	put := func(name string, mode os.FileMode, blocks ...*pem.Block) error {
		p := filepath.Join(dir, name)
		var b []byte
		for _, blk := range blocks {
			b = append(b, pem.EncodeToMemory(blk)...)
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			return fmt.Errorf("demopki: %w", err)
		}
		written = append(written, p)
		return nil
	}
	for _, ca := range s.CAs {
		if err := put(ca.Name+".ca.pem", 0o644, CertPEM(ca.Cert.Cert)); err != nil {
			return written, err
		}
		kb, err := KeyPEM(ca.Key)
		if err != nil {
			return written, err
		}
		if err := put(ca.Name+".key.pem", 0o600, kb); err != nil {
			return written, err
		}
	}
	for _, l := range s.Leaves {
		if err := put(l.Name+".cert.pem", 0o644, CertPEM(l.Cert)); err != nil {
			return written, err
		}
		kb, err := KeyPEM(l.Key)
		if err != nil {
			return written, err
		}
		if err := put(l.Name+".key.pem", 0o600, kb); err != nil {
			return written, err
		}
	}
	return written, nil
}

// CertPEM returns the PEM block of c.
func CertPEM(c *x509.Certificate) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw} }

// KeyPEM returns the PKCS#8 PEM block of k.
func KeyPEM(k crypto.Signer) (*pem.Block, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("demopki: marshal key: %w", err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
}

// LoadKey reads a PEM private key (PKCS#8, PKCS#1 or SEC1).
func LoadKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	return ParseKeyPEM(b)
}

// ParseKeyPEM parses the first private key block in b.
func ParseKeyPEM(b []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch blk.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PKCS#8 key: %w", err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("key of type %T cannot sign", k)
			}
			return s, nil
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(blk.Bytes)
		}
	}
}

// LoadCerts reads every certificate in a PEM file.
func LoadCerts(path string) ([]*x509.Certificate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load certificates: %w", err)
	}
	return ParseCertsPEM(b)
}

// ParseCertsPEM parses every CERTIFICATE block in b; it fails when there is none.
func ParseCertsPEM(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return out, nil
}

var _ crypto.Signer = (*ecdsa.PrivateKey)(nil)
