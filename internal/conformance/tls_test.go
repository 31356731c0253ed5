package conformance

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/infra/httpx"
	"github.com/brevduva/brevduva/internal/localsys"
)

// TLS assertions against Kommun B's AS4 endpoint (the local server's TLS configuration,
// infra/httpx.ServerTLS).

// handshake dials B's AS4 endpoint with cfg and returns the connection state.
func handshake(t *testing.T, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	_, host := endpointB(t)
	return handshakeTo(t, host, sut.res.DialContext, cfg)
}

// handshakeTo dials host ("name:port") through dial with cfg and returns the connection state.
func handshakeTo(t *testing.T, host string, dial func(ctx context.Context, network, addr string) (net.Conn, error), cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	raw, err := dial(ctx, "tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	name, _, _ := net.SplitHostPort(host)
	cfg.ServerName = name
	c := tls.Client(raw, cfg)
	defer c.Close()
	if err := c.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, err
	}
	// With TLS 1.3 the server checks the client certificate after the client's Finished:
	// a round trip makes a refusal visible.
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: " + name + "\r\nConnection: close\r\n\r\n")); err != nil {
		return tls.ConnectionState{}, err
	}
	buf := make([]byte, 12)
	if _, err := c.Read(buf); err != nil {
		return tls.ConnectionState{}, err
	}
	return c.ConnectionState(), nil
}

// TA40: TLS 1.0 and 1.1 are refused; TLS 1.2 is accepted.
func TestAS4_CP_TA40_OldTLSRefused(t *testing.T) {
	system(t)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := clientTLS(t)
		cfg.MinVersion, cfg.MaxVersion = v, v
		st, err := handshake(t, cfg)
		if err == nil {
			t.Errorf("%s accepted (negotiated %s)", tls.VersionName(v), tls.VersionName(st.Version))
		} else if !strings.Contains(err.Error(), "protocol version") {
			t.Errorf("%s refused for another reason: %v", tls.VersionName(v), err)
		}
	}
	cfg := clientTLS(t)
	cfg.MaxVersion = tls.VersionTLS12
	if st, err := handshake(t, cfg); err != nil || st.Version != tls.VersionTLS12 {
		t.Fatalf("TLS 1.2: %v", err)
	}
}

// TA42: a TLS 1.2 cipher suite outside the list (RSA key exchange, CBC) is refused.
func TestAS4_CP_TA42_UnlistedCipherRefused(t *testing.T) {
	system(t)
	for _, cs := range []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256} {
		cfg := clientTLS(t)
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{cs}
		st, err := handshake(t, cfg)
		if err == nil {
			t.Errorf("%s accepted (negotiated %s)", tls.CipherSuiteName(cs), tls.CipherSuiteName(st.CipherSuite))
		} else if !strings.Contains(err.Error(), "handshake failure") {
			t.Errorf("%s refused for another reason: %v", tls.CipherSuiteName(cs), err)
		}
	}
}

// TA43: every listed suite is accepted, and the negotiated suite gives forward secrecy
// (ECDHE in TLS 1.2; TLS 1.3 is always (EC)DHE).
func TestAS4_CP_TA43_ListedCipherAccepted(t *testing.T) {
	system(t)
	for _, cs := range httpx.CipherSuites {
		if strings.Contains(tls.CipherSuiteName(cs), "ECDSA") {
			continue // the demo server certificate is RSA
		}
		cfg := clientTLS(t)
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{cs}
		st, err := handshake(t, cfg)
		if err != nil || st.CipherSuite != cs {
			t.Errorf("%s: %v", tls.CipherSuiteName(cs), err)
		}
	}
	// A default client: the server's choice is forward secret.
	st, err := handshake(t, clientTLS(t))
	if err != nil {
		t.Fatal(err)
	}
	if st.Version < tls.VersionTLS13 && !slices.Contains(httpx.CipherSuites, st.CipherSuite) {
		t.Fatalf("negotiated %s %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	}
}

// DS_TA01: the sending AP finds the receiver through SML/BDXL and SMP and posts to the
// endpoint the SMP publishes.
func TestAS4_DS_TA01_SMPDiscovery(t *testing.T) {
	id, _ := sent(t)
	p, ok := sut.rec.sentWith(id)
	if !ok || p.url != sut.d.Tenants[1].AS4EndpointURL {
		t.Fatalf("posted to %q, SMP publishes %q", p.url, sut.d.Tenants[1].AS4EndpointURL)
	}
}

// DS_TA02: an AP certificate in the SMP that does not chain to the AP CA is detected
// and nothing is sent (the test bed's participant with a wrong AS4 certificate).
func TestAS4_DS_TA02_WrongCertificateDetected(t *testing.T) {
	system(t)
	body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
		"confidentiality": false, "label": "Fel certifikat", "sender": localsys.DemoParticipantA, "recipient": localsys.TestWrongAS4,
		"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
		"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"x"}}}}}}
	code, b := api(t, "POST", "/sdk/messages", token(t, 0), "", body)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(b), "untrusted access point") {
		t.Fatalf("%d %s", code, b)
	}
}
