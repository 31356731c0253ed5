package httpx

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/internal/demopki"
)

func pair(c *demopki.Cert) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// fixture is an AS4 endpoint over mTLS on 127.0.0.1 with the demo TLS CA.
type fixture struct {
	srv   *httptest.Server
	url   string
	roots *x509.CertPool
	pki   *demopki.Set
	got   chan []byte
}

func start(t *testing.T, maxBytes int64) *fixture {
	t.Helper()
	pki := demopki.ForTest(t)
	ca := pki.CA("tls-ca").Cert.Cert
	f := &fixture{pki: pki, roots: pool(ca), got: make(chan []byte, 4)}
	h, err := NewAS4Handler(AS4Options{MaxBytes: maxBytes, Receive: func(ctx context.Context, ct string, body io.Reader) (Response, error) {
		b, err := io.ReadAll(body)
		if err != nil {
			return Response{}, err
		}
		f.got <- b
		return Response{Status: 200, ContentType: "application/soap+xml", Body: []byte("<receipt/>")}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewUnstartedServer(h)
	cfg, err := ServerTLS(pair(pki.Leaf("tls-b")), pool(ca))
	if err != nil {
		t.Fatal(err)
	}
	f.srv.TLS = cfg
	f.srv.Config.ErrorLog = nil
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	f.url = "https://localhost:" + strings.Split(f.srv.Listener.Addr().String(), ":")[1] + "/as4"
	return f
}

// dialLoopback sends every "localhost" connection to 127.0.0.1 (the listener's address).
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, _ := net.SplitHostPort(addr)
	return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, "tcp4", "127.0.0.1:"+port)
}

func (f *fixture) transport(t *testing.T, cert tls.Certificate) *Transport {
	t.Helper()
	tr, err := NewTransport(TransportOptions{Cert: cert, Roots: f.roots, Timeout: 5 * time.Second, DialContext: dialLoopback})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.CloseIdle)
	return tr
}

func TestMutualTLSPost(t *testing.T) {
	f := start(t, 1<<20)
	tr := f.transport(t, pair(f.pki.Leaf("tls-a")))
	ct, body, err := tr.Post(context.Background(), f.url, "application/soap+xml", strings.NewReader("<env/>"))
	if err != nil {
		t.Fatal(err)
	}
	if ct != "application/soap+xml" || string(body) != "<receipt/>" {
		t.Fatalf("got %q %q", ct, body)
	}
	if got := <-f.got; string(got) != "<env/>" {
		t.Fatalf("server got %q", got)
	}
}

func TestClientWithoutCertificateRefused(t *testing.T) {
	f := start(t, 1<<20)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialLoopback,
		TLSClientConfig: &tls.Config{RootCAs: f.roots, MinVersion: tls.VersionTLS12}}}
	resp, err := c.Post(f.url, "application/soap+xml", strings.NewReader("<env/>"))
	if err == nil {
		resp.Body.Close()
		t.Fatal("a client without a certificate was served")
	}
	if len(f.got) != 0 {
		t.Fatal("the handler ran")
	}
}

