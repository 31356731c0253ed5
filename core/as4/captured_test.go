package as4_test

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"io"
	"net/textproto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
)

// capturedMessage reads a captured file: HTTP or MIME headers then a body
// (.as4in, .as4out, .mime), or a bare SOAP document (.xml).
func capturedMessage(t testing.TB, name string) (contentType string, body []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/captured/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".xml") {
		return "application/soap+xml", b
	}
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(b)))
	h, err := r.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("%s: headers: %v", name, err)
	}
	rest, _ := io.ReadAll(r.R)
	return h.Get("Content-Type"), rest
}

func certs(t testing.TB, files ...string) []*x509.Certificate {
	t.Helper()
	var out []*x509.Certificate
	for _, f := range files {
		c, err := demopki.LoadCerts("testdata/captured/" + f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c...)
	}
	return out
}

func at(ts string) func() time.Time {
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return t }
}

// TestInteropCapturedSignals verifies signal messages other implementations
// signed: every ds:Reference, eb:Messaging and Body signed, signer trusted.
func TestInteropCapturedSignals(t *testing.T) {
	peppol := certs(t, "peppol-test-g2-trust.pem")
	gw := certs(t, "blue_gw.pem", "red_gw.pem")
	for _, tc := range []struct {
		file  string
		roots []*x509.Certificate
		pin   []*x509.Certificate
		known []*x509.Certificate
		at    string
		want  ebms.Code // "" = verifies
	}{
		{file: "helger.as4in", roots: peppol, at: "2022-03-07T17:36:50Z"},
		{file: "governikus.as4in", roots: peppol, at: "2022-03-07T17:36:50Z"},
		{file: "dataport1-mustunderstand.as4in", roots: peppol, at: "2022-03-07T17:36:50Z"},
		// the eb:Messaging prefix was rewritten after signing (see ORIGIN)
		{file: "dataport1.as4in", roots: peppol, at: "2022-03-07T17:36:50Z", want: ebms.FailedAuthentication},
		// expired certificate, checked now
		{file: "helger.as4in", roots: peppol, at: "2026-11-27T00:00:00Z", want: ebms.FailedAuthentication},
		// untrusted: the Domibus gateway keys are not anchors
		{file: "helger.as4in", roots: gw, at: "2022-03-07T17:36:50Z", want: ebms.FailedAuthentication},
		{file: "TestReceipt12.xml", pin: certs(t, "TestReceipt12.signer.pem"), at: "2025-12-05T14:03:40Z"},
		// Domibus: SKI token reference to a certificate the message does not carry
		{file: "MSHAS4Response.deindented.xml", pin: gw, known: gw, at: "2017-10-24T11:29:18Z"},
		{file: "MSHAS4Response.deindented.xml", pin: gw, at: "2017-10-24T11:29:18Z", want: ebms.FailedAuthentication},
		{file: "MSHAS4Response-signOnly.deindented.xml", pin: gw, known: gw, at: "2017-11-21T09:41:32Z"},
		{file: "soapEnvelope-SignalMessage-receipt-pull.deindented.xml", pin: gw, known: gw, at: "2023-10-05T13:00:01Z"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ct, body := capturedMessage(t, tc.file)
			st := trust.NewStore(tc.roots, at(tc.at))
			st.Pinned = tc.pin
			v := &as4.SignalVerifier{Profile: pmode.EDelivery115(), Trust: st, Known: tc.known}
			vs, err := v.Verify(ct, bytes.NewReader(body))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if vs.Messaging.SignalMessage == nil || len(vs.References) < 2 {
					t.Fatalf("signal %+v, %d references", vs.Messaging, len(vs.References))
				}
				t.Logf("signer %s; %d references; receipt NRR parts: %d", vs.Signer.Subject, len(vs.References), nrr(vs))
				return
			}
			if !isCode(err, tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
			t.Logf("refused as expected: %v", err)
		})
	}
}

func nrr(vs *as4.VerifiedSignal) int {
	if r := vs.Messaging.SignalMessage.Receipt; r != nil {
		return len(r.NRReferences)
	}
	return 0
}

