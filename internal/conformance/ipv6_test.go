package conformance

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brevduva/brevduva/infra/dns/dnstest"
	"github.com/brevduva/brevduva/infra/httpx"
)

// TA46: IPv6 → IPv4 fallback. A name with an AAAA record (::1, where nothing listens on
// the endpoint's port) and an A record (127.0.0.1, B's AS4 endpoint) is reached: the AS4
// transport with Go's dialer (what a deployment without the local DNS uses: Happy
// Eyeballs, RFC 8305) tries [::1] first, is refused and falls back to IPv4; the message
// gets its receipt. The DNS is a test server queried through Go's own resolver, so the
// dialer, not our resolver, orders the addresses. Skipped on a machine without ::1.
func TestAS4_CP_TA46_IPv6FallbackToIPv4(t *testing.T) {
	system(t)
	l6, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	l6.Close()
	_, host := endpointB(t)
	name, port, _ := net.SplitHostPort(host)
	if c, err := net.Dial("tcp6", net.JoinHostPort("::1", port)); err == nil {
		c.Close()
		t.Skipf("something listens on [::1]:%s", port)
	}
	srv, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddA(name, netip.MustParseAddr("::1"))
	srv.AddA(name, netip.MustParseAddr("127.0.0.1"))

	var mu sync.Mutex
	var attempts []string
	dialer := &net.Dialer{Timeout: 5 * time.Second,
		Resolver: &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, srv.Addr)
		}},
		Control: func(network, address string, _ syscall.RawConn) error {
			mu.Lock()
			attempts = append(attempts, network+" "+address)
			mu.Unlock()
			return nil
		}}
	cfg := clientTLS(t)
	tr, err := httpx.NewTransport(httpx.TransportOptions{Cert: cfg.Certificates[0], Roots: cfg.RootCAs, DialContext: dialer.DialContext})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.CloseIdle()
	m := newMessage(t, "registrator")
	ct, body := m.pack(t)
	u, _ := endpointB(t)
	_, resp, err := tr.Post(context.Background(), u, ct, bytes.NewReader(body))
	if err != nil || !isReceipt(resp) {
		t.Fatalf("post: %v %q", err, ebmsError(resp))
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"tcp6 " + net.JoinHostPort("::1", port), "tcp4 " + net.JoinHostPort("127.0.0.1", port)}
	if len(attempts) != 2 || attempts[0] != want[0] || attempts[1] != want[1] {
		t.Fatalf("dial attempts %q, want %q", attempts, want)
	}
}
