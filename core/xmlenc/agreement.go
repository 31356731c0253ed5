package xmlenc

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
)

// ECDHKey is the recipient's private key agreement key. *ecdh.PrivateKey satisfies it;
// so can a key held elsewhere.
type ECDHKey interface {
	ECDH(remote *ecdh.PublicKey) ([]byte, error)
	PublicKey() *ecdh.PublicKey
}

var _ ECDHKey = (*ecdh.PrivateKey)(nil)

// maxHKDFParam caps Salt and Info; RFC 5869 puts no bound on them, we do.
const maxHKDFParam = 1024

// KeyAgreement is ephemeral-static key agreement (XML Encryption 1.1 §5.4) whose derived
// key wraps the content key: X25519 (RFC 9231 §2.6.7) or ECDH-ES (§5.4.1), then HKDF
// (RFC 9231 §2.8.2, RFC 5869) with PRF hmac-sha256, then AES key wrap (§5.6.3). This is
// the eDelivery AS4 2.0 suite (shared/design/spec-facts.md §g).
//
// Salt and Info are the HKDF inputs and KeyLength the derived key's length in BYTES.
// Which values AS4 2.0 wants is ⚠U (spec-facts.md §g and §k 24): WrapFor emits WSS4J's
// choice — a random salt as long as the wrapping key, no Info, KeyLength 16 for
// kw-aes128 — and Unwrap accepts whatever Salt and Info the sender stated.
type KeyAgreement struct {
	Algorithm Algorithm // X25519 or ECDHES
	KDF       Algorithm // HKDF
	PRF       Algorithm // HMACSHA256
	Wrap      Algorithm // KWAES128 or KWAES256
	Salt      []byte
	Info      []byte
	KeyLength int // bytes, ⚠U spec-facts.md §g: Santuario reads it as bytes
}

// AS4KeyAgreement is the eDelivery AS4 2.0 suite with every choice left to WrapFor.
func AS4KeyAgreement() KeyAgreement {
	return KeyAgreement{Algorithm: X25519, KDF: HKDF, PRF: HMACSHA256, Wrap: KWAES128}
}

// withDefaults fills the empty fields with the AS4 2.0 values; Salt stays as given.
func (ka KeyAgreement) withDefaults() (KeyAgreement, error) {
	if ka.Algorithm == "" {
		ka.Algorithm = X25519
	}
	if ka.KDF == "" {
		ka.KDF = HKDF
	}
	if ka.PRF == "" {
		ka.PRF = HMACSHA256
	}
	if ka.Wrap == "" {
		ka.Wrap = KWAES128
	}
	if ka.Algorithm != X25519 && ka.Algorithm != ECDHES {
		return ka, fmt.Errorf("agreement %q: %w", ka.Algorithm, ErrUnsupported)
	}
	if ka.KDF != HKDF { // ConcatKDF (§5.4.1) is not implemented
		return ka, fmt.Errorf("key derivation %q: %w", ka.KDF, ErrUnsupported)
	}
	if ka.PRF != HMACSHA256 {
		return ka, fmt.Errorf("hkdf prf %q: %w", ka.PRF, ErrUnsupported)
	}
	if ka.Wrap != KWAES128 && ka.Wrap != KWAES256 {
		return ka, fmt.Errorf("key wrap %q: %w", ka.Wrap, ErrUnsupported)
	}
	n, err := KeySize(ka.Wrap)
	if err != nil {
		return ka, err
	}
	if ka.KeyLength == 0 {
		ka.KeyLength = n
	}
	// ⚠U spec-facts.md §g / §k 24: KeyLength is read as bytes, but a sender that wrote the
	// bits (128 for kw-aes128) is understood too. The HKDF output's first n bytes do not
	// depend on the length asked for (RFC 5869 §2.3), so this cannot change the key.
	if ka.KeyLength == 8*n {
		ka.KeyLength = n
	}
	// The derived key is the key-encryption key of Wrap, so its length is fixed by Wrap.
	if ka.KeyLength != n {
		return ka, fmt.Errorf("hkdf key length %d bytes for %s (needs %d): %w", ka.KeyLength, ka.Wrap, n, ErrKeySize)
	}
	if len(ka.Salt) > maxHKDFParam || len(ka.Info) > maxHKDFParam {
		return ka, fmt.Errorf("hkdf salt or info over %d bytes: %w", maxHKDFParam, ErrMalformed)
	}
	return ka, nil
}

