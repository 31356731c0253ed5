package localsys

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/internal/demopki"
)

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
)

// demoCopy returns a fresh copy of a demo folder (PKI and config made once per test
// binary; key generation dominates otherwise).
func demoCopy(t *testing.T) string {
	t.Helper()
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "brevduva-demo-")
		if demoErr == nil {
			_, _, demoErr = InitDemo(demoDir, DemoOptions{FreePorts: true})
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	dst := t.TempDir()
	err := filepath.WalkDir(demoDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(demoDir, p)
		if d.IsDir() {
			if rel == "data" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestMain(m *testing.M) {
	code := m.Run()
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

func start(t *testing.T, dir string) *System {
	t.Helper()
	return startWith(t, dir, Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t)})
}

// startWith starts the system configured in dir with o and shuts it down when the test ends.
func startWith(t *testing.T, dir string, o Options) *System {
	t.Helper()
	cfg, err := LoadConfig(filepath.Join(dir, DemoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	return s
}

func shutdown(t *testing.T, s *System) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Error(err)
	}
}

// token gets an access token from the system's token endpoint (client_secret_basic).
func token(t *testing.T, d Description, tenant int) string {
	t.Helper()
	ti := d.Tenants[tenant]
	req, _ := http.NewRequest("POST", ti.TokenURL, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(ti.ClientID, ti.ClientSecret)
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 || tr.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

func call(t *testing.T, method, u, tok, accept string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", sdkapi.MediaType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestSystemDiscoveryTLSAndRestart(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	if len(d.Tenants) != 2 || d.Tenants[0].Participant != DemoParticipantA || len(d.TestParticipants) != 6 {
		t.Fatalf("description: %+v", d)
	}
	resp, err := apiClient.Get(d.HealthURL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	tokA := token(t, d, 0)

	// Discovery runs for real: DNS (BDXL U-NAPTR) → SMP (signed) → endpoint and CertPub.
	res, err := dns.New(d.DNSServer)
	if err != nil {
		t.Fatal(err)
	}
	pki := loadPKI(t, dir)
	smpClient, err := smp.NewClient(&http.Client{Transport: &http.Transport{DialContext: res.DialContext}},
		smp.ClientOptions{Verify: smp.VerifyOptions{Roots: pki.pool("smp-ca"), Now: time.Now}})
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.New(discovery.Options{Locator: bdxl.Locator{Config: bdxl.Config{Zone: d.SMLZone}, Resolver: res},
		SMP: smpClient, Now: time.Now, APRoots: pki.pool("ap-ca")})
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(p string) (*discovery.Result, error) {
		id, _ := smp.ParseParticipant(p)
		return disc.Lookup(context.Background(), id, smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage})
	}
	r, err := lookup(DemoParticipantB)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndpointURL != d.Tenants[1].AS4EndpointURL || r.APCertificate.Subject.CommonName != d.Tenants[1].APPartyID || len(r.O2O) == 0 {
		t.Fatalf("lookup B: %s %s", r.EndpointURL, r.APCertificate.Subject.CommonName)
	}
	if _, err := lookup(TestWrongAS4); !errors.Is(err, discovery.ErrUntrusted) {
		t.Errorf("wrong AS4 certificate: %v", err)
	}
	if r, err := lookup(TestExpiredO2O); err != nil || len(r.O2O) == 0 || !r.O2O[0].Cert.NotAfter.Before(time.Now()) {
		t.Errorf("expired O2O: %v", err)
	}
	if _, err := lookup("0203:finns-inte.brevduva.localhost"); !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("unknown participant: %v", err)
	}

	// The AS4 endpoints require a client certificate from the TLS CA.
	tlsCA := pki.pool("tls-ca")
	noCert := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: res.DialContext,
		TLSClientConfig: &tls.Config{RootCAs: tlsCA, MinVersion: tls.VersionTLS12}}}
	if resp, err := noCert.Post(d.Tenants[1].AS4EndpointURL, "application/soap+xml", strings.NewReader("<x/>")); err == nil {
		resp.Body.Close()
		t.Error("AS4 endpoint served a client without certificate")
	}
	tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: pki.pair("tls-a"), Roots: tlsCA, DialContext: res.DialContext, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdle()
	ct, body, err := tr.Post(context.Background(), d.Tenants[1].AS4EndpointURL, "application/soap+xml", strings.NewReader("<x/>"))
	if err != nil || !strings.Contains(ct, "soap+xml") || !bytes.Contains(body, []byte("EBMS:")) {
		t.Errorf("mTLS client: %v %q %.200s", err, ct, body)
	}
	// The test bed's TLS endpoints fail the handshake as a sender would see it.
	var expired x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	for _, p := range d.TestParticipants {
		_, _, err := tr.Post(context.Background(), p.Endpoint, "application/soap+xml", strings.NewReader("<x/>"))
		switch p.Participant {
		case TestExpiredTLS:
			if !errors.As(err, &expired) || expired.Reason != x509.Expired {
				t.Errorf("expired TLS: %v", err)
			}
		case TestWrongTLSCA:
			if !errors.As(err, &unknown) {
				t.Errorf("wrong-CA TLS: %v", err)
			}
		case TestUnreachable:
			if err == nil {
				t.Error("unreachable AP answered")
			}
		}
	}

	// Restart on the same folder: the data and the installation key are kept, so the
	// token issued before still verifies.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if _, created, err := InitDemo(dir, DemoOptions{FreePorts: true}); err != nil || created {
		t.Fatalf("second init: created=%v %v", created, err)
	}
	s2 := start(t, dir)
	d2 := s2.Description()
	code, b := call(t, "GET", d2.SDKAPIBaseURL+"/sdk/mailboxes/registrator/messages", tokA, "", nil)
	if code != 200 {
		t.Fatalf("old token after restart: %d %s", code, b)
	}
	// A function address the tenant does not have is not a mailbox.
	if code, b := call(t, "GET", d2.SDKAPIBaseURL+"/sdk/mailboxes/byggnadsnamnden/messages", tokA, "", nil); code != 404 {
		t.Fatalf("unknown mailbox: %d %s", code, b)
	}
}

