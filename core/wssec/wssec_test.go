package wssec_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
)

func soapBody(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("<?xml")); i > 0 {
		b = b[i:]
	}
	return b
}

func security(t testing.TB, b []byte) (*soap.Envelope, *wssec.Security) {
	t.Helper()
	env, err := soap.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	el, err := wssec.FindSecurity(env.Header, env.Version)
	if err != nil {
		t.Fatal(err)
	}
	s, err := wssec.ParseSecurity(el)
	if err != nil {
		t.Fatal(err)
	}
	return env, s
}

func TestCapturedPhase4BSTReference(t *testing.T) {
	_, s := security(t, soapBody(t, "testdata/helger.as4in"))
	if len(s.Tokens) != 1 || s.Signature == nil || s.Timestamp != nil {
		t.Fatalf("tokens %d, signature %v, timestamp %v", len(s.Tokens), s.Signature != nil, s.Timestamp)
	}
	ki := s.Signature.FindElement("./KeyInfo")
	cert, err := s.ResolveSTR(ki, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "POP000306" {
		t.Fatalf("signer %q", cert.Subject)
	}
}

func TestCapturedDomibusSKI(t *testing.T) {
	_, s := security(t, soapBody(t, "testdata/MSHAS4Response.deindented.xml"))
	var known []*x509.Certificate
	for _, f := range []string{"testdata/blue_gw.pem", "testdata/red_gw.pem"} {
		c, err := demopki.LoadCerts(f)
		if err != nil {
			t.Fatal(err)
		}
		known = append(known, c...)
	}
	ki := s.Signature.FindElement("./KeyInfo")
	if _, err := s.ResolveSTR(ki, nil); !errors.Is(err, wssec.ErrToken) {
		t.Fatalf("SKI without known certificates: %v", err)
	}
	cert, err := s.ResolveSTR(ki, known)
	if err != nil {
		t.Fatal(err)
	}
	if cert != known[0] && cert != known[1] {
		t.Fatal("resolved to an unknown certificate")
	}
	t.Logf("SKI names %s", cert.Subject)
}

func TestBuildAndResolveAllForms(t *testing.T) {
	pki := demopki.ForTest(t)
	a, b := pki.Leaf("ap-a").Cert, pki.Leaf("ap-b").Cert
	env := soap.New()
	sec := wssec.NewSecurity(soap.Prefix)
	sec.AddChild(wssec.NewTimestamp("TS-1", time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), 5*time.Minute))
	sec.AddChild(wssec.NewBinarySecurityToken("X509-a", a))
	env.AddHeader(sec)
	for _, str := range []*etree.Element{wssec.NewReferenceSTR("X509-a"), wssec.NewSKISTR(b), wssec.NewIssuerSerialSTR(b)} {
		ki := sec.CreateElement("ds:KeyInfo")
		ki.CreateAttr("xmlns:ds", "http://www.w3.org/2000/09/xmldsig#")
		ki.AddChild(str)
	}
	raw, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	_, s := security(t, raw)
	if s.Timestamp == nil || s.Timestamp.ID != "TS-1" || !s.Timestamp.Expires.Equal(time.Date(2026, 1, 2, 3, 9, 5, 6e6, time.UTC)) {
		t.Fatalf("timestamp %+v", s.Timestamp)
	}
	kis := xmlsafe.Children(s.Element, "http://www.w3.org/2000/09/xmldsig#", "KeyInfo")
	want := []*x509.Certificate{a, b, b}
	for i, ki := range kis {
		got, err := s.ResolveSTR(ki, []*x509.Certificate{a, b})
		if err != nil {
			t.Fatalf("form %d: %v", i, err)
		}
		if !got.Equal(want[i]) {
			t.Fatalf("form %d resolved to %s", i, got.Subject)
		}
		// Without b known, SKI and IssuerSerial cannot resolve (b is not carried).
		if i > 0 {
			if _, err := s.ResolveSTR(ki, []*x509.Certificate{a}); !errors.Is(err, wssec.ErrToken) {
				t.Fatalf("form %d without the certificate: %v", i, err)
			}
		}
	}
}

