package xmlenc

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/internal/demopki"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeySize(t *testing.T) {
	for alg, want := range map[Algorithm]int{AES128GCM: 16, AES256GCM: 32, AES128CBC: 16, AES256CBC: 32, KWAES128: 16, KWAES256: 32} {
		got, err := KeySize(alg)
		if err != nil || got != want {
			t.Errorf("KeySize(%s) = %d, %v; want %d", alg, got, err, want)
		}
	}
	if _, err := KeySize(RSAOAEP); !errors.Is(err, ErrUnsupported) {
		t.Errorf("KeySize(rsa-oaep) err = %v, want ErrUnsupported", err)
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	for _, alg := range []Algorithm{AES128GCM, AES256GCM, AES128CBC, AES256CBC} {
		key, err := NewKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 1000} {
			pt := make([]byte, n)
			rand.Read(pt)
			ct, err := Encrypt(alg, key, pt)
			if err != nil {
				t.Fatalf("%s/%d: %v", alg, n, err)
			}
			got, err := Decrypt(alg, key, ct)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s/%d: round trip = %x, %v; want %x", alg, n, got, err, pt)
			}
			// Flip one bit anywhere: GCM must fail; CBC may only fail with ErrDecrypt or
			// return something else than pt.
			bad := bytes.Clone(ct)
			bad[len(bad)/2] ^= 0x01
			got, err = Decrypt(alg, key, bad)
			if isGCM(alg) && !errors.Is(err, ErrDecrypt) {
				t.Errorf("%s/%d: tampered: err = %v, want ErrDecrypt", alg, n, err)
			}
			// Except for CBC of an empty plaintext: its one block is all padding, and XML
			// Encryption padding checks only the last byte (XML Encryption 1.1 §5.2, padding), so
			// a garbled block ending in 16 (1 in 256) is again the empty plaintext.
			if err == nil && bytes.Equal(got, pt) && (isGCM(alg) || n > 0) {
				t.Errorf("%s/%d: tampered cipher text decrypted to the plaintext", alg, n)
			}
		}
	}
}

// The wire layout of §5.2: check it with the standard library directly.
func TestEncryptLayout(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 16)
	pt := []byte("seventeen bytes!!")
	ct, err := Encrypt(AES128GCM, key, pt)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != 12+len(pt)+16 {
		t.Fatalf("gcm length %d", len(ct))
	}
	b, _ := aes.NewCipher(key)
	g, _ := cipher.NewGCM(b)
	if got, err := g.Open(nil, ct[:12], ct[12:], nil); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("stdlib gcm open = %q, %v", got, err)
	}
	ct, err = Encrypt(AES128CBC, key, pt)
	if err != nil {
		t.Fatal(err)
	}
	if len(ct) != 16+32 {
		t.Fatalf("cbc length %d, want 48", len(ct))
	}
	out := make([]byte, 32)
	cipher.NewCBCDecrypter(b, ct[:16]).CryptBlocks(out, ct[16:])
	if !bytes.Equal(out[:17], pt) || out[31] != 15 {
		t.Fatalf("cbc plaintext %x", out)
	}
}

// cbcRaw encrypts already padded data, so tests can choose the padding.
func cbcRaw(t *testing.T, key, padded []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 16+len(padded))
	rand.Read(out[:16])
	cipher.NewCBCEncrypter(b, out[:16]).CryptBlocks(out[16:], padded)
	return out
}

func TestCBCPadding(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	msg := []byte("hello, world") // 12 bytes
	// §5.2: padding octets other than the last are arbitrary.
	padded := append(bytes.Clone(msg), 0xde, 0xad, 0xbe, 4)
	got, err := Decrypt(AES256CBC, key, cbcRaw(t, key, padded))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("arbitrary padding: %q, %v", got, err)
	}
	full := append(bytes.Clone(msg), 1, 2, 3, 4)
	full = append(full, bytes.Repeat([]byte{9}, 15)...)
	full = append(full, 16)
	got, err = Decrypt(AES256CBC, key, cbcRaw(t, key, full))
	if err != nil || !bytes.Equal(got, full[:16]) {
		t.Fatalf("full padding block: %q, %v", got, err)
	}
	for _, last := range []byte{0, 17, 255} {
		bad := append(bytes.Clone(msg), 0, 0, 0, last)
		_, err := Decrypt(AES256CBC, key, cbcRaw(t, key, bad))
		if err != ErrDecrypt { // exactly the sentinel: no detail for an oracle
			t.Errorf("last octet %d: err = %v, want bare ErrDecrypt", last, err)
		}
	}
	for _, n := range []int{0, 16, 17, 33} {
		if _, err := Decrypt(AES256CBC, key, make([]byte, n)); err != ErrDecrypt {
			t.Errorf("length %d: err = %v, want ErrDecrypt", n, err)
		}
	}
}