// checkCurve matches the agreement algorithm with the curve of a key.
func checkCurve(alg Algorithm, pub *ecdh.PublicKey) error {
	if pub == nil {
		return fmt.Errorf("no public key: %w", ErrKeySize)
	}
	c := pub.Curve()
	switch alg {
	case X25519:
		if c == ecdh.X25519() {
			return nil
		}
	case ECDHES:
		if c == ecdh.P256() || c == ecdh.P384() || c == ecdh.P521() {
			return nil
		}
	}
	return fmt.Errorf("%s key for %s: %w", c, alg, ErrKeySize)
}

func (ka KeyAgreement) kek(shared []byte) ([]byte, error) {
	k, err := hkdf.Key(sha256.New, shared, ka.Salt, string(ka.Info), ka.KeyLength)
	if err != nil {
		return nil, fmt.Errorf("hkdf: %w", err)
	}
	return k, nil
}

// WrapFor wraps cek for recipient with a fresh ephemeral key. It returns the wrapped key,
// the ephemeral public key (for OriginatorKeyInfo) and the parameters actually used, with
// defaults and a random Salt filled in, to be written into the EncryptedKey.
func (ka KeyAgreement) WrapFor(recipient *ecdh.PublicKey, cek []byte) (wrapped []byte, ephemeral *ecdh.PublicKey, used KeyAgreement, err error) {
	used, err = ka.withDefaults()
	if err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: %w", err)
	}
	if err := checkCurve(used.Algorithm, recipient); err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: recipient: %w", err)
	}
	if used.Salt == nil {
		// WSS4J's choice, ⚠U spec-facts.md §g / §k 24: a random salt of keyBits/8 bytes.
		used.Salt = make([]byte, used.KeyLength)
		if _, err := rand.Read(used.Salt); err != nil {
			return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: salt: %w", err)
		}
	} else {
		used.Salt = append([]byte(nil), used.Salt...)
	}
	used.Info = append([]byte(nil), used.Info...)
	if len(used.Info) == 0 {
		used.Info = nil
	}
	eph, err := recipient.Curve().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: ephemeral key: %w", err)
	}
	// crypto/ecdh refuses the all-zero X25519 output (RFC 7748 §6.1) and invalid points.
	shared, err := eph.ECDH(recipient)
	if err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: ecdh: %w", err)
	}
	kek, err := used.kek(shared)
	if err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: %w", err)
	}
	wrapped, err = KeyWrap(kek, cek)
	if err != nil {
		return nil, nil, KeyAgreement{}, fmt.Errorf("xmlenc: key agreement: %w", err)
	}
	return wrapped, eph.PublicKey(), used, nil
}

// Unwrap recovers the content key from wrapped with the recipient's key k and the
// sender's ephemeral public key. A failed unwrap is ErrDecrypt.
func (ka KeyAgreement) Unwrap(k ECDHKey, ephemeral *ecdh.PublicKey, wrapped []byte) ([]byte, error) {
	ka, err := ka.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key agreement: %w", err)
	}
	if k == nil {
		return nil, fmt.Errorf("xmlenc: key agreement: no private key: %w", ErrKeySize)
	}
	if err := checkCurve(ka.Algorithm, ephemeral); err != nil {
		return nil, fmt.Errorf("xmlenc: key agreement: ephemeral: %w", err)
	}
	if err := checkCurve(ka.Algorithm, k.PublicKey()); err != nil {
		return nil, fmt.Errorf("xmlenc: key agreement: own key: %w", err)
	}
	if ephemeral.Curve() != k.PublicKey().Curve() {
		return nil, fmt.Errorf("xmlenc: key agreement: ephemeral key on %s, own key on %s: %w", ephemeral.Curve(), k.PublicKey().Curve(), ErrKeySize)
	}
	shared, err := k.ECDH(ephemeral)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key agreement: ecdh: %w", err)
	}
	kek, err := ka.kek(shared)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key agreement: %w", err)
	}
	return KeyUnwrap(kek, wrapped)
}
