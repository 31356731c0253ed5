// Package kmskeys holds RSA private keys in AWS KMS and exposes them as the standard
// library's crypto.Signer and crypto.Decrypter, so that core code (goxmldsig's signing
// context, core/wssec, xmlenc.KeyTransport.Unwrap) uses a KMS key like a file key and the
// private key never leaves KMS.
//
//   - Signer: RSASSA-PKCS1-v1_5 (RFC 8017 §8.2) over a digest the caller computed — KMS
//     Sign with MessageType DIGEST and RSASSA_PKCS1_V1_5_SHA_256 (or _384, _512 for those
//     hashes), and RSASSA-PSS when the options are *rsa.PSSOptions with the salt length
//     equal to the hash length (the only salt length KMS uses). Key usage SIGN_VERIFY.
//   - Decrypter: RSAES-OAEP (RFC 8017 §7.1) with SHA-256 (eDelivery AS4's
//     rsa-oaep + MGF1-SHA256, xmlenc.AS4KeyTransport) or SHA-1 (DIGG's O2O
//     rsa-oaep-mgf1p, xmlenc.O2OKeyTransport) — KMS Decrypt with RSAES_OAEP_SHA_256 or
//     RSAES_OAEP_SHA_1, which use the same hash for MGF1 and an empty label. Key usage
//     ENCRYPT_DECRYPT.
//
// crypto.Signer and crypto.Decrypter take no context: each call gets its own deadline
// (Timeout). The public key is fetched once, when the key is opened.
package kmskeys

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// API is the part of *kms.Client the keys use.
type API interface {
	GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, opts ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error)
	Sign(ctx context.Context, in *kms.SignInput, opts ...func(*kms.Options)) (*kms.SignOutput, error)
	Decrypt(ctx context.Context, in *kms.DecryptInput, opts ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var _ API = (*kms.Client)(nil)

var (
	_ crypto.Signer    = (*Signer)(nil)
	_ crypto.Decrypter = (*Decrypter)(nil)
)

// Timeout is the deadline of one KMS call made through Sign or Decrypt.
const Timeout = 10 * time.Second

// ErrUnsupported: the key or the requested algorithm is not one this package maps to KMS.
var ErrUnsupported = errors.New("kmskeys: unsupported key or algorithm")

// key is an opened KMS RSA key.
type key struct {
	api   API
	keyID string
	pub   *rsa.PublicKey
}

func open(ctx context.Context, api API, keyID string, usage types.KeyUsageType) (key, error) {
	out, err := api.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		return key{}, fmt.Errorf("kmskeys: get public key %s: %w", keyID, err)
	}
	if out.KeyUsage != usage {
		return key{}, fmt.Errorf("kmskeys: key %s has usage %s, want %s: %w", keyID, out.KeyUsage, usage, ErrUnsupported)
	}
	pk, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return key{}, fmt.Errorf("kmskeys: parse public key of %s: %w", keyID, err)
	}
	pub, ok := pk.(*rsa.PublicKey)
	if !ok {
		return key{}, fmt.Errorf("kmskeys: key %s is %T, not RSA: %w", keyID, pk, ErrUnsupported)
	}
	// Use the key's ARN from now on when KMS gave it, so an alias moved later does not
	// switch keys under a certificate.
	if out.KeyId != nil {
		keyID = *out.KeyId
	}
	return key{api: api, keyID: keyID, pub: pub}, nil
}

// Signer is a KMS RSA signing key (key usage SIGN_VERIFY).
type Signer struct{ key }

// NewSigner opens the KMS key keyID (id, ARN or alias) for signing.
func NewSigner(ctx context.Context, api API, keyID string) (*Signer, error) {
	k, err := open(ctx, api, keyID, types.KeyUsageTypeSignVerify)
	if err != nil {
		return nil, err
	}
	return &Signer{k}, nil
}

// Public returns the *rsa.PublicKey.
func (s *Signer) Public() crypto.PublicKey { return s.pub }

// KeyID is the key's id or ARN as KMS reported it.
func (s *Signer) KeyID() string { return s.keyID }

