package audit_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/internal/extool"
)

func selfSigned(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "AP0001-TEST"},
		NotBefore: audittest.T0, NotAfter: audittest.T0.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func anchorKeys(t *testing.T) map[string]crypto.Signer {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, dk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]crypto.Signer{"rsa": rk, "ecdsa": ek, "ed25519": dk}
}

// The anchor lines carry a signature by the tenant's AP key; VerifyAnchor accepts it for
// that anchor and tenant only, and OpenSSL (not our code) verifies it too.
func TestSignedAnchors(t *testing.T) {
	for name, key := range anchorKeys(t) {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			l, err := audit.NewLog(audit.Options{Store: audittest.NewMemory(), Now: audittest.NewClock(audittest.T0).Now,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil)), AnchorEvery: 2,
				AnchorKey: func(string) crypto.Signer { return key }})
			if err != nil {
				t.Fatal(err)
			}
			var head audit.Entry
			for i := 1; i <= 4; i++ {
				if head, err = l.Append(context.Background(), audittest.Event("kommun-a", i)); err != nil {
					t.Fatal(err)
				}
			}
			var line struct{ Tenant, Anchor, Signature string }
			lines := bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n"))
			if len(lines) != 2 || json.Unmarshal(lines[1], &line) != nil {
				t.Fatalf("anchor lines: %s", logs.Bytes())
			}
			a, err := audit.ParseAnchor(line.Anchor)
			if err != nil || a.Seq != 4 || a.Hash != head.Hash {
				t.Fatalf("anchor %q, head #%d %s", line.Anchor, head.Seq, audit.HashHex(head.Hash))
			}
			sig, err := base64.StdEncoding.DecodeString(line.Signature)
			if err != nil {
				t.Fatal(err)
			}
			cert := selfSigned(t, key)
			if err := audit.VerifyAnchor(cert, "kommun-a", a, sig); err != nil {
				t.Fatal(err)
			}
			if audit.VerifyAnchor(cert, "kommun-b", a, sig) == nil {
				t.Fatal("the signature holds for another tenant")
			}
			other := a
			other.Seq--
			if audit.VerifyAnchor(cert, "kommun-a", other, sig) == nil {
				t.Fatal("the signature holds for another anchor")
			}
			opensslVerifies(t, cert, audit.AnchorStatement("kommun-a", a), sig)
		})
	}
}

// opensslVerifies checks sig over msg with the certificate's public key in OpenSSL.
func opensslVerifies(t *testing.T, cert *x509.Certificate, msg, sig []byte) {
	openssl := extool.Need(t, "openssl")
	dir := t.TempDir()
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"pub.pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), "msg": msg, "sig": sig}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig", "msg"}
	if cert.PublicKeyAlgorithm == x509.Ed25519 {
		args = []string{"pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", "msg", "-sigfile", "sig"}
	}
	cmd := exec.Command(openssl, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v: %s", args, err, out)
	}
}
