package smp

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func TestParseOASISSamples(t *testing.T) {
	sg, err := ParseServiceGroup(sample(t, "ServiceGroupPoland.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if sg.Participant != (Identifier{"ehealth-actorid-qns", "urn:poland:ncpb:utest"}) || len(sg.Extensions) != 2 ||
		sg.Extensions[1].AgencyID != "Agency ID 2" || sg.Extensions[0].Content == nil || sg.Extensions[0].Content.Text() != "Any XML content 1" {
		t.Fatalf("service group %+v", sg)
	}
	for _, f := range []string{"ServiceMetadataPoland.xml", "ServiceMetadataDifferentCertificatesTypes.xml", "SignedServiceMetadataPoland.xml",
		"signed-service-metadata1.xml", "signed-service-metadata2.xml", "signed-service-metadata3-c14n-inclusive.xml"} {
		sm, err := ParseServiceMetadata(sample(t, f))
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(sm.Information.Processes) == 0 || len(sm.Information.Processes[0].Endpoints) == 0 {
			t.Errorf("%s: no endpoints", f)
		}
	}
	// The sample with several certificate types: each endpoint's certificate decodes
	// (Go parses RSA, EC and Ed25519 keys; Ed448 keys are kept as unknown).
	sm, _ := ParseServiceMetadata(sample(t, "ServiceMetadataDifferentCertificatesTypes.xml"))
	for _, e := range sm.Information.Processes[0].Endpoints {
		if len(e.CertificateDER) == 0 {
			t.Errorf("%s: empty certificate", e.TransportProfile)
		}
	}
}

func TestBuildParseRoundTrip(t *testing.T) {
	sm := sampleMetadata(t)
	content := etree.NewElement("x:Foo")
	content.CreateAttr("xmlns:x", "urn:example")
	content.SetText("bar")
	sm.Information.Extensions = []Extension{{ID: "urn:ext", Name: "n", Content: content}}
	el, err := sm.Element()
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(el)
	b, _ := doc.WriteToBytes()
	got, err := ParseServiceMetadata(b)
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	gi := got.Information
	if gi.Participant != sm.Information.Participant || gi.Document != sm.Information.Document ||
		gi.Processes[0].Endpoints[0].URI != "https://ap-b.localhost/as4" || gi.Extensions[0].ID != "urn:ext" || gi.Extensions[0].Content.Text() != "bar" {
		t.Fatalf("round trip: %+v", gi)
	}
	// A builder refuses two endpoints with one transport profile, and SMP-namespace content.
	sm.Information.Processes[0].Endpoints = append(sm.Information.Processes[0].Endpoints, sm.Information.Processes[0].Endpoints[0])
	if _, err := sm.Element(); !errors.Is(err, ErrInvalid) {
		t.Errorf("duplicate profile: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	good := string(sample(t, "ServiceMetadataPoland.xml"))
	for name, s := range map[string]string{
		"doctype":         `<!DOCTYPE x [<!ENTITY a "b">]>` + good[strings.Index(good, "<ServiceMetadata"):],
		"wrong ns":        strings.Replace(good, Namespace, "urn:other", 1),
		"no endpoint uri": strings.Replace(good, "<EndpointURI>", "<EndpointURIx>", 1),
		"bad boolean":     strings.Replace(good, "<RequireBusinessLevelSignature>false", "<RequireBusinessLevelSignature>no", 1),
		"bad date":        strings.Replace(good, "2016-06-06T11:06:02.000+02:00", "yesterday", 1),
		"no profile":      strings.Replace(good, `transportProfile="urn:ihe:iti:2013:xcpd"`, ``, 1),
		"bad base64":      strings.Replace(good, "<Certificate>MII", "<Certificate>!!", 1),
	} {
		if _, err := ParseServiceMetadata([]byte(s)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestIdentifiersAndURLs(t *testing.T) {
	for in, want := range map[string]Identifier{
		"0203:digg.se":                       {SchemeParticipant, "0203:digg.se"},
		"iso6523-actorid-upis::0203:digg.se": {SchemeParticipant, "0203:digg.se"},
		" other::x ":                         {"other", "x"},
	} {
		if got, err := ParseParticipant(in); err != nil || got != want {
			t.Errorf("ParseParticipant(%q) = %v, %v", in, got, err)
		}
	}
	d, err := ParseDocument(DocumentSDKMessage)
	if err != nil || d.Scheme != SchemeDocument || d.Value != DocumentSDKMessage {
		t.Errorf("ParseDocument(SDK) = %v %v", d, err)
	}
	d, _ = ParseDocument("busdox-docid-qns::" + DocumentSDKReceipt)
	if d.Value != DocumentSDKReceipt {
		t.Errorf("prefixed receipt id = %v", d)
	}
	for _, bad := range []string{"", "::x", "s::", "a\x00b", strings.Repeat("x", 2000)} {
		if _, err := ParseParticipant(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseParticipant(%q) accepted", bad)
		}
	}
	if a, b := (Identifier{"ISO6523-ACTORID-UPIS", "0203:A.se"}).Key(), (Identifier{SchemeParticipant, "0203:a.SE"}).Key(); a != b {
		t.Errorf("participant keys differ: %q %q", a, b)
	}
	if a, b := (Identifier{SchemeDocument, "A"}).Key(), (Identifier{SchemeDocument, "a"}).Key(); a == b {
		t.Error("document keys must be case-sensitive")
	}
	base, _ := url.Parse("https://smp.example/base/")
	u, err := ServiceMetadataURL(base, Identifier{SchemeParticipant, "0203:digg.se"}, Identifier{SchemeDocument, DocumentSDKMessage})
	want := "https://smp.example/base/iso6523-actorid-upis%3A%3A0203%3Adigg.se/services/busdox-docid-qns%3A%3Aurn%3Ariv%3Ainfrastructure%3Amessaging%3AMessageWithAttachments%3A3%3A%3AmessagePayload%23%233.0%3A%3Atm-base-ext-sigenc"
	if err != nil || u != want {
		t.Errorf("ServiceMetadataURL =\n %s\nwant\n %s", u, want)
	}
	pu, _ := url.Parse(u)
	p, doc, err := SplitPath(strings.TrimPrefix(pu.EscapedPath(), "/base"))
	if err != nil || p.Value != "0203:digg.se" || doc == nil || doc.Value != DocumentSDKMessage {
		t.Errorf("SplitPath = %v %v %v", p, doc, err)
	}
	if got := EscapeSegment("a b+c/ä"); got != "a%20b%2Bc%2F%C3%A4" {
		t.Errorf("EscapeSegment = %q", got)
	}
	for _, b := range []string{"ftp://x", "https://x/?q=1", "/relative"} {
		bu, _ := url.Parse(b)
		if _, err := ServiceGroupURL(bu, Identifier{"a", "b"}); err == nil {
			t.Errorf("base %q accepted", b)
		}
	}
}

func FuzzParseServiceMetadata(f *testing.F) {
	for _, n := range []string{"ServiceMetadataPoland.xml", "signed-service-metadata2.xml", "ServiceGroupPoland.xml"} {
		f.Add(sample(f, n))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sm, err := ParseServiceMetadata(b)
		if err == nil && (sm.Information == nil) == (sm.Redirect == nil) {
			t.Fatal("metadata with neither or both of Information and Redirect")
		}
		if err == nil && sm.Information != nil && sm.Flavour == OASIS {
			if _, err := sm.Element(); err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("rebuild: %v", err)
			}
		}
		_, _ = ParseServiceGroup(b)
	})
}

func FuzzSplitPath(f *testing.F) {
	f.Add("/iso6523-actorid-upis%3A%3A0203%3Ax/services/busdox-docid-qns%3A%3Ay")
	f.Fuzz(func(t *testing.T, s string) {
		p, d, err := SplitPath(s)
		if err == nil && (p.Scheme == "" || p.Value == "" || d != nil && d.Value == "") {
			t.Fatalf("SplitPath(%q) = %v %v", s, p, d)
		}
	})
}

func FuzzVerifySigned(f *testing.F) {
	f.Add(sample(f, "SignedServiceMetadataPoland.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		roots := selfTrust(t, sample(t, "SignedServiceMetadataPoland.xml"))
		sm, err := VerifySigned(b, VerifyOptions{Roots: roots, Now: at("2020-01-01T00:00:00Z"), Legacy: true})
		if err == nil && sm.Signer == nil {
			t.Fatal("verified without signer")
		}
	})
}
