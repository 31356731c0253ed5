package orgkey

import (
	"bytes"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "not coded: " + err.Error()
}

func pemOf(t *testing.T, set *demopki.Set, keyOf, certOf string) []byte {
	t.Helper()
	kb, err := demopki.KeyPEM(set.Leaf(keyOf).Key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(kb), pem.EncodeToMemory(demopki.CertPEM(set.Leaf(certOf).Cert))...)
}

func TestFromPEM(t *testing.T) {
	set := demopki.ForTest(t)
	p, err := FromPEM(pemOf(t, set, "org-a", "org-a"), now)
	if err != nil || !p.Cert.Equal(set.Leaf("org-a").Cert) || p.Decrypter == nil {
		t.Fatalf("org-a: %v", err)
	}
	cert := pem.EncodeToMemory(demopki.CertPEM(set.Leaf("org-a").Cert))
	for name, c := range map[string]struct {
		text []byte
		at   time.Time
		want string
	}{
		"wrong key":     {pemOf(t, set, "org-b", "org-a"), now, "key-mismatch"},
		"expired":       {pemOf(t, set, "org-a", "org-a"), set.Leaf("org-a").Cert.NotAfter.Add(time.Second), "cert-expired"},
		"not yet valid": {pemOf(t, set, "org-a", "org-a"), set.Leaf("org-a").Cert.NotBefore.Add(-time.Second), "cert-expired"},
		"no key":        {cert, now, "key-missing"},
		"no cert":       {bytes.TrimSuffix(pemOf(t, set, "org-a", "org-a"), cert), now, "cert-missing"},
		"encrypted":     {[]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), now, "key-encrypted"},
		"garbage key":   {[]byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), now, "key-unreadable"},
	} {
		if _, err := FromPEM(c.text, c.at); err == nil || code(err) != c.want {
			t.Errorf("%s: %v, want %s", name, err, c.want)
		}
	}
}

// TestFromPKCS12OpenSSL: files written by Debian's openssl (3.x: PBES2 with AES-256-CBC by
// default; -legacy: 3DES and RC2) open with their password, give org-a's key, certificate
// and CA; a wrong password is pkcs12-password.
func TestFromPKCS12OpenSSL(t *testing.T) {
	openssl := extool.Need(t, "openssl")
	set := demopki.ForTest(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	kb, _ := demopki.KeyPEM(set.Leaf("org-a").Key)
	key := write("key.pem", pem.EncodeToMemory(kb))
	cert := write("cert.pem", pem.EncodeToMemory(demopki.CertPEM(set.Leaf("org-a").Cert)))
	ca := write("ca.pem", pem.EncodeToMemory(demopki.CertPEM(set.CA("o2o-ca").Cert.Cert)))
	for _, c := range []struct {
		name  string
		extra []string
		algo  string // what `openssl pkcs12 -info` says the key bag uses
	}{
		{"default", nil, "AES-256-CBC"},
		{"legacy", []string{"-legacy"}, "pbeWithSHA1And3-KeyTripleDES-CBC"},
	} {
		out := filepath.Join(dir, c.name+".p12")
		args := append([]string{"pkcs12", "-export", "-inkey", key, "-in", cert, "-certfile", ca, "-name", "Kommun A",
			"-passout", "pass:Hemligt lösen 1", "-out", out}, c.extra...)
		if b, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: openssl %v: %v\n%s", c.name, args, err, b)
		}
		info, _ := exec.Command(openssl, append([]string{"pkcs12", "-info", "-noout", "-in", out, "-passin", "pass:Hemligt lösen 1"}, c.extra...)...).CombinedOutput()
		if !bytes.Contains(info, []byte(c.algo)) {
			t.Fatalf("%s: openssl -info does not show %s:\n%s", c.name, c.algo, info)
		}
		b, _ := os.ReadFile(out)
		p, err := FromPKCS12(b, "Hemligt lösen 1", now)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !p.Cert.Equal(set.Leaf("org-a").Cert) || len(p.Chain) != 2 || !p.Chain[1].Equal(set.CA("o2o-ca").Cert.Cert) ||
			!p.Key.Public().(*rsa.PublicKey).Equal(set.Leaf("org-a").Cert.PublicKey) {
			t.Fatalf("%s: wrong contents: %s, chain %d", c.name, p.Cert.Subject, len(p.Chain))
		}
		if _, err := FromPKCS12(b, "hemligt lösen 1", now); code(err) != "pkcs12-password" {
			t.Errorf("%s: wrong password: %v", c.name, err)
		}
	}
}

// TestFromPKCS12Harmony: the keystore of Harmony's (Domibus) tests, written by Java
// (PBES2, AES-256-CBC, HMAC-SHA256), holds the RSA key of CN=blue_gw.
func TestFromPKCS12Harmony(t *testing.T) {
	b, err := os.ReadFile("testdata/gateway_keystore.p12")
	if err != nil {
		t.Fatal(err)
	}
	p, err := FromPKCS12(b, "test123", now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Cert.Subject.CommonName != "blue_gw" || p.Decrypter == nil {
		t.Fatalf("got %s", p.Cert.Subject)
	}
	if _, ok := p.Key.Public().(*rsa.PublicKey); !ok {
		t.Fatalf("key %T", p.Key.Public())
	}
	if _, err := FromPKCS12(b, "test124", now); code(err) != "pkcs12-password" {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := FromPKCS12(b, "test123", p.Cert.NotAfter.Add(time.Hour)); code(err) != "cert-expired" {
		t.Errorf("expired: %v", err)
	}
	if _, err := FromPKCS12(b[:len(b)/2], "test123", now); code(err) != "pkcs12-unreadable" {
		t.Errorf("truncated: %v", err)
	}
}

// FuzzFromPKCS12: any bytes and password give a Pair or an *Error, never a panic.
func FuzzFromPKCS12(f *testing.F) {
	b, err := os.ReadFile("testdata/gateway_keystore.p12")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "test123")
	f.Add(b[:100], "")
	f.Fuzz(func(t *testing.T, data []byte, password string) {
		if _, err := FromPKCS12(data, password, now); err != nil && code(err)[:4] == "not " {
			t.Fatalf("uncoded error %v", err)
		}
	})
}
