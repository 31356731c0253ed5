package xmldsig

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
)

// signedSOAP returns a freshly signed SOAP document (serialised) and its key.
func signedSOAP(t testing.TB) ([]byte, *demopki.Cert) {
	t.Helper()
	ap := demopki.ForTest(t).Leaf("ap-a")
	doc := parseDoc(t, soapDoc)
	signSOAP(t, doc, ap.Key, RSASHA256, nil)
	return roundTrip(t, doc), ap
}

func TestVerifyRefusesTampering(t *testing.T) {
	signed, ap := signedSOAP(t)
	if _, err := verifyOwn(t, signed, ap.Cert.PublicKey, Policy{}); err != nil {
		t.Fatalf("untouched: %v", err)
	}
	s := string(signed)
	cases := []struct {
		name, from, to string
		want           error
	}{
		{"SignedInfo digest", "<ds:DigestValue>", "<ds:DigestValue>AAAA", ErrBadSignature},
		{"SignedInfo URI", `URI="#body-1"`, `URI="#msg-1"`, ErrBadSignature},
		{"SignatureValue", "<ds:SignatureValue>", "<ds:SignatureValue>AAAA", ErrBadSignature},
		{"Messaging", "m@x", "m@z", ErrDigestMismatch},
		{"Body attribute added", `<p xmlns="urn:payload">`, `<p xmlns="urn:payload" a="1">`, ErrDigestMismatch},
		{"Body id moved", `S12:Body wsu:Id="body-1"`, `S12:Body wsu:Id="body-2"`, ErrReference},
		{"duplicate id (wrapping)", `<S12:Body wsu:Id="body-1">`, `<S12:Body wsu:Id="body-1"><w wsu:Id="body-1"/>`, xmlsafe.ErrDuplicateID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := strings.Replace(s, c.from, c.to, 1)
			if m == s {
				t.Fatalf("%q not found", c.from)
			}
			if _, err := verifyOwn(t, []byte(m), ap.Cert.PublicKey, Policy{}); !errors.Is(err, c.want) {
				t.Errorf("err = %v, want %v", err, c.want)
			}
		})
	}
	other := demopki.ForTest(t).Leaf("ap-b")
	if _, err := verifyOwn(t, signed, other.Cert.PublicKey, Policy{}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other key: %v", err)
	}
}

