package dynamo_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

func testCert(t *testing.T) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "o2o.kommun-a.se"},
		NotBefore: time.Unix(1700000000, 0), NotAfter: time.Unix(1900000000, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSMPStore: round trip of every field (certificates as DER, extension XML), replace,
// delete, and ErrNotFound for a missing participant, against dynalite.
func TestSMPStore(t *testing.T) {
	api := client(t)
	table := newTable(t, api)
	s := dynamo.NewSMPStore(api, table)
	ctx := context.Background()
	p := smp.Identifier{Scheme: smp.SchemeParticipant, Value: "0203:kommun-a.se"}
	cert := testCert(t)
	ext := etree.NewElement("x:Info")
	ext.CreateAttr("xmlns:x", "urn:example")
	ext.SetText("åäö")
	reg := &smp.Registration{Participant: p,
		Services: []smp.Service{{
			Document: smp.Identifier{Scheme: smp.SchemeDocument, Value: smp.DocumentSDKMessage},
			Process:  smp.Identifier{Scheme: smp.SchemeProcess, Value: smp.ProcessNone},
			Endpoints: []smp.Endpoint{{TransportProfile: smp.TransportProfileSDK, URI: "https://ap.kommun-a.se/as4",
				ActivationDate: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), CertificateDER: cert.Raw, Description: "AP",
				TechnicalContactURL: "mailto:drift@kommun-a.se",
				Extensions:          []smp.Extension{{ID: "e1", Name: "info", Content: ext}}}}}},
		Certificates: []certpub.Certificate{{Use: certpub.Signing, Cert: cert}, {Use: certpub.Encryption, Cert: cert}}}

	if _, err := s.Get(ctx, p); !errors.Is(err, smp.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	if err := s.Delete(ctx, p); !errors.Is(err, smp.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	if err := s.Put(ctx, reg); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, smp.Identifier{Scheme: smp.SchemeParticipant, Value: "0203:KOMMUN-A.SE"})
	if err != nil {
		t.Fatalf("get by the participant's other spelling: %v", err)
	}
	e := got.Services[0].Endpoints[0]
	if got.Participant != p || len(got.Services) != 1 || e.URI != reg.Services[0].Endpoints[0].URI ||
		!e.ActivationDate.Equal(reg.Services[0].Endpoints[0].ActivationDate) || !e.ExpirationDate.IsZero() ||
		string(e.CertificateDER) != string(cert.Raw) || len(got.Certificates) != 2 || !got.Certificates[1].Cert.Equal(cert) ||
		got.Certificates[1].Use != certpub.Encryption || len(e.Extensions) != 1 || e.Extensions[0].ID != "e1" ||
		e.Extensions[0].Content == nil || e.Extensions[0].Content.Text() != "åäö" || e.Extensions[0].Content.Tag != "Info" {
		t.Fatalf("round trip: %+v", got)
	}
	reg.Services = nil
	if err := s.Put(ctx, reg); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, p); err != nil || len(got.Services) != 0 {
		t.Fatalf("replace: %v %+v", err, got)
	}
	if err := s.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, p); !errors.Is(err, smp.ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
}
