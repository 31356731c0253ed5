package sdkmsg

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
)

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rules(vs []kvittens.Violation) map[string]bool {
	m := map[string]bool{}
	for _, v := range vs {
		m[v.Rule] = true
	}
	return m
}

// TestDIGGFiles gives DIGG's example and felhantering test data the verdict DIGG intends.
func TestDIGGFiles(t *testing.T) {
	for _, tc := range []struct {
		file   string
		reason kvittens.Reason
		detail kvittens.Detail
		rules  []string
	}{
		{file: "min.xml"},
		{file: "messageWithAttachments3.xml"},
		{file: "TF2.4.1.xml", reason: kvittens.SV, detail: kvittens.DetailStructure, rules: []string{"XSD", RuleCreationTime, RuleConversationID}},
		{file: "TF2.4.2.xml", reason: kvittens.BV, detail: kvittens.DetailInvariant, rules: []string{RuleSenderID}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			vs := Validate(read(t, tc.file))
			_, err := Parse(read(t, tc.file))
			if tc.reason == "" {
				if len(vs) > 0 || err != nil {
					t.Fatalf("want valid, got %v (%v)", vs, err)
				}
				return
			}
			var rej *kvittens.Rejection
			if !errors.As(err, &rej) || rej.Reason != tc.reason || rej.Detail != tc.detail {
				t.Fatalf("Parse error = %v, want rejection %s/%s", err, tc.reason, tc.detail)
			}
			got := rules(vs)
			for _, r := range tc.rules {
				if !got[r] {
					t.Errorf("missing rule %s in %v", r, vs)
				}
			}
			if len(got) != len(tc.rules) {
				t.Errorf("rules = %v, want exactly %v", vs, tc.rules)
			}
		})
	}
}

// TestRules mutates min.xml to break each rule of MessageConstraints.xml, each XSD
// constraint class and each [CONTENT] rule in turn.
type ruleCase struct {
	name, old, new, rule string
	reason               kvittens.Reason
}

