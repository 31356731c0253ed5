package as4_test

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/x509"
	"encoding/pem"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/internal/demopki"
)

// vector is one file of testdata/vectors (STYLE.md rule 17).
type vector struct {
	name                 string
	expect, profile, at  string
	comment, contentType string
	body                 []byte
}

func readVector(t testing.TB, path string) vector {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, msg, ok := bytes.Cut(raw, []byte("\n\n"))
	if !ok {
		t.Fatalf("%s: no blank line after the header", path)
	}
	v := vector{name: strings.TrimSuffix(filepath.Base(path), ".vec")}
	for _, line := range strings.Split(string(head), "\n") {
		k, val, _ := strings.Cut(line, ": ")
		switch k {
		case "expect":
			v.expect = val
		case "profile":
			v.profile = val
		case "at":
			v.at = val
		case "comment":
			v.comment = val
		default:
			t.Fatalf("%s: unknown header %q", path, k)
		}
	}
	tp := textproto.NewReader(bufio.NewReader(bytes.NewReader(msg)))
	h, err := tp.ReadMIMEHeader()
	if err != nil {
		t.Fatalf("%s: message header: %v", path, err)
	}
	v.contentType = h.Get("Content-Type")
	var rest bytes.Buffer
	if _, err := rest.ReadFrom(tp.R); err != nil {
		t.Fatal(err)
	}
	v.body = rest.Bytes()
	return v
}

func vectorKey(t testing.TB, name string) any {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors/keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", name)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func vectorCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	c, err := demopki.LoadCerts("testdata/vectors/keys/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return c[0]
}

func vectorUnpacker(t testing.TB, v vector) *as4.Unpacker {
	t.Helper()
	when, err := time.Parse(time.RFC3339, v.at)
	if err != nil {
		t.Fatalf("%s: at: %v", v.name, err)
	}
	clock := func() time.Time { return when }
	p, err := pmode.ByID(v.profile)
	if err != nil {
		t.Fatalf("%s: %v", v.name, err)
	}
	u := &as4.Unpacker{Profile: p}
	switch v.profile {
	case "edelivery-1.15":
		u.Recipient = as4.Recipient{Cert: vectorCert(t, "ap-b.cert.pem"), Decrypter: vectorKey(t, "ap-b.key.pem").(crypto.Decrypter)}
		u.Trust = trust.NewStore([]*x509.Certificate{vectorCert(t, "ap-ca.ca.pem")}, clock)
	case "edelivery-2.0":
		u.Recipient = as4.Recipient{Cert: vectorCert(t, "x25519-b.cert.pem"), Agreement: vectorKey(t, "x25519-b.key.pem").(*ecdh.PrivateKey)}
		u.Trust = trust.NewStore([]*x509.Certificate{vectorCert(t, "ed-ca.ca.pem")}, clock)
	default:
		t.Fatalf("%s: profile %q", v.name, v.profile)
	}
	return u
}

// TestVectors opens every vector: the positive ones must verify, each negative
// one must fail with exactly the ebMS error its header names.
func TestVectors(t *testing.T) {
	files, err := filepath.Glob("testdata/vectors/*.vec")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("only %d vectors; run go run ./testdata/gen_vectors.go", len(files))
	}
	for _, f := range files {
		v := readVector(t, f)
		t.Run(v.name, func(t *testing.T) {
			got, err := vectorUnpacker(t, v).Unpack(v.contentType, bytes.NewReader(v.body))
			if v.expect == "success" {
				if err != nil {
					t.Fatalf("%s: %v", v.comment, err)
				}
				if len(got.Payloads) != 1 || !bytes.HasPrefix(got.Payloads[0].Data, []byte("<?xml")) {
					t.Fatalf("payloads %+v", got.Payloads)
				}
				return
			}
			if !isCode(err, ebms.Code(v.expect)) {
				t.Fatalf("%s: err = %v, want %s", v.comment, err, v.expect)
			}
			t.Logf("%s: %v", v.comment, err)
		})
	}
}
