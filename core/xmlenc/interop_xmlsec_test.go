package xmlenc

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

// The document the interop tests encrypt a part of: the payload inherits a prefixed and a
// default namespace and holds non-ASCII text and an escaped character.
const interopDoc = `<Envelope xmlns="urn:test" xmlns:p="urn:riv:infrastructure:messaging:MessageWithAttachments:3"><Header>h</Header><p:messagePayload version="3"><p:message><p:label>Hej åäö &amp; &lt;tag&gt;</p:label><plain attr="x"/></p:message></p:messagePayload></Envelope>`

const payloadNS = "urn:riv:infrastructure:messaging:MessageWithAttachments:3"

type recipient struct {
	name string
	cert *x509.Certificate
	key  *rsa.PrivateKey
}

var (
	bigOnce sync.Once
	bigCert *demopki.Cert
	bigErr  error
)

// recipients: the demo RSA-2048 organisation key and an RSA-4096 key like the recipient
// of DIGG's O2O example (spec-facts.md §a.4).
func recipients(t *testing.T) []recipient {
	t.Helper()
	leaf := demopki.ForTest(t).Leaf("org-b")
	bigOnce.Do(func() {
		var k crypto.Signer
		if k, bigErr = demopki.LoadKey("testdata/rsa4096.key.pem"); bigErr != nil {
			return
		}
		bigCert, bigErr = demopki.ForTest(t).CA("o2o-ca").Issue("o2o-4096.kommun-b.localhost", demopki.Options{PublicKey: k.Public()})
		if bigErr == nil {
			bigCert.Key = k
		}
	})
	if bigErr != nil {
		t.Fatal(bigErr)
	}
	return []recipient{
		{"rsa2048", leaf.Cert, leaf.Key.(*rsa.PrivateKey)},
		{"rsa4096", bigCert.Cert, bigCert.Key.(*rsa.PrivateKey)},
	}
}

