package conformance

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/sdkapi"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/localsys"
)

// sut is the system under test, started once for the package: the local system with
// its two demo tenants and test bed.
var sut struct {
	sys  *localsys.System
	d    localsys.Description
	pki  string
	res  *dns.Resolver
	rec  *recorder
	once sync.Once
	err  error
}

var sutDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "brevduva-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sutDir = dir
	code := m.Run()
	if sut.sys != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := sut.sys.Shutdown(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "shutdown:", err)
			code = 1
		}
		cancel()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// system starts the local system on first use.
func system(t *testing.T) {
	t.Helper()
	sut.once.Do(func() {
		dir := sutDir
		if _, _, err := localsys.InitDemo(dir, localsys.DemoOptions{FreePorts: true}); err != nil {
			sut.err = err
			return
		}
		cfg, err := localsys.LoadConfig(filepath.Join(dir, localsys.DemoConfigFile))
		if err != nil {
			sut.err = err
			return
		}
		if sut.err = addO2OTestBed(dir, cfg); sut.err != nil {
			return
		}
		sut.rec = &recorder{}
		sut.sys, sut.err = localsys.Start(cfg, localsys.Options{PollInterval: 20 * time.Millisecond,
			Retry: &msh.RetryPolicy{Timeout: 300 * time.Millisecond, Retries: 1, Strategy: msh.RetryConstant},
			WrapTransport: func(tenant string, tr msh.Transport) msh.Transport {
				if tenant == "kommun-a" {
					sut.rec.Transport = tr
					return sut.rec
				}
				return tr
			}})
		if sut.err != nil {
			return
		}
		sut.d = sut.sys.Description()
		sut.pki = filepath.Join(dir, "pki")
		sut.res, sut.err = dns.New(sut.d.DNSServer)
	})
	if sut.err != nil {
		t.Fatal(sut.err)
	}
}

// recorder keeps every AS4 message Kommun A's AP posts. A message whose body holds a
// key of answer is not forwarded: answer makes up B's response (attack tests).
type recorder struct {
	msh.Transport
	mu     sync.Mutex
	sent   []posted
	answer map[string]func(sent posted) (string, []byte)
}

// answerFor makes the recorder answer every post that holds id with f.
func (r *recorder) answerFor(id string, f func(sent posted) (string, []byte)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answer == nil {
		r.answer = map[string]func(posted) (string, []byte){}
	}
	r.answer[id] = f
}

type posted struct {
	url, ct string
	body    []byte
}

func (r *recorder) Post(ctx context.Context, u, ct string, body io.Reader) (string, []byte, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", nil, err
	}
	p := posted{u, ct, b}
	r.mu.Lock()
	r.sent = append(r.sent, p)
	var answer func(posted) (string, []byte)
	for id, f := range r.answer {
		if bytes.Contains(b, []byte(id)) {
			answer = f
		}
	}
	r.mu.Unlock()
	if answer != nil {
		rct, rbody := answer(p)
		return rct, rbody, nil
	}
	return r.Transport.Post(ctx, u, ct, bytes.NewReader(b))
}

// sentWith returns the recorded AS4 message of A whose body contains s.
func (r *recorder) sentWith(s string) (posted, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.sent {
		if bytes.Contains(p.body, []byte(s)) {
			return p, true
		}
	}
	return posted{}, false
}

