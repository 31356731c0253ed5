package xmlenc

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// kwIV is the default initial value of RFC 3394 §2.2.3.1.
const kwIV = "\xA6\xA6\xA6\xA6\xA6\xA6\xA6\xA6"

// maxWrappedKey caps the keys KeyWrap and KeyUnwrap handle; content keys are 16–32 bytes.
const maxWrappedKey = 1024

// KeyWrap wraps key with kek by the AES key wrap of RFC 3394 §2.2.1 (XML Encryption
// 1.1 §5.6.3). kek is 16, 24 or 32 bytes; key is a multiple of 8 bytes, at least 16.
func KeyWrap(kek, key []byte) ([]byte, error) {
	b, err := kwCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key wrap: %w", err)
	}
	// RFC 3394 §2: the key data is n >= 2 64-bit blocks.
	if len(key) < 16 || len(key)%8 != 0 || len(key) > maxWrappedKey {
		return nil, fmt.Errorf("xmlenc: key wrap: key of %d bytes: %w", len(key), ErrKeySize)
	}
	n := len(key) / 8
	out := make([]byte, 8+len(key))
	copy(out, kwIV)
	copy(out[8:], key)
	var buf [16]byte
	for j := 0; j <= 5; j++ {
		for i := 1; i <= n; i++ {
			copy(buf[:8], out[:8])
			copy(buf[8:], out[8*i:8*i+8])
			b.Encrypt(buf[:], buf[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(out[:8], binary.BigEndian.Uint64(buf[:8])^t)
			copy(out[8*i:], buf[8:])
		}
	}
	return out, nil
}

// KeyUnwrap reverses KeyWrap (RFC 3394 §2.2.2) and checks the integrity value of
// §2.2.3; a mismatch is ErrDecrypt.
func KeyUnwrap(kek, wrapped []byte) ([]byte, error) {
	b, err := kwCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("xmlenc: key unwrap: %w", err)
	}
	if len(wrapped) < 24 || len(wrapped)%8 != 0 || len(wrapped) > maxWrappedKey+8 {
		return nil, ErrDecrypt
	}
	n := len(wrapped)/8 - 1
	out := make([]byte, len(wrapped))
	copy(out, wrapped)
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(buf[:8], binary.BigEndian.Uint64(out[:8])^t)
			copy(buf[8:], out[8*i:8*i+8])
			b.Decrypt(buf[:], buf[:])
			copy(out[:8], buf[:8])
			copy(out[8*i:], buf[8:])
		}
	}
	if subtle.ConstantTimeCompare(out[:8], []byte(kwIV)) != 1 {
		return nil, ErrDecrypt
	}
	return out[8:], nil
}

func kwCipher(kek []byte) (interface {
	Encrypt(dst, src []byte)
	Decrypt(dst, src []byte)
}, error) {
	switch len(kek) {
	case 16, 24, 32:
	default:
		return nil, fmt.Errorf("kek of %d bytes: %w", len(kek), ErrKeySize)
	}
	b, err := aes.NewCipher(kek)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return b, nil
}
