package kmskeys_test

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/brevduva/brevduva/infra/aws/kmskeys"
)

// TestSignerIssuesCertificate uses the KMS key where the standard library expects a
// crypto.Signer: x509.CreateCertificate signs a self-signed access point certificate
// (sha256WithRSAEncryption) with it, and crypto/x509 verifies the result.
func TestSignerIssuesCertificate(t *testing.T) {
	ctx := context.Background()
	api := client(t)
	s, err := kmskeys.NewSigner(ctx, api, createKey(t, api, types.KeyUsageTypeSignVerify))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ap.kommun-a.example.se"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		SignatureAlgorithm:    x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.Public(), s)
	if err != nil {
		t.Fatalf("CreateCertificate with the KMS signer: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Fatalf("certificate signed through KMS does not verify: %v", err)
	}
}
