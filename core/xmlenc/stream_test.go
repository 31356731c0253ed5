package xmlenc

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
	"testing/iotest"
)

func TestCBCStreaming(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	for _, alg := range []Algorithm{AES128CBC, AES256CBC} {
		key, _ := NewKey(alg)
		for _, n := range []int{0, 1, 15, 16, 17, 32<<10 - 1, 32 << 10, 32<<10 + 1, 100_003} {
			pt := make([]byte, n)
			rand.Read(pt)
			// Write in random pieces; the result must decrypt with Decrypt.
			var ct bytes.Buffer
			w, err := NewCBCEncrypter(&ct, alg, key)
			if err != nil {
				t.Fatal(err)
			}
			for rest := pt; len(rest) > 0; {
				k := min(len(rest), 1+r.IntN(5000))
				if _, err := w.Write(rest[:k]); err != nil {
					t.Fatal(err)
				}
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if ct.Len() != 16+(n/16+1)*16 {
				t.Fatalf("%s/%d: %d bytes of cipher text", alg, n, ct.Len())
			}
			got, err := Decrypt(alg, key, ct.Bytes())
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%s/%d: Decrypt of streamed: %v", alg, n, err)
			}
			// And the streaming reader undoes Encrypt, one byte at a time too.
			whole, _ := Encrypt(alg, key, pt)
			for _, src := range []io.Reader{bytes.NewReader(whole), iotest.OneByteReader(bytes.NewReader(whole)), iotest.DataErrReader(bytes.NewReader(whole))} {
				rd, err := NewCBCDecrypter(src, alg, key)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rd)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("%s/%d: streamed decrypt: %d bytes, %v", alg, n, len(got), err)
				}
			}
			// Truncation and a bad last block end in ErrDecrypt.
			for _, bad := range [][]byte{whole[:len(whole)-1], whole[:len(whole)-16], append(bytes.Clone(whole[:len(whole)-16]), make([]byte, 16)...)} {
				rd, err := NewCBCDecrypter(bytes.NewReader(bad), alg, key)
				if err != nil {
					if err != ErrDecrypt {
						t.Fatalf("%s/%d: %v", alg, n, err)
					}
					continue
				}
				if got, err := io.ReadAll(rd); err != ErrDecrypt && bytes.Equal(got, pt) {
					t.Errorf("%s/%d: bad input read back the plaintext (%v)", alg, n, err)
				}
			}
		}
	}
	if _, err := NewCBCEncrypter(io.Discard, AES128GCM, make([]byte, 16)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("gcm streaming: %v", err)
	}
}

func TestDecryptFrom(t *testing.T) {
	for _, alg := range []Algorithm{AES128GCM, AES256CBC} {
		key, _ := NewKey(alg)
		ct, _ := Encrypt(alg, key, make([]byte, 1000))
		if got, err := DecryptFrom(bytes.NewReader(ct), alg, key, 1000); err != nil || len(got) != 1000 {
			t.Errorf("%s: at the cap: %d, %v", alg, len(got), err)
		}
		big, _ := Encrypt(alg, key, make([]byte, 1100))
		if _, err := DecryptFrom(bytes.NewReader(big), alg, key, 1000); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: over the cap: %v", alg, err)
		}
	}
}
