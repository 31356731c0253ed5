package as4_test

import (
	"bytes"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
)

// soapOnly builds a signed SOAP 1.2 user message without MIME whose payload is
// in the Body (AS4_CP_TA22), signing as a peer would (BST, Messaging, Body).
func soapOnly(t *testing.T, w *world, href string, payload *etree.Element) []byte {
	t.Helper()
	um := userMessage()
	um.Info.MessageID = "ta22@peer"
	um.Info.Timestamp = testNow
	um.Payloads = []ebms.PartInfo{{Href: href, Properties: []ebms.Property{{Name: ebms.PropMimeType, Value: "application/xml"}}}}
	m := &ebms.Messaging{ID: "_msg", UserMessage: um}
	mel, err := m.Element()
	if err != nil {
		t.Fatal(err)
	}
	env := soap.New()
	sec := wssec.NewSecurity(soap.Prefix)
	env.AddHeader(sec)
	env.AddHeader(mel)
	wssec.SetWSUID(env.Body, "_body")
	env.Body.AddChild(payload)
	sec.AddChild(wssec.NewBinarySecurityToken("X509-1", w.a.signCert))
	tr := []xmldsig.Transform{xmldsig.TransformExcC14N}
	var refs []xmldsig.Reference
	for id, el := range map[string]*etree.Element{"_msg": mel, "_body": env.Body} {
		d, err := xmldsig.DigestElement(el, tr, nil, xmldsig.SHA256, nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, xmldsig.Reference{URI: "#" + id, Transforms: tr, DigestMethod: xmldsig.SHA256, DigestValue: d})
	}
	if _, err := xmldsig.Sign(sec, -1, w.a.signKey, refs, xmldsig.SignOptions{Method: xmldsig.RSASHA256, C14N: c14n.ExcC14N, KeyInfo: wssec.NewReferenceSTR("X509-1")}); err != nil {
		t.Fatal(err)
	}
	b, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSOAPWithoutMIME(t *testing.T) {
	w := world115(t)
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<inv:Invoice xmlns:inv="urn:example:invoice" xml:id="inv1"><inv:Total>42</inv:Total></inv:Invoice>`); err != nil {
		t.Fatal(err)
	}
	for _, href := range []string{"", "#inv1"} {
		msg := soapOnly(t, w, href, doc.Root().Copy())
		v, err := w.unpacker().Unpack("application/soap+xml; charset=UTF-8", bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("href %q: %v", href, err)
		}
		if len(v.Payloads) != 1 || !bytes.Contains(v.Payloads[0].Data, []byte("<inv:Total>42</inv:Total>")) || v.Payloads[0].ContentID != "" {
			t.Fatalf("href %q: payloads %+v", href, v.Payloads)
		}
	}
	// The Body is signed, so editing the payload breaks the signature.
	msg := soapOnly(t, w, "", doc.Root().Copy())
	msg = bytes.Replace(msg, []byte(">42<"), []byte(">43<"), 1)
	if _, err := w.unpacker().Unpack("application/soap+xml", bytes.NewReader(msg)); !isCode(err, ebms.FailedAuthentication) {
		t.Fatalf("edited body payload: %v", err)
	}
	// An href to an element that is not in the Body.
	msg = soapOnly(t, w, "#nowhere", doc.Root().Copy())
	if _, err := w.unpacker().Unpack("application/soap+xml", bytes.NewReader(msg)); !isCode(err, ebms.ExternalPayloadError) {
		t.Fatalf("href to nothing: %v", err)
	}
	// Other media types are refused before parsing.
	if _, err := w.unpacker().Unpack("text/plain", bytes.NewReader(msg)); !isCode(err, ebms.MIMEInconsistency) {
		t.Fatalf("text/plain: %v", err)
	}
}

var _ = as4.SignalContentType
