package soap

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

const (
	nsEB   = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
	nsWSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
)

func parseFile(t *testing.T, path string) *Envelope {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(b, []byte("\r\n\r\n")); strings.HasSuffix(path, ".as4in") && i > 0 {
		b = b[i+4:] // HTTP dump: drop the headers
	} else if i := bytes.Index(b, []byte("\n\n")); strings.HasSuffix(path, ".as4in") && i > 0 {
		b = b[i+2:]
	}
	env, err := ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return env
}

func TestCapturedReceipts(t *testing.T) {
	tests := []struct {
		file    string
		version string
	}{
		{"testdata/TestReceipt11.xml", NS11},
		{"testdata/TestReceipt12.xml", NS12},
		{"testdata/helger.as4in", NS12},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			env := parseFile(t, tc.file)
			if env.Version != tc.version {
				t.Errorf("Version = %q, want %q", env.Version, tc.version)
			}
			m, err := env.HeaderBlock(nsEB, "Messaging")
			if err != nil {
				t.Fatal(err)
			}
			mu, err := env.MustUnderstand(m)
			if err != nil || !mu {
				t.Errorf("eb:Messaging mustUnderstand = %v, %v; want true", mu, err)
			}
			sec, err := env.HeaderBlock(nsWSSE, "Security")
			if err != nil {
				t.Fatal(err)
			}
			if mu, _ := env.MustUnderstand(sec); !mu {
				t.Error("wsse:Security mustUnderstand = false")
			}
			if len(env.BodyElements()) != 0 {
				t.Errorf("receipt Body has %d elements", len(env.BodyElements()))
			}
			understood := func(b *etree.Element) bool { return xmlsafe.Is(b, nsEB, "Messaging") }
			if err := env.CheckMustUnderstand(understood); !errors.Is(err, ErrMustUnderstand) || !strings.Contains(err.Error(), "Security") {
				t.Errorf("CheckMustUnderstand without wsse: %v", err)
			}
			all := func(*etree.Element) bool { return true }
			if err := env.CheckMustUnderstand(all); err != nil {
				t.Errorf("CheckMustUnderstand with all understood: %v", err)
			}
		})
	}
}