// Sign signs digest, which the caller hashed with opts.HashFunc(). rand is ignored: KMS
// has its own randomness (PSS).
func (s *Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	alg, err := signingAlgorithm(opts)
	if err != nil {
		return nil, err
	}
	if len(digest) != opts.HashFunc().Size() {
		return nil, fmt.Errorf("kmskeys: digest of %d bytes for %v: %w", len(digest), opts.HashFunc(), ErrUnsupported)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	out, err := s.api.Sign(ctx, &kms.SignInput{
		KeyId:            aws.String(s.keyID),
		Message:          digest,
		MessageType:      types.MessageTypeDigest,
		SigningAlgorithm: alg,
	})
	if err != nil {
		return nil, fmt.Errorf("kmskeys: sign with %s: %w", s.keyID, err)
	}
	return out.Signature, nil
}

func signingAlgorithm(opts crypto.SignerOpts) (types.SigningAlgorithmSpec, error) {
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		if pss.SaltLength != rsa.PSSSaltLengthEqualsHash && pss.SaltLength != pss.Hash.Size() {
			return "", fmt.Errorf("kmskeys: PSS salt length %d (KMS uses the hash length): %w", pss.SaltLength, ErrUnsupported)
		}
		switch pss.Hash {
		case crypto.SHA256:
			return types.SigningAlgorithmSpecRsassaPssSha256, nil
		case crypto.SHA384:
			return types.SigningAlgorithmSpecRsassaPssSha384, nil
		case crypto.SHA512:
			return types.SigningAlgorithmSpecRsassaPssSha512, nil
		}
		return "", fmt.Errorf("kmskeys: PSS with %v: %w", pss.Hash, ErrUnsupported)
	}
	switch opts.HashFunc() {
	case crypto.SHA256:
		return types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, nil
	case crypto.SHA384:
		return types.SigningAlgorithmSpecRsassaPkcs1V15Sha384, nil
	case crypto.SHA512:
		return types.SigningAlgorithmSpecRsassaPkcs1V15Sha512, nil
	}
	return "", fmt.Errorf("kmskeys: PKCS #1 v1.5 with %v: %w", opts.HashFunc(), ErrUnsupported)
}

// Decrypter is a KMS RSA decryption key (key usage ENCRYPT_DECRYPT).
type Decrypter struct{ key }

// NewDecrypter opens the KMS key keyID (id, ARN or alias) for decryption.
func NewDecrypter(ctx context.Context, api API, keyID string) (*Decrypter, error) {
	k, err := open(ctx, api, keyID, types.KeyUsageTypeEncryptDecrypt)
	if err != nil {
		return nil, err
	}
	return &Decrypter{k}, nil
}

// Public returns the *rsa.PublicKey.
func (d *Decrypter) Public() crypto.PublicKey { return d.pub }

// KeyID is the key's id or ARN as KMS reported it.
func (d *Decrypter) KeyID() string { return d.keyID }

// Decrypt decrypts an RSA-OAEP ciphertext. opts must be *rsa.OAEPOptions with Hash SHA-256
// or SHA-1, MGFHash zero or equal to Hash, and an empty Label: what KMS supports. Anything
// else (PKCS #1 v1.5 included) is ErrUnsupported. rand is ignored.
func (d *Decrypter) Decrypt(_ io.Reader, ciphertext []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	oaep, ok := opts.(*rsa.OAEPOptions)
	if !ok {
		return nil, fmt.Errorf("kmskeys: decrypt with %T (KMS does RSA-OAEP only): %w", opts, ErrUnsupported)
	}
	if len(oaep.Label) != 0 {
		return nil, fmt.Errorf("kmskeys: OAEP label (KMS uses none): %w", ErrUnsupported)
	}
	if oaep.MGFHash != 0 && oaep.MGFHash != oaep.Hash {
		return nil, fmt.Errorf("kmskeys: OAEP with MGF1-%v over %v (KMS uses one hash): %w", oaep.MGFHash, oaep.Hash, ErrUnsupported)
	}
	var alg types.EncryptionAlgorithmSpec
	switch oaep.Hash {
	case crypto.SHA256:
		alg = types.EncryptionAlgorithmSpecRsaesOaepSha256
	case crypto.SHA1:
		alg = types.EncryptionAlgorithmSpecRsaesOaepSha1
	default:
		return nil, fmt.Errorf("kmskeys: OAEP with %v: %w", oaep.Hash, ErrUnsupported)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	out, err := d.api.Decrypt(ctx, &kms.DecryptInput{
		KeyId:               aws.String(d.keyID),
		CiphertextBlob:      ciphertext,
		EncryptionAlgorithm: alg,
	})
	if err != nil {
		return nil, fmt.Errorf("kmskeys: decrypt with %s: %w", d.keyID, err)
	}
	return out.Plaintext, nil
}