// TestVerifyUsesSignedReferences: changing the parsed Reference list after
// ParseSignature cannot redirect verification.
func TestVerifyUsesSignedReferences(t *testing.T) {
	signed, ap := signedSOAP(t)
	doc := parseDoc(t, string(signed))
	ids, _ := xmlsafe.IndexIDs(doc.Root(), xmlsafe.AttrName{Space: nsWSU, Local: "Id"})
	sigEl := findAll(doc.Root(), Namespace, "Signature", nil)[0]
	s, err := ParseSignature(sigEl)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := xmlsafe.Serialize(doc)
	s.References[1].URI = "#msg-1"
	if _, err := s.Verify(ap.Cert.PublicKey, IDResolver{Root: doc.Root(), IDs: ids, Signature: sigEl}, Policy{}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("edited Reference: %v", err)
	}
	s, _ = ParseSignature(sigEl)
	v, err := s.Verify(ap.Cert.PublicKey, IDResolver{Root: doc.Root(), IDs: ids, Signature: sigEl}, Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if v.References[0].Element != ids["msg-1"] || v.References[1].Element != ids["body-1"] || v.References[1].RefElement != s.RefElements[1] {
		t.Errorf("verified elements are not the digested ones")
	}
	if after, _ := xmlsafe.Serialize(doc); !bytes.Equal(before, after) {
		t.Errorf("Verify modified the document")
	}
}

func TestPolicy(t *testing.T) {
	signed, ap := signedSOAP(t)
	for _, c := range []struct {
		name string
		p    Policy
	}{
		{"method", Policy{Methods: []SignatureMethod{RSASHA512}}},
		{"digest", Policy{Digests: []DigestMethod{SHA512}}},
		{"c14n", Policy{C14N: []c14n.Method{c14n.C14N10}}},
		{"max bits", Policy{MaxRSABits: 1024, MinRSABits: 512}},
		{"min bits", Policy{MinRSABits: 3072}},
	} {
		if _, err := verifyOwn(t, signed, ap.Cert.PublicKey, c.p); !errors.Is(err, ErrPolicy) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	doc := parseDoc(t, soapDoc)
	signSOAP(t, doc, small, RSASHA256, nil)
	if _, err := verifyOwn(t, roundTrip(t, doc), &small.PublicKey, Policy{}); !errors.Is(err, ErrPolicy) {
		t.Errorf("RSA-1024 by default: %v", err)
	}
	if _, err := verifyOwn(t, roundTrip(t, doc), &small.PublicKey, Policy{MinRSABits: 1024}); err != nil {
		t.Errorf("RSA-1024 allowed: %v", err)
	}
}

// sigWith returns a signed-looking document whose single Reference has the
// given transforms (the values are irrelevant: verification must stop first).
func sigWith(uri string, transforms ...string) string {
	var ts string
	for _, t := range transforms {
		ts += `<ds:Transform Algorithm="` + t + `"/>`
	}
	if ts != "" {
		ts = "<ds:Transforms>" + ts + "</ds:Transforms>"
	}
	return `<r xmlns:ds="` + Namespace + `"><a Id="a"/><ds:Signature><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="` + string(c14n.ExcC14N) + `"/>` +
		`<ds:SignatureMethod Algorithm="` + string(RSASHA256) + `"/>` +
		`<ds:Reference URI="` + uri + `">` + ts + `<ds:DigestMethod Algorithm="` + string(SHA256) + `"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>` +
		`</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></r>`
}

func TestResolverRefuses(t *testing.T) {
	cases := []struct {
		doc  string
		want error
	}{
		{sigWith("#a", "http://www.w3.org/TR/1999/REC-xpath-19991116"), ErrUnsupported},
		{sigWith("#a", "http://www.w3.org/2002/06/xmldsig-filter2"), ErrUnsupported},
		{sigWith("#a", "http://www.w3.org/TR/1999/REC-xslt-19991116"), ErrUnsupported},
		{sigWith("#a", "http://www.w3.org/2000/09/xmldsig#base64"), ErrUnsupported},
		{sigWith("#a", string(c14n.C14N11)), ErrUnsupported},
		{sigWith("#a", string(TransformExcC14N), string(EnvelopedSignature)), ErrUnsupported},
		{sigWith("#a", string(TransformExcC14N), string(TransformC14N10)), ErrUnsupported},
		{sigWith("#a", string(AttachmentContentSignature)), ErrUnsupported},
		{sigWith("cid:x", string(TransformExcC14N)), ErrUnsupported},
		{sigWith("http://evil/x"), ErrUnsupported},
		{sigWith("#xpointer(id('a'))"), ErrUnsupported},
		{sigWith("#nope"), ErrReference},
		{sigWith("#"), ErrReference},
	}
	for _, c := range cases {
		doc := parseDoc(t, c.doc)
		sigEl := findAll(doc.Root(), Namespace, "Signature", nil)[0]
		s, err := ParseSignature(sigEl)
		if err != nil {
			t.Fatal(err)
		}
		ids, _ := xmlsafe.IndexIDs(doc.Root(), xmlsafe.AttrName{Local: "Id"})
		_, _, err = IDResolver{Root: doc.Root(), IDs: ids, Signature: sigEl}.Resolve(s.References[0])
		if !errors.Is(err, c.want) {
			t.Errorf("%v: %v, want %v", s.References[0], err, c.want)
		}
	}
	doc := parseDoc(t, sigWith("", string(EnvelopedSignature)))
	s, _ := ParseSignature(findAll(doc.Root(), Namespace, "Signature", nil)[0])
	if _, _, err := (IDResolver{Root: doc.Root()}).Resolve(s.References[0]); !errors.Is(err, ErrReference) {
		t.Errorf("enveloped without Signature: %v", err)
	}
}

func TestParseSignatureRefuses(t *testing.T) {
	good := sigWith("#a")
	many := strings.Repeat(`<ds:Reference URI="#a"><ds:DigestMethod Algorithm="x"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference>`, MaxReferences+1)
	cases := map[string][2]string{
		"no SignatureValue":   {"<ds:SignatureValue>AAAA</ds:SignatureValue>", ""},
		"bad base64":          {"<ds:SignatureValue>AAAA", "<ds:SignatureValue>A*AA"},
		"HMACOutputLength":    {`#rsa-sha256"/>`, `#rsa-sha256"><ds:HMACOutputLength>8</ds:HMACOutputLength></ds:SignatureMethod>`},
		"no URI":              {`<ds:Reference URI="#a">`, `<ds:Reference>`},
		"too many references": {"</ds:SignedInfo>", many + "</ds:SignedInfo>"},
		"too many transforms": {`<ds:DigestMethod`, "<ds:Transforms>" + strings.Repeat(`<ds:Transform Algorithm="x"/>`, MaxTransforms+1) + "</ds:Transforms><ds:DigestMethod"},
		"extra element":       {"</ds:Signature>", "<ds:Extra/></ds:Signature>"},
		"KeyInfo twice":       {"</ds:Signature>", "<ds:KeyInfo/><ds:KeyInfo/></ds:Signature>"},
		"no Algorithm":        {`<ds:SignatureMethod Algorithm="` + string(RSASHA256) + `"/>`, `<ds:SignatureMethod/>`},
		"PrefixList under c14n 1.0": {`<ds:CanonicalizationMethod Algorithm="` + string(c14n.ExcC14N) + `"/>`,
			`<ds:CanonicalizationMethod Algorithm="` + string(c14n.C14N10) + `"><ec:InclusiveNamespaces xmlns:ec="` + NamespaceExcC14N + `" PrefixList="a"/></ds:CanonicalizationMethod>`},
	}
	for name, c := range cases {
		m := strings.Replace(good, c[0], c[1], 1)
		if m == good {
			t.Fatalf("%s: %q not found", name, c[0])
		}
		doc := parseDoc(t, m)
		if s, err := ParseSignature(findAll(doc.Root(), Namespace, "Signature", nil)[0]); err == nil {
			t.Errorf("%s: accepted %+v", name, s)
		}
	}
	doc := parseDoc(t, good)
	if _, err := ParseSignature(doc.Root()); !errors.Is(err, ErrMalformed) {
		t.Errorf("not a Signature: %v", err)
	}
}

func TestSignRefuses(t *testing.T) {
	ap := demopki.ForTest(t).Leaf("ap-a")
	doc := parseDoc(t, soapDoc)
	before, _ := xmlsafe.Serialize(doc)
	ref := []Reference{{URI: "#msg-1", DigestMethod: SHA256, DigestValue: make([]byte, 32)}}
	for name, c := range map[string]struct {
		refs []Reference
		opt  SignOptions
	}{
		"rsa-sha1":       {ref, SignOptions{Method: RSASHA1, C14N: c14n.ExcC14N}},
		"wrong key type": {ref, SignOptions{Method: ECDSASHA256, C14N: c14n.ExcC14N}},
		"ed25519 key":    {ref, SignOptions{Method: Ed25519, C14N: c14n.ExcC14N}},
		"unknown method": {ref, SignOptions{Method: "urn:x", C14N: c14n.ExcC14N}},
		"c14n 1.1":       {ref, SignOptions{Method: RSASHA256, C14N: c14n.C14N11}},
		"no references":  {nil, SignOptions{Method: RSASHA256, C14N: c14n.ExcC14N}},
		"no digest":      {[]Reference{{URI: "#x", DigestMethod: SHA256}}, SignOptions{Method: RSASHA256, C14N: c14n.ExcC14N}},
		"unknown digest": {[]Reference{{URI: "#x", DigestMethod: "urn:md5", DigestValue: []byte{1}}}, SignOptions{Method: RSASHA256, C14N: c14n.ExcC14N}},
	} {
		if sig, err := Sign(doc.Root(), -1, ap.Key, c.refs, c.opt); err == nil {
			t.Errorf("%s: signed %v", name, sig)
		}
	}
	if after, _ := xmlsafe.Serialize(doc); !bytes.Equal(before, after) {
		t.Errorf("failed Sign left the document changed:\n%s", after)
	}
}

func TestKeyInfoCertificates(t *testing.T) {
	pki := demopki.ForTest(t)
	ki := etree.NewElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", Namespace)
	if _, err := KeyInfoCertificates(ki); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("empty KeyInfo: %v", err)
	}
	if _, err := KeyInfoCertificates(nil); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("nil KeyInfo: %v", err)
	}
	ki.AddChild(x509Data(pki.Leaf("org-a").Cert))
	ki.AddChild(x509Data(pki.Leaf("org-b").Cert))
	certs, err := KeyInfoCertificates(ki)
	if err != nil || len(certs) != 2 || !certs[1].Equal(pki.Leaf("org-b").Cert) {
		t.Errorf("certs %v, %v", certs, err)
	}
	evil := etree.NewElement("X509Data") // not in the ds namespace
	evil.CreateElement("X509Certificate").SetText("AAAA")
	ki2 := etree.NewElement("ds:KeyInfo")
	ki2.CreateAttr("xmlns:ds", Namespace)
	ki2.AddChild(evil)
	if _, err := KeyInfoCertificates(ki2); !errors.Is(err, ErrNoCertificate) {
		t.Errorf("X509Data outside ds namespace: %v", err)
	}
}

func TestDigest(t *testing.T) {
	for m, want := range map[DigestMethod]string{
		SHA1:   "a9993e364706816aba3e25717850c26c9cd0d89d",
		SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		SHA512: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	} {
		d, err := Digest(m, []byte("abc")) // FIPS 180 "abc" vectors
		if err != nil || fmt.Sprintf("%x", d) != want {
			t.Errorf("%s: %x, %v", m, d, err)
		}
	}
	if _, err := Digest("http://www.w3.org/2001/04/xmldsig-more#md5", nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("md5: %v", err)
	}
}
