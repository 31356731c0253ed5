package kmskeys_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/infra/aws/awstest"
	"github.com/brevduva/brevduva/infra/aws/kmskeys"
)

// The KMS API server is local-kms (nsmithuk/local-kms, pinned by scripts/aws-emulators.sh).
// What it cannot check, and so these tests do not: key policies, grants and IAM (who may
// call Sign or Decrypt), CloudTrail auditing, key rotation and multi-region keys, and that
// the private key really cannot be exported (local-kms keeps it in a local LevelDB), and
// the RSASSA-PSS salt length (see TestSigner).
// Everything cryptographic is checked against the standard library: signatures verify with
// crypto/rsa, and key transport round-trips through core/xmlenc.

func client(t *testing.T) *kms.Client {
	ep := awstest.Endpoint(t, awstest.EnvKMS)
	return kms.New(kms.Options{
		BaseEndpoint: aws.String(ep),
		Region:       awstest.Region,
		Credentials:  awstest.Credentials,
		HTTPClient:   awstest.HTTPClient,
	})
}

func createKey(t *testing.T, api *kms.Client, usage types.KeyUsageType) string {
	t.Helper()
	out, err := api.CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec:     types.KeySpecRsa2048,
		KeyUsage:    usage,
		Description: aws.String("brevduva test " + t.Name()),
	})
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return *out.KeyMetadata.KeyId
}

func TestSigner(t *testing.T) {
	ctx := context.Background()
	api := client(t)
	s, err := kmskeys.NewSigner(ctx, api, createKey(t, api, types.KeyUsageTypeSignVerify))
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := s.Public().(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("public key %T", s.Public())
	}
	msg := []byte("<ds:SignedInfo>…</ds:SignedInfo>")
	d256 := sha256.Sum256(msg)
	sig, err := s.Sign(nil, d256[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, d256[:], sig); err != nil {
		t.Fatalf("crypto/rsa does not verify the KMS signature (RSASSA_PKCS1_V1_5_SHA_256): %v", err)
	}
	other := sha256.Sum256([]byte("something else"))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, other[:], sig) == nil {
		t.Fatal("signature verifies over another digest")
	}
	d512 := sha512.Sum512(msg)
	sig, err = s.Sign(nil, d512[:], crypto.SHA512)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA512, d512[:], sig); err != nil {
		t.Fatalf("SHA-512: %v", err)
	}
	sig, err = s.Sign(nil, d256[:], &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash})
	if err != nil {
		t.Fatal(err)
	}
	// AWS KMS uses a salt as long as the hash; local-kms uses the longest salt that fits
	// (Go's rsa.SignPSS with nil options), so only "some salt length" is checked here.
	if err := rsa.VerifyPSS(pub, crypto.SHA256, d256[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
		t.Fatalf("PSS: %v", err)
	}
	for name, opts := range map[string]crypto.SignerOpts{
		"SHA-1":           crypto.SHA1,
		"PSS auto salt":   &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthAuto},
		"unhashed (zero)": crypto.Hash(0),
	} {
		if _, err := s.Sign(nil, d256[:], opts); !errors.Is(err, kmskeys.ErrUnsupported) {
			t.Errorf("Sign(%s) = %v, want ErrUnsupported", name, err)
		}
	}
	if _, err := s.Sign(nil, d256[:20], crypto.SHA256); !errors.Is(err, kmskeys.ErrUnsupported) {
		t.Errorf("Sign(short digest) = %v, want ErrUnsupported", err)
	}
	if _, err := kmskeys.NewDecrypter(ctx, api, s.KeyID()); !errors.Is(err, kmskeys.ErrUnsupported) {
		t.Errorf("NewDecrypter(signing key) = %v, want ErrUnsupported", err)
	}
}

func TestDecrypterUnwrapsXMLEncKeyTransport(t *testing.T) {
	ctx := context.Background()
	api := client(t)
	d, err := kmskeys.NewDecrypter(ctx, api, createKey(t, api, types.KeyUsageTypeEncryptDecrypt))
	if err != nil {
		t.Fatal(err)
	}
	pub := d.Public().(*rsa.PublicKey)
	for name, kt := range map[string]xmlenc.KeyTransport{
		"AS4 rsa-oaep MGF1-SHA256 SHA-256": xmlenc.AS4KeyTransport(),
		"O2O rsa-oaep-mgf1p SHA-1":         xmlenc.O2OKeyTransport(),
	} {
		t.Run(name, func(t *testing.T) {
			cek := bytes.Repeat([]byte{0x5a}, 16)
			wrapped, err := kt.Wrap(pub, cek)
			if err != nil {
				t.Fatal(err)
			}
			got, err := kt.Unwrap(d, wrapped)
			if err != nil {
				t.Fatalf("Unwrap through KMS: %v", err)
			}
			if !bytes.Equal(got, cek) {
				t.Fatalf("unwrapped %x, want %x", got, cek)
			}
			wrapped[10] ^= 1
			if _, err := kt.Unwrap(d, wrapped); !errors.Is(err, xmlenc.ErrDecrypt) {
				t.Fatalf("tampered EncryptedKey: %v, want ErrDecrypt", err)
			}
		})
	}
	// Parameters KMS cannot apply are refused before any call.
	for name, opts := range map[string]crypto.DecrypterOpts{
		"no options (PKCS #1 v1.5)": nil,
		"label":                     &rsa.OAEPOptions{Hash: crypto.SHA256, Label: []byte("x")},
		"MGF1-SHA1 over SHA256":     &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1},
		"SHA-512":                   &rsa.OAEPOptions{Hash: crypto.SHA512},
	} {
		if _, err := d.Decrypt(nil, make([]byte, 256), opts); !errors.Is(err, kmskeys.ErrUnsupported) {
			t.Errorf("Decrypt(%s) = %v, want ErrUnsupported", name, err)
		}
	}
}
