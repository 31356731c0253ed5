package smp_test

import (
	"context"
	"crypto/x509"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/smp/smptest"
	"github.com/brevduva/brevduva/internal/demopki"
)

// BenchmarkServerSignedMetadata measures the SMP server answering one
// SignedServiceMetadata request (store read, build, RSA-2048 signature, serialisation)
// through its http.Handler, without the network. With -cpu 1 the rate is per core.
func BenchmarkServerSignedMetadata(b *testing.B) {
	pki := demopki.ForTest(b)
	st := smptest.NewMemory()
	p, _ := smp.ParseParticipant("0203:kommun-b.se")
	reg := &smp.Registration{Participant: p,
		Services: []smp.Service{{Document: smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage},
			Process:   smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
			Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap-b.localhost/as4", CertificateDER: pki.Leaf("ap-b").Cert.Raw}}}},
		Certificates: []certpub.Certificate{{Use: certpub.Signing, Cert: pki.Leaf("org-b").Cert}, {Use: certpub.Encryption, Cert: pki.Leaf("org-b").Cert}}}
	st.Put(context.Background(), reg)
	base, _ := url.Parse("http://127.0.0.1/")
	leaf := pki.Leaf("smp")
	s, err := smp.NewServer(smp.ServerOptions{Store: st, BaseURL: base, AdminToken: "t",
		Signer: smp.Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}}})
	if err != nil {
		b.Fatal(err)
	}
	doc, _ := smp.ParseDocument(smp.DocumentSDKMessage)
	u, _ := smp.ServiceMetadataURL(base, p, doc)
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA("smp-ca").Cert.Cert)
	// The benchmark is honest only if what it serves verifies.
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	if _, err := smp.VerifySigned(w.Body.Bytes(), smp.VerifyOptions{Roots: roots, Now: time.Now}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, httptest.NewRequest("GET", u, nil))
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
}

// BenchmarkVerifySigned measures client-side verification of one response.
func BenchmarkVerifySigned(b *testing.B) {
	pki := demopki.ForTest(b)
	leaf := pki.Leaf("smp")
	sm := &smp.ServiceMetadata{Information: &smp.ServiceInformation{
		Participant: smp.Identifier{Scheme: smp.SchemeParticipant, Value: "0203:kommun-b.se"},
		Document:    smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage},
		Processes: []smp.Process{{ID: smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
			Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap-b.localhost/as4", CertificateDER: pki.Leaf("ap-b").Cert.Raw}}}}}}
	raw, err := smp.Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}}.Sign(sm)
	if err != nil {
		b.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA("smp-ca").Cert.Cert)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := smp.VerifySigned(raw, smp.VerifyOptions{Roots: roots, Now: time.Now}); err != nil {
			b.Fatal(err)
		}
	}
}
