package as4_test

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/internal/extool"
)

// TestInteropSantuario opens a message Pack wrote with Apache Santuario 2.1.7
// (testdata/interop/AS4Harness.java): Santuario unwraps the content key
// (xmlenc11#rsa-oaep, MGF1-SHA256, SHA-256), decrypts every attachment
// (aes128-gcm) and verifies the WS-Security signature with all its references:
// eb:Messaging and the Body by wsu:Id, and each attachment by cid: through a
// resolver that hands Santuario its own decryption result. The payloads must
// gunzip to what was packed. Only eDelivery AS4 1.15: Santuario 2.1.7 has no
// Ed25519 or X25519.
func TestInteropSantuario(t *testing.T) {
	javac := extool.Need(t, "javac")
	java := extool.Need(t, "java")
	jars := []string{extool.NeedJar(t, "xmlsec.jar"), extool.NeedJar(t, "commons-logging.jar"), extool.NeedJar(t, "slf4j-api.jar"), extool.NeedJar(t, "slf4j-nop.jar")}
	dir := t.TempDir()
	classes := filepath.Join(dir, "classes")
	if out, err := exec.Command(javac, "-nowarn", "-cp", jars[0], "-d", classes, "testdata/interop/AS4Harness.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}

	w := world115(t)
	pdf := as4.Payload{ContentID: "attachment", MimeType: "application/pdf", Data: bytes.Repeat([]byte("%PDF-1.7 brevduva\n"), 200)}
	ct, msg, _ := pack(t, w, xhe(), pdf)

	r, err := mime.NewReader(ct, bytes.NewReader(msg), mime.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	_, root, err := r.Root()
	if err != nil {
		t.Fatal(err)
	}
	soapPath := filepath.Join(dir, "soap.xml")
	must(t, os.WriteFile(soapPath, root, 0o644))
	args := []string{"-cp", strings.Join(append([]string{classes}, jars...), string(os.PathListSeparator)), "AS4Harness",
		filepath.Join(dir, "key.der"), filepath.Join(dir, "signer.der"), soapPath, dir}
	key, err := x509.MarshalPKCS8PrivateKey(w.b.rcpt.Decrypter.(*rsa.PrivateKey))
	must(t, err)
	must(t, os.WriteFile(args[3], key, 0o600))
	must(t, os.WriteFile(args[4], w.a.signCert.Raw, 0o644))
	for {
		p, err := r.Next()
		if err == io.EOF {
			break
		}
		must(t, err)
		data, err := io.ReadAll(p.Body)
		must(t, err)
		f := filepath.Join(dir, "wire-"+p.ContentID)
		must(t, os.WriteFile(f, data, 0o644))
		args = append(args, p.ContentID+"="+f)
	}
	out, err := exec.Command(java, args...).CombinedOutput()
	t.Logf("Santuario:\n%s", out)
	if err != nil {
		t.Fatalf("java AS4Harness: %v", err)
	}
	for _, want := range []string{
		"key transport http://www.w3.org/2009/xmlenc11#rsa-oaep mgf http://www.w3.org/2009/xmlenc11#mgf1sha256 digest http://www.w3.org/2001/04/xmlenc#sha256",
		"reference cid:message ok", "reference cid:attachment ok", "signature OK",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("Santuario output lacks %q", want)
		}
	}
	if n := strings.Count(string(out), " ok\n"); n != 4 {
		t.Errorf("%d references verified by Santuario, want 4 (Messaging, Body, 2 attachments)", n)
	}
	for _, p := range []as4.Payload{xhe(), pdf} {
		gz, err := os.ReadFile(filepath.Join(dir, p.ContentID))
		must(t, err)
		got, err := as4.Decompress(gzipPart(), gz, 1<<20)
		must(t, err)
		if !bytes.Equal(got, p.Data) {
			t.Errorf("%s: Santuario's plaintext does not gunzip to the payload", p.ContentID)
		}
	}

	// The harness can fail: a tampered attachment must not verify.
	tampered := append([]string(nil), args...)
	last := tampered[len(tampered)-1]
	cid, f, _ := strings.Cut(last, "=")
	b, _ := os.ReadFile(f)
	b[len(b)/2] ^= 1
	bad := filepath.Join(dir, "tampered")
	must(t, os.WriteFile(bad, b, 0o644))
	tampered[len(tampered)-1] = cid + "=" + bad
	if out, err := exec.Command(java, tampered...).CombinedOutput(); err == nil {
		t.Fatalf("Santuario accepted a tampered attachment:\n%s", out)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func gzipPart() ebms.PartInfo {
	return ebms.PartInfo{Properties: []ebms.Property{{Name: ebms.PropCompressionType, Value: ebms.CompressionGzip}}}
}
