package xmlenc

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
)

// shape renders el namespace-aware and prefix-blind: expanded names, attributes other
// than namespace declarations, and text with whitespace removed (base64 line breaks).
func shape(el *etree.Element) string {
	var sb strings.Builder
	var walk func(e *etree.Element, depth int)
	walk = func(e *etree.Element, depth int) {
		fmt.Fprintf(&sb, "%s{%s}%s", strings.Repeat(" ", depth), xmlsafe.NamespaceURI(e), e.Tag)
		var attrs []string
		for _, a := range e.Attr {
			if xmlsafe.IsNamespaceDecl(a) {
				continue
			}
			attrs = append(attrs, fmt.Sprintf("{%s}%s=%q", xmlsafe.AttrNamespaceURI(e, a), a.Key, a.Value))
		}
		sort.Strings(attrs)
		fmt.Fprintf(&sb, " %v", attrs)
		var txt strings.Builder
		for _, t := range e.Child {
			if cd, ok := t.(*etree.CharData); ok {
				txt.WriteString(cd.Data)
			}
		}
		fmt.Fprintf(&sb, " %q\n", strings.Join(strings.Fields(txt.String()), ""))
		for _, c := range e.ChildElements() {
			walk(c, depth+1)
		}
	}
	walk(el, 0)
	return sb.String()
}

// reparse serialises el and parses it back with xmlsafe, as a receiver would.
func reparse(t testing.TB, el *etree.Element) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	d, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("reparse: %v\n%s", err, b)
	}
	return d.Root()
}

func find(el *etree.Element, ns, local string) *etree.Element {
	if xmlsafe.Is(el, ns, local) {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := find(c, ns, local); f != nil {
			return f
		}
	}
	return nil
}

