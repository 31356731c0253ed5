package o2o

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/sdkmsg"
)

// benchSizes are SDK message sizes: 10 KB, 1 MB and 30 MB (the limit). Benchmarks run
// only with -bench, so the 30 MB case stays out of `go test`.
var benchSizes = []struct {
	name string
	n    int
}{{"10KB", 10_000}, {"1MB", 1_000_000}, {"30MB", sdkmsg.MaxBytes}}

// messageOfSize returns min.xml with one PDF attachment padded so that the message is
// exactly n bytes (n ≥ ~3 KB).
func messageOfSize(b *testing.B, n int) []byte {
	msg := read(b, "min.xml")
	head := []byte("<ns2:ContentFiles><ns2:fileName>a.pdf</ns2:fileName><ns2:contentType>application/pdf</ns2:contentType><ns2:content>")
	tail := []byte("</ns2:content></ns2:ContentFiles><ns2:ContentText>")
	room := n - len(msg) - len(head) - len(tail) + len("<ns2:ContentText>")
	raw := make([]byte, room/4*3)
	rand.Read(raw)
	content := base64.StdEncoding.EncodeToString(raw)
	out := bytes.Replace(msg, []byte("<ns2:ContentText>"), append(append(append([]byte{}, head...), content...), tail...), 1)
	if len(out) > n || len(out) < n-4 {
		b.Fatalf("message is %d bytes, want %d", len(out), n)
	}
	return out
}

func BenchmarkSeal(b *testing.B) {
	s, pki := sealer(b)
	rc := pki.Leaf("org-b").Cert
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			msg := messageOfSize(b, sz.n)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Seal(msg, rc, function); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	s, pki := sealer(b)
	o := pki.Leaf("org-b")
	op := &Opener{Decrypter: o.Key.(crypto.Decrypter), Cert: o.Cert, Profile: DIGGProfile(), Now: time.Now}
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			msg := messageOfSize(b, sz.n)
			x, err := s.Seal(msg, o.Cert, function)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := op.Open(x, Sender{Cert: s.Cert}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCryptoFloor is the cryptographic work seal+open cannot avoid for the same
// message: AES-256-CBC encrypt and decrypt of the message, RSA-OAEP(SHA-1) wrap and
// unwrap of the key, SHA-256 of the XHE (≈ 4/3 of the message, base64) on each side and
// an RSA-SHA256 signature and verification.
func BenchmarkCryptoFloor(b *testing.B) {
	_, pki := sealer(b)
	o := pki.Leaf("org-b")
	key := o.Key.(*rsa.PrivateKey)
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			msg := messageOfSize(b, sz.n)
			xhe := make([]byte, len(msg)*4/3)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			for b.Loop() {
				cek := make([]byte, 32)
				rand.Read(cek)
				blk, _ := aes.NewCipher(cek)
				iv := make([]byte, 16)
				padded := make([]byte, (len(msg)/16+1)*16)
				copy(padded, msg)
				ct := make([]byte, len(padded))
				cipher.NewCBCEncrypter(blk, iv).CryptBlocks(ct, padded)
				wrapped, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, &key.PublicKey, cek, nil)
				if err != nil {
					b.Fatal(err)
				}
				d1 := sha256.Sum256(xhe)
				sig, _ := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d1[:])
				d2 := sha256.Sum256(xhe)
				if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d2[:], sig); err != nil {
					b.Fatal(err)
				}
				if _, err := rsa.DecryptOAEP(sha1.New(), nil, key, wrapped, nil); err != nil {
					b.Fatal(err)
				}
				cipher.NewCBCDecrypter(blk, iv).CryptBlocks(padded, ct)
			}
		})
	}
}
