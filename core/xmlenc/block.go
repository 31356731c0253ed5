package xmlenc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
)

// Sentinels; errors from this package wrap one of these where a caller may need to branch.
var (
	// ErrUnsupported: an algorithm URI (or combination) this package does not implement.
	ErrUnsupported = errors.New("xmlenc: unsupported algorithm")
	// ErrKeySize: a key of the wrong length for its algorithm, or a weak RSA key.
	ErrKeySize = errors.New("xmlenc: wrong key size")
	// ErrDecrypt: decryption failed. It is deliberately the only thing said about a failed
	// padding check, GCM tag, OAEP decoding or key unwrap, so it cannot serve as an oracle.
	ErrDecrypt = errors.New("xmlenc: decryption failed")
	// ErrMalformed: an EncryptedData, EncryptedKey or cipher text that does not have the
	// structure XML Encryption 1.1 requires.
	ErrMalformed = errors.New("xmlenc: malformed")
)

const (
	gcmNonceSize = 12 // XML Encryption 1.1 §5.2.4: 96-bit IV
	gcmTagSize   = 16 // §5.2.4: 128-bit authentication tag
	cbcIVSize    = aes.BlockSize
)

// KeySize returns the key length in bytes of a block encryption (§5.2) or key wrap
// (§5.6) algorithm.
func KeySize(alg Algorithm) (int, error) {
	switch alg {
	case AES128GCM, AES128CBC, KWAES128:
		return 16, nil
	case AES256GCM, AES256CBC, KWAES256:
		return 32, nil
	}
	return 0, fmt.Errorf("xmlenc: key size of %q: %w", alg, ErrUnsupported)
}

// IsBlockCipher reports whether alg is a block encryption algorithm of §5.2 that this
// package implements.
func IsBlockCipher(alg Algorithm) bool {
	switch alg {
	case AES128GCM, AES256GCM, AES128CBC, AES256CBC:
		return true
	}
	return false
}

func isGCM(alg Algorithm) bool { return alg == AES128GCM || alg == AES256GCM }

// NewKey returns a fresh random content encryption key for alg.
func NewKey(alg Algorithm) ([]byte, error) {
	n, err := KeySize(alg)
	if err != nil {
		return nil, err
	}
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("xmlenc: new key: %w", err)
	}
	return k, nil
}

func newAES(alg Algorithm, key []byte) (cipher.Block, error) {
	n, err := KeySize(alg)
	if err != nil {
		return nil, err
	}
	if len(key) != n {
		return nil, fmt.Errorf("xmlenc: %s needs a %d-byte key, got %d: %w", alg, n, len(key), ErrKeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: aes: %w", err)
	}
	return b, nil
}

// Encrypt encrypts plaintext with a fresh random IV and returns the octets that go into
// CipherValue (before base64) or an attachment:
//   - AES-GCM (§5.2.4): 12-byte IV || ciphertext || 16-byte tag, no associated data;
//   - AES-CBC (§5.2.2): 16-byte IV || ciphertext, padded per §5.2 (the last octet is the
//     number of padding octets, 1 to 16; the others are arbitrary — here they repeat that
//     count, which PKCS#7 receivers accept as well).
func Encrypt(alg Algorithm, key, plaintext []byte) ([]byte, error) {
	if !IsBlockCipher(alg) {
		return nil, fmt.Errorf("xmlenc: encrypt with %q: %w", alg, ErrUnsupported)
	}
	b, err := newAES(alg, key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: encrypt: %w", err)
	}
	if isGCM(alg) {
		aead, err := cipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("xmlenc: encrypt: gcm: %w", err)
		}
		out := make([]byte, gcmNonceSize, gcmNonceSize+len(plaintext)+gcmTagSize)
		if _, err := rand.Read(out); err != nil {
			return nil, fmt.Errorf("xmlenc: encrypt: iv: %w", err)
		}
		return aead.Seal(out, out[:gcmNonceSize], plaintext, nil), nil
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize // 1..16, §5.2
	out := make([]byte, cbcIVSize+len(plaintext)+pad)
	if _, err := rand.Read(out[:cbcIVSize]); err != nil {
		return nil, fmt.Errorf("xmlenc: encrypt: iv: %w", err)
	}
	body := out[cbcIVSize:]
	copy(body, plaintext)
	for i := len(plaintext); i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(b, out[:cbcIVSize]).CryptBlocks(body, body)
	return out, nil
}

// Decrypt reverses Encrypt. Any failure of the cipher text itself (length, GCM tag,
// padding) is ErrDecrypt without further detail. For AES-CBC only the last octet's range
// is checked, as §5.2 leaves the other padding octets arbitrary.
func Decrypt(alg Algorithm, key, data []byte) ([]byte, error) {
	if !IsBlockCipher(alg) {
		return nil, fmt.Errorf("xmlenc: decrypt with %q: %w", alg, ErrUnsupported)
	}
	b, err := newAES(alg, key)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: decrypt: %w", err)
	}
	if isGCM(alg) {
		if len(data) < gcmNonceSize+gcmTagSize {
			return nil, ErrDecrypt
		}
		aead, err := cipher.NewGCM(b)
		if err != nil {
			return nil, fmt.Errorf("xmlenc: decrypt: gcm: %w", err)
		}
		pt, err := aead.Open(nil, data[:gcmNonceSize], data[gcmNonceSize:], nil)
		if err != nil {
			return nil, ErrDecrypt
		}
		return pt, nil
	}
	if len(data) < cbcIVSize+aes.BlockSize || len(data)%aes.BlockSize != 0 {
		return nil, ErrDecrypt
	}
	pt := make([]byte, len(data)-cbcIVSize)
	cipher.NewCBCDecrypter(b, data[:cbcIVSize]).CryptBlocks(pt, data[cbcIVSize:])
	n, ok := cbcPadding(pt)
	if !ok {
		return nil, ErrDecrypt
	}
	return pt[:len(pt)-n], nil
}

// cbcPadding returns the padding length named by the last octet of pt (a non-empty
// multiple of the block size) and whether it is in 1..16, in constant time.
func cbcPadding(pt []byte) (int, bool) {
	n := int(pt[len(pt)-1])
	ok := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, aes.BlockSize)
	return n, ok == 1
}