func TestWrongCAClientRefused(t *testing.T) {
	f := start(t, 1<<20)
	rogue, err := demopki.NewCA("Rogue TLS CA", demopki.Options{Kind: demopki.Ed25519})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := rogue.Issue("ap-x.localhost", demopki.Options{Kind: demopki.Ed25519, DNSNames: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := f.transport(t, pair(leaf))
	if _, _, err := tr.Post(context.Background(), f.url, "application/soap+xml", strings.NewReader("<env/>")); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
	// The client also refuses a server whose certificate is outside its roots.
	tr2, err := NewTransport(TransportOptions{Cert: pair(f.pki.Leaf("tls-a")), Roots: pool(rogue.Cert.Cert), DialContext: dialLoopback})
	if err != nil {
		t.Fatal(err)
	}
	var uerr x509.UnknownAuthorityError
	if _, _, err := tr2.Post(context.Background(), f.url, "application/soap+xml", strings.NewReader("<env/>")); !errors.As(err, &uerr) {
		t.Fatalf("server outside the roots: got %v", err)
	}
	if len(f.got) != 0 {
		t.Fatal("the handler ran")
	}
}

func TestOldTLSVersionsRefused(t *testing.T) {
	f := start(t, 1<<20)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialLoopback,
			TLSClientConfig: &tls.Config{RootCAs: f.roots, MinVersion: v, MaxVersion: v,
				Certificates: []tls.Certificate{pair(f.pki.Leaf("tls-a"))}}}}
		resp, err := c.Post(f.url, "application/soap+xml", strings.NewReader("<env/>"))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("TLS version %x accepted", v)
		}
	}
	// A TLS 1.2 client limited to a non-ECDHE suite is refused too.
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialLoopback,
		TLSClientConfig: &tls.Config{RootCAs: f.roots, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256},
			Certificates: []tls.Certificate{pair(f.pki.Leaf("tls-a"))}}}}
	if resp, err := c.Post(f.url, "application/soap+xml", strings.NewReader("<env/>")); err == nil {
		resp.Body.Close()
		t.Fatal("RSA key exchange accepted")
	}
	if len(f.got) != 0 {
		t.Fatal("the handler ran")
	}
}

func TestHandlerChecks(t *testing.T) {
	f := start(t, 100)
	tr := f.transport(t, pair(f.pki.Leaf("tls-a")))
	ctx := context.Background()

	// Too large, with a Content-Length: 413 and an ebMS error, the engine never called.
	ct, body, err := tr.Post(ctx, f.url, "application/soap+xml", bytes.NewReader(make([]byte, 101)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "EBMS:0004") || !strings.Contains(string(body), "message too large") || !strings.HasPrefix(ct, "application/soap+xml") {
		t.Fatalf("too large: %s %s", ct, body)
	}
	// Too large, streamed without a length: the same answer.
	_, body, err = tr.Post(ctx, f.url, "application/soap+xml", io.MultiReader(strings.NewReader(strings.Repeat("x", 150))))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), "message too large") {
		t.Fatalf("streamed too large: %s", body)
	}
	// Exactly the cap passes.
	if _, body, err = tr.Post(ctx, f.url, "application/soap+xml", bytes.NewReader(make([]byte, 100))); err != nil || string(body) != "<receipt/>" {
		t.Fatalf("at the cap: %v %s", err, body)
	}
	// Wrong content type: 415 with EBMS:0007.
	if _, body, err = tr.Post(ctx, f.url, "text/plain", strings.NewReader("x")); err != nil || !strings.Contains(string(body), "EBMS:0007") {
		t.Fatalf("content type: %v %s", err, body)
	}
	// GET: 405.
	c := &http.Client{Transport: tr.client.Transport}
	resp, err := c.Get(f.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

func TestResponseCapAndHTTPSOnly(t *testing.T) {
	pki := demopki.ForTest(t)
	ca := pki.CA("tls-ca").Cert.Cert
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(make([]byte, 2048))
	}))
	cfg, _ := ServerTLS(pair(pki.Leaf("tls-b")), pool(ca))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()
	u := "https://localhost:" + strings.Split(srv.Listener.Addr().String(), ":")[1] + "/"
	tr, err := NewTransport(TransportOptions{Cert: pair(pki.Leaf("tls-a")), Roots: pool(ca), MaxResponse: 1024, DialContext: dialLoopback})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdle()
	if _, _, err := tr.Post(context.Background(), u, "application/soap+xml", strings.NewReader("x")); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("got %v", err)
	}
	if _, _, err := tr.Post(context.Background(), "http://127.0.0.1:1/", "application/soap+xml", strings.NewReader("x")); err == nil {
		t.Fatal("plain http accepted")
	}
	if _, err := NewTransport(TransportOptions{}); !errors.Is(err, ErrNoCertificate) {
		t.Fatalf("no cert: %v", err)
	}
}