// TestInteropCapturedUserMessages: captured user messages that must be refused,
// each with the right ebMS error.
func TestInteropCapturedUserMessages(t *testing.T) {
	w := world115(t)
	for _, tc := range []struct {
		file string
		want ebms.Code
		why  string
	}{
		// phase4's negative samples: WrongCompression.mime is unsigned and declares
		// CompressionType application/rar, which ebms.ParseMessaging refuses as
		// EBMS:0303 DecompressionFailure, as phase4 does (AS4_CP_TA30).
		// WrongSigningAlgorithm.xml signs only the Body, with an unknown SignatureMethod.
		{"WrongCompression.mime", ebms.DecompressionFailure, "CompressionType application/rar"},
		{"WrongSigningAlgorithm.xml", ebms.PolicyNoncompliance, "eb:Messaging not signed, unknown signature method"},
		{"SoapRequest.xml", ebms.PolicyNoncompliance, "the SOAP Body is not signed"},
		// signed and encrypted for Domibus' blue_gw; the SOAP part alone lacks the attachments
		{"MSHAS4Request.xml", ebms.FailedDecryption, "encrypted for another key"},
		{"dump-raw.as4out", ebms.FailedDecryption, "encrypted for phase4's key, which is not public"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			ct, body := capturedMessage(t, tc.file)
			_, err := w.unpacker().Unpack(ct, bytes.NewReader(body))
			if !isCode(err, tc.want) {
				t.Fatalf("err = %v, want %s (%s)", err, tc.want, tc.why)
			}
			t.Logf("%s: %v", tc.why, err)
		})
	}
}

