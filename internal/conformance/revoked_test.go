package conformance

import (
	"testing"

	"github.com/brevduva/brevduva/internal/demopki"
)

// Revocation through the running AP: the demo AP CA's CRL (localsys writes it, the
// shared port publishes it at /crl/ap-ca.crl, the AP fetches it through infra/crl as
// configured in crlUrls) revokes ap-revoked, a certificate of the AP CA that is
// otherwise valid. A message it signs is refused with EBMS:0101 and not delivered.
func TestAttackAS4SignerRevoked(t *testing.T) {
	system(t)
	got, id := signedBy(t, leaf(t, "ap-revoked"))
	if got != "EBMS:0101" {
		t.Fatalf("revoked signer: error %q, want EBMS:0101", got)
	}
	if n := mailCount(t, "registrator", id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
	// The CRL is what refuses it: a valid AP CA certificate with the same CN is accepted.
	c, err := demoCA(t, "ap-ca").Issue(leaf(t, "ap-revoked").Cert.Subject.CommonName, demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := signedBy(t, c); got != "" {
		t.Fatalf("control: error %q", got)
	}
}
