package xmlenc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"os"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

func fuzzSeeds(f *testing.F) {
	xhe := diggXHE(f)
	ed := find(xhe, Namespace, "EncryptedData")
	for _, el := range []*etree.Element{ed, find(ed, Namespace, "EncryptedKey")} {
		doc := etree.NewDocument()
		doc.SetRoot(detach(el))
		b, _ := doc.WriteToBytes()
		f.Add(b)
	}
	if raw, err := os.ReadFile("testdata/domibus_MSHAS4Request.xml"); err == nil {
		if doc, err := xmlsafe.ParseBytes(raw, xmlsafe.DefaultLimits); err == nil {
			for _, name := range []string{"EncryptedKey", "EncryptedData"} {
				if el := find(doc.Root(), Namespace, name); el != nil {
					d := etree.NewDocument()
					d.SetRoot(detach(el))
					b, _ := d.WriteToBytes()
					f.Add(b)
				}
			}
		}
	}
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	w, eph, used, err := AS4KeyAgreement().WrapFor(priv.PublicKey(), make([]byte, 16))
	if err != nil {
		f.Fatal(err)
	}
	for _, el := range []*etree.Element{
		(&EncryptedKey{ID: "k", Agreement: &used, Ephemeral: eph, CipherValue: w, DataReferences: []string{"#a"}}).Element(),
		(&EncryptedData{ID: "d", Algorithm: AES128GCM, CipherReference: &CipherReference{URI: "cid:x", Transforms: []string{"urn:t"}}}).Element(),
	} {
		doc := etree.NewDocument()
		doc.SetRoot(el)
		b, _ := doc.WriteToBytes()
		f.Add(b)
	}
}

// FuzzParse: ParseEncryptedKey and ParseEncryptedData never panic, never modify their
// input, and whatever they accept re-serialises to something they accept again.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := xmlsafe.ParseBytes(data, xmlsafe.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 4096, MaxElements: 10000})
		if err != nil {
			return
		}
		root := doc.Root()
		before, _ := doc.WriteToBytes()
		if k, err := ParseEncryptedKey(root); err == nil {
			if k == nil {
				t.Fatal("nil key without error")
			}
			if _, err := ParseEncryptedKey(reparse(t, k.Element())); err != nil {
				t.Fatalf("re-parse of accepted key: %v", err)
			}
		}
		if d, err := ParseEncryptedData(root); err == nil {
			if d == nil {
				t.Fatal("nil data without error")
			}
			if _, err := ParseEncryptedData(reparse(t, d.Element())); err != nil {
				t.Fatalf("re-parse of accepted data: %v", err)
			}
			_, _ = d.EncryptedKeys()
		}
		if after, _ := doc.WriteToBytes(); !bytes.Equal(before, after) {
			t.Fatal("parse modified its input")
		}
	})
}

// FuzzDecrypt: Decrypt and KeyUnwrap never panic on arbitrary input.
func FuzzDecrypt(f *testing.F) {
	key := bytes.Repeat([]byte{3}, 32)
	for _, alg := range []Algorithm{AES128GCM, AES256CBC} {
		k := key[:16]
		if alg == AES256CBC {
			k = key
		}
		ct, _ := Encrypt(alg, k, []byte("seed plaintext"))
		f.Add(byte(0), ct)
		f.Add(byte(3), ct)
	}
	f.Add(byte(4), make([]byte, 24))
	algs := []Algorithm{AES128GCM, AES256GCM, AES128CBC, AES256CBC}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		if int(sel)%5 == 4 {
			_, _ = KeyUnwrap(key[:16], data)
			return
		}
		alg := algs[int(sel)%5%4]
		n, _ := KeySize(alg)
		pt, err := Decrypt(alg, key[:n], data)
		if err != nil && err != ErrDecrypt {
			t.Fatalf("error other than ErrDecrypt: %v", err)
		}
		if err == nil && len(pt) >= len(data) {
			t.Fatalf("plaintext not shorter than cipher text")
		}
	})
}

// FuzzDecryptedElement: the parser of decrypted #Element plaintext (parseInContext)
// never panics, and what it accepts stands alone: it re-parses without the context.
func FuzzDecryptedElement(f *testing.F) {
	f.Add([]byte(`<p:a xmlns:q="urn:q" b="1"><c/>text</p:a>`))
	f.Add([]byte(`<?xml version="1.0"?><a xmlns=""/>`))
	f.Add([]byte(`<p:a/><p:b/>`))
	ctx := map[string]string{"p": "urn:p", "": "urn:d"}
	lim := xmlsafe.Limits{MaxBytes: 1 << 16, MaxDepth: 16, MaxAttrs: 16, MaxAttrLen: 1024, MaxElements: 1000}
	f.Fuzz(func(t *testing.T, plain []byte) {
		el, err := parseInContext(plain, ctx, lim)
		if err != nil {
			return
		}
		if el == nil || el.Parent() != nil {
			t.Fatal("nil or attached element without error")
		}
		doc := etree.NewDocument()
		doc.SetRoot(el)
		b, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits); err != nil {
			t.Fatalf("accepted element does not stand alone: %v\n%s", err, b)
		}
	})
}
