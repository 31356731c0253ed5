package audit

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
)

// anchorContext opens every signed anchor statement, so that an anchor signature cannot
// be taken for a signature over anything else the key signs.
const anchorContext = "brevduva-audit-anchor-v1"

// AnchorStatement is the text an anchor signature covers:
// "brevduva-audit-anchor-v1\n{tenant}\n{seq}:{hash}\n".
func AnchorStatement(tenant string, a Anchor) []byte {
	return []byte(anchorContext + "\n" + tenant + "\n" + a.String() + "\n")
}

// SignAnchor signs AnchorStatement(tenant, a) with the tenant's AP key (RSA PKCS #1 v1.5 or
// ECDSA over SHA-256, or Ed25519), so that a copy of the head kept elsewhere can be shown
// to come from this access point.
func SignAnchor(key crypto.Signer, tenant string, a Anchor) ([]byte, error) {
	msg := AnchorStatement(tenant, a)
	var sig []byte
	var err error
	if _, ok := key.Public().(ed25519.PublicKey); ok {
		sig, err = key.Sign(rand.Reader, msg, crypto.Hash(0))
	} else {
		d := sha256.Sum256(msg)
		sig, err = key.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: sign anchor: %w", err)
	}
	return sig, nil
}

// VerifyAnchor checks an anchor signature with the AP certificate.
func VerifyAnchor(cert *x509.Certificate, tenant string, a Anchor, sig []byte) error {
	alg := x509.SHA256WithRSA
	switch cert.PublicKeyAlgorithm {
	case x509.ECDSA:
		alg = x509.ECDSAWithSHA256
	case x509.Ed25519:
		alg = x509.PureEd25519
	}
	if err := cert.CheckSignature(alg, AnchorStatement(tenant, a), sig); err != nil {
		return fmt.Errorf("audit: anchor %s of %s: %w", a, tenant, err)
	}
	return nil
}