func ruleCases() []ruleCase {
	return []ruleCase{
		{"verifyNonEmptyElements", "<ns2:documentName>SDK-Meddelande</ns2:documentName>", "<ns2:documentName> </ns2:documentName>", RuleNonEmpty, kvittens.BV},
		{"creationDateTime no millis", "2019-08-22T07:27:15.433Z", "2019-08-22T07:27:15Z", RuleCreationTime, kvittens.BV},
		{"creationDateTime offset", "2019-08-22T07:27:15.433Z", "2019-08-22T07:27:15.433+02:00", RuleCreationTime, kvittens.BV},
		{"MessageId", "<ns2:messageId>3a94b4ed-a6d7-41e2-945d-b3fa91e8a6e9", "<ns2:messageId>3a94b4ed-a6d7-41e2-945d-b3fa91e8a6e", RuleMessageID, kvittens.BV},
		{"conversationId", "<ns2:conversationId>3a94b4ed", "<ns2:conversationId>xa94b4ed", RuleConversationID, kvittens.BV},
		{"refToMessageId", "<ns2:label>Printerpapper", "<ns2:refToMessageId>nope</ns2:refToMessageId><ns2:label>Printerpapper", RuleRefToMessageID, kvittens.BV},
		{"subjectlabel", "<ns2:label>Printerpapper", "<ns2:label>" + strings.Repeat("å", 257), RuleSubjectLabel, kvittens.BV},
		{"contentFiles", "<ns2:ContentText>", "<ns2:ContentFiles><ns2:fileName>a.pdf</ns2:fileName><ns2:contentType>application/pdf</ns2:contentType><ns2:content>=AAA</ns2:content></ns2:ContentFiles><ns2:ContentText>", RuleContentFiles, kvittens.BV},
		{"subOrgRoot", "<ns2:root>urn:riv:infrastructure:messaging:functionalAddress</ns2:root>\n\t\t\t\t\t\t\t<ns2:extension>test.function", "<ns2:root>urn:riv:other</ns2:root>\n\t\t\t\t\t\t\t<ns2:extension>test.function", RuleSubOrgRoot, kvittens.BV},
		{"recipientIdvalue", "<ns2:root>iso6523-actorid-upis</ns2:root>\n\t\t\t\t\t<ns2:extension>0203:test.recipient", "<ns2:root>0007</ns2:root>\n\t\t\t\t\t<ns2:extension>0203:test.recipient", RuleRecipientID, kvittens.BV},
		{"senderIdvalue", "<ns2:root>iso6523-actorid-upis</ns2:root>\n\t\t\t\t\t<ns2:extension>0203:test.sender", "<ns2:root>x</ns2:root>\n\t\t\t\t\t<ns2:extension>0203:test.sender", RuleSenderID, kvittens.BV},
		{"CONTENT-0203", "0203:test.sender.inera.se", "0007:5560000000", RuleParticipant0203, kvittens.BV},
		{"CONTENT-documents", "<ns2:ContentText>\n\t\t\t\t\t<ns2:characterSequence>Teststring</ns2:characterSequence>\n\t\t\t\t</ns2:ContentText>", "", RuleDocumentContent, kvittens.BV},
		{"CONTENT-base64", "<ns2:ContentText>", "<ns2:ContentFiles><ns2:fileName>a.pdf</ns2:fileName><ns2:contentType>application/pdf</ns2:contentType><ns2:content>AAA!</ns2:content></ns2:ContentFiles><ns2:ContentText>", RuleBase64, kvittens.BV},
		{"XSD order", "<ns2:confidentiality>true</ns2:confidentiality>", "", "XSD", kvittens.SV},
		{"XSD boolean", "<ns2:confidentiality>true<", "<ns2:confidentiality>yes<", "XSD", kvittens.SV},
		{"XSD unknown element", "<ns2:index>1</ns2:index>", "<ns2:index>1</ns2:index><ns2:page>1</ns2:page>", "XSD", kvittens.SV},
		{"XSD attribute", "<ns2:message>", `<ns2:message id="x">`, "XSD", kvittens.SV},
		{"XSD label maxLength", "<ns2:label>SDK: The function ID of the recipient", "<ns2:label>" + strings.Repeat("x", 257), "XSD", kvittens.SV},
		{"XSD no-namespace element", "<ns2:index>1</ns2:index>", "<ns2:index>1</ns2:index><plain>1</plain>", "XSD", kvittens.SV},
		{"XSD text in element-only", "<ns2:messageBody>", "<ns2:messageBody>text", "XSD", kvittens.SV},
		{"XSD dateTime Feb 30", "2019-08-22T07", "2019-02-30T07", "XSD", kvittens.SV},
	}
}

func TestRules(t *testing.T) {
	min := string(read(t, "min.xml"))
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(min, tc.old) {
				t.Fatalf("min.xml lacks %q", tc.old)
			}
			b := []byte(strings.Replace(min, tc.old, tc.new, 1))
			vs := Validate(b)
			if !rules(vs)[tc.rule] {
				t.Fatalf("violations %v lack %s", vs, tc.rule)
			}
			for _, v := range vs {
				if v.Location == "" || v.Text == "" {
					t.Errorf("violation without location or text: %+v", v)
				}
			}
			if rej := kvittens.Reject(vs); rej.Reason != tc.reason {
				t.Errorf("reason %s, want %s", rej.Reason, tc.reason)
			}
		})
	}
}

