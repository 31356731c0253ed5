package sdkapi

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

// signAPI is the handler with tenant "a" holding org-a's O2O key and tenant "b" none.
func signAPI(t testing.TB, perMinute int, now *time.Time) (http.Handler, *demopki.Set) {
	t.Helper()
	pki := demopki.ForTest(t)
	a := pki.Leaf("org-a")
	h, err := NewHandler(Options{Service: newFake(), Auth: auth, BasePath: "/sdk-api/v1", Now: func() time.Time { return *now },
		Signer:        KeyMap{"a": {Key: a.Key, Chain: []*x509.Certificate{a.Cert, pki.CA("o2o-ca").Cert.Cert}}},
		SignPerMinute: perMinute})
	if err != nil {
		t.Fatal(err)
	}
	return h, pki
}

func signBody(id string, alg xmldsig.DigestMethod, digest []byte) map[string]any {
	return map[string]any{"data": map[string]any{"type": TypeSignatures, "attributes": map[string]any{
		"messageId": id, "digestAlgorithm": string(alg), "digestValue": base64.StdEncoding.EncodeToString(digest)}}}
}

// endpointSigner is the browser's remote signer in Go: Sign posts the digest to the
// endpoint and returns the signature value it answers.
type endpointSigner struct {
	t     *testing.T
	h     http.Handler
	token string
	pub   crypto.PublicKey
	chain [][]byte
}

func (s *endpointSigner) Public() crypto.PublicKey { return s.pub }

func (s *endpointSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	w, m := do(s.t, s.h, "POST", "/sdk/signatures", s.token, signBody("m-remote-1", xmldsig.SHA256, digest))
	if w.Code != http.StatusOK || opts.HashFunc() != crypto.SHA256 {
		return nil, fmt.Errorf("endpoint: %d %s", w.Code, w.Body)
	}
	a := m["data"].(map[string]any)["attributes"].(map[string]any)
	for _, c := range a["certificates"].([]any) {
		der, _ := base64.StdEncoding.DecodeString(c.(string))
		s.chain = append(s.chain, der)
	}
	if a["signatureAlgorithm"] != string(xmldsig.RSASHA256) {
		return nil, fmt.Errorf("endpoint: algorithm %v", a["signatureAlgorithm"])
	}
	return base64.StdEncoding.DecodeString(a["signatureValue"].(string))
}

// TestRemoteSignerXHE: an XHE sealed with only org-a's certificate, its SignedInfo digest
// signed through the endpoint, verifies with xmlsec1 (chained to the demo O2O CA) and with
// core/o2o.Verify, and core/xhe finds the envelope valid; the endpoint answered the chain.
func TestRemoteSignerXHE(t *testing.T) {
	now := t0
	h, pki := signAPI(t, 0, &now)
	a, b := pki.Leaf("org-a"), pki.Leaf("org-b")
	rs := &endpointSigner{t: t, h: h, token: "A", pub: a.Cert.PublicKey}
	msg := sdkmsg.Message{MessageID: "3a94b4ed-a6d7-41e2-945d-b3fa91e8a6e9", ConversationID: "5c0a3f54-8a8e-4b8e-9c55-2f1f5e0c2d11", CreationDateTime: sdkmsg.FormatTime(t0),
		Label: "Fjärrsignerat", Sender: sdkmsg.Party{ID: "0203:kommun-a.se", Label: "A"},
		Recipient: sdkmsg.Party{ID: "0203:kommun-b.se", Label: "B", Attention: &sdkmsg.Attention{FunctionAddress: "registrator"}},
		Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Texts: []string{"hemlig text"}}}}
	mb, err := msg.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	s := o2o.Sealer{Key: rs, Cert: a.Cert, Profile: o2o.DIGGProfile(), Now: func() time.Time { return t0 }}
	x, err := s.Seal(mb, b.Cert, "registrator")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.chain) != 2 || !bytes.Equal(rs.chain[0], a.Cert.Raw) {
		t.Fatalf("chain: %d certificates, leaf org-a: %v", len(rs.chain), len(rs.chain) > 0 && bytes.Equal(rs.chain[0], a.Cert.Raw))
	}
	if _, err := o2o.Verify(x, o2o.Sender{Cert: a.Cert}, o2o.DIGGProfile(), t0); err != nil {
		t.Fatalf("core/o2o verify: %v", err)
	}
	if _, _, err := xhe.ParseBytes(x); err != nil {
		t.Fatalf("core/xhe: %v", err)
	}
	tampered := bytes.Replace(x, []byte("registrator"), []byte("registrat0r"), 1)
	if _, err := o2o.Verify(tampered, o2o.Sender{Cert: a.Cert}, o2o.DIGGProfile(), t0); err == nil {
		t.Fatal("core/o2o verified a tampered XHE")
	}

	xmlsec1 := extool.Need(t, "xmlsec1")
	dir := t.TempDir()
	ca := filepath.Join(dir, "o2o-ca.pem")
	xp := filepath.Join(dir, "sealed.xml")
	for p, b := range map[string][]byte{ca: pemOf(pki.CA("o2o-ca").Cert.Cert), xp: x, xp + ".bad": tampered} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, xp).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --verify: %v\n%s", err, out)
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, xp+".bad").CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 verified a tampered XHE\n%s", out)
	}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(demopki.CertPEM(c))
}

