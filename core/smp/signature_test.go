package smp

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/extool"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "interop", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// selfTrust returns a pool holding the certificate in the sample's KeyInfo: the
// recorded responses come without their CA (PEPPOL SMP CA G2 is not in the repository),
// so the tests pin the signer itself as the trust anchor.
func selfTrust(t testing.TB, b []byte) *x509.CertPool {
	t.Helper()
	doc, err := xmlsafe.ParseBytes(b, DocumentLimits())
	if err != nil {
		t.Fatal(err)
	}
	sig := xmlsafe.Children(doc.Root(), xmldsig.Namespace, "Signature")[0]
	ki, err := xmlsafe.Child(sig, xmldsig.Namespace, "KeyInfo")
	if err != nil {
		t.Fatal(err)
	}
	certs, err := xmldsig.KeyInfoCertificates(ki)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	p.AddCert(certs[0])
	return p
}

func at(s string) func() time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return func() time.Time { return tm }
}

var compact = regexp.MustCompile(`>\s+<`)

func TestInteropRecordedSignedMetadata(t *testing.T) {
	tests := []struct {
		file, now, participant, doc, endpoint string
		fix                                   bool // remove whitespace added after signing
		wantErr                               error
	}{
		{"signed-service-metadata1.xml", "2019-06-01T00:00:00Z", "0088:5026744000002", "", "", false, xmldsig.ErrBadSignature},
		{"signed-service-metadata1.xml", "2019-06-01T00:00:00Z", "0088:5026744000002",
			"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2::CreditNote##urn:www.cenbii.eu:transaction:biitrns014:ver2.0:extended:urn:www.peppol.eu:bis:peppol5a:ver2.0::2.1",
			"https://peppol.netedi.com/receive.aspx", true, nil},
		{"signed-service-metadata2.xml", "2019-06-01T00:00:00Z", "0088:5060482240009", "", "https://peppol.netedi.com/receive.aspx", false, nil},
		{"signed-service-metadata3-c14n-inclusive.xml", "2019-06-01T00:00:00Z", "0106:55872255", "", "https://peppolap.everbinding.nl/as2", false, nil},
		{"SignedServiceMetadataPoland.xml", "2020-01-01T00:00:00Z", "urn:Poland:ncpb", "DocId.007", "http://poland.pl/ncp/patient/list", false, nil},
	}
	for _, tc := range tests {
		b := sample(t, tc.file)
		if tc.fix {
			b = compact.ReplaceAll(b, []byte("><"))
		}
		got, err := VerifySigned(b, VerifyOptions{Roots: selfTrust(t, b), Now: at(tc.now), Legacy: true})
		if tc.wantErr != nil {
			if !errors.Is(err, ErrBadSignature) || !errors.Is(err, tc.wantErr) {
				t.Errorf("%s: err = %v, want ErrBadSignature and %v", tc.file, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s (fixed %v): %v", tc.file, tc.fix, err)
			continue
		}
		si := got.Metadata.Information
		if si.Participant.Value != tc.participant || (tc.doc != "" && si.Document.Value != tc.doc) {
			t.Errorf("%s: participant %v document %v", tc.file, si.Participant, si.Document)
		}
		if e := si.Processes[0].Endpoints[0]; e.URI != tc.endpoint {
			t.Errorf("%s: endpoint %q, want %q", tc.file, e.URI, tc.endpoint)
		}
		// Without the legacy option the same document is refused.
		if _, err := VerifySigned(b, VerifyOptions{Roots: selfTrust(t, b), Now: at(tc.now)}); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s without Legacy: err = %v, want ErrBadSignature", tc.file, err)
		}
		// After the certificate expired it is refused.
		if _, err := VerifySigned(b, VerifyOptions{Roots: selfTrust(t, b), Now: at("2030-01-01T00:00:00Z"), Legacy: true}); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s in 2030: err = %v, want ErrBadSignature", tc.file, err)
		}
		// A one-character change in the signed content breaks it.
		tampered := bytes.Replace(b, []byte("<RequireBusinessLevelSignature>false"), []byte("<RequireBusinessLevelSignature>true"), 1)
		if !bytes.Equal(tampered, b) {
			if _, err := VerifySigned(tampered, VerifyOptions{Roots: selfTrust(t, b), Now: at(tc.now), Legacy: true}); !errors.Is(err, xmldsig.ErrDigestMismatch) {
				t.Errorf("%s tampered: err = %v, want digest mismatch", tc.file, err)
			}
		}
	}
}

