package xmldsig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// FuzzParseSignature: ParseSignature never panics on any parsed document.
func FuzzParseSignature(f *testing.F) {
	f.Add([]byte(sigWith("#a", string(TransformExcC14N))))
	f.Add([]byte(sigWith("", string(EnvelopedSignature), string(TransformC14N10))))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
		if err != nil {
			return
		}
		for _, el := range findAll(doc.Root(), Namespace, "Signature", nil) {
			s, err := ParseSignature(el)
			if err != nil {
				continue
			}
			if len(s.References) == 0 || len(s.References) != len(s.RefElements) || len(s.References) > MaxReferences {
				t.Fatalf("parsed %d references, %d elements", len(s.References), len(s.RefElements))
			}
		}
	})
}

// oracle knows what was signed: the canonical SignedInfo per c14n method and
// the signed octets per reference URI.
type oracle struct {
	pub    crypto.PublicKey
	signed [][]byte
	want   map[string][]byte
}

func newOracle(t testing.TB) *oracle {
	t.Helper()
	// An ECDSA key of its own: every fuzz worker runs this setup, and RSA
	// key generation (or the demo PKI's dozen keys) makes workers start
	// slowly on a loaded machine. RSA verification is covered by the other tests.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{pub: &key.PublicKey, want: map[string][]byte{}}
	soap := parseDoc(t, soapDoc)
	signSOAP(t, soap, key, ECDSASHA256, nil)
	xhe := parseDoc(t, xheDoc)
	signEnveloped(t, xhe, key, ECDSASHA256, nil)
	for _, doc := range []*etree.Document{soap, xhe} {
		b := roundTrip(t, doc)
		o.signed = append(o.signed, b)
		n := o.check(t, b)
		if n != 1 {
			t.Fatalf("oracle: %d signatures verified in an untouched document", n)
		}
	}
	return o
}

// check verifies every signature in b and, for each that verifies, requires
// the signed octets to be the original ones (recording them on first use).
// It returns how many signatures verified.
func (o *oracle) check(t testing.TB, b []byte) int {
	doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		return 0
	}
	ids, err := xmlsafe.IndexIDs(doc.Root(), xmlsafe.AttrName{Space: nsWSU, Local: "Id"})
	if err != nil {
		return 0
	}
	n := 0
	for _, sigEl := range findAll(doc.Root(), Namespace, "Signature", nil) {
		s, err := ParseSignature(sigEl)
		if err != nil {
			continue
		}
		v, err := s.Verify(o.pub, IDResolver{Root: doc.Root(), IDs: ids, Signature: sigEl}, Policy{})
		if err != nil {
			continue
		}
		n++
		si, _ := c14n.Canonicalize(s.C14N, s.SignedInfo, nil, s.C14NPrefix)
		o.same(t, "SignedInfo "+string(s.C14N), si)
		for _, r := range v.References {
			o.same(t, "reference "+r.URI, canonRef(t, r, sigEl))
		}
	}
	return n
}

func (o *oracle) same(t testing.TB, key string, got []byte) {
	t.Helper()
	want, ok := o.want[key]
	if !ok {
		o.want[key] = got
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("accepted changed %s:\n%s\nwas\n%s", key, got, want)
	}
}

// canonRef re-derives the signed octets of a verified reference from its Element.
func canonRef(t testing.TB, r VerifiedReference, sig *etree.Element) []byte {
	t.Helper()
	node := r.Element
	if r.URI == "" {
		node = r.Element.Parent()
	}
	b, err := TransformElement(node, r.Transforms, r.Prefixes, sig)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzVerify mutates signed documents (an AS4-style #id exc-c14n signature
// and an enveloped C14N 1.0 one). Verify never panics, and whenever it
// succeeds, the canonical SignedInfo and the signed octets of every verified
// reference are exactly those that were signed.
func FuzzVerify(f *testing.F) {
	o := newOracle(f)
	for _, b := range o.signed {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { o.check(t, b) })
}

// TestByteSweep changes every byte of both signed documents in turn (to a
// letter) and applies the same oracle: a change that still
// verifies may only touch bytes outside the signed content (e.g. whitespace
// in the SOAP header outside eb:Messaging, or a prefix name nobody renders).
func TestByteSweep(t *testing.T) {
	o := newOracle(t)
	accepted := 0
	for _, b := range o.signed {
		for i := range b {
			if b[i] == 'Q' {
				continue
			}
			m := bytes.Clone(b)
			m[i] = 'Q'
			accepted += o.check(t, m)
		}
	}
	t.Logf("%d mutated documents still verified (with unchanged signed content)", accepted)
}
