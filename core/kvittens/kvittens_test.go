package kvittens

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

var diggExamples = map[string]struct {
	code    ResponseCode
	reasons []Reason
}{
	"Kvittens_AP-Accepterat.xml": {Accepted, nil},
	"Kvittens_RE-AnnatFel.xml":   {Rejected, []Reason{BV, BV}},
	"Kvittens_RE-SCHFel.xml":     {Rejected, []Reason{BV, BV}},
	"Kvittens_RE-SIG.xml":        {Rejected, []Reason{SIG}},
	"Kvittens_RE-XSDFel.xml":     {Rejected, []Reason{SV}},
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ids(vs []Violation) string {
	m := map[string]bool{}
	for _, v := range vs {
		m[v.Rule] = true
	}
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

func TestDIGGExamples(t *testing.T) {
	for f, want := range diggExamples {
		r, err := ParseBytes(mustRead(t, f))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if r.Code != want.code || len(r.Lines) != len(want.reasons) || r.DocumentID != "ID-FROM-XHE-12354689" ||
			r.Sender != "0203:myndighetA.org" || r.Receiver != "0203:myndighetB.org" {
			t.Fatalf("%s: %+v", f, r)
		}
		for i, l := range r.Lines {
			if l.Reason != want.reasons[i] || l.Text == "" || l.LineID == "" {
				t.Errorf("%s line %d: %+v", f, i, l)
			}
		}
	}
}

type mutation struct{ name, file, old, new, want string }

func mutations() []mutation {
	const acc, rej = "Kvittens_AP-Accepterat.xml", "Kvittens_RE-SIG.xml"
	return []mutation{
		{"R1 Note", acc, "<cbc:ProfileID>", "<cbc:Note>n</cbc:Note><cbc:ProfileID>", "R1-APP"},
		{"R1 attribute", acc, `<cbc:ID>KVT-1`, `<cbc:ID schemeID="x">KVT-1`, "R1-APP"},
		{"R1 party name", acc, "</cac:SenderParty>", "<cac:PartyName><cbc:Name>A</cbc:Name></cac:PartyName></cac:SenderParty>", "R1-APP"},
		{"R2 empty", acc, "<cbc:ID>KVT-1</cbc:ID>", "<cbc:ID> </cbc:ID>", "R2-APP"},
		{"R3", acc, "messagetype:response:1<", "messagetype:response:2<", "R3-APP"},
		{"R4", acc, ">bdx:noprocess<", ">bdx:process<", "R4-APP"},
		{"R5", acc, ">ACCEPTED<", ">OK<", "R5-APP"},
		{"R6", rej, "<cbc:ResponseCode>SIG<", "<cbc:ResponseCode>SEC<", "R6-APP"},
		{"R7", acc, "</cac:DocumentResponse>", "<cac:LineResponse><cac:LineReference><cbc:LineID>NA</cbc:LineID></cac:LineReference><cac:Response><cbc:ResponseCode>BV</cbc:ResponseCode><cac:Status><cbc:StatusReason>x</cbc:StatusReason></cac:Status></cac:Response></cac:LineResponse></cac:DocumentResponse>", "R7-APP"},
		{"R8", acc, ">ACCEPTED<", ">REJECTED<", "R8-APP"},
		{"R9 no IssueTime", acc, "<cbc:IssueTime>12:00:00Z</cbc:IssueTime>", "", "R9-APP"},
		{"R9 no StatusReason", rej, "<cbc:StatusReason>Signatur ej korrekt</cbc:StatusReason>", "<cbc:StatusReasonCode>x</cbc:StatusReasonCode>", "R9-APP"},
		{"R9 no schemeID", acc, `<cbc:EndpointID schemeID="iso6523-actorid-upis">0203:myndighetB.org`, `<cbc:EndpointID>0203:myndighetB.org`, "R9-APP"},
	}
}

func TestRules(t *testing.T) {
	for _, m := range mutations() {
		t.Run(m.name, func(t *testing.T) {
			base := string(mustRead(t, m.file))
			if !strings.Contains(base, m.old) {
				t.Fatalf("%s lacks %q", m.file, m.old)
			}
			doc, err := xmlsafe.ParseBytes([]byte(strings.Replace(base, m.old, m.new, 1)), xmlsafe.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(Validate(doc.Root())); got != m.want {
				t.Fatalf("rules %s, want %s", got, m.want)
			}
			var rej *Rejection
			if _, err := Parse(doc.Root()); !errors.As(err, &rej) {
				t.Fatalf("Parse: %v", err)
			}
		})
	}
}

func TestBuild(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	acc := New("KVT-7", now, "7bc5576a-3f87-4cf5-a0c5-277da06fcacb", "0203:a.se", "0203:b.se", nil)
	rej := New("KVT-8", now, "7bc5576a-3f87-4cf5-a0c5-277da06fcacb", "0203:a.se", "0203:b.se",
		&Rejection{Reason: BV, Detail: DetailInvariant, Violations: []Violation{{Rule: "senderIdvalue", Location: "/x", Reason: BV, Detail: DetailInvariant, Text: "secret value"}}})
	sig := New("KVT-9", now, "id", "0203:a.se", "0203:b.se", &Rejection{Reason: SIG, Detail: DetailSecurity})
	for _, r := range []*Receipt{acc, rej, sig} {
		b, err := r.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBytes(b)
		if err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if got.Sender != "0203:b.se" || got.Receiver != "0203:a.se" || got.IssueDate != "2026-11-27" || got.IssueTime != "02:04:05Z" || got.Code != r.Code || len(got.Lines) != len(r.Lines) {
			t.Fatalf("%+v", got)
		}
		if strings.Contains(string(b), "secret value") {
			t.Fatal("violation text (content) echoed into the receipt")
		}
	}
	if sig.Lines[0].LineID != LineNA || sig.Lines[0].Reason != SIG || sig.Lines[0].Code != "security" {
		t.Fatalf("%+v", sig.Lines)
	}
	if _, err := (&Receipt{}).Bytes(); err == nil {
		t.Fatal("empty receipt built")
	}
}

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		e    Event
		want Decision
	}{
		{EventValid, Decision{Send: true, Code: Accepted}},
		{EventUnknownRefTo, Decision{Send: true, Code: Accepted}},
		{EventSchema, Decision{true, Rejected, SV, DetailStructure}},
		{EventMalware, Decision{true, Rejected, BV, DetailForbidden}},
		{EventTooLong, Decision{true, Rejected, BV, DetailTooLong}},
		{EventRule, Decision{true, Rejected, BV, DetailInvariant}},
		{EventDuplicate, Decision{true, Rejected, BV, DetailDuplicate}},
		{EventUnsupportedFile, Decision{true, Rejected, BV, DetailNotSupported}},
		{EventRefToRejected, Decision{true, Rejected, BV, DetailNotSupported}},
		{EventUnknownFunction, Decision{true, Rejected, BV, DetailNotFound}},
		{EventBadSignature, Decision{true, Rejected, SIG, DetailSecurity}},
		{EventWrongSigner, Decision{true, Rejected, SIG, DetailSecurity}},
		{EventNotEncrypted, Decision{true, Rejected, SIG, DetailSecurity}},
		{EventSenderMismatch, Decision{true, Rejected, BV, DetailSecurity}},
		{EventRecipientMismatch, Decision{true, Rejected, BV, DetailSecurity}},
		{EventFunctionMismatch, Decision{true, Rejected, BV, DetailSecurity}},
		{EventSenderNotInSMP, Decision{}},
		{EventIsReceipt, Decision{}},
		{Event("bogus"), Decision{true, Rejected, BV, DetailInvariant}},
	} {
		if got := Decide(tc.e); got != tc.want {
			t.Errorf("Decide(%s) = %+v, want %+v", tc.e, got, tc.want)
		}
	}
	if d := DecideError(&Rejection{Reason: SIG, Detail: DetailSecurity}); d.Reason != SIG || d.Code != Rejected {
		t.Fatal(d)
	}
	if d := DecideError(nil); d.Code != Accepted {
		t.Fatal(d)
	}
	if d := DecideError(errors.New("x")); d.Reason != SV {
		t.Fatal(d)
	}
}

func TestRejectPrefersSV(t *testing.T) {
	r := Reject([]Violation{{Rule: "a", Reason: BV, Detail: DetailInvariant}, {Rule: "XSD", Reason: SV, Detail: DetailStructure}})
	if r.Reason != SV || r.Detail != DetailStructure || len(r.Violations) != 2 {
		t.Fatal(r)
	}
	if Reject(nil) != nil {
		t.Fatal("Reject(nil) != nil")
	}
}

func FuzzParseBytes(f *testing.F) {
	f.Add(mustRead(f, "Kvittens_RE-SIG.xml"))
	f.Add(mustRead(f, "Kvittens_AP-Accepterat.xml"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseBytes(b)
		if err == nil {
			if r == nil {
				t.Fatal("nil receipt without error")
			}
		}
	})
}