func TestParseStructure(t *testing.T) {
	const s12 = `xmlns:S="http://www.w3.org/2003/05/soap-envelope"`
	tests := []struct {
		name string
		xml  string
		want error
	}{
		{"ok", `<S:Envelope ` + s12 + `><S:Header/><S:Body/></S:Envelope>`, nil},
		{"ok without header", `<S:Envelope ` + s12 + `><S:Body/></S:Envelope>`, nil},
		{"not envelope", `<S:Body ` + s12 + `/>`, ErrNotEnvelope},
		{"wrong namespace", `<S:Envelope xmlns:S="urn:x"><S:Body/></S:Envelope>`, ErrVersionMismatch},
		{"no namespace", `<Envelope><Body/></Envelope>`, ErrVersionMismatch},
		{"no body", `<S:Envelope ` + s12 + `><S:Header/></S:Envelope>`, ErrStructure},
		{"two bodies", `<S:Envelope ` + s12 + `><S:Body/><S:Body/></S:Envelope>`, ErrStructure},
		{"header after body", `<S:Envelope ` + s12 + `><S:Body/><S:Header/></S:Envelope>`, ErrStructure},
		{"two headers", `<S:Envelope ` + s12 + `><S:Header/><S:Header/><S:Body/></S:Envelope>`, ErrStructure},
		{"trailer in 1.2", `<S:Envelope ` + s12 + `><S:Body/><x/></S:Envelope>`, ErrStructure},
		{"trailer in 1.1", `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body/><x/></S:Envelope>`, nil},
		{"body in other namespace", `<S:Envelope ` + s12 + `><b:Body xmlns:b="urn:x"/></S:Envelope>`, ErrStructure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tc.xml), xmlsafe.DefaultLimits)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMustUnderstandAndRoles(t *testing.T) {
	xml := `<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope" xmlns:o="urn:o"><S:Header>
<o:a S:mustUnderstand="true"/>
<o:b S:mustUnderstand="1" S:role="http://www.w3.org/2003/05/soap-envelope/role/next"/>
<o:c S:mustUnderstand="true" S:role="ebms"/>
<o:d o:mustUnderstand="true"/>
<o:e S:mustUnderstand="false"/>
</S:Header><S:Body/></S:Envelope>`
	env, err := ParseBytes([]byte(xml), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	err = env.CheckMustUnderstand(func(*etree.Element) bool { return false })
	if !errors.Is(err, ErrMustUnderstand) {
		t.Fatalf("got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"{urn:o}a", "{urn:o}b"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not name %s", msg, want)
		}
	}
	for _, not := range []string{"}c", "}d", "}e"} {
		if strings.Contains(msg, not) {
			t.Errorf("%q names %s, which is for another role, in another namespace or optional", msg, not)
		}
	}
	bad := `<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Header><a S:mustUnderstand="yes"/></S:Header><S:Body/></S:Envelope>`
	env, err = ParseBytes([]byte(bad), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.CheckMustUnderstand(func(*etree.Element) bool { return true }); !errors.Is(err, ErrStructure) {
		t.Errorf("mustUnderstand=yes: %v", err)
	}
}

func TestNewAndAddHeader(t *testing.T) {
	env := New()
	blk := etree.NewElement("eb:Messaging")
	blk.CreateAttr("xmlns:eb", nsEB)
	env.AddHeader(blk)
	b, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if _, err := back.HeaderBlock(nsEB, "Messaging"); err != nil {
		t.Errorf("%s: %v", b, err)
	}
	if back.Version != NS12 {
		t.Errorf("Version = %q", back.Version)
	}
	// AddHeader creates a missing Header before the Body.
	env2, err := ParseBytes([]byte(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	env2.AddHeader(blk.Copy())
	b2, _ := env2.Bytes()
	if _, err := ParseBytes(b2, xmlsafe.DefaultLimits); err != nil {
		t.Errorf("%s: %v", b2, err)
	}
}

func TestFaultRoundTrip(t *testing.T) {
	detail := etree.NewElement("d")
	detail.SetText("why")
	in := &Fault{Code: Sender, Subcode: &QName{Space: nsEB, Local: "InvalidHeader"}, Reason: "bad <header>", Role: RoleUltimateReceiver, Detail: detail}
	env, err := NewFault(in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Fault()
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if got.Code != in.Code || *got.Subcode != *in.Subcode || got.Reason != in.Reason || got.Role != in.Role || got.Detail == nil || got.Detail.Text() != "why" {
		t.Errorf("round trip: %+v", got)
	}
	if !strings.Contains(got.Error(), "InvalidHeader") {
		t.Errorf("Error() = %q", got.Error())
	}
	if _, err := (&Fault{Code: "Nonsense"}).Element(); !errors.Is(err, ErrFault) {
		t.Errorf("bad code: %v", err)
	}
	if _, err := New().Fault(); !errors.Is(err, ErrNotFound) {
		t.Errorf("no fault: %v", err)
	}
}

func TestFault11(t *testing.T) {
	xml := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client.Auth</faultcode><faultstring>nope</faultstring></s:Fault></s:Body></s:Envelope>`
	env, err := ParseBytes([]byte(xml), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	f, err := env.Fault()
	if err != nil {
		t.Fatal(err)
	}
	if f.Code != Sender || f.Reason != "nope" {
		t.Errorf("got %+v", f)
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/TestReceipt11.xml", "testdata/TestReceipt12.xml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<S:Envelope xmlns:S="http://www.w3.org/2003/05/soap-envelope"><S:Body><S:Fault><S:Code><S:Value>S:Sender</S:Value></S:Code></S:Fault></S:Body></S:Envelope>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := ParseBytes(b, xmlsafe.Limits{MaxBytes: 1 << 16, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 1024, MaxElements: 2000})
		if err != nil {
			return
		}
		if env.Body == nil || (env.Version != NS11 && env.Version != NS12) {
			t.Fatal("Parse returned an envelope without Body or version")
		}
		_ = env.CheckMustUnderstand(func(*etree.Element) bool { return false })
		if fl, err := env.Fault(); err == nil && fl == nil {
			t.Fatal("Fault returned (nil, nil)")
		}
	})
}
