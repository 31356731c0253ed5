package demopki_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

// TestCRLOpenSSL checks the demo CA's CRL with a tool we did not write: openssl
// verifies the CRL's signature and refuses the revoked certificate under
// -crl_check, while it accepts a certificate the CRL does not list.
func TestCRLOpenSSL(t *testing.T) {
	openssl := extool.Need(t, "openssl")
	pki := demopki.ForTest(t)
	ca := pki.CA("ap-ca")
	revoked, good := pki.Leaf("ap-a").Cert, pki.Leaf("ap-b").Cert
	at := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	crl, err := ca.CRL([]x509.RevocationListEntry{{SerialNumber: revoked.SerialNumber, RevocationTime: at.Add(-24 * time.Hour)}},
		at.Add(-time.Hour), at.Add(7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(ca.Cert.Cert); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b *pem.Block) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caFile, crlFile := write("ca.pem", demopki.CertPEM(ca.Cert.Cert)), write("ca.crl", demopki.CRLPEM(crl))
	run := func(args ...string) (string, error) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		return string(out), err
	}
	if out, err := run("crl", "-in", crlFile, "-CAfile", caFile, "-noout", "-verify", "-text"); err != nil ||
		!strings.Contains(out, "verify OK") || !strings.Contains(strings.ToUpper(out), fmt.Sprintf("%X", revoked.SerialNumber)) {
		t.Fatalf("openssl crl -verify: %v\n%s", err, out)
	}
	attime := fmt.Sprint(at.Unix())
	verify := func(c *x509.Certificate) (string, error) {
		return run("verify", "-attime", attime, "-crl_check", "-CAfile", caFile, "-CRLfile", crlFile, write("leaf.pem", demopki.CertPEM(c)))
	}
	if out, err := verify(revoked); err == nil || !strings.Contains(out, "certificate revoked") {
		t.Fatalf("openssl verify -crl_check accepted the revoked certificate: %v\n%s", err, out)
	}
	if out, err := verify(good); err != nil {
		t.Fatalf("openssl verify -crl_check refused a certificate not on the CRL: %v\n%s", err, out)
	}
}
