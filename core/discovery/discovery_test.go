package discovery_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/demopki"
)

type fakeDNS struct {
	mu    sync.Mutex
	naptr map[string][]bdxl.NAPTR
	n     int
}

func (f *fakeDNS) LookupNAPTR(_ context.Context, name string) ([]bdxl.NAPTR, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if r, ok := f.naptr[name]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("fake: %w", bdxl.ErrNotFound)
}

func (f *fakeDNS) LookupCNAME(context.Context, string) (string, error) {
	return "", fmt.Errorf("fake: %w", bdxl.ErrNotFound)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestDNSCaching checks the SML answer cache and its negative entries on an injected
// clock (the end-to-end tests against a real DNS server are in infra/dns).
func TestDNSCaching(t *testing.T) {
	pki := demopki.ForTest(t)
	st := smptest.NewMemory()
	ts := httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + ts.Listener.Addr().String() + "/")
	leaf := pki.Leaf("smp")
	srv, err := smp.NewServer(smp.ServerOptions{Store: st, BaseURL: base, AdminToken: "t",
		Signer: smp.Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}}})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = srv
	ts.Start()
	defer ts.Close()
	p, _ := smp.ParseParticipant("0203:a.se")
	doc, _ := smp.ParseDocument(smp.DocumentSDKMessage)
	st.Put(context.Background(), &smp.Registration{Participant: p, Services: []smp.Service{{Document: doc,
		Process:   smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
		Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap.example/as4", CertificateDER: pki.Leaf("ap-a").Cert.Raw}}}}})

	cfg := bdxl.Config{Zone: "z.test"}
	name, _ := cfg.Name(p.Scheme, p.Value)
	dns := &fakeDNS{naptr: map[string][]bdxl.NAPTR{name: {{Flags: "U", Service: bdxl.ServiceMetaSMP, Regexp: "!^.*$!" + base.String() + "!"}}}}
	clk := &clock{t: time.Now()}
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA("smp-ca").Cert.Cert)
	c, _ := smp.NewClient(ts.Client(), smp.ClientOptions{Verify: smp.VerifyOptions{Roots: roots, Now: clk.Now}})
	apRoots := x509.NewCertPool()
	apRoots.AddCert(pki.CA("ap-ca").Cert.Cert)
	d, err := discovery.New(discovery.Options{Locator: bdxl.Locator{Config: cfg, Resolver: dns}, SMP: c, Now: clk.Now, APRoots: apRoots})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r, err := d.Lookup(ctx, p, doc)
	if err != nil || r.EndpointURL != "https://ap.example/as4" || r.APCertificate.Subject.CommonName != "AP0001-BREVDUVA-DEMO" {
		t.Fatalf("lookup %+v %v", r, err)
	}
	d.Lookup(ctx, p, doc)
	if dns.n != 1 {
		t.Errorf("%d DNS queries, want 1 (cached)", dns.n)
	}
	q, _ := smp.ParseParticipant("0203:b.se")
	for i := 0; i < 3; i++ {
		if _, err := d.Lookup(ctx, q, doc); !errors.Is(err, discovery.ErrNotFound) || !errors.Is(err, bdxl.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	}
	if dns.n != 2 {
		t.Errorf("%d DNS queries, want 2 (negative entry cached)", dns.n)
	}
	clk.add(2 * time.Minute)
	d.Lookup(ctx, q, doc)
	if dns.n != 3 {
		t.Errorf("%d DNS queries after the negative TTL, want 3", dns.n)
	}
	// An AP certificate outside the AP CA is untrusted.
	d2, _ := discovery.New(discovery.Options{Locator: bdxl.Locator{Config: cfg, Resolver: dns}, SMP: c, Now: clk.Now, APRoots: roots})
	if _, err := d2.Lookup(ctx, p, doc); !errors.Is(err, discovery.ErrUntrusted) {
		t.Errorf("untrusted AP: %v", err)
	}
	// After the AP certificate expires, no endpoint certificate is trusted either.
	clk.add(demopki.TestNotAfter.Sub(clk.Now()) + time.Hour)
	if _, err := d.Lookup(ctx, p, doc); err == nil {
		t.Error("lookup succeeded with expired certificates")
	}
	if _, err := discovery.New(discovery.Options{}); err == nil {
		t.Error("New accepted empty options")
	}
}