type pkiFiles struct {
	t   *testing.T
	dir string
}

func loadPKI(t *testing.T, dir string) pkiFiles { return pkiFiles{t, filepath.Join(dir, demoPKIDir)} }

func (p pkiFiles) pool(ca string) *x509.CertPool {
	cs, err := demopki.LoadCerts(filepath.Join(p.dir, ca+".ca.pem"))
	if err != nil {
		p.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	for _, c := range cs {
		pool.AddCert(c)
	}
	return pool
}

func (p pkiFiles) pair(name string) tls.Certificate {
	c, err := tls.LoadX509KeyPair(filepath.Join(p.dir, name+".cert.pem"), filepath.Join(p.dir, name+".key.pem"))
	if err != nil {
		p.t.Fatal(err)
	}
	return c
}

var pdf = func() []byte {
	b := []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
	for i := 0; i < 2000; i++ {
		b = append(b, byte(i), byte(i>>3), 0, 0xff)
	}
	return append(b, "\n%%EOF\n"...)
}()

// TestEndToEnd: tenant A sends an SDK message with a PDF through the SDK API (token
// from the token endpoint); it crosses AS4 over real mutual TLS sockets to tenant B;
// B's mailbox has it byte-identical; A's message reaches ACCEPTED after B's kvittens.
func TestEndToEnd(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Begäran om handlingar", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument": []any{map[string]any{"documentId": "d1", "documentName": "Begäran", "index": 1,
			"contentTextBody": []string{"Se bifogad fil."},
			"contentFiles":    []any{map[string]any{"fileName": "begaran.pdf", "contentType": "application/pdf", "content": pdf}}}},
	}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	var created sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	id := created.Data.ID

	// B's mailbox gets it.
	mailURL := d.SDKAPIBaseURL + "/sdk/mailboxes/registrator/messages/" + url.PathEscape(id)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b = call(t, "GET", mailURL, tokB, "", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			st, sb := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+id, tokA, "", nil)
			t.Fatalf("not delivered: %d %s; sender sees %d %s", code, b, st, sb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	a := got.Data.Attributes
	if a.Sender != DemoParticipantA || a.Label != "Begäran om handlingar" || len(a.DigitalDocument) != 1 ||
		len(a.DigitalDocument[0].ContentFiles) != 1 || !bytes.Equal(a.DigitalDocument[0].ContentFiles[0].Content, pdf) {
		t.Fatalf("delivered message differs: %+v", a)
	}
	// A cannot read B's inbox.
	if code, _ := call(t, "GET", mailURL, tokA, "", nil); code != 404 {
		t.Errorf("A read B's mail: %d", code)
	}

	// A's message reaches ACCEPTED when B's Meddelandekvittens returns.
	for {
		code, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(id), tokA, "", nil)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		if code == 200 && doc.Data.Attributes.MessageStatus == "ACCEPTED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ACCEPTED: %d %s", code, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _ := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(id), tokB, "", nil); code != 404 {
		t.Errorf("B read A's outbox: %d", code)
	}
	// getMessageByFilter finds it by status and function address, only for A.
	q := url.Values{"filter[messageStatus]": {"ACCEPTED"}, "filter[recipientAttention.subOrganization.extension]": {"registrator"}}
	code, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages?"+q.Encode(), tokA, "", nil)
	if code != 200 || !bytes.Contains(b, []byte(id)) {
		t.Errorf("filter: %d %s", code, b)
	}
	q.Set("filter[messageStatus]", "REJECTED")
	if code, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages?"+q.Encode(), tokA, "", nil); code != 200 || bytes.Contains(b, []byte(id)) {
		t.Errorf("filter REJECTED: %d %s", code, b)
	}
	if code, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages", tokB, "", nil); code != 200 || bytes.Contains(b, []byte(`"id":"`+id)) {
		t.Errorf("B's list shows A's message: %d %s", code, b)
	}

	// The delivered SDK message as B's AP stored it (Accept: text/xml) holds the PDF
	// byte for byte too.
	code, raw := call(t, "GET", mailURL, tokB, "text/xml", nil)
	if code != 200 {
		t.Fatalf("raw: %d", code)
	}
	msg, err := sdkmsg.Parse(raw)
	if err != nil || msg.MessageID != id || !bytes.Equal(msg.Documents[0].Files[0].Content, pdf) {
		t.Fatalf("raw SDK message: %v", err)
	}

	// Restart: the message, its state and the inbox survive; the inbox marks it read.
	shutdown(t, s)
	s2 := start(t, dir)
	d2 := s2.Description()
	mailURL = d2.SDKAPIBaseURL + "/sdk/mailboxes/registrator/messages/" + url.PathEscape(id)
	if code, b := call(t, "GET", mailURL, tokB, "text/xml", nil); code != 200 || !bytes.Equal(b, raw) {
		t.Fatalf("after restart, B's mailbox: %d", code)
	}
	code, b = call(t, "GET", d2.SDKAPIBaseURL+"/sdk/messages/"+url.PathEscape(id), tokA, "", nil)
	if code != 200 || !bytes.Contains(b, []byte(`"messageStatus":"ACCEPTED"`)) {
		t.Fatalf("after restart, A's message: %d %s", code, b)
	}
	if code, b := call(t, "POST", mailURL+"/read", tokB, "", nil); code != 200 || !bytes.Contains(b, []byte("readDateTime")) {
		t.Fatalf("mark read: %d %s", code, b)
	}
	// deleteMessageById: B cannot, A can (ACCEPTED is final), then it is gone.
	msgURL := d2.SDKAPIBaseURL + "/sdk/messages/" + url.PathEscape(id)
	if code, _ := call(t, "DELETE", msgURL, tokB, "", nil); code != 404 {
		t.Errorf("B deleted A's message: %d", code)
	}
	if code, b := call(t, "DELETE", msgURL, tokA, "", nil); code != 202 {
		t.Fatalf("delete: %d %s", code, b)
	}
	if code, _ := call(t, "GET", msgURL, tokA, "", nil); code != 404 {
		t.Errorf("deleted message still there: %d", code)
	}
}

// TestUnknownFunctionAddress: a message to a function address B does not have crosses AS4
// over mutual TLS, B's message service refuses it, and A's outbox shows REJECTED with the
// kvittens reason BV not-found ([CONTENT] §5.3); nothing reaches any of B's mailboxes.
func TestUnknownFunctionAddress(t *testing.T) {
	s := start(t, demoCopy(t))
	d := s.Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Fel adress", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "finns-inte"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"Hej."}}},
	}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	var created sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &created); err != nil {
		t.Fatal(err)
	}
	msgURL := d.SDKAPIBaseURL + "/sdk/messages/" + url.PathEscape(created.Data.ID)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, b = call(t, "GET", msgURL, tokA, "", nil)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		if st := doc.Data.Attributes.MessageStatus; code == 200 && st != "" && st != "SCHEDULED" && st != "SUBMITTED" && st != "WAITING_FOR_RECEIPT" {
			if st != "REJECTED" || !bytes.Contains(b, []byte("not-found")) {
				t.Fatalf("want REJECTED with BV not-found, got %s: %s", st, b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no verdict: %d %s", code, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, fa := range []string{"socialtjansten", "byggnadsnamnden", "registrator"} {
		u := d.SDKAPIBaseURL + "/sdk/mailboxes/" + fa + "/messages/" + url.PathEscape(created.Data.ID)
		if code, _ := call(t, "GET", u, tokB, "", nil); code != 404 {
			t.Errorf("mailbox %s has the refused message: %d", fa, code)
		}
	}
}

// testLogger logs to the test's output when BREVDUVA_TEST_LOG is set.
func testLogger(t *testing.T) *slog.Logger {
	if os.Getenv("BREVDUVA_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSealedXHE: a client that seals itself (end-to-end mode, e.g. the browser) posts
// the XHE as sealedXhe; it crosses AS4 and B's message service opens and delivers it.
func TestSealedXHE(t *testing.T) {
	dir := demoCopy(t)
	s := start(t, dir)
	d := s.Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	pki := filepath.Join(dir, demoPKIDir)
	key, err := demopki.LoadKey(filepath.Join(pki, "org-a.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	certA, _ := demopki.LoadCerts(filepath.Join(pki, "org-a.cert.pem"))
	certB, _ := demopki.LoadCerts(filepath.Join(pki, "org-b.cert.pem"))
	id := "3f0c7d2e-5b1a-4c8e-9d6f-0a1b2c3d4e5f"
	m := &sdkmsg.Message{CreationDateTime: sdkmsg.FormatTime(time.Now()), MessageID: id, ConversationID: id, Label: "Förseglat i webbläsaren",
		Sender:    sdkmsg.Party{ID: DemoParticipantA},
		Recipient: sdkmsg.Party{ID: DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: "socialtjansten"}},
		Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Files: []sdkmsg.File{{FileName: "a.pdf", ContentType: "application/pdf", Content: pdf}}}}}
	plain, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	sealer := &o2o.Sealer{Key: key, Cert: certA[0], Profile: o2o.DIGGProfile(), Now: time.Now}
	sealed, err := sealer.Seal(plain, certB[0], "socialtjansten")
	if err != nil {
		t.Fatal(err)
	}
	// Kommun B's client cannot send A's sealed XHE (the sender is inside the XHE).
	asB := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": sealed}}}
	if code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokB, "", asB); code < 400 || code >= 500 {
		t.Fatalf("B sent an XHE sealed as A: %d %s", code, b)
	}
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{"sealedXhe": sealed, "sender": DemoParticipantA}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", body)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	mailURL := d.SDKAPIBaseURL + "/sdk/mailboxes/socialtjansten/messages/" + id
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, b = call(t, "GET", mailURL, tokB, "text/xml", nil)
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			_, sb := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+id, tokA, "", nil)
			t.Fatalf("not delivered: %d %s; sender: %s", code, b, sb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The XHE carries the message as an element, so its XML declaration does not travel;
	// everything after it is byte-identical.
	if _, rest, ok := bytes.Cut(plain, []byte("?>")); !ok || !bytes.Equal(b, rest) {
		t.Fatal("delivered SDK message differs from what the client sealed")
	}
}

// TestHTTPS serves the shared port over TLS (demo "web" certificate): the token
// endpoint and the SDK API answer over HTTPS, and the engines reach the SMP over it.
func TestHTTPS(t *testing.T) {
	dir := demoCopy(t)
	cfgPath := filepath.Join(dir, DemoConfigFile)
	b, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	raw["web"] = map[string]string{"cert": "pki/web.cert.pem", "key": "pki/web.key.pem"}
	b, _ = json.Marshal(raw)
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, dir)
	d := s.Description()
	if !strings.HasPrefix(d.TokenURL, "https://") || !strings.HasPrefix(d.SMPURL, "https://") {
		t.Fatalf("%+v", d)
	}
	prev := apiClient
	apiClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: loadPKI(t, dir).pool("tls-ca"), MinVersion: tls.VersionTLS12}}}
	t.Cleanup(func() { apiClient = prev })
	tokA := token(t, d, 0)
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": true, "label": "Över HTTPS", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "byggnadsnamnden"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"x"}}}}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", body)
	if code != http.StatusCreated {
		t.Fatalf("send over https: %d %s", code, b)
	}
}

// apiClient is the client of the shared port (TestHTTPS swaps in one that trusts the
// demo TLS CA; tests using it do not run in parallel).
var apiClient = &http.Client{Timeout: 10 * time.Second}

// recorder keeps the first AS4 message a tenant posts.
type recorder struct {
	msh.Transport
	mu      sync.Mutex
	url, ct string
	body    []byte
}

func (r *recorder) Post(ctx context.Context, u, ct string, body io.Reader) (string, []byte, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", nil, err
	}
	r.mu.Lock()
	if r.body == nil {
		r.url, r.ct, r.body = u, ct, b
	}
	r.mu.Unlock()
	return r.Transport.Post(ctx, u, ct, bytes.NewReader(b))
}

// TestDuplicateOverTLS: the same AS4 message posted again over mutual TLS is answered
// with a receipt again and delivered once.
func TestDuplicateOverTLS(t *testing.T) {
	dir := demoCopy(t)
	rec := &recorder{}
	s := startWith(t, dir, Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t),
		WrapTransport: func(tenant string, tr msh.Transport) msh.Transport {
			if tenant == "kommun-a" {
				rec.Transport = tr
				return rec
			}
			return tr
		}})
	d := s.Description()
	tokA, tokB := token(t, d, 0), token(t, d, 1)
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Dubblett", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "socialtjansten"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"en gång"}}}}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	listURL := d.SDKAPIBaseURL + "/sdk/mailboxes/socialtjansten/messages"
	count := func() int {
		code, b := call(t, "GET", listURL, tokB, "", nil)
		var doc sdkapi.Document[[]sdkapi.Resource]
		if code != 200 || json.Unmarshal(b, &doc) != nil {
			t.Fatalf("list: %d %s", code, b)
		}
		return len(doc.Data)
	}
	deadline := time.Now().Add(20 * time.Second)
	for count() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("not delivered")
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec.mu.Lock()
	u, ct, first := rec.url, rec.ct, rec.body
	rec.mu.Unlock()
	if u != d.Tenants[1].AS4EndpointURL {
		t.Fatalf("recorded %q", u)
	}
	res, err := dns.New(d.DNSServer)
	if err != nil {
		t.Fatal(err)
	}
	pki := loadPKI(t, dir)
	tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: pki.pair("tls-a"), Roots: pki.pool("tls-ca"), DialContext: res.DialContext, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdle()
	rct, receipt, err := tr.Post(context.Background(), u, ct, bytes.NewReader(first))
	if err != nil || !strings.Contains(rct, "soap+xml") || !bytes.Contains(receipt, []byte("Receipt")) || bytes.Contains(receipt, []byte("EBMS:")) {
		t.Fatalf("second post: %v %q %.300s", err, rct, receipt)
	}
	time.Sleep(300 * time.Millisecond) // a second delivery, if any, would be done by now
	if n := count(); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
}

// flaky fails the first n posts as an AP that is down would (no answer).
type flaky struct {
	msh.Transport
	mu sync.Mutex
	n  int
}

func (f *flaky) Post(ctx context.Context, u, ct string, body io.Reader) (string, []byte, error) {
	f.mu.Lock()
	down := f.n > 0
	f.n--
	f.mu.Unlock()
	if down {
		return "", nil, errors.New("test: connection refused")
	}
	return f.Transport.Post(ctx, u, ct, body)
}

// TestRecoversWithinRetryWindow: B's AP is unreachable for the first two attempts; the
// PMode retries carry the message through and it is ACCEPTED.
func TestRecoversWithinRetryWindow(t *testing.T) {
	dir := demoCopy(t)
	fl := &flaky{n: 2}
	s := startWith(t, dir, Options{PollInterval: 10 * time.Millisecond, Logger: testLogger(t),
		Retry: &msh.RetryPolicy{Timeout: 900 * time.Millisecond, Retries: 3, Strategy: msh.RetryConstant},
		WrapTransport: func(tenant string, tr msh.Transport) msh.Transport {
			if tenant == "kommun-a" {
				fl.Transport = tr
				return fl
			}
			return tr
		}})
	d := s.Description()
	tokA := token(t, d, 0)
	send := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Igen", "sender": DemoParticipantA, "recipient": DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"x"}}}}}}
	code, b := call(t, "POST", d.SDKAPIBaseURL+"/sdk/messages", tokA, "", send)
	if code != http.StatusCreated {
		t.Fatalf("send: %d %s", code, b)
	}
	var doc sdkapi.Document[sdkapi.Resource]
	_ = json.Unmarshal(b, &doc)
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, b = call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages/"+doc.Data.ID, tokA, "", nil)
		var got sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &got)
		if st := got.Data.Attributes.MessageStatus; st == "ACCEPTED" {
			if n := bytes.Count(b, []byte(`"SCHEDULED_FOR_RESEND"`)); n != 2 {
				t.Errorf("resends: %d in %s", n, b)
			}
			return
		} else if st == "MESSAGE_EXCHANGE_ERROR" || time.Now().After(deadline) {
			t.Fatalf("status %s: %s", st, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
