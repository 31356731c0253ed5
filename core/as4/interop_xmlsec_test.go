package as4_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/pem"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/internal/extool"
)

var xmlsecRef = regexp.MustCompile(`= REFERENCE VERIFICATION CONTEXT\n== Status: (\w+)\n== URI: "([^"]*)"`)

// TestInteropXmlsec1SOAPReferences: xmlsec1 (libxmlsec1 1.2.37) verifies the
// eb:Messaging and Body references of a message Pack wrote (ids registered
// with --id-attr). xmlsec1 knows no SwA transform and cannot resolve cid:, so
// it stops at the attachment reference; that digest is checked here
// independently of core/: the test unwraps the content key with crypto/rsa
// (OAEP, SHA-256), opens the part with crypto/cipher (AES-128-GCM, IV||ct||tag)
// and compares SHA-256 of the (gzip) content with the signed DigestValue.
// The SignatureValue itself is checked by Santuario (TestInteropSantuario).
func TestInteropXmlsec1SOAPReferences(t *testing.T) {
	xmlsec := extool.Need(t, "xmlsec1")
	w := world115(t)
	ct, msg, _ := pack(t, w, xhe())
	r, err := mime.NewReader(ct, bytes.NewReader(msg), mime.DefaultLimits)
	must(t, err)
	_, root, err := r.Root()
	must(t, err)
	p, err := r.Next()
	must(t, err)
	wire, err := io.ReadAll(p.Body)
	must(t, err)

	dir := t.TempDir()
	soapPath, certPath := filepath.Join(dir, "soap.xml"), filepath.Join(dir, "signer.pem")
	must(t, os.WriteFile(soapPath, root, 0o644))
	must(t, os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.a.signCert.Raw}), 0o644))
	out, _ := exec.Command(xmlsec, "--verify", "--pubkey-cert-pem", certPath,
		"--id-attr:Id", "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/:Messaging",
		"--id-attr:Id", "http://www.w3.org/2003/05/soap-envelope:Body",
		"--node-xpath", "//*[local-name()='Signature']", "--print-debug", soapPath).CombinedOutput()
	refs := xmlsecRef.FindAllStringSubmatch(string(out), -1)
	if len(refs) != 2+1 {
		t.Fatalf("xmlsec1 reported %d references, want 3:\n%s", len(refs), out)
	}
	for _, m := range refs {
		status, uri := m[1], m[2]
		switch {
		case strings.HasPrefix(uri, "#") && status != "succeeded":
			t.Errorf("xmlsec1: reference %s: %s", uri, status)
		case strings.HasPrefix(uri, "cid:") && !strings.Contains(string(out), "Attachment-Content-Signature-Transform"):
			t.Errorf("xmlsec1 stopped at %s for another reason than the SwA transform:\n%s", uri, out)
		}
		t.Logf("xmlsec1: %s %s", uri, status)
	}

	// The cid: digest, independently: decrypt with the standard library only.
	doc := etree.NewDocument()
	must(t, doc.ReadFromBytes(root))
	cv := doc.FindElement("//xenc:EncryptedKey/xenc:CipherData/xenc:CipherValue")
	wrapped, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cv.Text()))
	must(t, err)
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, w.b.rcpt.Decrypter.(*rsa.PrivateKey), wrapped, nil)
	must(t, err)
	blk, err := aes.NewCipher(cek)
	must(t, err)
	gcm, err := cipher.NewGCM(blk)
	must(t, err)
	plain, err := gcm.Open(nil, wire[:12], wire[12:], nil)
	must(t, err)
	sum := sha256.Sum256(plain) // application/gzip: the content transform is the identity
	var signed string
	for _, ref := range doc.FindElements("//ds:SignedInfo/ds:Reference") {
		if ref.SelectAttrValue("URI", "") == "cid:message" {
			signed = strings.TrimSpace(ref.FindElement("ds:DigestValue").Text())
		}
	}
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != signed {
		t.Fatalf("cid:message digest %s, signed %s", got, signed)
	}
}
