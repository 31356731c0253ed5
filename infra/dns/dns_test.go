package dns_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/infra/dns"
	"github.com/brevduva/brevduva/infra/dns/dnstest"
)

func start(t *testing.T) *dnstest.Server {
	t.Helper()
	s, err := dnstest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLookupsAgainstRealServer(t *testing.T) {
	s := start(t)
	ctx := context.Background()
	bd := bdxl.Config{Zone: "sml.test"}
	name, _ := bd.Name("iso6523-actorid-upis", "0203:digg.se")
	s.AddNAPTR(name, bdxl.NAPTR{Order: 10, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://smp.test/x!"})
	s.AddNAPTR(name, bdxl.NAPTR{Order: 20, Preference: 10, Flags: "U", Service: "Meta:SMP", Regexp: "!^.*$!https://backup.test!"})
	pp := bdxl.Config{Zone: "sml.test", Mode: bdxl.ModePeppol}
	pname, _ := pp.Name("iso6523-actorid-upis", "9915:test")
	s.AddCNAME(pname, "smp.test")
	s.AddA("smp.test", netip.MustParseAddr("127.0.0.1"))
	s.AddA("smp.test", netip.MustParseAddr("::1"))

	r, err := dns.New(s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := r.LookupNAPTR(ctx, name)
	if err != nil || len(recs) != 2 || recs[0].Regexp != "!^.*$!https://smp.test/x!" || recs[0].Service != "Meta:SMP" {
		t.Fatalf("LookupNAPTR = %+v, %v", recs, err)
	}
	u, err := bdxl.Locator{Config: bd, Resolver: r}.SMPURL(ctx, "iso6523-actorid-upis", "0203:DIGG.SE")
	if err != nil || u.String() != "https://smp.test/x" {
		t.Fatalf("SMPURL = %v, %v", u, err)
	}
	target, err := r.LookupCNAME(ctx, pname)
	if err != nil || target != "smp.test" {
		t.Fatalf("LookupCNAME = %q, %v", target, err)
	}
	u, err = bdxl.Locator{Config: pp, Resolver: r}.SMPURL(ctx, "iso6523-actorid-upis", "9915:test")
	if err != nil || u.Host != "B-85008b8279e07ab0392da75fa55856a2.iso6523-actorid-upis.sml.test" {
		t.Fatalf("peppol SMPURL = %v, %v", u, err)
	}
	ips, err := r.LookupHost(ctx, pname) // through the CNAME
	if err != nil || len(ips) != 2 {
		t.Fatalf("LookupHost = %v, %v", ips, err)
	}
	// Unknown names are ErrNotFound, and so is a name without the record type.
	if _, err := r.LookupNAPTR(ctx, "nope.sml.test"); !errors.Is(err, bdxl.ErrNotFound) {
		t.Errorf("nxdomain NAPTR: %v", err)
	}
	if _, err := r.LookupCNAME(ctx, name); !errors.Is(err, bdxl.ErrNotFound) {
		t.Errorf("no CNAME: %v", err)
	}
	if _, err := r.LookupHost(ctx, "nope.sml.test"); !errors.Is(err, bdxl.ErrNotFound) {
		t.Errorf("nxdomain host: %v", err)
	}
}

// TestTruncatedAnswerRetriesTCP publishes more NAPTR records than fit in 512 octets.
func TestTruncatedAnswerRetriesTCP(t *testing.T) {
	s := start(t)
	for i := 0; i < 20; i++ {
		s.AddNAPTR("big.test", bdxl.NAPTR{Order: uint16(i), Flags: "U", Service: "Meta:SMP",
			Regexp: fmt.Sprintf("!^.*$!https://smp-%02d.a-long-host-name-to-fill-the-packet.test!", i)})
	}
	r, _ := dns.New(s.Addr)
	recs, err := r.LookupNAPTR(context.Background(), "big.test")
	if err != nil || len(recs) != 20 {
		t.Fatalf("LookupNAPTR = %d records, %v; want 20 (TCP retry)", len(recs), err)
	}
}

func TestTimeout(t *testing.T) {
	s := start(t)
	s.AddCNAME("slow.test", "x.test")
	s.SetDelay(500 * time.Millisecond)
	r := &dns.Resolver{Server: s.Addr, Timeout: 50 * time.Millisecond}
	t0 := time.Now()
	_, err := r.LookupCNAME(context.Background(), "slow.test")
	if err == nil || errors.Is(err, bdxl.ErrNotFound) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if d := time.Since(t0); d > 400*time.Millisecond {
		t.Errorf("took %v, timeout not honoured", d)
	}
}

func TestNewRejectsBadServer(t *testing.T) {
	if _, err := dns.New("127.0.0.1"); err == nil {
		t.Error("server without port accepted")
	}
}