func writePEM(t *testing.T, dir, name string, blocks ...*pem.Block) string {
	t.Helper()
	var b bytes.Buffer
	for _, blk := range blocks {
		if err := pem.Encode(&b, blk); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyFiles(t *testing.T, dir string, r recipient) (keyPath, certPath string) {
	t.Helper()
	kb, err := demopki.KeyPEM(r.key)
	if err != nil {
		t.Fatal(err)
	}
	return writePEM(t, dir, r.name+".key.pem", kb), writePEM(t, dir, r.name+".cert.pem", demopki.CertPEM(r.cert))
}

func parseDoc(t testing.TB, b []byte) *etree.Document {
	t.Helper()
	doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return doc
}

// x509KeyInfo is ds:X509Data with the certificate, as in DIGG's EncryptedKey.
func x509KeyInfo(c *x509.Certificate) *etree.Element {
	d := etree.NewElement("ds:X509Data")
	d.CreateAttr("xmlns:ds", NamespaceDSig)
	d.CreateElement("ds:X509Certificate").SetText(base64.StdEncoding.EncodeToString(c.Raw))
	return d
}

// encryptPayload replaces the payload of a copy of interopDoc by our EncryptedData (O2O
// layout: ds:KeyInfo/xenc:EncryptedKey with rsa-oaep-mgf1p and the recipient certificate).
func encryptPayload(t *testing.T, r recipient, alg Algorithm, kt KeyTransport) (*etree.Document, *etree.Element) {
	t.Helper()
	doc := parseDoc(t, []byte(interopDoc))
	payload := find(doc.Root(), payloadNS, "messagePayload")
	cek, err := NewKey(alg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := kt.Wrap(&r.key.PublicKey, cek)
	if err != nil {
		t.Fatal(err)
	}
	ek := &EncryptedKey{ID: "EK-1", Transport: &kt, KeyInfo: x509KeyInfo(r.cert), CipherValue: w}
	ed, err := EncryptElementData(payload, alg, cek, ek.Element())
	if err != nil {
		t.Fatal(err)
	}
	ed.ID = "ED-1"
	edEl := ed.Element()
	parent := payload.Parent()
	i := payload.Index()
	parent.RemoveChildAt(i)
	parent.InsertChildAt(i, edEl)
	return doc, edEl
}

func TestXMLSec1DecryptsOursInterop(t *testing.T) {
	xmlsec := extool.Need(t, "xmlsec1")
	want := shape(find(parseDoc(t, []byte(interopDoc)).Root(), payloadNS, "messagePayload"))
	for _, r := range recipients(t) {
		for _, alg := range []Algorithm{AES256CBC, AES128GCM} {
			t.Run(fmt.Sprintf("%s/%s", r.name, alg), func(t *testing.T) {
				dir := t.TempDir()
				keyPath, _ := keyFiles(t, dir, r)
				doc, _ := encryptPayload(t, r, alg, O2OKeyTransport())
				in := filepath.Join(dir, "enc.xml")
				if err := doc.WriteToFile(in); err != nil {
					t.Fatal(err)
				}
				var stderr bytes.Buffer
				cmd := exec.Command(xmlsec, "--decrypt", "--privkey-pem", keyPath, in)
				cmd.Stderr = &stderr
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("xmlsec1 --decrypt: %v\n%s", err, stderr.Bytes())
				}
				got := find(parseDoc(t, out).Root(), payloadNS, "messagePayload")
				if got == nil {
					t.Fatalf("no payload in xmlsec1's output:\n%s", out)
				}
				if s := shape(got); s != want {
					t.Errorf("xmlsec1 decrypted\n%s\nwant\n%s", s, want)
				}
			})
		}
	}
}

func TestOursDecryptsXMLSec1Interop(t *testing.T) {
	xmlsec := extool.Need(t, "xmlsec1")
	want := shape(find(parseDoc(t, []byte(interopDoc)).Root(), payloadNS, "messagePayload"))
	for _, r := range recipients(t) {
		for _, c := range []struct {
			alg     Algorithm
			session string
		}{{AES256CBC, "aes-256"}, {AES128GCM, "aes-128"}} {
			t.Run(fmt.Sprintf("%s/%s", r.name, c.alg), func(t *testing.T) {
				dir := t.TempDir()
				_, certPath := keyFiles(t, dir, r)
				data := filepath.Join(dir, "data.xml")
				if err := os.WriteFile(data, []byte(interopDoc), 0o600); err != nil {
					t.Fatal(err)
				}
				tmpl := filepath.Join(dir, "tmpl.xml")
				if err := os.WriteFile(tmpl, []byte(`<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Id="ED-x" Type="http://www.w3.org/2001/04/xmlenc#Element">`+
					`<xenc:EncryptionMethod Algorithm="`+string(c.alg)+`"/>`+
					`<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>`+
					`<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"><ds:DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>`+
					`<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>`+
					`<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>`), 0o600); err != nil {
					t.Fatal(err)
				}
				enc := filepath.Join(dir, "enc.xml")
				out, err := exec.Command(xmlsec, "--encrypt", "--pubkey-cert-pem", certPath, "--session-key", c.session,
					"--xml-data", data, "--node-name", payloadNS+":messagePayload", "--output", enc, tmpl).CombinedOutput()
				if err != nil {
					t.Fatalf("xmlsec1 --encrypt: %v\n%s", err, out)
				}
				b, err := os.ReadFile(enc)
				if err != nil {
					t.Fatal(err)
				}
				doc := parseDoc(t, b)
				if find(doc.Root(), payloadNS, "messagePayload") != nil {
					t.Fatalf("xmlsec1 left the payload in clear:\n%s", b)
				}
				ed, err := ParseEncryptedData(find(doc.Root(), Namespace, "EncryptedData"))
				if err != nil {
					t.Fatal(err)
				}
				keys, err := ed.EncryptedKeys()
				if err != nil {
					t.Fatal(err)
				}
				if keys[0].Transport.Algorithm != RSAOAEPMGF1P || len(keys[0].CipherValue) != r.key.Size() {
					t.Errorf("key %+v, %d bytes", keys[0].Transport, len(keys[0].CipherValue))
				}
				cek, err := keys[0].UnwrapRSA(r.key)
				if err != nil {
					t.Fatal(err)
				}
				got, err := DecryptElement(ed, cek)
				if err != nil {
					t.Fatal(err)
				}
				if s := shape(got); s != want {
					t.Errorf("decrypted\n%s\nwant\n%s", s, want)
				}
			})
		}
	}
}