func leaf(t *testing.T, name string) *demopki.Cert {
	t.Helper()
	k, err := demopki.LoadKey(filepath.Join(sut.pki, name+".key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := demopki.LoadCerts(filepath.Join(sut.pki, name+".cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	return &demopki.Cert{Name: name, Key: k, Cert: cs[0]}
}

func pool(t *testing.T, ca string) *x509.CertPool {
	t.Helper()
	cs, err := demopki.LoadCerts(filepath.Join(sut.pki, ca+".ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// clientTLS is the test driver's TLS client configuration: Kommun A's TLS certificate
// and the demo TLS CA, through httpx.ClientTLS unless cfg is changed by the caller.
func clientTLS(t *testing.T) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(sut.pki, "tls-a.cert.pem"), filepath.Join(sut.pki, "tls-a.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := httpx.ClientTLS(pair, pool(t, "tls-ca"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// endpointB is Kommun B's AS4 endpoint URL and its dialable host:port.
func endpointB(t *testing.T) (string, string) {
	t.Helper()
	u, err := url.Parse(sut.d.Tenants[1].AS4EndpointURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.String(), u.Host
}

// post sends an AS4 message to Kommun B's AP over mutual TLS and returns the HTTP answer.
func post(t *testing.T, ct string, body []byte) (int, string, []byte) {
	t.Helper()
	u, _ := endpointB(t)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: clientTLS(t), DialContext: sut.res.DialContext}}
	defer c.CloseIdleConnections()
	resp, err := c.Post(u, ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

var idSeq struct {
	mu sync.Mutex
	n  int
}

// newID is a fresh SDK/AS4 message id (a UUID shape, unique per run).
func newID() string {
	idSeq.mu.Lock()
	idSeq.n++
	n := idSeq.n
	idSeq.mu.Unlock()
	return fmt.Sprintf("%08x-c0f0-4a11-8e57-%012d", uint32(time.Now().Unix()), n)
}

// message is one test message from A's AP to B's: the SDK message, its sealed XHE
// and the AS4 user message that carries it.
type message struct {
	id       string
	fn       string
	plain    []byte
	um       *ebms.UserMessage
	payloads []as4.Payload
	packer   *as4.Packer
}

// newMessage builds a valid message for B's function address fn, as A's engine would.
func newMessage(t *testing.T, fn string) *message {
	t.Helper()
	return newMessageFrom(t, fn, localsys.DemoParticipantA, leaf(t, "org-a"))
}

// newMessageFrom is newMessage from another sender participant, sealed with org (the
// key whose certificate CertPub should hold for sender), still sent by A's AP.
func newMessageFrom(t *testing.T, fn, sender string, orgA *demopki.Cert) *message {
	t.Helper()
	id := newID()
	orgB, apA, apB := leaf(t, "org-b"), leaf(t, "ap-a"), leaf(t, "ap-b")
	m := &sdkmsg.Message{CreationDateTime: sdkmsg.FormatTime(time.Now()), MessageID: id, ConversationID: id, Label: "Konformans",
		Sender:    sdkmsg.Party{ID: sender},
		Recipient: sdkmsg.Party{ID: localsys.DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: fn}},
		Documents: []sdkmsg.Document{{DocumentID: "d1", Index: "1", Files: []sdkmsg.File{{FileName: "a.txt", ContentType: "text/plain", Content: []byte("konformans " + id)}}}}}
	plain, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	sealer := &o2o.Sealer{Key: orgA.Key, Cert: orgA.Cert, Profile: o2o.DIGGProfile(), Now: time.Now}
	x, err := sealer.Seal(plain, orgB.Cert, fn)
	if err != nil {
		t.Fatal(err)
	}
	leg := pmode.SDKMessageLeg()
	um := leg.UserMessage(sut.d.Tenants[0].APPartyID, sut.d.Tenants[1].APPartyID, id, sender, localsys.DemoParticipantB)
	um.Info.MessageID = id
	return &message{id: id, fn: fn, plain: plain, um: um,
		payloads: []as4.Payload{{ContentID: leg.PayloadCID, MimeType: leg.PayloadMimeType, Data: x}},
		packer:   &as4.Packer{Profile: pmode.EDelivery115(), Sender: as4.Sender{Key: apA.Key, Cert: apA.Cert}, Recipient: apB.Cert, Now: time.Now}}
}

// pack packs m (after any change the test made to it).
func (m *message) pack(t *testing.T) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	ct, _, err := m.packer.Pack(&buf, m.um, m.payloads)
	if err != nil {
		t.Fatal(err)
	}
	return ct, buf.Bytes()
}

// isReceipt reports whether an answer is an ebMS receipt with non-repudiation information.
func isReceipt(b []byte) bool {
	return bytes.Contains(b, []byte("Receipt")) && bytes.Contains(b, []byte("NonRepudiationInformation")) && !bytes.Contains(b, []byte("errorCode"))
}

// ebmsError returns the errorCode of an ebMS error signal, or "".
func ebmsError(b []byte) string {
	_, rest, ok := bytes.Cut(b, []byte(`errorCode="`))
	if !ok {
		return ""
	}
	code, _, _ := bytes.Cut(rest, []byte(`"`))
	return string(code)
}

func token(t *testing.T, tenant int) string {
	t.Helper()
	ti := sut.d.Tenants[tenant]
	return tokenFor(t, ti.TokenURL, ti.ClientID, ti.ClientSecret)
}

// tokenFor is an access token of an OAuth client (client credentials grant).
func tokenFor(t *testing.T, tokenURL, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	return tr.AccessToken
}

// api makes one SDK API call.
func api(t *testing.T, method, path, tok, accept string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, sut.d.SDKAPIBaseURL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", sdkapi.MediaType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// mailCount is how many times id sits in B's mailbox fn.
func mailCount(t *testing.T, fn, id string) int {
	t.Helper()
	code, b := api(t, "GET", "/sdk/mailboxes/"+fn+"/messages?page%5Bsize%5D=100", token(t, 1), "", nil)
	var doc sdkapi.Document[[]sdkapi.Resource]
	if code != 200 || json.Unmarshal(b, &doc) != nil {
		t.Fatalf("mailbox: %d %s", code, b)
	}
	n := 0
	for _, r := range doc.Data {
		if r.ID == id {
			n++
		}
	}
	return n
}

// waitMail waits until id is in B's mailbox fn and returns the stored SDK message.
func waitMail(t *testing.T, fn, id string) []byte {
	t.Helper()
	tok := token(t, 1)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, b := api(t, "GET", "/sdk/mailboxes/"+fn+"/messages/"+url.PathEscape(id), tok, "text/xml", nil)
		if code == 200 {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not delivered: %d %s", id, code, b)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// sendFromA submits an SDK message through A's SDK API and returns its id once A's AP
// has posted it (recorded).
func sendFromA(t *testing.T, fn string) (string, posted) {
	t.Helper()
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Konformans", "sender": localsys.DemoParticipantA, "recipient": localsys.DemoParticipantB,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": fn}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"konformans"}}}}}}
	code, b := api(t, "POST", "/sdk/messages", token(t, 0), "", body)
	if code != http.StatusCreated {
		t.Fatalf("submit: %d %s", code, b)
	}
	var doc sdkapi.Document[sdkapi.Resource]
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	id := doc.Data.ID
	deadline := time.Now().Add(20 * time.Second)
	for {
		if p, ok := sut.rec.sentWith(id); ok {
			return id, p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: A's AP posted nothing", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	sentOnce sync.Once
	sentMsg  struct {
		id string
		w  *wire
	}
)

// waitStatus waits until A's message id has status.
func waitStatus(t *testing.T, id, status string) {
	t.Helper()
	tok := token(t, 0)
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, b := api(t, "GET", "/sdk/messages/"+url.PathEscape(id), tok, "", nil)
		var doc sdkapi.Document[sdkapi.Resource]
		_ = json.Unmarshal(b, &doc)
		if doc.Data.Attributes.MessageStatus == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s: %d %s", id, status, code, b)
		}
		time.Sleep(30 * time.Millisecond)
	}
}