func testSigner(t testing.TB) (Signer, *x509.CertPool) {
	pki := demopki.ForTest(t)
	roots := x509.NewCertPool()
	roots.AddCert(pki.CA("smp-ca").Cert.Cert)
	leaf := pki.Leaf("smp")
	return Signer{Key: leaf.Key, Chain: []*x509.Certificate{leaf.Cert}}, roots
}

func sampleMetadata(t testing.TB) *ServiceMetadata {
	pki := demopki.ForTest(t)
	return &ServiceMetadata{Information: &ServiceInformation{
		Participant: Identifier{SchemeParticipant, "0203:kommun-b.se"},
		Document:    Identifier{SchemeDocument, DocumentSDKMessage},
		Processes: []Process{{
			ID: Identifier{SchemeProcess, ProcessNone},
			Endpoints: []Endpoint{{
				TransportProfile: TransportProfileSDK, URI: "https://ap-b.localhost/as4",
				CertificateDER: pki.Leaf("ap-b").Cert.Raw, Description: "AP B", TechnicalContactURL: "mailto:ap@b.se",
			}},
		}},
	}}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s, roots := testSigner(t)
	b, err := s.Sign(sampleMetadata(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := VerifySigned(b, VerifyOptions{Roots: roots, Now: time.Now})
	if err != nil {
		t.Fatalf("verify: %v\n%s", err, b)
	}
	e, err := got.Metadata.Information.Endpoint(Identifier{SchemeProcess, ProcessNone}, TransportProfileSDK, time.Now())
	if err != nil || e.URI != "https://ap-b.localhost/as4" {
		t.Fatalf("endpoint %v, %v", e, err)
	}
	if got.Signer.Subject.CommonName != "smp.brevduva.localhost" {
		t.Errorf("signer %v", got.Signer.Subject)
	}
	// Untrusted root, tampering, and a second signature each fail.
	pki := demopki.ForTest(t)
	other := x509.NewCertPool()
	other.AddCert(pki.CA("ap-ca").Cert.Cert)
	if _, err := VerifySigned(b, VerifyOptions{Roots: other, Now: time.Now}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong root: %v", err)
	}
	bad := bytes.Replace(b, []byte("https://ap-b.localhost/as4"), []byte("https://evil.localhost/as4"), 1)
	if _, err := VerifySigned(bad, VerifyOptions{Roots: roots, Now: time.Now}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered: %v", err)
	}
	if _, err := VerifySigned(b, VerifyOptions{Now: time.Now}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no roots: %v", err)
	}
	i := bytes.Index(b, []byte("<ds:Signature"))
	j := bytes.Index(b, []byte("</ds:Signature>")) + len("</ds:Signature>")
	double := append(append(append([]byte{}, b[:j]...), b[i:j]...), b[j:]...)
	if _, err := VerifySigned(double, VerifyOptions{Roots: roots, Now: time.Now}); !errors.Is(err, ErrBadSignature) {
		t.Errorf("two signatures: %v", err)
	}
}

// TestInteropSignedMetadataXmlsec1 checks that what we sign verifies with xmlsec1.
func TestInteropSignedMetadataXmlsec1(t *testing.T) {
	xmlsec := extool.Need(t, "xmlsec1")
	s, _ := testSigner(t)
	b, err := s.Sign(sampleMetadata(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pki := demopki.ForTest(t)
	doc := filepath.Join(dir, "ssm.xml")
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(doc, b, 0o600)
	var pem bytes.Buffer
	pemEncode(&pem, pki.CA("smp-ca").Cert.Cert)
	os.WriteFile(ca, pem.Bytes(), 0o600)
	out, err := exec.Command(xmlsec, "--verify", "--enabled-key-data", "x509", "--trusted-pem", ca, doc).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("xmlsec1 refused our SignedServiceMetadata: %v\n%s", err, out)
	}
	// And xmlsec1 refuses it once tampered (the check can fail).
	os.WriteFile(doc, bytes.Replace(b, []byte("ap-b.localhost"), []byte("ap-x.localhost"), 1), 0o600)
	if out, err := exec.Command(xmlsec, "--verify", "--enabled-key-data", "x509", "--trusted-pem", ca, doc).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 accepted a tampered document:\n%s", out)
	}
}