func TestEncryptErrors(t *testing.T) {
	if _, err := Encrypt(AES128GCM, make([]byte, 32), nil); !errors.Is(err, ErrKeySize) {
		t.Errorf("wrong key size: %v", err)
	}
	if _, err := Encrypt(KWAES128, make([]byte, 16), nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("kw as block cipher: %v", err)
	}
	if _, err := Decrypt("urn:x", make([]byte, 16), make([]byte, 64)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown: %v", err)
	}
}

// RFC 3394 §4 test vectors.
func TestKeyWrapRFC3394(t *testing.T) {
	kek := unhex(t, "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F")
	data := unhex(t, "00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F")
	for _, v := range []struct {
		name         string
		kekLen, kLen int
		want         string
	}{
		{"4.1", 16, 16, "1FA68B0A8112B447 AEF34BD8FB5A7B82 9D3E862371D2CFE5"},
		{"4.2", 24, 16, "96778B25AE6CA435 F92B5B97C050AED2 468AB8A17AD84E5D"},
		{"4.3", 32, 16, "64E8C3F9CE0F5BA2 63E9777905818A2A 93C8191E7D6E8AE7"},
		{"4.4", 24, 24, "031D33264E15D332 68F24EC260743EDC E1C6C7DDEE725A93 6BA814915C6762D2"},
		{"4.5", 32, 24, "A8F9BC1612C68B3F F6E6F4FBE30E71E4 769C8B80A32CB895 8CD5D17D6B254DA1"},
		{"4.6", 32, 32, "28C9F404C4B810F4 CBCCB35CFB87F826 3F5786E2D80ED326 CBC7F0E71A99F43B FB988B9B7A02DD21"},
	} {
		k, key, want := kek[:v.kekLen], data[:v.kLen], unhex(t, v.want)
		got, err := KeyWrap(k, key)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: wrap = %X, %v; want %X", v.name, got, err, want)
		}
		un, err := KeyUnwrap(k, want)
		if err != nil || !bytes.Equal(un, key) {
			t.Errorf("%s: unwrap = %X, %v", v.name, un, err)
		}
		bad := bytes.Clone(want)
		bad[len(bad)-1] ^= 1
		if _, err := KeyUnwrap(k, bad); err != ErrDecrypt {
			t.Errorf("%s: tampered unwrap err = %v, want ErrDecrypt", v.name, err)
		}
	}
	if _, err := KeyWrap(kek[:16], data[:12]); !errors.Is(err, ErrKeySize) {
		t.Errorf("12-byte key: %v", err)
	}
	if _, err := KeyWrap(kek[:15], data[:16]); !errors.Is(err, ErrKeySize) {
		t.Errorf("15-byte kek: %v", err)
	}
	if _, err := KeyUnwrap(kek[:16], make([]byte, 20)); err != ErrDecrypt {
		t.Errorf("20-byte wrapped: %v", err)
	}
}

