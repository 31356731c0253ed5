package localsys

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/internal/demopki"
)

// TestRemoteSignerWiring: the local system's remote signer signs with the token tenant's
// O2O key file — A's token gets a signature that A's certificate verifies and A's chain,
// B's token B's — and a tenant in end-to-end mode (no key on the server) gets 404.
func TestRemoteSignerWiring(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	digest := sha256.Sum256([]byte("canonical SignedInfo"))
	body := map[string]any{"data": map[string]any{"type": sdkapi.TypeSignatures, "attributes": sdkapi.SignAttributes{
		MessageID: "m-1", DigestAlgorithm: string(xmldsig.SHA256), DigestValue: digest[:]}}}
	for i, org := range []string{"org-a", "org-b"} {
		status, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/signatures", token(t, d, i), "", body)
		var doc sdkapi.Document[sdkapi.SignResource]
		if err := json.Unmarshal(b, &doc); status != 200 || err != nil {
			t.Fatalf("%s: %d %s", org, status, b)
		}
		cs, err := demopki.LoadCerts(filepath.Join(dir, "pki", org+".cert.pem"))
		if err != nil {
			t.Fatal(err)
		}
		a := doc.Data.Attributes
		leaf, err := x509.ParseCertificate(a.Certificates[0])
		if err != nil || !leaf.Equal(cs[0]) {
			t.Fatalf("%s: chain leaf %v, %v", org, leaf.Subject, err)
		}
		if err := rsa.VerifyPKCS1v15(cs[0].PublicKey.(*rsa.PublicKey), crypto.SHA256, digest[:], a.SignatureValue); err != nil {
			t.Fatalf("%s: signature: %v", org, err)
		}
	}

	d = start(t, e2eDemoCopy(t)).Description()
	if status, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/signatures", token(t, d, 1), "", body); status != 404 {
		t.Fatalf("end-to-end tenant: %d %s, want 404", status, b)
	}
}