// TestRemoteSignerRefusals: the endpoint refuses what it must, and never signs for a
// tenant other than the token's.
func TestRemoteSignerRefusals(t *testing.T) {
	now := t0
	h, _ := signAPI(t, 0, &now)
	d := sha256.Sum256([]byte("signed info"))
	for _, c := range []struct {
		name, token string
		body        any
		status      int
	}{
		{"no token", "", signBody("m1", xmldsig.SHA256, d[:]), http.StatusUnauthorized},
		{"scope without sign", "A-send", signBody("m1", xmldsig.SHA256, d[:]), http.StatusForbidden},
		{"tenant b has no key on the server", "B", signBody("m1", xmldsig.SHA256, d[:]), http.StatusNotFound},
		{"digest too short", "A", signBody("m1", xmldsig.SHA256, d[:31]), http.StatusBadRequest},
		{"digest of sha512 length for sha256", "A", signBody("m1", xmldsig.SHA256, append(d[:], d[:]...)), http.StatusBadRequest},
		{"sha1 refused", "A", signBody("m1", xmldsig.SHA1, d[:20]), http.StatusBadRequest},
		{"unknown algorithm", "A", signBody("m1", "urn:x:md5", d[:16]), http.StatusBadRequest},
		{"no message id", "A", signBody("", xmldsig.SHA256, d[:]), http.StatusBadRequest},
		{"a document instead of a digest", "A", `{"data":{"type":"messages","attributes":{"label":"x"}}}`, http.StatusBadRequest},
		{"too big", "A", signBody(string(bytes.Repeat([]byte("x"), 5000)), xmldsig.SHA256, d[:]), http.StatusBadRequest},
	} {
		w, _ := do(t, h, "POST", "/sdk/signatures", c.token, c.body)
		if w.Code != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
	}
	if w, _ := do(t, h, "GET", "/sdk/signatures", "A", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", w.Code)
	}
	w, m := do(t, h, "POST", "/sdk/signatures", "A", signBody("m1", xmldsig.SHA512, append(d[:], d[:]...)))
	if w.Code != http.StatusOK || m["data"].(map[string]any)["attributes"].(map[string]any)["signatureAlgorithm"] != string(xmldsig.RSASHA512) {
		t.Errorf("sha512: %d %s", w.Code, w.Body)
	}
}

// TestRemoteSignerRate: a tenant gets at most SignPerMinute signatures a minute; the
// bucket refills with the injected clock, and another tenant's use does not count.
func TestRemoteSignerRate(t *testing.T) {
	now := t0
	h, _ := signAPI(t, 3, &now)
	d := sha256.Sum256([]byte("x"))
	codes := func(n int) (out []int) {
		for range n {
			w, _ := do(t, h, "POST", "/sdk/signatures", "A", signBody("m1", xmldsig.SHA256, d[:]))
			out = append(out, w.Code)
		}
		return out
	}
	if got := fmt.Sprint(codes(4)); got != "[200 200 200 429]" {
		t.Fatalf("burst: %s", got)
	}
	now = now.Add(20 * time.Second) // one token back
	if got := fmt.Sprint(codes(2)); got != "[200 429]" {
		t.Fatalf("after 20 s: %s", got)
	}
}

// FuzzSignRequest: any body gets a signature (200) or a 400, never another answer or a
// panic.
func FuzzSignRequest(f *testing.F) {
	d := sha256.Sum256([]byte("x"))
	for _, b := range []any{signBody("m1", xmldsig.SHA256, d[:]), signBody("m1", xmldsig.SHA512, d[:]), signBody("", "", nil)} {
		raw, _ := json.Marshal(b)
		f.Add(string(raw))
	}
	f.Add(`{"data":{"type":"signatures","attributes":{"messageId":1}}}`)
	now := t0
	h, _ := signAPI(f, 1<<30, &now)
	f.Fuzz(func(t *testing.T, body string) {
		w, m := do(t, h, "POST", "/sdk/signatures", "A", body)
		switch w.Code {
		case http.StatusOK:
			a := m["data"].(map[string]any)["attributes"].(map[string]any)
			if a["signatureValue"] == "" {
				t.Fatalf("200 without signature: %s", w.Body)
			}
		case http.StatusBadRequest:
		default:
			t.Fatalf("%d for %q: %s", w.Code, body, w.Body)
		}
	})
}
