package xmldsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

const xheDoc = `<?xml version="1.0" encoding="UTF-8"?>
<?app-pi keep me?>
<XHE xmlns="urn:xhe" xmlns:ext="urn:ext" xml:lang="sv">
  <Header><ID>1</ID><ext:Note a="1&#9;2">tab&amp;amp</ext:Note></Header>
  <Payloads><Payload><Content><!-- no comment -->data</Content></Payload></Payloads>
</XHE>`

const soapDoc = `<?xml version="1.0" encoding="UTF-8"?><S12:Envelope xmlns:S12="http://www.w3.org/2003/05/soap-envelope" xmlns:wsu="` + nsWSU + `" xmlns:eb="http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/" xml:lang="sv" xml:space="preserve"><S12:Header xml:lang="en"><eb:Messaging wsu:Id="msg-1" S12:mustUnderstand="true"><eb:UserMessage><eb:MessageInfo><eb:MessageId>m@x</eb:MessageId></eb:MessageInfo></eb:UserMessage></eb:Messaging><wsse:Security xmlns:wsse="` + nsWSSE + `"/></S12:Header><S12:Body wsu:Id="body-1"><p xmlns="urn:payload">hello</p></S12:Body></S12:Envelope>`

func parseDoc(t testing.TB, s string) *etree.Document {
	t.Helper()
	doc, err := xmlsafe.ParseBytes([]byte(s), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func x509Data(cert *x509.Certificate) *etree.Element {
	xd := etree.NewElement("ds:X509Data")
	xd.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	return xd
}

// signEnveloped signs doc the way the O2O XHE is signed: URI="", enveloped
// transform then C14N 1.0, signature last child of the root.
func signEnveloped(t testing.TB, doc *etree.Document, key crypto.Signer, m SignatureMethod, keyInfo *etree.Element) *etree.Element {
	t.Helper()
	ts := []Transform{EnvelopedSignature, TransformC14N10}
	d, err := DigestElement(&doc.Element, ts, nil, SHA256, nil)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(doc.Root(), -1, key, []Reference{{URI: "", Transforms: ts, DigestMethod: SHA256, DigestValue: d}},
		SignOptions{Method: m, C14N: c14n.C14N10, KeyInfo: keyInfo})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signSOAP signs eb:Messaging and the Body by wsu:Id with exc-c14n, the
// Signature going into wsse:Security, as in AS4.
func signSOAP(t testing.TB, doc *etree.Document, key crypto.Signer, m SignatureMethod, keyInfo *etree.Element) *etree.Element {
	t.Helper()
	return signSOAPWith(t, doc, key, m, keyInfo, TransformExcC14N)
}

// signSOAPWith is signSOAP with the references' canonicalization transform chosen.
func signSOAPWith(t testing.TB, doc *etree.Document, key crypto.Signer, m SignatureMethod, keyInfo *etree.Element, tr Transform) *etree.Element {
	t.Helper()
	ids, err := xmlsafe.IndexIDs(doc.Root(), xmlsafe.AttrName{Space: nsWSU, Local: "Id"})
	if err != nil {
		t.Fatal(err)
	}
	var refs []Reference
	for _, id := range []string{"msg-1", "body-1"} {
		ts := []Transform{tr}
		var prefixes []string
		if id == "body-1" && tr == TransformExcC14N {
			prefixes = []string{"S12"}
		}
		d, err := DigestElement(ids[id], ts, prefixes, SHA256, nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, Reference{URI: "#" + id, Transforms: ts, Prefixes: prefixes, DigestMethod: SHA256, DigestValue: d})
	}
	sec := findAll(doc.Root(), nsWSSE, "Security", nil)[0]
	sig, err := Sign(sec, 0, key, refs, SignOptions{Method: m, C14N: c14n.ExcC14N, C14NPrefixes: []string{"S12"}, KeyInfo: keyInfo, ID: "SIG-1"})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func certPEM(c *x509.Certificate) []byte { return pem.EncodeToMemory(demopki.CertPEM(c)) }

func roundTrip(t testing.TB, doc *etree.Document) []byte {
	t.Helper()
	s, err := xmlsafe.Serialize(doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// verifyOwn parses b afresh and verifies its one signature with pub.
func verifyOwn(t testing.TB, b []byte, pub crypto.PublicKey, p Policy) (*Verified, error) {
	t.Helper()
	doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		return nil, err
	}
	ids, err := xmlsafe.IndexIDs(doc.Root(), xmlsafe.AttrName{Space: nsWSU, Local: "Id"}, xmlsafe.AttrName{Local: "Id"})
	if err != nil {
		return nil, err
	}
	sigs := findAll(doc.Root(), Namespace, "Signature", nil)
	if len(sigs) != 1 {
		t.Fatalf("%d signatures", len(sigs))
	}
	s, err := ParseSignature(sigs[0])
	if err != nil {
		return nil, err
	}
	return s.Verify(pub, IDResolver{Root: doc.Root(), IDs: ids, Signature: sigs[0]}, p)
}

// TestSignEnvelopedInteropXmlsec1: our enveloped C14N 1.0 RSA-SHA256
// signature verifies under xmlsec1, both with the pinned certificate and
// through the chain to the demo CA; a tampered copy fails there too.
func TestSignEnvelopedInteropXmlsec1(t *testing.T) {
	xmlsec1 := extool.Need(t, "xmlsec1")
	pki := demopki.ForTest(t)
	org := pki.Leaf("org-a")
	doc := parseDoc(t, xheDoc)
	signEnveloped(t, doc, org.Key, RSASHA256, x509Data(org.Cert))
	signed := roundTrip(t, doc)
	if _, err := verifyOwn(t, signed, org.Cert.PublicKey, Policy{}); err != nil {
		t.Fatalf("own verify: %v", err)
	}
	file := writeTemp(t, "signed.xml", signed)
	cert := writeTemp(t, "cert.pem", certPEM(org.Cert))
	ca := writeTemp(t, "ca.pem", certPEM(pki.CA(pki.Issuer["org-a"]).Cert.Cert))
	for _, args := range [][]string{
		{"--verify", "--pubkey-cert-pem", cert, "--enabled-reference-uris", "empty", file},
		{"--verify", "--trusted-pem", ca, "--enabled-reference-uris", "empty", file},
	} {
		if out, err := exec.Command(xmlsec1, args...).CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 %v: %v\n%s", args, err, out)
		}
	}
	tampered := writeTemp(t, "tampered.xml", []byte(strings.Replace(string(signed), "<ID>1</ID>", "<ID>2</ID>", 1)))
	if out, err := exec.Command(xmlsec1, "--verify", "--pubkey-cert-pem", cert, "--enabled-reference-uris", "empty", tampered).CombinedOutput(); err == nil {
		t.Errorf("xmlsec1 accepted a tampered document:\n%s", out)
	}
}

// TestSignSOAPInteropXmlsec1: exc-c14n #id references (with PrefixLists) in
// a WS-Security header, RSA-SHA256 and ECDSA-SHA256, and inclusive c14n #id
// references, verified by xmlsec1 with the ids declared through --id-attr.
func TestSignSOAPInteropXmlsec1(t *testing.T) {
	xmlsec1 := extool.Need(t, "xmlsec1")
	ap := demopki.ForTest(t).Leaf("ap-a")
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m       SignatureMethod
		tr      Transform
		key     crypto.Signer
		pub     crypto.PublicKey
		keyFlag string
		keyPEM  []byte
	}{
		{RSASHA256, TransformExcC14N, ap.Key, ap.Cert.PublicKey, "--pubkey-cert-pem", certPEM(ap.Cert)},
		{ECDSASHA256, TransformExcC14N, ec, &ec.PublicKey, "--pubkey-pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})},
		// Inclusive c14n of #id subtrees: the apex inherits namespaces and
		// the nearest xml:lang (Header's "en", not Envelope's "sv").
		{RSASHA256, TransformC14N10, ap.Key, ap.Cert.PublicKey, "--pubkey-cert-pem", certPEM(ap.Cert)},
	} {
		doc := parseDoc(t, soapDoc)
		signSOAPWith(t, doc, c.key, c.m, nil, c.tr)
		signed := roundTrip(t, doc)
		v, err := verifyOwn(t, signed, c.pub, Policy{})
		if err != nil {
			t.Fatalf("%s own verify: %v", c.m, err)
		}
		if len(v.References) != 2 || !xmlsafe.Is(v.References[1].Element, "http://www.w3.org/2003/05/soap-envelope", "Body") {
			t.Errorf("%s verified %v", c.m, v.References)
		}
		file := writeTemp(t, "signed.xml", signed)
		key := writeTemp(t, "key.pem", c.keyPEM)
		args := []string{"--verify", c.keyFlag, key, "--enabled-reference-uris", "same-doc",
			"--id-attr:Id", "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/:Messaging",
			"--id-attr:Id", "http://www.w3.org/2003/05/soap-envelope:Body", file}
		if out, err := exec.Command(xmlsec1, args...).CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 %s: %v\n%s", c.m, err, out)
		}
		bad := writeTemp(t, "bad.xml", []byte(strings.Replace(string(signed), ">hello<", ">hullo<", 1)))
		args[len(args)-1] = bad
		if out, err := exec.Command(xmlsec1, args...).CombinedOutput(); err == nil {
			t.Errorf("xmlsec1 %s accepted a changed Body:\n%s", c.m, out)
		}
		if _, err := verifyOwn(t, []byte(strings.Replace(string(signed), ">hello<", ">hullo<", 1)), c.pub, Policy{}); !errors.Is(err, ErrDigestMismatch) {
			t.Errorf("%s changed Body: %v", c.m, err)
		}
	}
}

// TestEd25519 covers what xmlsec1 1.2.37 cannot check (it has no EdDSA):
// the raw primitive against RFC 8032 §7.1 test vectors 1 and 2 through our
// verifier, and a sign/verify round trip with the vector's key in which the
// SignatureValue must equal a fresh Ed25519 signature over the canonical
// SignedInfo (Ed25519 is deterministic).
func TestEd25519(t *testing.T) {
	vectors := []struct{ seed, pub, msg, sig string }{
		{"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
			"d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
			"e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
		{"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
			"3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
			"92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	}
	p := Policy{}.withDefaults()
	for i, v := range vectors {
		pub, _ := hex.DecodeString(v.pub)
		msg, _ := hex.DecodeString(v.msg)
		sig, _ := hex.DecodeString(v.sig)
		if err := verifyValue(Ed25519, ed25519.PublicKey(pub), msg, sig, p); err != nil {
			t.Errorf("vector %d: %v", i+1, err)
		}
		sig[5] ^= 1
		if err := verifyValue(Ed25519, ed25519.PublicKey(pub), msg, sig, p); !errors.Is(err, ErrBadSignature) {
			t.Errorf("vector %d flipped: %v", i+1, err)
		}
		seed, _ := hex.DecodeString(v.seed)
		if got := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey); hex.EncodeToString(got) != v.pub {
			t.Errorf("vector %d: public key %x", i+1, got)
		}
	}
	seed, _ := hex.DecodeString(vectors[0].seed)
	key := ed25519.NewKeyFromSeed(seed)
	doc := parseDoc(t, soapDoc)
	sig := signSOAP(t, doc, key, Ed25519, nil)
	si, _ := c14n.Canonicalize(c14n.ExcC14N, sig.ChildElements()[0], nil, []string{"S12"})
	want := base64.StdEncoding.EncodeToString(ed25519.Sign(key, si))
	if got := sig.ChildElements()[1].Text(); got != want {
		t.Errorf("SignatureValue %s, want %s", got, want)
	}
	signed := roundTrip(t, doc)
	if _, err := verifyOwn(t, signed, key.Public(), Policy{}); err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := verifyOwn(t, []byte(strings.Replace(string(signed), "m@x", "m@y", 1)), key.Public(), Policy{}); !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("changed Messaging: %v", err)
	}
	if _, err := verifyOwn(t, signed, key.Public(), Policy{Methods: []SignatureMethod{RSASHA256}}); !errors.Is(err, ErrPolicy) {
		t.Errorf("Ed25519 outside policy: %v", err)
	}
}

// TestSignInteropSantuario: a second independent verifier (Apache Santuario
// 2.1) accepts our enveloped C14N 1.0 RSA-SHA256 signature and our #id
// exc-c14n RSA-SHA256, RSA-SHA512 and ECDSA-SHA256 signatures, and rejects
// each of them after one byte of signed content changed. (Santuario 2.1 has
// no EdDSA either; see TestEd25519.)
func TestSignInteropSantuario(t *testing.T) {
	t.Parallel()
	java := extool.Need(t, "java")
	var cp []string
	for _, jar := range []string{"xmlsec.jar", "commons-logging.jar", "slf4j-api.jar", "slf4j-nop.jar"} {
		cp = append(cp, extool.NeedJar(t, jar))
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ap := demopki.ForTest(t).Leaf("ap-a")
	type job struct {
		name string
		pub  crypto.PublicKey
		doc  []byte
	}
	var jobs []job
	xhe := parseDoc(t, xheDoc)
	signEnveloped(t, xhe, ap.Key, RSASHA256, x509Data(ap.Cert))
	jobs = append(jobs, job{"enveloped-rsa", ap.Cert.PublicKey, roundTrip(t, xhe)})
	for _, c := range []struct {
		m   SignatureMethod
		key crypto.Signer
		pub crypto.PublicKey
	}{{RSASHA256, ap.Key, ap.Cert.PublicKey}, {RSASHA512, ap.Key, ap.Cert.PublicKey}, {ECDSASHA256, ec, &ec.PublicKey}} {
		doc := parseDoc(t, soapDoc)
		signSOAP(t, doc, c.key, c.m, nil)
		jobs = append(jobs, job{"soap-" + string(c.m[strings.LastIndex(string(c.m), "#")+1:]), c.pub, roundTrip(t, doc)})
	}
	dir := t.TempDir()
	args := []string{"-cp", strings.Join(cp, ":"), "testdata/VerifySig.java"}
	var want []string
	for _, j := range jobs {
		der, err := x509.MarshalPKIXPublicKey(j.pub)
		if err != nil {
			t.Fatal(err)
		}
		keyFile := filepath.Join(dir, j.name+".der")
		good := filepath.Join(dir, j.name+".xml")
		bad := filepath.Join(dir, j.name+".bad.xml")
		tampered := strings.Replace(strings.Replace(string(j.doc), ">hello<", ">hallo<", 1), "<ID>1</ID>", "<ID>7</ID>", 1)
		for f, b := range map[string][]byte{keyFile: der, good: j.doc, bad: []byte(tampered)} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		args = append(args, keyFile+"="+good, keyFile+"="+bad)
		want = append(want, "OK "+good, "FAIL "+bad)
	}
	out, err := exec.Command(java, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("java VerifySig: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("santuario says\n%s", out)
	}
	for i, w := range want {
		if lines[i] != w && !strings.HasPrefix(lines[i], w+" ") {
			t.Errorf("santuario: %s, want %s", lines[i], w)
		}
	}
}
