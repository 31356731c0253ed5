package as4_test

import (
	"bytes"
	"compress/gzip"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/xmlenc"
)

// benchPayload is base64 of pseudo-random bytes: text that gzip shrinks to
// about 3/4, like the base64 PDF attachments of SDK messages.
func benchPayload(n int) []byte {
	r := mrand.New(mrand.NewPCG(1, 2))
	raw := make([]byte, n*3/4)
	for i := range raw {
		raw[i] = byte(r.Uint32())
	}
	return []byte(base64.StdEncoding.EncodeToString(raw))[:n]
}

var benchSizes = []struct {
	name string
	n    int
}{{"10KB", 10 << 10}, {"1MB", 1 << 20}}

func benchWorlds(b *testing.B) []*world { return []*world{world115(b), world20(b)} }

// BenchmarkPack: one payload, compress + sign + encrypt + MIME.
func BenchmarkPack(b *testing.B) {
	for _, w := range benchWorlds(b) {
		for _, sz := range benchSizes {
			b.Run(w.profile.ID+"/"+sz.name, func(b *testing.B) {
				p := []as4.Payload{{ContentID: "message", MimeType: "text/xml", Data: benchPayload(sz.n)}}
				pk := w.packer()
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					if _, _, err := pk.Pack(io.Discard, userMessage(), p); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkUnpack: MIME + XML parse, decrypt, verify, trust, decompress.
func BenchmarkUnpack(b *testing.B) {
	for _, w := range benchWorlds(b) {
		for _, sz := range benchSizes {
			b.Run(w.profile.ID+"/"+sz.name, func(b *testing.B) {
				ct, msg, _ := pack(b, w, as4.Payload{ContentID: "message", MimeType: "text/xml", Data: benchPayload(sz.n)})
				u := w.unpacker()
				b.SetBytes(int64(sz.n))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := u.Unpack(ct, bytes.NewReader(msg)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCryptoFloor runs the primitive operations of one Pack and one
// Unpack alone, on the same sizes, so pipeline/floor ratios come from one run.
// pack: gzip, SHA-256 of the compressed part and of ~2 KB of header XML, the
// signature (RSA-2048 PKCS#1 v1.5 / Ed25519), a 16-byte key wrap (RSA-OAEP
// SHA-256 / X25519 + HKDF-SHA256 + AES-KW) and AES-128-GCM over the part.
// unpack: the inverse (unwrap, GCM open, SHA-256, verify, gunzip).
func BenchmarkCryptoFloor(b *testing.B) {
	for _, w := range benchWorlds(b) {
		for _, sz := range benchSizes {
			data := benchPayload(sz.n)
			header := bytes.Repeat([]byte("<eb:Messaging/>"), 140) // ~2 KB
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			cek := make([]byte, 16)
			rand.Read(cek)
			sealed, wrapped, sig, eph := floorPack(b, w, data, header, cek)
			b.Run(w.profile.ID+"/pack/"+sz.name, func(b *testing.B) {
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					floorPack(b, w, data, header, cek)
				}
			})
			b.Run(w.profile.ID+"/unpack/"+sz.name, func(b *testing.B) {
				b.SetBytes(int64(sz.n))
				for b.Loop() {
					floorUnpack(b, w, sealed, wrapped, sig, eph, header, sz.n)
				}
			})
		}
	}
}

func floorPack(b *testing.B, w *world, data, header, cek []byte) (sealed, wrapped, sig []byte, eph *ecdh.PublicKey) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	d := sha256.Sum256(gz.Bytes())
	h := sha256.Sum256(append(header, d[:]...))
	var err error
	switch k := w.a.signKey.(type) {
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(nil, k, crypto.SHA256, h[:])
		if err == nil {
			wrapped, err = rsa.EncryptOAEP(sha256.New(), rand.Reader, w.b.encCert.PublicKey.(*rsa.PublicKey), cek, nil)
		}
	case ed25519.PrivateKey:
		sig = ed25519.Sign(k, append(header, d[:]...))
		pub := w.b.rcpt.Agreement.PublicKey()
		var e *ecdh.PrivateKey
		e, err = ecdh.X25519().GenerateKey(rand.Reader)
		if err == nil {
			eph = e.PublicKey()
			wrapped, err = floorAgree(e, pub, cek)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	sealed = gcm(b, cek, gz.Bytes())
	return
}

func floorAgree(priv xmlenc.ECDHKey, pub *ecdh.PublicKey, cek []byte) ([]byte, error) {
	z, err := priv.ECDH(pub)
	if err != nil {
		return nil, err
	}
	kek, err := hkdf.Key(sha256.New, z, make([]byte, 16), "", 16)
	if err != nil {
		return nil, err
	}
	return xmlenc.KeyWrap(kek, cek)
}

func gcm(b *testing.B, key, pt []byte) []byte {
	blk, _ := aes.NewCipher(key)
	g, _ := cipher.NewGCM(blk)
	iv := make([]byte, 12)
	rand.Read(iv)
	return g.Seal(iv, iv, pt, nil)
}

func floorUnpack(b *testing.B, w *world, sealed, wrapped, sig []byte, eph *ecdh.PublicKey, header []byte, n int) {
	var cek []byte
	var err error
	switch k := w.b.signKey.(type) {
	case *rsa.PrivateKey:
		cek, err = rsa.DecryptOAEP(sha256.New(), nil, w.b.rcpt.Decrypter.(*rsa.PrivateKey), wrapped, nil)
	case ed25519.PrivateKey:
		_ = k
		var z []byte
		z, err = w.b.rcpt.Agreement.ECDH(eph)
		if err == nil {
			var kek []byte
			kek, err = hkdf.Key(sha256.New, z, make([]byte, 16), "", 16)
			if err == nil {
				cek, err = xmlenc.KeyUnwrap(kek, wrapped)
			}
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	blk, _ := aes.NewCipher(cek)
	g, _ := cipher.NewGCM(blk)
	gzb, err := g.Open(nil, sealed[:12], sealed[12:], nil)
	if err != nil {
		b.Fatal(err)
	}
	d := sha256.Sum256(gzb)
	signed := append(header, d[:]...)
	h := sha256.Sum256(signed)
	switch k := w.a.signCert.PublicKey.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig)
	case ed25519.PublicKey:
		if !ed25519.Verify(k, signed, sig) {
			err = fmt.Errorf("ed25519 verify")
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gzb))
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(zr)
	if len(out) != n {
		b.Fatal("gunzip")
	}
}
