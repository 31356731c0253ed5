package xhe

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// diggValid are DIGG's XHEs; DIGG's compiled schematron reports no failed-assert on any
// (TestSchematronInterop checks that) and neither may Validate.
var diggValid = []string{
	"XHE-NonXML-tm-base.xml", "XHE-tm-base.xml", "XHE-tm-base-ext-sigenc.xml",
	"xhe_unencrypted.embedded.xml", "as4_xhe_encrypted.embedded.xml",
	"xhe_encrypted_payload.xml", "xhe_unencrypted_payload.xml",
}

func readDoc(t testing.TB, name string) *etree.Document {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	doc, _, err := ParseBytes(b)
	if err != nil {
		doc, err = xmlsafe.ParseBytes(bytes.TrimPrefix(b, utf8BOM), xmlsafe.DefaultLimits)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

func ruleIDs(vs []kvittens.Violation) []string {
	m := map[string]bool{}
	for _, v := range vs {
		m[v.Rule] = true
	}
	var out []string
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

func TestDIGGExamplesValid(t *testing.T) {
	for _, f := range diggValid {
		doc := readDoc(t, f)
		if vs := Validate(doc.Root()); len(vs) > 0 {
			t.Errorf("%s: %v", f, vs)
		}
		e, err := Parse(doc.Root())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if e.Criterion(ProcessIDScheme) != ProcessScheme || e.From == "" || e.To == "" || (e.Content == nil) == (e.ContentText == "") {
			t.Errorf("%s: parsed %+v", f, e)
		}
	}
	_, e, err := ParseBytes(mustRead(t, "as4_xhe_encrypted.embedded.xml"))
	if err != nil || !e.Encrypted || e.HandlingServiceID != "sdk.testbed.0203:testa.testbed.inera.se" ||
		e.From != "0203:testb.testbed.inera.se" || e.To != "0203:testa.testbed.inera.se" ||
		e.Criterion(DocumentID) != DocIDMessage || e.Criterion(FederationID) != FederationSDK ||
		e.DocumentTypeCode != DocTypeMessage || e.Content.Tag != "EncryptedData" {
		t.Fatalf("encrypted example parsed as %+v, %v", e, err)
	}
}

func mustRead(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mutation breaks one rule in XHE-tm-base.xml; want lists our rule ids, digg the
// failed-assert ids DIGG's compiled schematron gives (they differ only for R11, whose
// DIGG version re-tests FromParty).
type mutation struct {
	name, old, new string
	want, digg     []string
}

func mutations() []mutation {
	const ns = `xmlns:ext="http://docs.oasis-open.org/bdxr/ns/XHE/1/ExtensionComponents"`
	return []mutation{
		{"R1 ProfileID", "<xha:Header>", "<ProfileID>p</ProfileID><xha:Header>", []string{"R1-XHE"}, nil},
		{"R1 Payload Description", "<DocumentTypeCode>", "<Description>d</Description><DocumentTypeCode>", []string{"R1-XHE"}, nil},
		{"R1 XHEExtensions", "<XHEVersionID>", "<ext:XHEExtensions " + ns + "><ext:XHEExtension>x</ext:XHEExtension></ext:XHEExtensions><XHEVersionID>", []string{"R1-XHE"}, nil},
		{"R2 empty", "<HandlingServiceID>ABC</HandlingServiceID>", "<HandlingServiceID> </HandlingServiceID>", []string{"R2-XHE"}, nil},
		{"R3", "urn:fdc:digg.se:edelivery:xhe:1", "urn:fdc:digg.se:edelivery:xhe:2", []string{"R3-XHE"}, nil},
		{"R4", ">DOCUMENTID<", ">DOCUMENT<", []string{"R4-XHE"}, nil},
		{"R5", ">DOCUMENTID_SCHEME<", ">DOCUMENTIDSCHEME<", []string{"R5-XHE"}, nil},
		{"R6", ">PROCESSID<", ">PROCESS<", []string{"R6-XHE"}, nil},
		{"R7", ">PROCESSID_SCHEME<", ">PROCESS_SCHEME<", []string{"R7-XHE"}, nil},
		{"R8", ">FEDERATIONID<", ">FEDERATION<", []string{"R8-XHE"}, nil},
		{"R9", "<XHEVersionID>1.0<", "<XHEVersionID>1.1<", []string{"R9-XHE"}, nil},
		{"R10", `<ID schemeID="iso6523-actorid-upis">0203:myndighetA.org`, `<ID schemeID="0007">0203:myndighetA.org`, []string{"R10-XHE"}, []string{"R10-XHE", "R11-XHE"}},
		{"R11", `<ID schemeID="iso6523-actorid-upis">0203:myndighetB.org`, `<ID schemeID="0007">0203:myndighetB.org`, []string{"R11-XHE"}, []string{}},
		{"R12", "<InstanceEncryptionIndicator>false<", "<InstanceEncryptionIndicator>true<", []string{"R12-XHE"}, nil},
		{"R14 two payloads", "</xha:Payloads>", "<xha:Payload><DocumentTypeCode>a</DocumentTypeCode><ContentTypeCode>b</ContentTypeCode><InstanceEncryptionIndicator>false</InstanceEncryptionIndicator><xha:PayloadContent>c</xha:PayloadContent></xha:Payload></xha:Payloads>", []string{"R14-XHE"}, nil},
		{"R14 no FromParty", "<xha:FromParty>\n      <xha:PartyIdentification>\n        <ID schemeID=\"iso6523-actorid-upis\">0203:myndighetA.org</ID>\n      </xha:PartyIdentification>\n    </xha:FromParty>", "", []string{"R14-XHE"}, nil},
	}
}

func TestRules(t *testing.T) {
	base := string(mustRead(t, "XHE-tm-base.xml"))
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			if !strings.Contains(base, m.old) {
				t.Fatalf("base lacks %q", m.old)
			}
			doc, err := xmlsafe.ParseBytes([]byte(strings.Replace(base, m.old, m.new, 1)), xmlsafe.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			got := ruleIDs(Validate(doc.Root()))
			if strings.Join(got, ",") != strings.Join(m.want, ",") {
				t.Fatalf("rules %v, want %v", got, m.want)
			}
			_, err = Parse(doc.Root())
			var rej *kvittens.Rejection
			if !errors.As(err, &rej) || rej.Reason != kvittens.BV {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestR13(t *testing.T) {
	doc := readDoc(t, "XHE-tm-base-ext-sigenc.xml")
	root := doc.Root()
	for _, el := range root.FindElements("//InstanceEncryptionIndicator") {
		el.SetText("false")
	}
	if got := ruleIDs(Validate(root)); strings.Join(got, ",") != "R13-XHE" {
		t.Fatalf("rules %v", got)
	}
}

func TestNotXHE(t *testing.T) {
	doc := etree.NewDocument()
	doc.CreateElement("a")
	if vs := Validate(doc.Root()); len(vs) != 1 || vs[0].Reason != kvittens.SV {
		t.Fatal(vs)
	}
	if _, _, err := ParseBytes([]byte("<a")); !errors.Is(err, ErrNotXHE) {
		t.Fatal(err)
	}
}

func sample() *Envelope {
	c := etree.NewElement("tns:messagePayload")
	c.CreateAttr("xmlns:tns", "urn:riv:infrastructure:messaging:MessageWithAttachments:3")
	c.CreateElement("tns:message").SetText("x")
	return &Envelope{
		ID: "7bc5576a-3f87-4cf5-a0c5-277da06fcacb", CreationDateTime: "2026-01-02T03:04:05.006Z",
		Scope: Scope(DocIDMessage, FederationTest), From: "0203:a.example.se", To: "0203:b.example.se",
		DocumentTypeCode: DocTypeMessage, ContentTypeCode: ContentTypeXML, HandlingServiceID: "sdk:inkorg",
		Content: c,
	}
}

func TestBuildParse(t *testing.T) {
	e := sample()
	doc := e.Document()
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := ParseBytes([]byte(s))
	if err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	if got.ID != e.ID || got.From != e.From || got.To != e.To || got.HandlingServiceID != e.HandlingServiceID ||
		got.Criterion(FederationID) != FederationTest || got.Encrypted || got.Content.Tag != "messagePayload" ||
		len(got.Scope) != 5 {
		t.Fatalf("round trip: %+v", got)
	}
	if e.Content.Parent() != nil {
		t.Fatal("Document adopted the caller's Content element")
	}
}

func FuzzParseBytes(f *testing.F) {
	f.Add(mustRead(f, "XHE-tm-base.xml"))
	f.Add(mustRead(f, "xhe_unencrypted.embedded.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, e, err := ParseBytes(b)
		if err == nil && (doc == nil || e == nil) {
			t.Fatal("nil result without error")
		}
	})
}
