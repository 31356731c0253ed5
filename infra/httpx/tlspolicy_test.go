package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseTLSPolicy(t *testing.T) {
	p, err := ParseTLSPolicy("1.3", []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
	if err != nil || p.MinVersion != tls.VersionTLS13 || !slices.Equal(p.CipherSuites, []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}) {
		t.Fatalf("%+v %v", p, err)
	}
	// Without an HTTP/2 suite net/http's ServeTLS fails at start.
	if _, err := ParseTLSPolicy("", []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}); err == nil {
		t.Fatal("a suite list without the HTTP/2 suite was accepted")
	}
	if p, err := ParseTLSPolicy("", nil); err != nil || p.MinVersion != 0 || p.CipherSuites != nil {
		t.Fatalf("empty: %+v %v", p, err)
	}
	for name, c := range map[string]struct {
		v string
		s []string
	}{
		"TLS 1.1":         {"1.1", nil},
		"TLS 1.0":         {"1.0", nil},
		"RSA kex, CBC":    {"", []string{"TLS_RSA_WITH_AES_128_CBC_SHA"}},
		"RC4":             {"", []string{"TLS_ECDHE_RSA_WITH_RC4_128_SHA"}},
		"TLS 1.3 suite":   {"", []string{"TLS_AES_128_GCM_SHA256"}},
		"unknown suite":   {"", []string{"TLS_NOPE"}},
		"unknown version": {"2", nil},
	} {
		if _, err := ParseTLSPolicy(c.v, c.s); !errors.Is(err, ErrWeakTLS) {
			t.Errorf("%s: %v", name, err)
		}
	}
	c := TLSPolicy{}.Apply(&tls.Config{})
	if c.MinVersion != MinVersion || !slices.Equal(c.CipherSuites, CipherSuites) {
		t.Fatalf("zero policy: %x %v", c.MinVersion, c.CipherSuites)
	}
}

// TestTLSPolicyHandshake: a server narrowed to TLS 1.3 refuses a client that speaks at
// most TLS 1.2; a Transport narrowed to TLS 1.3 cannot reach a server that speaks at most
// TLS 1.2, which a default Transport reaches (control).
func TestTLSPolicyHandshake(t *testing.T) {
	f := start(t, 1<<20)
	TLSPolicy{MinVersion: tls.VersionTLS13}.Apply(f.srv.TLS)
	client := pair(f.pki.Leaf("tls-a"))
	old := TLSPolicy{}.Apply(&tls.Config{Certificates: []tls.Certificate{client}, RootCAs: f.roots, ServerName: "localhost", MaxVersion: tls.VersionTLS12})
	if _, err := tls.Dial("tcp", f.srv.Listener.Addr().String(), old); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.2 client against a 1.3-only server: %v", err)
	}

	g := start(t, 1<<20)
	g.srv.TLS.MaxVersion = tls.VersionTLS12
	post := func(p TLSPolicy) error {
		tr, err := NewTransport(TransportOptions{Cert: client, Roots: g.roots, DialContext: dialLoopback, TLS: p})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.CloseIdle()
		_, _, err = tr.Post(context.Background(), g.url, "application/soap+xml", strings.NewReader("<env/>"))
		return err
	}
	if err := post(TLSPolicy{MinVersion: tls.VersionTLS13}); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.3-only transport against a 1.2 server: %v", err)
	}
	if err := post(TLSPolicy{}); err != nil {
		t.Fatalf("default transport against a 1.2 server: %v", err)
	}
	<-g.got
}
