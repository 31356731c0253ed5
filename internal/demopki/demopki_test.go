package demopki

import (
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestDemoChains(t *testing.T) {
	s := ForTest(t)
	for _, l := range s.Leaves {
		ca := s.CA(s.Issuer[l.Name])
		roots := x509.NewCertPool()
		roots.AddCert(ca.Cert.Cert)
		if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
			t.Errorf("%s does not chain to %s: %v", l.Name, ca.Name, err)
		}
		other := s.CA("smp-ca")
		if ca == other {
			other = s.CA("ap-ca")
		}
		wrong := x509.NewCertPool()
		wrong.AddCert(other.Cert.Cert)
		if _, err := l.Cert.Verify(x509.VerifyOptions{Roots: wrong, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
			t.Errorf("%s verified against the wrong CA %s", l.Name, other.Name)
		}
	}
}

func TestWriteAndLoad(t *testing.T) {
	s := ForTest(t)
	dir := t.TempDir()
	paths, err := s.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2*len(s.CAs) + 2*len(s.Leaves); len(paths) != want {
		t.Fatalf("wrote %d files, want %d", len(paths), want)
	}
	k, err := LoadKey(filepath.Join(dir, "ap-a.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certs, err := LoadCerts(filepath.Join(dir, "ap-a.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
		t.Fatal("ap-a key does not match its certificate")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "ap-a.key.pem")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := LoadCerts(filepath.Join(dir, "ap-a.key.pem")); err == nil {
		t.Fatal("LoadCerts accepted a file with no certificate")
	}
}

func TestIssueValidity(t *testing.T) {
	s := ForTest(t)
	nb := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	c, err := s.CA("o2o-ca").Issue("expired", Options{Bits: 2048, NotBefore: nb, NotAfter: nb.AddDate(1, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Cert.NotAfter.Equal(nb.AddDate(1, 0, 0)) {
		t.Fatalf("NotAfter = %v", c.Cert.NotAfter)
	}
}
