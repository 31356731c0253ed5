// Package orgkey reads an organisation's O2O key and certificate the way a case worker
// has them, for the browser module (wasm/): PEM text (a PKCS#8, PKCS#1 or SEC 1 key with
// its certificate, RFC 7468) or a PKCS#12 file with its password (RFC 7292; PBES2 with
// AES as OpenSSL 3 and Java write by default, and the legacy 3DES/RC2 forms, through
// software.sslmate.com/src/go-pkcs12). The key must belong to the certificate and the
// certificate must be valid now. Errors are *Error with a stable code for the page.
package orgkey

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Error is a failure the page shows by its Code.
type Error struct{ Code, Message string }

func (e *Error) Error() string { return e.Message }

func fail(code, format string, a ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Pair is a loaded key and its certificate (Chain: the certificate first, then any CA
// certificates the file held).
type Pair struct {
	Key       crypto.Signer
	Decrypter crypto.Decrypter // nil when the key cannot decrypt (EC)
	Cert      *x509.Certificate
	Chain     []*x509.Certificate
}

// FromPEM reads one PEM text holding the key and the certificate (the first certificate
// is the key's). An encrypted PKCS#8 key is refused with code key-encrypted.
func FromPEM(text []byte, now time.Time) (*Pair, error) {
	var key any
	var chain []*x509.Certificate
	for rest := text; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		var err error
		switch blk.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(blk.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(blk.Bytes); err == nil {
				chain = append(chain, c)
			}
		case "ENCRYPTED PRIVATE KEY":
			return nil, fail("key-encrypted", "the key is password protected; export it unencrypted (PKCS#8) or as PKCS#12")
		}
		if err != nil {
			return nil, fail("key-unreadable", "%s: %v", strings.ToLower(blk.Type), err)
		}
	}
	return pair(key, chain, now)
}

// FromPKCS12 decodes a PKCS#12 file (one key, its certificate first, then CA certificates).
// A wrong password is code pkcs12-password.
func FromPKCS12(data []byte, password string, now time.Time) (*Pair, error) {
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, fail("pkcs12-password", "the password does not open the PKCS#12 file")
	case err != nil:
		return nil, fail("pkcs12-unreadable", "the PKCS#12 file cannot be read: %v", err)
	}
	return pair(key, append([]*x509.Certificate{cert}, cas...), now)
}

// pair checks that key belongs to chain[0] and that chain[0] is valid at now.
func pair(key any, chain []*x509.Certificate, now time.Time) (*Pair, error) {
	if key == nil {
		return nil, fail("key-missing", "no private key in the file")
	}
	if len(chain) == 0 {
		return nil, fail("cert-missing", "no certificate in the file")
	}
	cert := chain[0]
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fail("key-unreadable", "unsupported key type %T", key)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := signer.Public().(equaler); !ok || !pub.Equal(cert.PublicKey) {
		return nil, fail("key-mismatch", "the key does not belong to the certificate %q", cert.Subject.String())
	}
	if now.After(cert.NotAfter) || now.Before(cert.NotBefore) {
		return nil, fail("cert-expired", "the certificate %q is valid %s to %s", cert.Subject.String(),
			cert.NotBefore.Format(time.DateOnly), cert.NotAfter.Format(time.DateOnly))
	}
	dec, _ := key.(crypto.Decrypter)
	return &Pair{Key: signer, Decrypter: dec, Cert: cert, Chain: chain}, nil
}