// diggXHE returns the XHE embedded (base64) in DIGG's encrypted O2O example.
func diggXHE(t testing.TB) *etree.Element {
	t.Helper()
	raw, err := os.ReadFile("testdata/digg_as4_xhe_encrypted.xml")
	if err != nil {
		t.Fatal(err)
	}
	outer, err := xmlsafe.ParseBytes(raw, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	v := outer.FindElement("//value")
	if v == nil {
		t.Fatal("no <value> in the DIGG example")
	}
	xhe, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v.Text()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmlsafe.ParseBytes(xhe, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

func TestParseDIGGEncryptedData(t *testing.T) {
	xhe := diggXHE(t)
	el := find(xhe, Namespace, "EncryptedData")
	if el == nil {
		t.Fatal("no xenc:EncryptedData in the DIGG XHE")
	}
	before := shape(el)
	d, err := ParseEncryptedData(el)
	if err != nil {
		t.Fatal(err)
	}
	if shape(el) != before {
		t.Fatal("ParseEncryptedData modified its input")
	}
	if d.Algorithm != AES256CBC || d.Type != string(TypeElement) || d.ID != "G882fae40-6622-4d6e-8f73-251a3d7b2375" {
		t.Errorf("got %s %s %s", d.Algorithm, d.Type, d.ID)
	}
	if n := len(d.CipherValue); n < 32 || n%16 != 0 || d.CipherReference != nil {
		t.Errorf("cipher value of %d bytes is not IV + whole AES blocks", n)
	}
	keys, err := d.EncryptedKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Fatalf("%d keys", len(keys))
	}
	k := keys[0]
	if k.Transport == nil || k.Transport.Algorithm != RSAOAEPMGF1P || k.Transport.Digest != xmldsig.SHA1 || k.Transport.MGF != "" || k.Transport.OAEPParams != nil {
		t.Errorf("transport %+v", k.Transport)
	}
	if k.ID != "EKef2ff933-4710-4c9d-9bf3-48f5e83ed617" || k.Agreement != nil {
		t.Errorf("id %q agreement %v", k.ID, k.Agreement)
	}
	// The recipient certificate in the EncryptedKey's KeyInfo (spec-facts.md §a.4).
	certEl := find(k.KeyInfo, NamespaceDSig, "X509Certificate")
	if certEl == nil {
		t.Fatal("no X509Certificate in the EncryptedKey's KeyInfo")
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(certEl.Text()))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || cert.Subject.CommonName != "testa.e2e.inera.se" || pub.N.BitLen() != 4096 {
		t.Fatalf("recipient %s, %T", cert.Subject, cert.PublicKey)
	}
	if len(k.CipherValue) != pub.Size() {
		t.Errorf("wrapped key of %d bytes for a %d-byte modulus", len(k.CipherValue), pub.Size())
	}
	// Element re-serialises it equivalently (prefixes aside: DIGG writes dsig:, we ds:).
	out := d.Element()
	if got := shape(reparse(t, out)); got != before {
		t.Errorf("re-serialised differently:\n got %s\nwant %s", got, before)
	}
	kout := reparse(t, k.Element())
	if got, want := shape(kout), shape(find(el, Namespace, "EncryptedKey")); got != want {
		t.Errorf("EncryptedKey re-serialised differently:\n got %s\nwant %s", got, want)
	}
}

func TestEncryptedKeyTransportXML(t *testing.T) {
	pki := demopki.ForTest(t)
	leaf := pki.Leaf("ap-b")
	cek, _ := NewKey(AES128GCM)
	for _, kt := range []KeyTransport{AS4KeyTransport(), O2OKeyTransport(), {Algorithm: RSAOAEP, OAEPParams: []byte{1, 2}}} {
		w, err := kt.Wrap(leaf.Cert.PublicKey.(*rsa.PublicKey), cek)
		if err != nil {
			t.Fatal(err)
		}
		str := etree.NewElement("wsse:SecurityTokenReference")
		str.CreateAttr("xmlns:wsse", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd")
		str.CreateElement("wsse:Reference").CreateAttr("URI", "#X509-1")
		k := &EncryptedKey{ID: "EK-1", Transport: &kt, KeyInfo: str, CipherValue: w,
			DataReferences: []string{"#ED-1", "#ED-2"}, CarriedKeyName: "name"}
		if err := k.Validate(); err != nil {
			t.Fatal(err)
		}
		el := reparse(t, k.Element())
		got, err := ParseEncryptedKey(el)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "EK-1" || got.CarriedKeyName != "name" || fmt.Sprint(got.DataReferences) != "[#ED-1 #ED-2]" {
			t.Errorf("got %+v", got)
		}
		if got.Transport.Algorithm != kt.Algorithm || got.Transport.Digest != kt.Digest || got.Transport.MGF != kt.MGF || !bytes.Equal(got.Transport.OAEPParams, kt.OAEPParams) {
			t.Errorf("transport %+v, want %+v", got.Transport, kt)
		}
		if r := find(got.KeyInfo, "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd", "Reference"); r == nil || r.SelectAttrValue("URI", "") != "#X509-1" {
			t.Errorf("KeyInfo lost the token reference: %s", shape(got.KeyInfo))
		}
		if c, err := got.UnwrapRSA(leaf.Key.(*rsa.PrivateKey)); err != nil || !bytes.Equal(c, cek) {
			t.Errorf("unwrap: %v", err)
		}
	}
}

func TestEncryptedKeyAgreementXML(t *testing.T) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cek, _ := NewKey(AES128GCM)
	ka := AS4KeyAgreement()
	ka.Info = []byte("info") // any stated Info is honoured
	w, eph, used, err := ka.WrapFor(priv.PublicKey(), cek)
	if err != nil {
		t.Fatal(err)
	}
	str := etree.NewElement("wsse:SecurityTokenReference")
	str.CreateAttr("xmlns:wsse", "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd")
	k := &EncryptedKey{ID: "EK-2", Agreement: &used, Ephemeral: eph, RecipientKeyInfo: str, CipherValue: w, DataReferences: []string{"#ED-9"}}
	el := reparse(t, k.Element())
	for _, p := range [][2]string{
		{NamespaceDSig, "KeyInfo"}, {Namespace, "AgreementMethod"}, {Namespace11, "KeyDerivationMethod"},
		{NamespaceDSigMore, "HKDFParams"}, {NamespaceDSigMore, "PRF"}, {NamespaceDSigMore, "Salt"},
		{NamespaceDSigMore, "Info"}, {NamespaceDSigMore, "KeyLength"}, {Namespace, "OriginatorKeyInfo"},
		{NamespaceDSig11, "DEREncodedKeyValue"}, {Namespace, "RecipientKeyInfo"},
	} {
		if find(el, p[0], p[1]) == nil {
			t.Errorf("no {%s}%s", p[0], p[1])
		}
	}
	if got := find(el, Namespace, "EncryptionMethod").SelectAttrValue("Algorithm", ""); got != string(KWAES128) {
		t.Errorf("EncryptionMethod %s", got)
	}
	if got := find(el, NamespaceDSigMore, "KeyLength").Text(); got != "16" {
		t.Errorf("KeyLength %s", got)
	}
	got, err := ParseEncryptedKey(el)
	if err != nil {
		t.Fatal(err)
	}
	if got.Agreement == nil || !bytes.Equal(got.Agreement.Salt, used.Salt) || string(got.Agreement.Info) != "info" || !got.Ephemeral.Equal(eph) {
		t.Fatalf("got %+v", got.Agreement)
	}
	if got.RecipientKeyInfo == nil || !xmlsafe.Is(got.RecipientKeyInfo, Namespace, "RecipientKeyInfo") {
		t.Errorf("RecipientKeyInfo %v", got.RecipientKeyInfo)
	}
	c, err := got.UnwrapAgreement(priv)
	if err != nil || !bytes.Equal(c, cek) {
		t.Fatalf("unwrap: %v", err)
	}
}

// Salt as <Specified> (go-as4's form) is accepted too.
func TestHKDFSaltSpecified(t *testing.T) {
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	cek, _ := NewKey(AES128GCM)
	w, eph, used, err := AS4KeyAgreement().WrapFor(priv.PublicKey(), cek)
	if err != nil {
		t.Fatal(err)
	}
	el := (&EncryptedKey{Agreement: &used, Ephemeral: eph, CipherValue: w}).Element()
	s := find(el, NamespaceDSigMore, "Salt")
	v := s.Text()
	s.SetText("")
	s.CreateElement("dsig-more:Specified").SetText(v)
	got, err := ParseEncryptedKey(reparse(t, el))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := got.UnwrapAgreement(priv); err != nil || !bytes.Equal(c, cek) {
		t.Fatalf("unwrap: %v", err)
	}
}

func TestEncryptElementRoundTrip(t *testing.T) {
	doc, err := xmlsafe.ParseBytes([]byte(`<r:root xmlns:r="urn:r" xmlns="urn:default" xmlns:unused="urn:u"><r:a><payload attr="x" r:b="y">text &amp; more<child/><r:c xmlns:r="urn:r2"/></payload></r:a></r:root>`), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	payload := find(doc.Root(), "urn:default", "payload")
	before := shape(payload)
	docBefore, _ := doc.WriteToString()
	for _, alg := range []Algorithm{AES256CBC, AES128GCM} {
		cek, _ := NewKey(alg)
		edEl, err := EncryptElement(payload, alg, cek, nil)
		if err != nil {
			t.Fatal(err)
		}
		if after, _ := doc.WriteToString(); after != docBefore {
			t.Fatal("EncryptElement modified the document")
		}
		ed, err := ParseEncryptedData(reparse(t, edEl))
		if err != nil {
			t.Fatal(err)
		}
		if ed.Type != string(TypeElement) || ed.Algorithm != alg {
			t.Errorf("type %s alg %s", ed.Type, ed.Algorithm)
		}
		got, err := DecryptElement(ed, cek)
		if err != nil {
			t.Fatal(err)
		}
		if got.Parent() != nil {
			t.Error("decrypted element has a parent")
		}
		if s := shape(got); s != before {
			t.Errorf("decrypted\n%s\nwant\n%s", s, before)
		}
		// Every declaration in scope is carried, so QNames in content resolve too.
		if got.SelectAttrValue("xmlns:unused", "") != "urn:u" {
			t.Error("in-scope namespace declaration not carried along")
		}
		wrong, _ := NewKey(alg)
		if _, err := DecryptElement(ed, wrong); err == nil {
			t.Error("decrypted with the wrong key")
		}
	}
}

func TestCipherReferenceXML(t *testing.T) {
	d := &EncryptedData{ID: "ED-1", Type: "http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Content-Only", MimeType: "application/gzip",
		Algorithm: AES128GCM, CipherReference: &CipherReference{URI: "cid:message", Transforms: []string{"http://docs.oasis-open.org/wss/oasis-wss-SwAProfile-1.1#Attachment-Ciphertext-Transform"}}}
	got, err := ParseEncryptedData(reparse(t, d.Element()))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != d.ID || got.Type != d.Type || got.MimeType != d.MimeType || got.CipherReference == nil ||
		got.CipherReference.URI != "cid:message" || fmt.Sprint(got.CipherReference.Transforms) != fmt.Sprint(d.CipherReference.Transforms) || got.CipherValue != nil {
		t.Errorf("got %+v %+v", got, got.CipherReference)
	}
}

// §4.3: a serialised element may rely on prefixes declared around the EncryptedData
// (xmlsec1 writes it so); DecryptElement parses it in that context.
func TestDecryptElementContext(t *testing.T) {
	cek, _ := NewKey(AES128GCM)
	doc, err := xmlsafe.ParseBytes([]byte(`<r xmlns="urn:d" xmlns:p="urn:p"><x:w xmlns:x="urn:x"/></r>`), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		plain string
		ok    bool
		want  string
	}{
		{`<p:a b="1"><c/></p:a>`, true, "{urn:p}a [{}b=\"1\"] \"\"\n {urn:d}c [] \"\"\n"},
		{`<?xml version="1.0"?><p:a/>`, true, "{urn:p}a [] \"\"\n"},
		{` <a xmlns=""/> `, true, "{}a [] \"\"\n"},
		{`<x:a/>`, false, ""}, // x is declared below the EncryptedData's parent only
		{`<p:a/><p:b/>`, false, ""},
		{`text<p:a/>`, false, ""},
		{``, false, ""},
		{`<!DOCTYPE a [<!ENTITY e "x">]><a/>`, false, ""},
	} {
		ct, _ := Encrypt(AES128GCM, cek, []byte(c.plain))
		edEl := (&EncryptedData{Type: string(TypeElement), Algorithm: AES128GCM, CipherValue: ct}).Element()
		doc.Root().AddChild(edEl)
		ed, err := ParseEncryptedData(edEl)
		doc.Root().RemoveChild(edEl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptElement(ed, cek)
		if (err == nil) != c.ok {
			t.Errorf("%q: err = %v", c.plain, err)
			continue
		}
		if c.ok && shape(got) != c.want {
			t.Errorf("%q: got %s", c.plain, shape(got))
		}
	}
}
