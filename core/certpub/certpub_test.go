package certpub

import (
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
)

func roundTrip(t *testing.T, el *etree.Element) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	doc.SetRoot(el.Copy())
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	d2, err := xmlsafe.ParseBytes([]byte(s), xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return d2.Root()
}

func TestBuildParse(t *testing.T) {
	pki := demopki.ForTest(t)
	in := []Certificate{{Signing, pki.Leaf("org-a").Cert}, {Encryption, pki.Leaf("org-b").Cert}}
	el, err := Element(in)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(roundTrip(t, el))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Cert.Equal(in[0].Cert) || got[1].Use != Encryption || !ByUse(got, Encryption).Equal(in[1].Cert) {
		t.Fatalf("got %+v", got)
	}
	if !Is("", el) || !Is(ExtensionID, nil) || Is("other", nil) {
		t.Error("Is")
	}
	if ByUse(got[:1], Encryption) != nil {
		t.Error("ByUse found a missing use")
	}
}

func TestParseRejects(t *testing.T) {
	pki := demopki.ForTest(t)
	good, _ := Element([]Certificate{{Signing, pki.Leaf("org-a").Cert}})
	s, _ := func() (string, error) { d := etree.NewDocument(); d.SetRoot(good); return d.WriteToString() }()
	for name, mutate := range map[string]func(string) string{
		"unknown type":  func(s string) string { return strings.Replace(s, string(Signing), "urn:x", 1) },
		"bad base64":    func(s string) string { return strings.Replace(s, `">MI`, `">!!MI`, 1) },
		"not a cert":    func(s string) string { return strings.Replace(s, `">MI`, `">AAAA`, 1) },
		"other ns":      func(s string) string { return strings.Replace(s, Namespace, "urn:other", 1) },
		"foreign child": func(s string) string { return strings.Replace(s, "</cp:Certificates>", "<cp:X/></cp:Certificates>", 1) },
		"empty":         func(s string) string { return `<cp:Certificates xmlns:cp="` + Namespace + `"/>` },
	} {
		d, err := xmlsafe.ParseBytes([]byte(mutate(s)), xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := Parse(d.Root()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Element(nil); err == nil {
		t.Error("Element(nil) accepted")
	}
	if _, err := Element([]Certificate{{Use: "x", Cert: pki.Leaf("org-a").Cert}}); err == nil {
		t.Error("unknown use accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`<cp:Certificates xmlns:cp="` + Namespace + `"><cp:Certificate type="` + string(Signing) + `">AAAA</cp:Certificate></cp:Certificates>`)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := xmlsafe.ParseBytes([]byte(s), xmlsafe.DefaultLimits)
		if err != nil || d.Root() == nil {
			return
		}
		certs, err := Parse(d.Root())
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificates")
		}
	})
}
