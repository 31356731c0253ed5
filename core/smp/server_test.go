package smp_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/demopki"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type counting struct {
	n atomic.Int64
	h smp.Doer
}

func (c *counting) Do(r *http.Request) (*http.Response, error) { c.n.Add(1); return c.h.Do(r) }

const token = "s3cret-token"

type fixture struct {
	srv   *httptest.Server
	base  *url.URL
	roots *x509.CertPool
	clk   *clock
	pki   *demopki.Set
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	pki := demopki.ForTest(t)
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(ts.Close)
	base, _ := url.Parse(ts.URL + "/smp")
	leaf := pki.Leaf("smp")
	s, err := smp.NewServer(smp.ServerOptions{
		Store: smptest.NewMemory(), BaseURL: base, AdminToken: token,
		AdminUser: "admin", AdminPassword: "pw",
		Signer: smp.Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/smp/", s)
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA("smp-ca").Cert.Cert)
	return &fixture{srv: ts, base: base, roots: roots, clk: &clock{t: time.Now()}, pki: pki}
}

func (f *fixture) admin(t *testing.T, method, participant string, body any, auth func(*http.Request)) int {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, f.base.String()+"/admin/participants/"+smp.EscapeSegment(participant), rd)
	if auth != nil {
		auth(req)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func bearer(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }

func (f *fixture) registration() smp.AdminRegistration {
	ap := base64.StdEncoding.EncodeToString(f.pki.Leaf("ap-b").Cert.Raw)
	return smp.AdminRegistration{
		Services: []smp.AdminService{
			{Document: smp.AdminIdentifier{Value: smp.DocumentSDKMessage}, Endpoints: []smp.AdminEndpoint{{URL: "https://ap-b.localhost/as4", Certificate: ap, TechnicalContactURL: "mailto:x@b.se"}}},
			{Document: smp.AdminIdentifier{Value: smp.DocumentSDKReceipt}, Endpoints: []smp.AdminEndpoint{{URL: "https://ap-b.localhost/as4", Certificate: ap}}},
		},
		Certificates: []smp.AdminCertificate{
			{Use: "signing", Certificate: base64.StdEncoding.EncodeToString(f.pki.Leaf("org-b").Cert.Raw)},
			{Use: "encryption", Certificate: base64.StdEncoding.EncodeToString(f.pki.Leaf("org-b").Cert.Raw)},
		},
	}
}

func TestServerClientRoundTrip(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if got := f.admin(t, "PUT", "0203:kommun-b.se", f.registration(), bearer); got != http.StatusNoContent {
		t.Fatalf("admin PUT = %d", got)
	}
	doer := &counting{h: f.srv.Client()}
	c, err := smp.NewClient(doer, smp.ClientOptions{Verify: smp.VerifyOptions{Roots: f.roots, Now: f.clk.Now}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := smp.ParseParticipant("iso6523-actorid-upis::0203:Kommun-B.se") // case-insensitive
	sg, err := c.ServiceGroup(ctx, f.base, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(sg.References) != 2 || !strings.Contains(sg.References[0], "/smp/iso6523-actorid-upis%3A%3A0203%3Akommun-b.se/services/busdox-docid-qns%3A%3Aurn%3Ariv%3Ainfrastructure%3Amessaging%3AMessageWithAttachments%3A3%3A%3AmessagePayload%23%233.0%3A%3Atm-base-ext-sigenc") {
		t.Fatalf("references %v", sg.References)
	}
	doc, _ := smp.ParseDocument(smp.DocumentSDKMessage)
	sm, err := c.ServiceMetadata(ctx, f.base, p, doc)
	if err != nil {
		t.Fatal(err)
	}
	e, err := sm.Metadata.Information.Endpoint(smp.Identifier{}, smp.TransportProfileSDK, f.clk.Now())
	if err != nil || e.URI != "https://ap-b.localhost/as4" {
		t.Fatalf("endpoint %v %v", e, err)
	}
	certs, err := sm.Metadata.Information.CertPub()
	if err != nil || len(certs) != 2 || !certpub.ByUse(certs, certpub.Encryption).Equal(f.pki.Leaf("org-b").Cert) {
		t.Fatalf("certpub %v %v", certs, err)
	}
	if _, err := sm.Metadata.Information.Endpoint(smp.Identifier{}, "other-profile", f.clk.Now()); !errors.Is(err, smp.ErrNoEndpoint) {
		t.Errorf("other profile: %v", err)
	}

	// Cached: no new request until the TTL passes.
	n := doer.n.Load()
	if _, err := c.ServiceMetadata(ctx, f.base, p, doc); err != nil || doer.n.Load() != n {
		t.Fatalf("cached lookup made a request (%d → %d), %v", n, doer.n.Load(), err)
	}
	f.clk.Advance(16 * time.Minute)
	if _, err := c.ServiceMetadata(ctx, f.base, p, doc); err != nil || doer.n.Load() != n+1 {
		t.Fatalf("expired entry not refetched (%d → %d), %v", n, doer.n.Load(), err)
	}

	// Negative caching of not-found.
	q, _ := smp.ParseParticipant("0203:nobody.se")
	for i := 0; i < 3; i++ {
		if _, err := c.ServiceMetadata(ctx, f.base, q, doc); !errors.Is(err, smp.ErrNotFound) {
			t.Fatalf("unknown participant: %v", err)
		}
	}
	if got := doer.n.Load(); got != n+2 {
		t.Fatalf("negative cache: %d requests, want %d", got, n+2)
	}
	f.clk.Advance(2 * time.Minute)
	c.ServiceMetadata(ctx, f.base, q, doc)
	if got := doer.n.Load(); got != n+3 {
		t.Fatalf("negative entry did not expire: %d requests", got)
	}
	// Unknown document of a known participant.
	other, _ := smp.ParseDocument("busdox-docid-qns::urn:x::y")
	if _, err := c.ServiceMetadata(ctx, f.base, p, other); !errors.Is(err, smp.ErrNotFound) {
		t.Errorf("unknown document: %v", err)
	}
}

func TestAdminAPI(t *testing.T) {
	f := newFixture(t)
	reg := f.registration()
	basic := func(r *http.Request) { r.SetBasicAuth("admin", "pw") }
	wrong := func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }
	wrongBasic := func(r *http.Request) { r.SetBasicAuth("admin", "pw2") }
	for _, a := range []func(*http.Request){nil, wrong, wrongBasic} {
		if got := f.admin(t, "PUT", "0203:a.se", reg, a); got != http.StatusUnauthorized {
			t.Errorf("PUT without valid credentials = %d", got)
		}
	}
	if got := f.admin(t, "PUT", "0203:a.se", reg, basic); got != http.StatusNoContent {
		t.Fatalf("PUT basic = %d", got)
	}
	if got := f.admin(t, "GET", "0203:a.se", nil, bearer); got != http.StatusOK {
		t.Errorf("GET = %d", got)
	}
	bad := f.registration()
	bad.Services[0].Endpoints[0].URL = "ftp://x"
	if got := f.admin(t, "PUT", "0203:a.se", bad, bearer); got != http.StatusBadRequest {
		t.Errorf("bad URL = %d", got)
	}
	bad = f.registration()
	bad.Services[0].Endpoints[0].Certificate = "AAAA"
	if got := f.admin(t, "PUT", "0203:a.se", bad, bearer); got != http.StatusBadRequest {
		t.Errorf("bad certificate = %d", got)
	}
	if got := f.admin(t, "PUT", "0203:a.se", map[string]any{"unknown": 1}, bearer); got != http.StatusBadRequest {
		t.Errorf("unknown field = %d", got)
	}
	// Certificates only.
	certs := smp.AdminRegistration{Certificates: reg.Certificates[:1]}
	req, _ := http.NewRequest("PUT", f.base.String()+"/admin/participants/0203%3Aa.se/certificates", bytes.NewReader(must(json.Marshal(certs))))
	bearer(req)
	resp, err := f.srv.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT certificates: %v %v", resp.StatusCode, err)
	}
	if got := f.admin(t, "DELETE", "0203:a.se", nil, bearer); got != http.StatusNoContent {
		t.Errorf("DELETE = %d", got)
	}
	if got := f.admin(t, "DELETE", "0203:a.se", nil, bearer); got != http.StatusNotFound {
		t.Errorf("second DELETE = %d", got)
	}
	// Public side: wrong method, bad path.
	resp, _ = f.srv.Client().Post(f.base.String()+"/0203%3Aa.se", "text/xml", nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST = %d", resp.StatusCode)
	}
	resp, _ = f.srv.Client().Get(f.base.String() + "/a/b/c/d")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("bad path = %d", resp.StatusCode)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func TestClientTimeout(t *testing.T) {
	block := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(block)
	base, _ := url.Parse(ts.URL)
	roots := x509.NewCertPool()
	c, _ := smp.NewClient(ts.Client(), smp.ClientOptions{Timeout: 50 * time.Millisecond, Verify: smp.VerifyOptions{Roots: roots, Now: time.Now}})
	p, _ := smp.ParseParticipant("0203:x.se")
	t0 := time.Now()
	if _, err := c.ServiceGroup(context.Background(), base, p); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if time.Since(t0) > 2*time.Second {
		t.Error("timeout not honoured")
	}
}