// TestInteropWrongCompression: phase4's WrongCompression.mime declares
// CompressionType application/rar, which AS4 does not define: EBMS:0303
// (AS4_CP_TA30). A declared gzip that is not gzip is a vector (bad-gzip).
func TestInteropWrongCompression(t *testing.T) {
	ct, body := capturedMessage(t, "WrongCompression.mime")
	r, err := mime.NewReader(ct, bytes.NewReader(body), mime.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, root, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	env, err := soap.ParseBytes(root, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	// ebms.ParseMessaging refuses this header (PartyId without type), so read
	// the one PartInfo directly.
	pe := env.Root.FindElement("//PartInfo")
	if pe == nil {
		t.Fatal("no PartInfo")
	}
	pi := ebms.PartInfo{Href: pe.SelectAttrValue("href", "")}
	for _, pr := range pe.FindElements("./PartProperties/Property") {
		pi.Properties = append(pi.Properties, ebms.Property{Name: pr.SelectAttrValue("name", ""), Value: pr.Text()})
	}
	if pi.CompressionType() != "application/rar" { // what phase4's sample declares
		t.Fatalf("PartInfo %+v", pi)
	}
	p, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(p.Body)
	if _, err := as4.Decompress(pi, data, 1<<20); !isCode(err, ebms.DecompressionFailure) {
		t.Fatalf("Decompress: %v", err)
	}
}

// TestInteropDumpRawSOAPReferences: phase4's real Peppol message. Its
// attachment is encrypted for a key that is not public, so the cid: reference
// cannot be checked; the signature value over SignedInfo and the eb:Messaging
// and Body references are checked here independently of as4.Unpack.
func TestInteropDumpRawSOAPReferences(t *testing.T) {
	ct, body := capturedMessage(t, "dump-raw.as4out")
	r, err := mime.NewReader(ct, bytes.NewReader(body), mime.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, root, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	checkSOAPReferences(t, root, certs(t, "dump-raw.signer.pem")[0], 2)
}

// checkSOAPReferences verifies SignatureValue over SignedInfo (rsa-sha256) and
// every same-document reference; it returns nothing but fails t. want is the
// number of same-document references expected; signer, when not nil, must be
// the certificate the BinarySecurityToken carries.
func checkSOAPReferences(t *testing.T, root []byte, signer *x509.Certificate, want int) {
	t.Helper()
	env, err := soap.ParseBytes(root, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	secEl, err := wssec.FindSecurity(env.Header, env.Version)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := wssec.ParseSecurity(secEl)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := xmldsig.ParseSignature(sec.Signature)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := sec.ResolveSTR(sig.KeyInfo, nil)
	if err != nil || (signer != nil && !cert.Equal(signer)) {
		t.Fatalf("signer: %v", err)
	}
	canon, err := c14n.Canonicalize(sig.C14N, sig.SignedInfo, nil, sig.C14NPrefix)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(canon)
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), crypto.SHA256, h[:], sig.Value); err != nil {
		t.Fatalf("SignatureValue: %v", err)
	}
	ids, err := wssec.IndexIDs(env.Root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ref := range sig.References {
		if !strings.HasPrefix(ref.URI, "#") {
			t.Logf("not checked here: %s (attachment)", ref.URI)
			continue
		}
		el := ids[ref.URI[1:]]
		if el == nil {
			t.Fatalf("reference %s: no element", ref.URI)
		}
		d, err := xmldsig.DigestElement(el, ref.Transforms, ref.Prefixes, ref.DigestMethod, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d, ref.DigestValue) {
			t.Fatalf("reference %s: digest %s, signed %s", ref.URI, base64.StdEncoding.EncodeToString(d), base64.StdEncoding.EncodeToString(ref.DigestValue))
		}
		n++
	}
	if n != want {
		t.Fatalf("%d same-document references checked, want %d", n, want)
	}
}

// TestInteropDomibusKeyTransport: Domibus (Harmony) encrypted MSHAS4Request.xml
// for its blue_gw key (SKI token reference; xmlenc11#rsa-oaep, MGF1-SHA256,
// SHA-256). wssec resolves the SKI among the known certificates and xmlenc
// unwraps a 16-byte AES-128-GCM key with blue_gw's private key. The stored
// envelope has no MIME parts, so the content itself cannot be decrypted, and
// it was pretty-printed after signing, so its signature no longer verifies.
func TestInteropDomibusKeyTransport(t *testing.T) {
	_, body := capturedMessage(t, "MSHAS4Request.xml")
	env, err := soap.ParseBytes(body, xmlsafe.DefaultLimits)
	must(t, err)
	el, err := wssec.FindSecurity(env.Header, env.Version)
	must(t, err)
	sec, err := wssec.ParseSecurity(el)
	must(t, err)
	if len(sec.EncryptedKeys) != 1 {
		t.Fatalf("%d EncryptedKey", len(sec.EncryptedKeys))
	}
	ek, err := xmlenc.ParseEncryptedKey(sec.EncryptedKeys[0])
	must(t, err)
	if ek.Transport == nil || ek.Transport.Algorithm != xmlenc.RSAOAEP || ek.Transport.MGF != xmlenc.MGF1SHA256 || ek.Transport.Digest != xmldsig.SHA256 {
		t.Fatalf("key transport %+v", ek.Transport)
	}
	blue := certs(t, "blue_gw.pem")[0]
	c, err := sec.ResolveSTR(ek.KeyInfo, certs(t, "red_gw.pem", "blue_gw.pem"))
	must(t, err)
	if !c.Equal(blue) {
		t.Fatalf("EncryptedKey names %s, want blue_gw", c.Subject)
	}
	key, err := demopki.LoadKey("testdata/captured/blue_gw.key.pem")
	must(t, err)
	cek, err := ek.Transport.Unwrap(key.(crypto.Decrypter), ek.CipherValue)
	must(t, err)
	if len(cek) != 16 {
		t.Fatalf("content key of %d bytes, want 16 (aes128-gcm)", len(cek))
	}
}

// TestInteropHolodeckSOAPReferences: a Holodeck B2B message (signed, then
// encrypted with rsa-oaep-mgf1p for a key that is not public): its
// SignatureValue and the eb:Messaging and Body references verify; the cid:
// reference needs the decrypted part.
func TestInteropHolodeckSOAPReferences(t *testing.T) {
	_, body := capturedMessage(t, "from-holodeck-1.nolicense.xml")
	checkSOAPReferences(t, body, nil, 2)
}