func TestTimestampCheck(t *testing.T) {
	c := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ts := &wssec.Timestamp{Created: c, Expires: c.Add(5 * time.Minute)}
	for _, tc := range []struct {
		now time.Time
		ok  bool
	}{
		{c, true}, {c.Add(4 * time.Minute), true}, {c.Add(-30 * time.Second), true},
		{c.Add(-2 * time.Minute), false}, {c.Add(5 * time.Minute), false}, {c.Add(5*time.Minute + 30*time.Second), true /* within skew */}, {c.Add(6 * time.Minute), false},
	} {
		skew := time.Minute
		if tc.now.Equal(c.Add(5 * time.Minute)) {
			skew = 0
		}
		err := ts.Check(tc.now, skew)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, wssec.ErrTimestamp)) {
			t.Errorf("now %s skew %s: %v", tc.now.Format(time.TimeOnly), skew, err)
		}
	}
}

func TestFindSecurity(t *testing.T) {
	const head = `<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:wsse="` + wssec.NSWSSE + `"><S:Header>`
	const tail = `</S:Header><S:Body/></S:Envelope>`
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"none", ``, false},
		{"one", `<wsse:Security/>`, true},
		{"two", `<wsse:Security/><wsse:Security/>`, false},
		{"other role ignored", `<wsse:Security S:role="urn:other"/><wsse:Security/>`, true},
		{"only other role", `<wsse:Security S:role="urn:other"/>`, false},
		{"evil namespace", `<x:Security xmlns:x="urn:evil"/>`, false},
	} {
		env, err := soap.ParseBytes([]byte(head+tc.header+tail), xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		_, err = wssec.FindSecurity(env.Header, env.Version)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestParseSecurityRefuses(t *testing.T) {
	const pre = `<wsse:Security xmlns:wsse="` + wssec.NSWSSE + `" xmlns:wsu="` + wssec.NSWSU + `" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`
	for name, body := range map[string]string{
		"two signatures": `<ds:Signature/><ds:Signature/>`,
		"two timestamps": `<wsu:Timestamp><wsu:Created>2026-01-01T00:00:00Z</wsu:Created></wsu:Timestamp><wsu:Timestamp><wsu:Created>2026-01-01T00:00:00Z</wsu:Created></wsu:Timestamp>`,
		"bad created":    `<wsu:Timestamp><wsu:Created>yesterday</wsu:Created></wsu:Timestamp>`,
		"bst value type": `<wsse:BinarySecurityToken ValueType="urn:x">AAAA</wsse:BinarySecurityToken>`,
		"bst not a cert": `<wsse:BinarySecurityToken ValueType="` + string(wssec.ValueTypeX509v3) + `">AAAA</wsse:BinarySecurityToken>`,
		"bst not base64": `<wsse:BinarySecurityToken ValueType="` + string(wssec.ValueTypeX509v3) + `">!!</wsse:BinarySecurityToken>`,
	} {
		doc, err := xmlsafe.ParseBytes([]byte(pre+body+`</wsse:Security>`), xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wssec.ParseSecurity(doc.Root()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestResolveSTRRefuses(t *testing.T) {
	pki := demopki.ForTest(t)
	env := soap.New()
	sec := wssec.NewSecurity(soap.Prefix)
	sec.AddChild(wssec.NewBinarySecurityToken("X509-a", pki.Leaf("ap-a").Cert))
	env.AddHeader(sec)
	raw, _ := env.Bytes()
	_, s := security(t, raw)
	for name, str := range map[string]string{
		"unknown id":       `<wsse:Reference URI="#nope"/>`,
		"external":         `<wsse:Reference URI="http://evil/cert"/>`,
		"wrong value type": `<wsse:Reference URI="#X509-a" ValueType="urn:x"/>`,
		"key id type":      `<wsse:KeyIdentifier ValueType="urn:x">AAAA</wsse:KeyIdentifier>`,
		"empty":            ``,
		"two":              `<wsse:Reference URI="#X509-a"/><wsse:Reference URI="#X509-a"/>`,
		"serial not int":   `<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>CN=x</ds:X509IssuerName><ds:X509SerialNumber>x</ds:X509SerialNumber></ds:X509IssuerSerial></ds:X509Data>`,
	} {
		doc, err := xmlsafe.ParseBytes([]byte(`<wsse:SecurityTokenReference xmlns:wsse="`+wssec.NSWSSE+`" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">`+str+`</wsse:SecurityTokenReference>`), xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if c, err := s.ResolveSTR(doc.Root(), nil); err == nil {
			t.Errorf("%s: resolved to %s", name, c.Subject)
		}
	}
}

func TestAttachmentContent(t *testing.T) {
	gz := []byte{0x1f, 0x8b, '\n', '\r', 0}
	for _, tc := range []struct {
		ct, in, want string
	}{
		{"application/gzip", string(gz), string(gz)},
		{"application/octet-stream", "a\nb", "a\nb"},
		{"text/plain; charset=utf-8", "a\nb\r\nc\rd", "a\r\nb\r\nc\r\nd"},
		{"text/xml", `<?xml version="1.0"?><a  b="1" ></a>`, `<a b="1"></a>`},
		{"application/vnd.x+xml; charset=UTF-8", `<r xmlns:u="urn:u"><s/></r>`, `<r><s></s></r>`},
	} {
		in := []byte(tc.in)
		got, err := wssec.AttachmentContent(tc.ct, in)
		if err != nil {
			t.Fatalf("%s: %v", tc.ct, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.ct, got, tc.want)
		}
		if string(in) != tc.in {
			t.Errorf("%s: input modified", tc.ct)
		}
	}
	if _, err := wssec.AttachmentContent("text/xml", []byte("<!DOCTYPE a><a/>")); err == nil {
		t.Error("XML attachment with a DTD accepted")
	}
	if !wssec.IsRawContent("application/gzip") || wssec.IsRawContent("text/plain") {
		t.Error("IsRawContent")
	}
}

func TestIndexIDsRefusesDuplicates(t *testing.T) {
	doc, err := xmlsafe.ParseBytes([]byte(`<r xmlns:wsu="`+wssec.NSWSU+`"><a wsu:Id="x"/><b Id="x"/></r>`), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wssec.IndexIDs(doc.Root()); !errors.Is(err, xmlsafe.ErrDuplicateID) {
		t.Fatalf("wsu:Id and Id with one value: %v", err)
	}
}

func FuzzParseSecurity(f *testing.F) {
	for _, p := range []string{"testdata/helger.as4in", "testdata/MSHAS4Response.deindented.xml"} {
		f.Add(soapBody(f, p))
	}
	f.Add([]byte(`<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Header><wsse:Security xmlns:wsse="` + wssec.NSWSSE + `"/></S:Header><S:Body/></S:Envelope>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := soap.ParseBytes(b, xmlsafe.Limits{MaxBytes: 1 << 20, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 1 << 16, MaxElements: 10000})
		if err != nil {
			return
		}
		el, err := wssec.FindSecurity(env.Header, env.Version)
		if err != nil {
			return
		}
		s, err := wssec.ParseSecurity(el)
		if err != nil {
			return
		}
		if s.Signature != nil {
			for _, ki := range s.Signature.ChildElements() {
				if strings.HasSuffix(ki.Tag, "KeyInfo") {
					_, _ = s.ResolveSTR(ki, nil)
				}
			}
		}
		if s.Timestamp != nil {
			_ = s.Timestamp.Check(time.Now(), time.Minute)
		}
	})
}
