package conformance

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/internal/localsys"
)

// auxHandshake dials B's AS4 endpoint of an auxiliary system (it listens on 127.0.0.1)
// with cfg, checking the certificate for the endpoint's host name.
func auxHandshake(t *testing.T, a *auxSystem, cfg *tls.Config) (tls.ConnectionState, error) {
	t.Helper()
	u, err := url.Parse(a.d.Tenants[1].AS4EndpointURL)
	if err != nil {
		t.Fatal(err)
	}
	loopback := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", u.Port()))
	}
	return handshakeTo(t, u.Host, loopback, cfg)
}

// TA39: the TLS parameters are configuration (config.json "tls": minVersion and
// cipherSuites, applied to every AS4 endpoint and client; defaults ⚠U spec-facts §k 20).
// A system configured for TLS 1.3 only refuses a TLS 1.2 client that the default system
// accepts (TA40), and takes TLS 1.3; a system configured with one TLS 1.2 suite refuses
// another listed suite and takes its own. A configuration that would weaken the
// defaults (TLS 1.1, an insecure suite) does not load.
func TestAS4_CP_TA39_TLSParametersConfigurable(t *testing.T) {
	tls12 := func(suites ...uint16) *tls.Config {
		cfg := clientTLS(t)
		cfg.MaxVersion = tls.VersionTLS12
		if suites != nil {
			cfg.CipherSuites = suites
		}
		return cfg
	}
	only13 := startAux(t, func(c *localsys.Config) { c.TLS = localsys.TLSSettings{MinVersion: "1.3"} }, localsys.Options{})
	if _, err := auxHandshake(t, only13, tls12()); err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Fatalf("TLS 1.2 client against a TLS 1.3-only system: %v", err)
	}
	if st, err := auxHandshake(t, only13, clientTLS(t)); err != nil || st.Version != tls.VersionTLS13 {
		t.Fatalf("TLS 1.3 client: %v", err)
	}
	if st, err := handshake(t, tls12()); err != nil || st.Version != tls.VersionTLS12 {
		t.Fatalf("the default system refuses TLS 1.2: %v", err)
	}

	one := startAux(t, func(c *localsys.Config) {
		c.TLS = localsys.TLSSettings{CipherSuites: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}
	}, localsys.Options{})
	if _, err := auxHandshake(t, one, tls12(tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384)); err == nil {
		t.Fatal("a suite outside the configured one was accepted")
	}
	if st, err := auxHandshake(t, one, tls12(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)); err != nil || st.CipherSuite != tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 {
		t.Fatalf("the configured suite: %v", err)
	}

	for _, bad := range []localsys.TLSSettings{{MinVersion: "1.1"}, {CipherSuites: []string{"TLS_RSA_WITH_AES_128_CBC_SHA"}},
		{CipherSuites: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"}}} {
		c := &localsys.Config{TLS: bad}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "tls") {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}
