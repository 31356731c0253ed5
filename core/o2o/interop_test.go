package o2o

import (
	"bytes"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

func writePEM(t *testing.T, dir, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b bytes.Buffer
	for _, bl := range blocks {
		pem.Encode(&b, bl)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestXmlsec1DIGGInterop runs xmlsec1 on DIGG's signed XHEs: it must give the verdicts
// TestDIGGExamples gives (two verify at 2022-10-14 chained to TEST SITHS, the
// pretty-printed two fail, XHE-tm-base-ext-sigenc.xml verifies with its own key).
func TestXmlsec1DIGGInterop(t *testing.T) {
	xmlsec1 := extool.Need(t, "xmlsec1")
	dir := t.TempDir()
	cas, err := demopki.ParseCertsPEM(read(t, "test-siths-o2o-trust.pem"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--verify", "--verification-time", "2022-10-14 12:00:00"}
	for i, c := range cas { // xmlsec1 reads one certificate per --trusted-pem
		args = append(args, "--trusted-pem", writePEM(t, dir, "ca"+string(rune('0'+i))+".pem", demopki.CertPEM(c)))
	}
	for f, ok := range map[string]bool{
		"xhe_unencrypted.embedded.xml": true, "as4_xhe_encrypted.embedded.xml": true,
		"xhe_encrypted_payload.xml": false, "xhe_unencrypted_payload.xml": false,
	} {
		out, err := exec.Command(xmlsec1, append(args, filepath.Join("testdata", f))...).CombinedOutput()
		if (err == nil) != ok {
			t.Errorf("xmlsec1 on %s: ok=%v, want %v\n%s", f, err == nil, ok, out)
		}
	}
	signer := writePEM(t, dir, "sendorg2.pem", demopki.CertPEM(signerOf(t, read(t, "XHE-tm-base-ext-sigenc.xml"))))
	if out, err := exec.Command(xmlsec1, "--verify", "--insecure", "--trusted-pem", signer, "testdata/XHE-tm-base-ext-sigenc.xml").CombinedOutput(); err != nil {
		t.Errorf("xmlsec1 on XHE-tm-base-ext-sigenc.xml: %v\n%s", err, out)
	}
}

// TestXmlsec1OwnInterop: xmlsec1 verifies the XHEs Brevduva seals (chained to the demo
// O2O CA) and decrypts their EncryptedData with the recipient's key to the original
// messagePayload, for RSA 2048, 3072 and 4096 recipients; and it rejects a tampered one.
func TestXmlsec1OwnInterop(t *testing.T) {
	xmlsec1 := extool.Need(t, "xmlsec1")
	s, pki := sealer(t)
	rs, _ := recipients(t)
	dir := t.TempDir()
	ca := writePEM(t, dir, "o2o-ca.pem", demopki.CertPEM(pki.CA("o2o-ca").Cert.Cert))
	msg := read(t, "min.xml")
	want, err := sdkmsg.Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, bits := range []int{2048, 3072, 4096} {
		r := rs[bits]
		x, err := s.Seal(msg, r.cert, function)
		if err != nil {
			t.Fatal(err)
		}
		xp := filepath.Join(dir, "sealed.xml")
		os.WriteFile(xp, x, 0o644)
		if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, xp).CombinedOutput(); err != nil {
			t.Fatalf("%d: xmlsec1 --verify: %v\n%s", bits, err, out)
		}
		tampered := bytes.Replace(x, []byte(function), []byte("x"+function), 1)
		os.WriteFile(xp+".bad", tampered, 0o644)
		if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, xp+".bad").CombinedOutput(); err == nil {
			t.Fatalf("%d: xmlsec1 verified a tampered XHE\n%s", bits, out)
		}
		kb, err := demopki.KeyPEM(r.key)
		if err != nil {
			t.Fatal(err)
		}
		key := writePEM(t, dir, "key.pem", kb)
		out, err := exec.Command(xmlsec1, "--decrypt", "--privkey-pem", key, xp).Output()
		if err != nil {
			t.Fatalf("%d: xmlsec1 --decrypt: %v", bits, err)
		}
		doc, err := xmlsafe.ParseBytes(out, xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatalf("%d: xmlsec1 output: %v", bits, err)
		}
		// The decrypted XHE breaks R12-XHE (indicator true, no EncryptedData): read it raw.
		pcs := doc.Root().FindElements("//PayloadContent")
		if len(pcs) != 1 || len(pcs[0].ChildElements()) != 1 {
			t.Fatalf("%d: decrypted XHE has no PayloadContent element", bits)
		}
		content := pcs[0].ChildElements()[0]
		got, err := sdkmsg.ParseElement(content)
		if err != nil || got.MessageID != want.MessageID || got.Documents[0].Texts[0] != "Teststring" {
			t.Fatalf("%d: xmlsec1-decrypted message %+v, %v", bits, got, err)
		}
	}
}

// TestSchematronOwnInterop runs DIGG's compiled XHE and receipt schematrons with Saxon-HE
// on the XHEs Brevduva emits (a sealed message, receipts) and on the receipts inside, and
// xmllint with the OASIS XHE 1.0 schema on the XHEs.
func TestSchematronOwnInterop(t *testing.T) {
	java := extool.Need(t, "java")
	jar := extool.NeedJar(t, "Saxon-HE.jar")
	s, pki := sealer(t)
	x, err := s.Seal(read(t, "min.xml"), pki.Leaf("org-b").Cert, function)
	if err != nil {
		t.Fatal(err)
	}
	xhes := map[string][]byte{"message.xml": x}
	receipts := map[string][]byte{}
	for i, rej := range []*kvittens.Rejection{nil, {Reason: kvittens.SIG, Detail: kvittens.DetailSecurity},
		{Reason: kvittens.BV, Detail: kvittens.DetailInvariant, Violations: []kvittens.Violation{{Rule: "senderIdvalue", Location: "/a", Reason: kvittens.BV, Detail: kvittens.DetailInvariant}}}} {
		r := kvittens.New("KVT-1", time.Now(), "3a94b4ed-a6d7-41e2-945d-b3fa91e8a6e9", "0203:a.se", "0203:b.se", rej)
		rx, err := s.SealReceipt(r, function)
		if err != nil {
			t.Fatal(err)
		}
		name := "receipt" + string(rune('a'+i)) + ".xml"
		xhes[name] = rx
		receipts[name], _ = r.Bytes()
	}
	// A negative, to show the run can fail: CustomizationID changed.
	xhes["negative.xml"] = bytes.Replace(x, []byte("urn:fdc:digg.se:edelivery:xhe:1"), []byte("urn:x"), 1)
	check := func(xslt string, files map[string][]byte, negative string) {
		in, out := t.TempDir(), t.TempDir()
		for n, b := range files {
			os.WriteFile(filepath.Join(in, n), b, 0o644)
		}
		xsl, _ := filepath.Abs(filepath.Join("testdata", xslt))
		if b, err := exec.Command(java, "-cp", jar, "net.sf.saxon.Transform", "-s:"+in, "-o:"+out, "-xsl:"+xsl).CombinedOutput(); err != nil {
			t.Fatalf("saxon: %v\n%s", err, b)
		}
		re := regexp.MustCompile(`<svrl:failed-assert`)
		for n := range files {
			b, err := os.ReadFile(filepath.Join(out, n))
			if err != nil {
				t.Fatal(err)
			}
			if failed := re.Match(b); failed != (n == negative) {
				t.Errorf("%s on %s: failed-assert=%v\n%s", xslt, n, failed, b)
			}
		}
	}
	check("DIGG-XHE-Business-Rules.xslt", xhes, "negative.xml")
	// The same XHEs are valid under the OASIS XHE 1.0 schema DIGG ships (libxml2).
	xmllint := extool.Need(t, "xmllint")
	xsd, _ := filepath.Abs("../xhe/testdata/xsd/XHE-1.0.xsd")
	for n, b := range xhes {
		p := filepath.Join(t.TempDir(), n)
		os.WriteFile(p, b, 0o644)
		if out, err := exec.Command(xmllint, "--noout", "--schema", xsd, p).CombinedOutput(); err != nil {
			t.Errorf("xmllint XHE-1.0.xsd on %s: %v\n%s", n, err, out)
		}
	}
	receipts["negative.xml"] = bytes.Replace(receipts["receipta.xml"], []byte("ACCEPTED"), []byte("REJECTED"), 1)
	check("DIGG-AppRes-Business-Rules.xslt", receipts, "negative.xml")
}

// sigTemplate is an enveloped XMLDSig template for xmlsec1 --sign (URI="", enveloped then
// C14N 1.0, RSA-SHA256, SHA-256, certificate in KeyInfo).
const sigTemplate = `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>`

// encTemplate is an EncryptedData template for xmlsec1 --encrypt (content algorithm %s,
// key transport rsa-oaep-mgf1p; xmlsec1 1.2 has no xmlenc11#rsa-oaep).
const encTemplate = `<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="%s"/><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo><xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>`

// TestXmlsec1ProducedInterop is the other direction: xmlsec1 encrypts the messagePayload
// of an XHE (AES-256-CBC as DIGG, and AES-128-GCM, a variant the profile accepts) and
// signs the XHE; Open verifies, decrypts and validates what xmlsec1 made.
func TestXmlsec1ProducedInterop(t *testing.T) {
	xmlsec1 := extool.Need(t, "xmlsec1")
	s, pki := sealer(t)
	b := pki.Leaf("org-b")
	dir := t.TempDir()
	x, err := s.Seal(read(t, "min.xml"), b.Cert, function)
	if err != nil {
		t.Fatal(err)
	}
	// An unsigned XHE with the plaintext payload and a signature template: our sealed XHE
	// decrypted by xmlsec1 with its signature replaced.
	kb, _ := demopki.KeyPEM(b.Key)
	bKey := writePEM(t, dir, "b.key.pem", kb)
	bCert := writePEM(t, dir, "b.cert.pem", demopki.CertPEM(b.Cert))
	ka, _ := demopki.KeyPEM(s.Key)
	aKey := writePEM(t, dir, "a.key.pem", ka)
	aCert := writePEM(t, dir, "a.cert.pem", demopki.CertPEM(s.Cert))
	os.WriteFile(filepath.Join(dir, "sealed.xml"), x, 0o644)
	plain, err := exec.Command(xmlsec1, "--decrypt", "--privkey-pem", bKey, filepath.Join(dir, "sealed.xml")).Output()
	if err != nil {
		t.Fatalf("xmlsec1 --decrypt: %v", err)
	}
	i, j := bytes.Index(plain, []byte("<ds:Signature")), bytes.Index(plain, []byte("</ds:Signature>"))
	if i < 0 || j < 0 {
		t.Fatal("no signature in the decrypted XHE")
	}
	unsigned := append(append(append([]byte{}, plain[:i]...), sigTemplate...), plain[j+len("</ds:Signature>"):]...)
	os.WriteFile(filepath.Join(dir, "unsigned.xml"), unsigned, 0o644)
	for _, alg := range []string{"http://www.w3.org/2001/04/xmlenc#aes256-cbc", "http://www.w3.org/2009/xmlenc11#aes128-gcm"} {
		tmpl := filepath.Join(dir, "tmpl.xml")
		os.WriteFile(tmpl, []byte(fmt.Sprintf(encTemplate, alg)), 0o644)
		session := "aes-256"
		if strings.Contains(alg, "128") {
			session = "aes-128"
		}
		enc, sig := filepath.Join(dir, "enc.xml"), filepath.Join(dir, "signed.xml")
		if out, err := exec.Command(xmlsec1, "--encrypt", "--pubkey-cert-pem", bCert, "--session-key", session,
			"--xml-data", filepath.Join(dir, "unsigned.xml"), "--node-xpath", "//*[local-name()='messagePayload']",
			"--output", enc, tmpl).CombinedOutput(); err != nil {
			t.Fatalf("%s: xmlsec1 --encrypt: %v\n%s", alg, err, out)
		}
		if out, err := exec.Command(xmlsec1, "--sign", "--privkey-pem", aKey+","+aCert, "--output", sig, enc).CombinedOutput(); err != nil {
			t.Fatalf("%s: xmlsec1 --sign: %v\n%s", alg, err, out)
		}
		made, _ := os.ReadFile(sig)
		if !bytes.Contains(made, []byte(alg)) || bytes.Contains(made, []byte("Teststring")) {
			t.Fatalf("%s: xmlsec1 output is not what the test wants", alg)
		}
		got, err := opener(party{b.Cert, b.Key}).Open(made, Sender{Cert: s.Cert})
		if err != nil {
			t.Fatalf("%s: Open of xmlsec1's XHE: %v", alg, err)
		}
		if got.Message.Documents[0].Texts[0] != "Teststring" {
			t.Fatalf("%s: %+v", alg, got.Message)
		}
	}
}
