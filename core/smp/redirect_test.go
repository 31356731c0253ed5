package smp_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/internal/demopki"
)

// TestClientRedirect follows a signed Redirect (SMP1 §3.6.2.1) once, and checks the
// target's signer against CertificateUID.
func TestClientRedirect(t *testing.T) {
	pki := demopki.ForTest(t)
	smpCA := pki.CA("smp-ca")
	second, err := smpCA.Issue("smp2.brevduva.localhost", demopki.Options{Bits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	first := pki.Leaf("smp")
	p := smp.Identifier{Scheme: smp.SchemeParticipant, Value: "0203:flyttad.se"}
	doc := smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage}
	info := &smp.ServiceInformation{Participant: p, Document: doc, Processes: []smp.Process{{
		ID: smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
		Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap.example/as4",
			CertificateDER: pki.Leaf("ap-a").Cert.Raw}}}}}
	sign := func(c *demopki.Cert, sm *smp.ServiceMetadata) []byte {
		b, err := smp.Signer{Key: c.Key, Chain: []*x509.Certificate{c.Cert}}.Sign(sm)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var uid string
	var targetBody []byte
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	defer ts.Close()
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { w.Write(targetBody) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Write(sign(first, &smp.ServiceMetadata{Redirect: &smp.Redirect{Href: ts.URL + "/target", CertificateUID: uid}}))
	})
	roots := x509.NewCertPool()
	roots.AddCert(smpCA.Cert.Cert)
	base, _ := url.Parse(ts.URL + "/")
	for _, tc := range []struct {
		name   string
		uid    string
		target []byte
		want   error
	}{
		{"ok", second.Cert.Subject.String(), sign(second, &smp.ServiceMetadata{Information: info}), nil},
		{"wrong uid", "CN=someone else", sign(second, &smp.ServiceMetadata{Information: info}), smp.ErrBadSignature},
		{"double redirect", second.Cert.Subject.String(), sign(second, &smp.ServiceMetadata{Redirect: &smp.Redirect{Href: ts.URL + "/target", CertificateUID: "x"}}), smp.ErrSyntax},
	} {
		uid, targetBody = tc.uid, tc.target
		c, _ := smp.NewClient(ts.Client(), smp.ClientOptions{Verify: smp.VerifyOptions{Roots: roots, Now: time.Now}})
		got, err := c.ServiceMetadata(context.Background(), base, p, doc)
		if tc.want == nil {
			if err != nil || got.Signer.Subject.CommonName != "smp2.brevduva.localhost" || got.Metadata.Information == nil {
				t.Errorf("%s: %v %v", tc.name, got, err)
			}
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
}
