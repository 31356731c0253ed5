package localsys

import (
	"bytes"
	"crypto"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/xhe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

// editConfig rewrites the config.json in dir with edit applied.
func editConfig(t *testing.T, dir string, edit func(*Config)) {
	t.Helper()
	path := filepath.Join(dir, DemoConfigFile)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// e2eDemoCopy is demoCopy with tenant B in end-to-end mode (no O2O key on the server).
func e2eDemoCopy(t *testing.T) string {
	t.Helper()
	dir := demoCopy(t)
	editConfig(t, dir, func(c *Config) { c.Tenants[1].EndToEnd = true })
	return dir
}

// submitText sends a one-document text message from A to B's registrator through the SDK
// API with tok and returns its id.
func submitText(t *testing.T, d Description, tok string, confidential bool, label, text string) string {
	t.Helper()
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": confidential, "label": label, "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "documentName": "Brev", "index": 1, "contentTextBody": []string{text}}},
	}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tok, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	var created sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	return created.Data.ID
}

// TestClientKvittens: A sends through the SDK API to B, which is in end-to-end mode; B's
// access point delivers the XHE sealed and sends no kvittens. B's client (here Go doing
// what the browser's wasm does: open with org-b's key, kvittens.New, o2o SealReceipt)
// posts the kvittens to .../kvittens; B's access point checks it and sends it over AS4
// (mutual TLS) to A, whose message reaches ACCEPTED. The same kvittens again is 202,
// another 409, A's token 404.
func TestClientKvittens(t *testing.T) {
	dir := e2eDemoCopy(t)
	d := start(t, dir).Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	id := submitText(t, d, tokA, true, "Till en klient med nyckeln", "Hej.")
	mailURL := d.SDKAPIBaseURL + "/sdk/mailboxes/registrator/messages/" + url.PathEscape(id)
	sealed := poll(t, func() ([]byte, bool) {
		code, b := call(t, "GET", mailURL, tokB, "text/xml", nil)
		return b, code == 200
	})
	waitStatus(t, d, tokA, id, "WAITING_FOR_RECEIPT")

	x := clientKvittens(t, dir, sealed, time.Now())
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": x}}}
	if code, b := call(t, "POST", mailURL+"/kvittens", tokA, "", body); code != 404 {
		t.Fatalf("A posts B's kvittens: %d %s, want 404", code, b)
	}
	if code, b := call(t, "POST", mailURL+"/kvittens", tokB, "", body); code != http.StatusAccepted || !bytes.Contains(b, []byte(kvittens.IDPrefix+id)) {
		t.Fatalf("kvittens: %d %s", code, b)
	}
	waitStatus(t, d, tokA, id, "ACCEPTED")
	if code, b := call(t, "POST", mailURL+"/kvittens", tokB, "", body); code != http.StatusAccepted {
		t.Fatalf("the same kvittens again: %d %s", code, b)
	}
	other := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"sealedXhe": clientKvittens(t, dir, sealed, time.Now().Add(time.Hour))}}}
	if code, b := call(t, "POST", mailURL+"/kvittens", tokB, "", other); code != http.StatusConflict {
		t.Fatalf("another kvittens: %d %s, want 409", code, b)
	}
	checkKvittensInterop(t, dir, x)
}

// checkKvittensInterop: xmlsec1 verifies the kvittens XHE's signature chained to the demo
// O2O CA (and refuses it tampered), and Saxon-HE runs DIGG-AppRes-Business-Rules on the
// ApplicationResponse it carries with no failed-assert.
func checkKvittensInterop(t *testing.T, dir string, x []byte) {
	t.Helper()
	xmlsec1 := extool.Need(t, "xmlsec1")
	tmp := t.TempDir()
	good, bad := filepath.Join(tmp, "kvittens.xml"), filepath.Join(tmp, "tampered.xml")
	if err := os.WriteFile(good, x, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, bytes.Replace(x, []byte(">ACCEPTED<"), []byte(">REJECTED<"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, demoPKIDir, "o2o-ca.ca.pem")
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, good).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --verify of the client's kvittens: %v\n%s", err, out)
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, bad).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 verified a tampered kvittens\n%s", out)
	}
	_, env, err := xhe.ParseBytes(x)
	if err != nil || env.Content == nil {
		t.Fatalf("kvittens xhe: %v", err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(env.Content.Copy())
	ar, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	got := extool.SchematronFailedAsserts(t, "../../core/kvittens/testdata/DIGG-AppRes-Business-Rules.xslt", map[string][]byte{"kvittens.xml": ar})
	if len(got["kvittens.xml"]) != 0 {
		t.Fatalf("DIGG schematron failed-asserts on the client's kvittens: %v", got["kvittens.xml"])
	}
}

// clientKvittens opens the sealed XHE with org-b's key file as B's browser does and
// seals the kvittens that answers it, issued at now.
func clientKvittens(t *testing.T, dir string, sealed []byte, now time.Time) []byte {
	t.Helper()
	pki := filepath.Join(dir, demoPKIDir)
	key, err := demopki.LoadKey(filepath.Join(pki, "org-b.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certB, err := demopki.LoadCerts(filepath.Join(pki, "org-b.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certA, err := demopki.LoadCerts(filepath.Join(pki, "org-a.cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	_, env, err := xhe.ParseBytes(sealed)
	if err != nil {
		t.Fatal(err)
	}
	dec, ok := key.(crypto.Decrypter)
	if !ok {
		t.Fatalf("key %T cannot decrypt", key)
	}
	op := o2o.Opener{Decrypter: dec, Cert: certB[0], Profile: o2o.DIGGProfile(), Now: time.Now}
	if _, err := op.Open(sealed, o2o.Sender{Cert: certA[0]}); err != nil {
		t.Fatalf("B's client cannot open the message: %v", err)
	}
	rc := kvittens.New(kvittens.IDPrefix+env.ID, now, env.ID, env.From, env.To, nil)
	s := o2o.Sealer{Key: key, Cert: certB[0], Profile: o2o.DIGGProfile(), Now: func() time.Time { return now }}
	x, err := s.SealReceipt(rc, env.HandlingServiceID)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// poll calls f until it reports done (20 s at most) and returns its value.
func poll(t *testing.T, f func() ([]byte, bool)) []byte {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, ok := f()
		if ok {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out; last: %s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitStatus waits until A's sent message id has status want.
func waitStatus(t *testing.T, d Description, tok, id, want string) {
	t.Helper()
	poll(t, func() ([]byte, bool) {
		code, b := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(id), tok, "", nil)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		return b, code == 200 && doc.Data.Attributes.MessageStatus == want
	})
}
