package dns_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/internal/discoverytest"
)

type countingDoer struct {
	n atomic.Int64
	h *http.Client
}

func (c *countingDoer) Do(r *http.Request) (*http.Response, error) { c.n.Add(1); return c.h.Do(r) }

func newDiscovery(tb testing.TB, env *discoverytest.Env, mode bdxl.Mode, h *http.Client) (*discovery.Discovery, *countingDoer) {
	tb.Helper()
	r, err := dns.New(env.DNS.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	doer := &countingDoer{h: h}
	c, err := smp.NewClient(doer, smp.ClientOptions{Verify: smp.VerifyOptions{Roots: env.SMPRoots, Now: time.Now}})
	if err != nil {
		tb.Fatal(err)
	}
	d, err := discovery.New(discovery.Options{
		Locator: bdxl.Locator{Config: bdxl.Config{Zone: discoverytest.Zone, Mode: mode}, Resolver: r},
		SMP:     c, Now: time.Now, APRoots: env.APRoots,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return d, doer
}

func ids(tb testing.TB, p, d string) (smp.Identifier, smp.Identifier) {
	pi, err := smp.ParseParticipant(p)
	if err != nil {
		tb.Fatal(err)
	}
	di, err := smp.ParseDocument(d)
	if err != nil {
		tb.Fatal(err)
	}
	return pi, di
}

// TestDiscoveryEndToEnd looks participants up through a real DNS server and a real
// HTTP SMP on 127.0.0.1.
func TestDiscoveryEndToEnd(t *testing.T) {
	env := discoverytest.Start(t)
	d, doer := newDiscovery(t, env, bdxl.ModeBDXL, http.DefaultClient)
	ctx := context.Background()

	p, doc := ids(t, "iso6523-actorid-upis::"+discoverytest.Good, smp.DocumentSDKMessage)
	r, err := d.Lookup(ctx, p, doc)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndpointURL != "https://ap-b.localhost:8443/as4" || r.TransportProfile != smp.TransportProfileSDK ||
		r.APCertificate.Subject.CommonName != "AP0002-BREVDUVA-DEMO" || !strings.HasPrefix(r.SMPURL.String(), env.SMPBase.String()) ||
		r.SMPSigner.Subject.CommonName != "smp.brevduva.localhost" {
		t.Fatalf("result %+v", r)
	}
	if r.O2OErr != nil || certpub.ByUse(r.O2O, certpub.Signing).Subject.CommonName != "sdk.kommun-b.localhost" {
		t.Fatalf("o2o %v %v", r.O2O, r.O2OErr)
	}
	// The receipt document type is published too.
	_, rdoc := ids(t, discoverytest.Good, smp.DocumentSDKReceipt)
	if _, err := d.Lookup(ctx, p, rdoc); err != nil {
		t.Errorf("receipt lookup: %v", err)
	}
	// Cached: a second lookup costs neither a DNS query nor an HTTP request.
	q, n := env.DNS.Queries(), doer.n.Load()
	if _, err := d.Lookup(ctx, p, doc); err != nil || env.DNS.Queries() != q || doer.n.Load() != n {
		t.Errorf("cached lookup: err %v, dns %d→%d, http %d→%d", err, q, env.DNS.Queries(), n, doer.n.Load())
	}

	cases := []struct {
		participant, doc string
		want             error
	}{
		{discoverytest.Missing, smp.DocumentSDKMessage, discovery.ErrNotFound},
		{discoverytest.NoSMP, smp.DocumentSDKMessage, discovery.ErrNotFound},
		{discoverytest.NoCertPub, smp.DocumentSDKReceipt, discovery.ErrNotFound},
		{discoverytest.Rogue, smp.DocumentSDKMessage, discovery.ErrBadSignature},
		{discoverytest.OldAP, smp.DocumentSDKMessage, discovery.ErrNoEndpoint},
	}
	for _, tc := range cases {
		p, doc := ids(t, tc.participant, tc.doc)
		_, err := d.Lookup(ctx, p, doc)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.participant, err, tc.want)
		}
	}
	p, doc = ids(t, discoverytest.NoCertPub, smp.DocumentSDKMessage)
	r, err = d.Lookup(ctx, p, doc)
	if err != nil || len(r.O2O) != 0 || !errors.Is(r.O2OErr, smp.ErrNotFound) {
		t.Errorf("no certpub: %v %v %v", err, r.O2O, r.O2OErr)
	}
}

// TestDiscoveryPeppolCNAME follows the PEPPOL CNAME form. The SMP URL is
// http://B-….iso6523-actorid-upis.<zone>/ on port 80; the HTTP client resolves that
// host through the test DNS (it must answer 127.0.0.1) and, because the test SMP
// cannot listen on port 80, dials the test server's port instead.
func TestDiscoveryPeppolCNAME(t *testing.T) {
	env := discoverytest.Start(t)
	r, _ := dns.New(env.DNS.Addr)
	smpAddr := env.SMP.Listener.Addr().String()
	var dialled atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		ips, err := r.LookupHost(ctx, host)
		if err != nil {
			return nil, err
		}
		if port != "80" || len(ips) == 0 || ips[0].String() != "127.0.0.1" {
			t.Errorf("dial %s resolved to %v", addr, ips)
		}
		dialled.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, smpAddr)
	}}
	defer tr.CloseIdleConnections()
	d, _ := newDiscovery(t, env, bdxl.ModePeppol, &http.Client{Transport: tr})
	p, doc := ids(t, discoverytest.PeppolID, smp.DocumentSDKMessage)
	res, err := d.Lookup(context.Background(), p, doc)
	if err != nil {
		t.Fatal(err)
	}
	if res.DNSName != "B-85008b8279e07ab0392da75fa55856a2.iso6523-actorid-upis."+discoverytest.Zone || res.SMPURL.Host != res.DNSName || dialled.Load() == 0 {
		t.Fatalf("result %+v, dialled %d", res, dialled.Load())
	}
	p, doc = ids(t, discoverytest.Good, smp.DocumentSDKMessage) // not published as CNAME
	if _, err := d.Lookup(context.Background(), p, doc); !errors.Is(err, discovery.ErrNotFound) {
		t.Errorf("no CNAME: %v", err)
	}
}

// BenchmarkLookup measures a discovery lookup against the real DNS server and SMP on
// 127.0.0.1: uncached (new Discovery and SMP client each time, so one DNS query, one
// HTTP GET and one signature verification) and cached.
func BenchmarkLookup(b *testing.B) {
	env := discoverytest.Start(b)
	p, doc := ids(b, discoverytest.Good, smp.DocumentSDKMessage)
	ctx := context.Background()
	b.Run("uncached", func(b *testing.B) {
		for b.Loop() {
			d, _ := newDiscovery(b, env, bdxl.ModeBDXL, http.DefaultClient)
			if _, err := d.Lookup(ctx, p, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		d, _ := newDiscovery(b, env, bdxl.ModeBDXL, http.DefaultClient)
		if _, err := d.Lookup(ctx, p, doc); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := d.Lookup(ctx, p, doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}