func TestExtensionElementsTolerated(t *testing.T) {
	min := string(read(t, "min.xml"))
	b := strings.Replace(min, "</ns2:sender>", `<x:ext xmlns:x="urn:example:ext"><x:a>1</x:a></x:ext></ns2:sender>`, 1)
	b = strings.Replace(b, "</ns2:message>", `<x:more xmlns:x="urn:example:ext">z</x:more></ns2:message>`, 1)
	if vs := Validate([]byte(b)); len(vs) != 0 {
		t.Fatalf("extension elements rejected: %v", vs)
	}
	m, err := Parse([]byte(b))
	if err != nil || m.Sender.ID != "0203:test.sender.inera.se" {
		t.Fatalf("Parse = %+v, %v", m, err)
	}
	// A tns element after an extension element breaks the sequence.
	b2 := strings.Replace(min, "<ns2:index>1</ns2:index>", `<x:e xmlns:x="urn:x">1</x:e><ns2:index>1</ns2:index>`, 1)
	if !rules(Validate([]byte(b2)))["XSD"] {
		t.Fatal("tns element after extension accepted")
	}
}

func TestTooLong(t *testing.T) {
	b := bytes.Repeat([]byte(" "), MaxBytes+1)
	_, err := Parse(b)
	var rej *kvittens.Rejection
	if !errors.As(err, &rej) || rej.Reason != kvittens.BV || rej.Detail != kvittens.DetailTooLong {
		t.Fatalf("err = %v, want BV/too-long", err)
	}
}

func TestNotWellFormed(t *testing.T) {
	for _, in := range []string{"<a>", `<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>`, ""} {
		vs := Validate([]byte(in))
		if len(vs) != 1 || vs[0].Reason != kvittens.SV {
			t.Errorf("%q: %v", in, vs)
		}
	}
}

func sample() *Message {
	return &Message{
		CreationDateTime: FormatTime(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC)),
		MessageID:        "7bc5576a-3f87-4cf5-a0c5-277da06fcacb",
		ConversationID:   "7bc5576a-3f87-4cf5-a0c5-277da06fcacb",
		Label:            "Rubrik <&>",
		Recipient:        Party{ID: "0203:b.example.se", Attention: &Attention{FunctionAddress: "sdk:inkorg:0203:b.example.se", FunctionLabel: "Inkorg"}},
		Sender:           Party{ID: "0203:a.example.se", Attention: &Attention{FunctionAddress: "sdk:utkorg", References: []Reference{{ReferenceID: II{Root: "dnr", Extension: "2026/1"}}}}},
		Documents: []Document{{DocumentID: "d1", Index: "1", Texts: []string{"# Hej"},
			Files: []File{{FileName: "a.pdf", ContentType: "application/pdf", Content: []byte("%PDF-1.7 ...")}}}},
	}
}

func TestBuildParseRoundTrip(t *testing.T) {
	m := sample()
	b, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatalf("own output invalid: %v\n%s", err, b)
	}
	if got.Label != m.Label || got.Recipient.Attention.FunctionAddress != "sdk:inkorg:0203:b.example.se" ||
		string(got.Documents[0].Files[0].Content) != "%PDF-1.7 ..." || got.Documents[0].Texts[0] != "# Hej" ||
		got.Sender.Attention.References[0].ReferenceID.Extension != "2026/1" || got.CreationDateTime != "2026-01-02T03:04:05.006Z" {
		t.Fatalf("round trip mismatch: %+v", got)
	}
	bad := sample()
	bad.Documents[0].Texts, bad.Documents[0].Files = nil, nil
	if _, err := bad.Bytes(); err == nil {
		t.Fatal("document without content built")
	}
}

func FuzzValidate(f *testing.F) {
	f.Add(read(f, "min.xml"))
	f.Add(read(f, "TF2.4.1.xml"))
	f.Add([]byte("<a/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		vs := Validate(b)
		m, err := Parse(b)
		if (len(vs) == 0) != (err == nil) || (err == nil && m == nil) {
			t.Fatalf("Validate %v vs Parse %v", vs, err)
		}
		if err == nil {
			if _, err := m.Bytes(); err != nil {
				t.Fatalf("valid message does not rebuild: %v", err)
			}
		}
	})
}
