package awssys

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/brevduva/brevduva/infra/aws/kmskeys"
	"github.com/brevduva/brevduva/internal/demopki"
)

// loadKey opens a private key named "kms:KEY-ID" (KMS; the key never leaves KMS; one KMS
// key per use: signing and decryption keys are distinct KMS keys, "kms:SIGN-ID,DECRYPT-ID")
// or "file:PATH" (a PEM file in the deployment package: for local tests only).
func loadKey(ctx context.Context, c *Clients, name, spec string) (crypto.Signer, crypto.Decrypter, error) {
	kind, ref, ok := strings.Cut(spec, ":")
	if !ok {
		return nil, nil, fmt.Errorf("awssys: %s: want kms:ID or file:PATH", name)
	}
	switch kind {
	case "kms":
		signID, decID, two := strings.Cut(ref, ",")
		if !two {
			decID = signID
		}
		s, err := kmskeys.NewSigner(ctx, c.KMS, signID)
		if err != nil {
			return nil, nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
		d, err := kmskeys.NewDecrypter(ctx, c.KMS, decID)
		if err != nil {
			return nil, nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
		return s, d, nil
	case "file":
		k, err := demopki.LoadKey(ref)
		if err != nil {
			return nil, nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
		d, ok := k.(crypto.Decrypter)
		if !ok {
			return nil, nil, fmt.Errorf("awssys: %s: key cannot decrypt", name)
		}
		return k, d, nil
	}
	return nil, nil, fmt.Errorf("awssys: %s: unknown key kind %q", name, kind)
}

// loadCerts reads PEM certificates given inline ("-----BEGIN ...") or as a file path.
func loadCerts(name, v string) ([]*x509.Certificate, error) {
	var b []byte
	if strings.HasPrefix(v, "-----BEGIN") {
		b = []byte(v)
	} else {
		var err error
		if b, err = os.ReadFile(v); err != nil {
			return nil, fmt.Errorf("awssys: %s: %w", name, err)
		}
	}
	cs, err := demopki.ParseCertsPEM(b)
	if err != nil {
		return nil, fmt.Errorf("awssys: %s: %w", name, err)
	}
	if len(cs) == 0 {
		return nil, fmt.Errorf("awssys: %s: no certificate", name)
	}
	return cs, nil
}

func pool(cs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}
