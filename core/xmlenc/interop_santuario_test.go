package xmlenc

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/internal/extool"
)

// santuario compiles testdata/SantuarioHarness.java and returns a function that runs a
// batch of jobs (one JVM for all of them).
func santuario(t *testing.T) func(t *testing.T, jobs [][]string) {
	t.Helper()
	javac := extool.Need(t, "javac")
	java := extool.Need(t, "java")
	xmlsec := extool.NeedJar(t, "xmlsec.jar")
	cp := []string{xmlsec, extool.NeedJar(t, "commons-logging.jar"), extool.NeedJar(t, "slf4j-api.jar"), extool.NeedJar(t, "slf4j-nop.jar")}
	classes := t.TempDir()
	if out, err := exec.Command(javac, "-nowarn", "-cp", xmlsec, "-d", classes, "testdata/SantuarioHarness.java").CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	classpath := strings.Join(append([]string{classes}, cp...), string(os.PathListSeparator))
	return func(t *testing.T, jobs [][]string) {
		t.Helper()
		var b strings.Builder
		for _, j := range jobs {
			b.WriteString(strings.Join(j, "\t") + "\n")
		}
		f := filepath.Join(t.TempDir(), "jobs.txt")
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(java, "-cp", classpath, "SantuarioHarness", f).CombinedOutput(); err != nil {
			t.Fatalf("santuario: %v\n%s", err, out)
		}
	}
}

type suite struct {
	name string
	alg  Algorithm
	kt   KeyTransport
}

// The AS4 1.15 suite (xmlenc11#rsa-oaep, mgf1sha256, sha256, aes128-gcm) and DIGG's O2O
// suite (rsa-oaep-mgf1p, sha1, aes256-cbc); spec-facts.md §a.
func suites() []suite {
	return []suite{{"as4", AES128GCM, AS4KeyTransport()}, {"o2o", AES256CBC, O2OKeyTransport()}}
}

// TestSantuarioInterop compiles the harness once and runs both directions.
func TestSantuarioInterop(t *testing.T) {
	run := santuario(t)
	t.Run("SantuarioDecryptsOurs", func(t *testing.T) { santuarioDecryptsOurs(t, run) })
	t.Run("OursDecryptsSantuario", func(t *testing.T) { oursDecryptsSantuario(t, run) })
}

func santuarioDecryptsOurs(t *testing.T, run func(*testing.T, [][]string)) {
	want := shape(find(parseDoc(t, []byte(interopDoc)).Root(), payloadNS, "messagePayload"))
	dir := t.TempDir()
	var jobs [][]string
	var outs []string
	for _, r := range recipients(t) {
		der, err := x509.MarshalPKCS8PrivateKey(r.key)
		if err != nil {
			t.Fatal(err)
		}
		keyPath := filepath.Join(dir, r.name+".key.der")
		if err := os.WriteFile(keyPath, der, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, s := range suites() {
			doc, _ := encryptPayload(t, r, s.alg, s.kt)
			in := filepath.Join(dir, fmt.Sprintf("%s-%s.enc.xml", r.name, s.name))
			if err := doc.WriteToFile(in); err != nil {
				t.Fatal(err)
			}
			out := strings.TrimSuffix(in, ".enc.xml") + ".dec.xml"
			jobs = append(jobs, []string{"decrypt", keyPath, in, out})
			outs = append(outs, out)
		}
	}
	run(t, jobs)
	for _, out := range outs {
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		got := find(parseDoc(t, b).Root(), payloadNS, "messagePayload")
		if got == nil {
			t.Errorf("%s: no payload in Santuario's output:\n%s", filepath.Base(out), b)
			continue
		}
		if s := shape(got); s != want {
			t.Errorf("%s: Santuario decrypted\n%s\nwant\n%s", filepath.Base(out), s, want)
		}
	}
}

func oursDecryptsSantuario(t *testing.T, run func(*testing.T, [][]string)) {
	want := shape(find(parseDoc(t, []byte(interopDoc)).Root(), payloadNS, "messagePayload"))
	dir := t.TempDir()
	data := filepath.Join(dir, "data.xml")
	if err := os.WriteFile(data, []byte(interopDoc), 0o600); err != nil {
		t.Fatal(err)
	}
	type job struct {
		r   recipient
		s   suite
		out string
	}
	var todo []job
	var jobs [][]string
	for _, r := range recipients(t) {
		certPath := filepath.Join(dir, r.name+".cert.der")
		if err := os.WriteFile(certPath, r.cert.Raw, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, s := range suites() {
			out := filepath.Join(dir, fmt.Sprintf("%s-%s.enc.xml", r.name, s.name))
			jobs = append(jobs, []string{"encrypt", certPath, data, out, payloadNS, "messagePayload", s.name})
			todo = append(todo, job{r, s, out})
		}
	}
	run(t, jobs)
	for _, j := range todo {
		name := j.r.name + "/" + j.s.name
		b, err := os.ReadFile(j.out)
		if err != nil {
			t.Fatal(err)
		}
		doc := parseDoc(t, b)
		if find(doc.Root(), payloadNS, "messagePayload") != nil {
			t.Fatalf("%s: Santuario left the payload in clear", name)
		}
		ed, err := ParseEncryptedData(find(doc.Root(), Namespace, "EncryptedData"))
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		if ed.Algorithm != j.s.alg || ed.Type != string(TypeElement) {
			t.Errorf("%s: %s %s", name, ed.Algorithm, ed.Type)
		}
		keys, err := ed.EncryptedKeys()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		kt := keys[0].Transport
		digestOK := kt != nil && kt.Digest == j.s.kt.Digest
		if j.s.name == "o2o" && kt != nil && kt.Digest == "" {
			digestOK = true // SHA-1 is the default of §5.5.2; a sender may leave it implicit
		}
		if kt == nil || kt.Algorithm != j.s.kt.Algorithm || kt.MGF != j.s.kt.MGF || !digestOK {
			t.Errorf("%s: key transport %+v, want %+v", name, kt, j.s.kt)
		}
		cek, err := keys[0].UnwrapRSA(j.r.key)
		if err != nil {
			t.Fatalf("%s: unwrap: %v", name, err)
		}
		got, err := DecryptElement(ed, cek)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s := shape(got); s != want {
			t.Errorf("%s: decrypted\n%s\nwant\n%s", name, s, want)
		}
	}
}