// RFC 7748 §6.1: the X25519 function our key agreement relies on.
func TestX25519RFC7748(t *testing.T) {
	c := ecdh.X25519()
	alice, err := c.NewPrivateKey(unhex(t, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
	if err != nil {
		t.Fatal(err)
	}
	bob, err := c.NewPrivateKey(unhex(t, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(alice.PublicKey().Bytes()); got != "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a" {
		t.Errorf("alice public %s", got)
	}
	if got := hex.EncodeToString(bob.PublicKey().Bytes()); got != "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f" {
		t.Errorf("bob public %s", got)
	}
	s1, _ := alice.ECDH(bob.PublicKey())
	s2, _ := bob.ECDH(alice.PublicKey())
	want := "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
	if hex.EncodeToString(s1) != want || hex.EncodeToString(s2) != want {
		t.Errorf("shared %x / %x", s1, s2)
	}

	// Known answer through KeyAgreement.Unwrap: Bob plays the ephemeral sender.
	salt := unhex(t, "000102030405060708090a0b0c0d0e0f")
	kek, err := hkdf.Key(sha256.New, s1, salt, "", 16)
	if err != nil {
		t.Fatal(err)
	}
	cek := unhex(t, "00112233445566778899AABBCCDDEEFF")
	wrapped, err := KeyWrap(kek, cek)
	if err != nil {
		t.Fatal(err)
	}
	ka := KeyAgreement{Algorithm: X25519, KDF: HKDF, PRF: HMACSHA256, Wrap: KWAES128, Salt: salt, KeyLength: 16}
	got, err := ka.Unwrap(alice, bob.PublicKey(), wrapped)
	if err != nil || !bytes.Equal(got, cek) {
		t.Fatalf("unwrap = %x, %v", got, err)
	}
	ka.KeyLength = 128 // stated in bits: same key (RFC 5869 §2.3 prefix property)
	if got, err := ka.Unwrap(alice, bob.PublicKey(), wrapped); err != nil || !bytes.Equal(got, cek) {
		t.Fatalf("unwrap with KeyLength in bits = %x, %v", got, err)
	}
	ka.Info = []byte("x") // a different Info derives a different KEK
	if _, err := ka.Unwrap(alice, bob.PublicKey(), wrapped); err != ErrDecrypt {
		t.Errorf("wrong info: err = %v, want ErrDecrypt", err)
	}
}

// RFC 5869 appendix A test cases 1 and 3, through the derivation KeyAgreement uses.
func TestHKDFRFC5869(t *testing.T) {
	ikm := bytes.Repeat([]byte{0x0b}, 22)
	for _, v := range []struct{ salt, info, okm string }{
		{"000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9", "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"", "", "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	} {
		ka := KeyAgreement{Salt: unhex(t, v.salt), Info: unhex(t, v.info), KeyLength: 42}
		got, err := ka.kek(ikm)
		if err != nil || hex.EncodeToString(got) != v.okm {
			t.Errorf("okm = %x, %v; want %s", got, err, v.okm)
		}
	}
}

func TestKeyAgreementRoundTrip(t *testing.T) {
	for _, c := range []struct {
		alg   Algorithm
		curve ecdh.Curve
		wrap  Algorithm
	}{{X25519, ecdh.X25519(), KWAES128}, {X25519, ecdh.X25519(), KWAES256}, {ECDHES, ecdh.P256(), KWAES128}} {
		priv, err := c.curve.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		cek, _ := NewKey(AES128GCM)
		wrapped, eph, used, err := KeyAgreement{Algorithm: c.alg, Wrap: c.wrap}.WrapFor(priv.PublicKey(), cek)
		if err != nil {
			t.Fatalf("%s: %v", c.alg, err)
		}
		n, _ := KeySize(c.wrap)
		if used.KDF != HKDF || used.PRF != HMACSHA256 || used.KeyLength != n || len(used.Salt) != n || used.Info != nil {
			t.Errorf("%s: used = %+v", c.alg, used)
		}
		got, err := used.Unwrap(priv, eph, wrapped)
		if err != nil || !bytes.Equal(got, cek) {
			t.Fatalf("%s: unwrap = %x, %v", c.alg, got, err)
		}
		other, _ := c.curve.GenerateKey(rand.Reader)
		if _, err := used.Unwrap(other, eph, wrapped); err != ErrDecrypt {
			t.Errorf("%s: wrong recipient err = %v", c.alg, err)
		}
	}
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	p, _ := ecdh.P256().GenerateKey(rand.Reader)
	if _, _, _, err := AS4KeyAgreement().WrapFor(p.PublicKey(), make([]byte, 16)); !errors.Is(err, ErrKeySize) {
		t.Errorf("x25519 to a P-256 key: %v", err)
	}
	if _, _, used, err := (KeyAgreement{KeyLength: 128}).WrapFor(x.PublicKey(), make([]byte, 16)); err != nil || used.KeyLength != 16 {
		t.Errorf("KeyLength in bits: %d, %v", used.KeyLength, err)
	}
	if _, _, _, err := (KeyAgreement{KeyLength: 24}).WrapFor(x.PublicKey(), make([]byte, 16)); !errors.Is(err, ErrKeySize) {
		t.Errorf("KeyLength 24 for kw-aes128: %v", err)
	}
	if _, _, _, err := (KeyAgreement{KDF: ConcatKDF}).WrapFor(x.PublicKey(), make([]byte, 16)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("ConcatKDF: %v", err)
	}
	// All-zero shared secret (a low-order point) is refused (RFC 7748 §6.1).
	low, err := ecdh.X25519().NewPublicKey(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AS4KeyAgreement().Unwrap(x, low, make([]byte, 24)); err == nil {
		t.Error("low-order ephemeral accepted")
	}
}

// kmsKey is a crypto.Decrypter that is not an *rsa.PrivateKey, as a KMS key would be; it
// records the options it was given.
type kmsKey struct {
	priv *rsa.PrivateKey
	opts *rsa.OAEPOptions
}

func (k *kmsKey) Public() crypto.PublicKey { return &k.priv.PublicKey }
func (k *kmsKey) Decrypt(_ io.Reader, msg []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	o, ok := opts.(*rsa.OAEPOptions)
	if !ok {
		return nil, errors.New("kms: not oaep")
	}
	k.opts = o
	return rsa.DecryptOAEP(o.Hash.New(), nil, k.priv, msg, o.Label) // MGF1 hash = Hash only
}

func TestKeyTransport(t *testing.T) {
	pki := demopki.ForTest(t)
	priv := pki.Leaf("org-b").Key.(*rsa.PrivateKey)
	cek := bytes.Repeat([]byte{0x42}, 32)
	for _, c := range []struct {
		kt       KeyTransport
		hash, mh crypto.Hash
	}{
		{O2OKeyTransport(), crypto.SHA1, crypto.SHA1},
		{KeyTransport{Algorithm: RSAOAEPMGF1P}, crypto.SHA1, crypto.SHA1},
		{KeyTransport{Algorithm: RSAOAEPMGF1P, Digest: xmldsig.SHA256}, crypto.SHA256, crypto.SHA1},
		{AS4KeyTransport(), crypto.SHA256, crypto.SHA256},
		{KeyTransport{Algorithm: RSAOAEP}, crypto.SHA1, crypto.SHA1},
		{KeyTransport{Algorithm: RSAOAEP, Digest: xmldsig.SHA256, MGF: MGF1SHA1}, crypto.SHA256, crypto.SHA1},
		{KeyTransport{Algorithm: RSAOAEP, Digest: xmldsig.SHA512, MGF: MGF1SHA512, OAEPParams: []byte("label")}, crypto.SHA512, crypto.SHA512},
	} {
		w, err := c.kt.Wrap(&priv.PublicKey, cek)
		if err != nil {
			t.Fatalf("%+v: %v", c.kt, err)
		}
		// Independent check of the parameters with the standard library.
		got, err := priv.Decrypt(nil, w, &rsa.OAEPOptions{Hash: c.hash, MGFHash: c.mh, Label: c.kt.OAEPParams})
		if err != nil || !bytes.Equal(got, cek) {
			t.Fatalf("%+v: stdlib decrypt: %v", c.kt, err)
		}
		wrongMGF := crypto.SHA256
		if c.mh == crypto.SHA256 {
			wrongMGF = crypto.SHA1
		}
		if _, err := priv.Decrypt(nil, w, &rsa.OAEPOptions{Hash: c.hash, MGFHash: wrongMGF, Label: c.kt.OAEPParams}); err == nil {
			t.Errorf("%+v: decrypts with the wrong MGF hash too", c.kt)
		}
		got, err = c.kt.Unwrap(priv, w)
		if err != nil || !bytes.Equal(got, cek) {
			t.Fatalf("%+v: unwrap: %x, %v", c.kt, got, err)
		}
		bad := bytes.Clone(w)
		bad[5] ^= 1
		if _, err := c.kt.Unwrap(priv, bad); err != ErrDecrypt {
			t.Errorf("%+v: tampered: %v", c.kt, err)
		}
	}
	// A KMS-style Decrypter receives Hash and MGFHash.
	k := &kmsKey{priv: priv}
	kt := KeyTransport{Algorithm: RSAOAEPMGF1P, Digest: xmldsig.SHA1}
	w, _ := kt.Wrap(&priv.PublicKey, cek)
	if got, err := kt.Unwrap(k, w); err != nil || !bytes.Equal(got, cek) {
		t.Fatalf("kms unwrap: %v", err)
	}
	if k.opts.Hash != crypto.SHA1 || k.opts.MGFHash != crypto.SHA1 {
		t.Errorf("kms got %+v", k.opts)
	}
	for _, bad := range []KeyTransport{
		{Algorithm: RSAOAEPMGF1P, MGF: MGF1SHA256},
		{Algorithm: RSAOAEP, MGF: "urn:x"},
		{Algorithm: RSAOAEP, Digest: "urn:x"},
		{Algorithm: "http://www.w3.org/2001/04/xmlenc#rsa-1_5"},
	} {
		if _, err := bad.Wrap(&priv.PublicKey, cek); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	small := &rsa.PublicKey{N: new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 1023), big.NewInt(1)), E: 65537}
	if _, err := O2OKeyTransport().Wrap(small, cek); !errors.Is(err, ErrKeySize) {
		t.Errorf("rsa-1024: %v", err)
	}
}
