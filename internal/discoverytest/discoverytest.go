// Package discoverytest starts a complete discovery environment on 127.0.0.1 for
// tests, benchmarks and the CLI's script tests: a real DNS server (infra/dns/dnstest)
// publishing BDXL NAPTR and PEPPOL CNAME records, an SMP (core/smp.Server over
// httptest) signed with the demo SMP key, and a rogue SMP signed with a key outside
// the SMP CA. Everything stops when the test ends.
package discoverytest

import (
	"context"
	"crypto/x509"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/bdxl"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/infra/dns/dnstest"
	"github.com/brevduva/brevduva/internal/demopki"
)

// Zone is the SML zone the environment publishes in.
const Zone = "sml.brevduva.test"

// SMPHost is the name the PEPPOL CNAMEs point at (A 127.0.0.1).
const SMPHost = "smp.brevduva.test"

// Participants published by Start.
const (
	Good      = "0203:kommun-b.se"   // both SDK document types, CertPub certificates
	NoCertPub = "0203:kommun-c.se"   // SDK message only, no CertPub
	OldAP     = "0203:gammal-ap.se"  // SDK message with only a foreign transport profile
	Rogue     = "0203:falsk.se"      // SMP response signed outside the SMP CA
	Missing   = "0203:finns-inte.se" // not in DNS at all
	NoSMP     = "0203:bara-dns.se"   // in DNS, unknown to the SMP
	PeppolID  = "9915:test"          // published as a PEPPOL CNAME
)

// Env is a running environment.
type Env struct {
	DNS      *dnstest.Server
	SMP      *httptest.Server
	SMPBase  *url.URL
	Rogue    *httptest.Server
	PKI      *demopki.Set
	SMPRoots *x509.CertPool
	APRoots  *x509.CertPool
	Store    *smptest.Memory
}

// Start builds the environment; it is stopped by tb.Cleanup.
func Start(tb testing.TB) *Env {
	tb.Helper()
	pki := demopki.ForTest(tb)
	d, err := dnstest.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	e := &Env{DNS: d, PKI: pki, Store: smptest.NewMemory(),
		SMPRoots: x509.NewCertPool(), APRoots: x509.NewCertPool()}
	e.SMPRoots.AddCert(pki.CA("smp-ca").Cert.Cert)
	e.APRoots.AddCert(pki.CA("ap-ca").Cert.Cert)

	e.SMP, e.SMPBase = startSMP(tb, e.Store, pki.Leaf("smp"))
	rogueStore := smptest.NewMemory()
	var rogueBase *url.URL
	e.Rogue, rogueBase = startSMP(tb, rogueStore, pki.Leaf("ap-a")) // valid key, wrong CA

	ctx := context.Background()
	put := func(st *smptest.Memory, id string, reg smp.Registration) {
		p, _ := smp.ParseParticipant(id)
		reg.Participant = p
		if err := reg.Validate(); err != nil {
			tb.Fatal(err)
		}
		if err := st.Put(ctx, &reg); err != nil {
			tb.Fatal(err)
		}
	}
	ap := func(profile smp.TransportProfile) []smp.Endpoint {
		return []smp.Endpoint{{TransportProfile: profile, URI: "https://ap-b.localhost:8443/as4",
			CertificateDER: pki.Leaf("ap-b").Cert.Raw, Description: "Brevduva demo AP B",
			TechnicalContactURL: "mailto:drift@kommun-b.se"}}
	}
	svc := func(doc string, profile smp.TransportProfile) smp.Service {
		return smp.Service{Document: smp.Identifier{Scheme: smp.SchemeDocument, Value: doc},
			Process: smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone}, Endpoints: ap(profile)}
	}
	o2o := []certpub.Certificate{{Use: certpub.Signing, Cert: pki.Leaf("org-b").Cert}, {Use: certpub.Encryption, Cert: pki.Leaf("org-b").Cert}}
	put(e.Store, Good, smp.Registration{Services: []smp.Service{svc(smp.DocumentSDKMessage, smp.TransportProfileSDK), svc(smp.DocumentSDKReceipt, smp.TransportProfileSDK)}, Certificates: o2o})
	put(e.Store, NoCertPub, smp.Registration{Services: []smp.Service{svc(smp.DocumentSDKMessage, smp.TransportProfileSDK)}})
	put(e.Store, OldAP, smp.Registration{Services: []smp.Service{svc(smp.DocumentSDKMessage, "busdox-transport-as2-ver1p0")}})
	put(e.Store, PeppolID, smp.Registration{Services: []smp.Service{svc(smp.DocumentSDKMessage, smp.TransportProfileSDK)}})
	put(rogueStore, Rogue, smp.Registration{Services: []smp.Service{svc(smp.DocumentSDKMessage, smp.TransportProfileSDK)}, Certificates: o2o})

	for _, id := range []string{Good, NoCertPub, OldAP, NoSMP} {
		e.PublishNAPTR(tb, id, e.SMPBase.String())
	}
	e.PublishNAPTR(tb, Rogue, rogueBase.String())
	pp := bdxl.Config{Zone: Zone, Mode: bdxl.ModePeppol}
	name, err := pp.Name(smp.SchemeParticipant, PeppolID)
	if err != nil {
		tb.Fatal(err)
	}
	d.AddCNAME(name, SMPHost)
	d.AddA(SMPHost, netip.MustParseAddr("127.0.0.1"))
	return e
}

// PublishNAPTR publishes a BDXL U-NAPTR record for participant pointing at smpURL.
func (e *Env) PublishNAPTR(tb testing.TB, participant, smpURL string) {
	tb.Helper()
	name, err := bdxl.Config{Zone: Zone}.Name(smp.SchemeParticipant, participant)
	if err != nil {
		tb.Fatal(err)
	}
	e.DNS.AddNAPTR(name, bdxl.NAPTR{Order: 100, Preference: 10, Flags: "U", Service: bdxl.ServiceMetaSMP,
		Regexp: "!^.*$!" + smpURL + "!"})
}

func startSMP(tb testing.TB, st smp.Store, signer *demopki.Cert) (*httptest.Server, *url.URL) {
	ts := httptest.NewUnstartedServer(nil) // listens on 127.0.0.1 already
	base, _ := url.Parse("http://" + ts.Listener.Addr().String() + "/")
	s, err := smp.NewServer(smp.ServerOptions{Store: st, BaseURL: base, AdminToken: "test-admin-token",
		Signer: smp.Signer{Key: signer.Key, Chain: []*x509.Certificate{signer.Cert}}})
	if err != nil {
		tb.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Config.ReadHeaderTimeout = 5 * time.Second
	ts.Start()
	tb.Cleanup(ts.Close)
	return ts, base
}
