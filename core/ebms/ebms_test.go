package ebms

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/soap"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// loadEnvelope reads a captured file: plain XML, an HTTP dump with a SOAP
// body (.as4in) or an HTTP dump with a multipart/related body (.as4out),
// whose root part core/mime extracts.
func loadEnvelope(t testing.TB, name string) (*soap.Envelope, error) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	body := raw
	if ext := filepath.Ext(name); ext == ".as4in" || ext == ".as4out" {
		br := bufio.NewReader(bytes.NewReader(raw))
		h, err := textproto.NewReader(br).ReadMIMEHeader()
		if err != nil {
			t.Fatalf("%s: http header: %v", name, err)
		}
		if body, err = io.ReadAll(br); err != nil {
			t.Fatal(err)
		}
		if ct := h.Get("Content-Type"); strings.HasPrefix(ct, "multipart/") {
			r, err := mime.NewReader(ct, bytes.NewReader(body), mime.DefaultLimits)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if _, body, err = r.Root(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
	}
	return soap.ParseBytes(body, xmlsafe.DefaultLimits)
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

const (
	initiator = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"
	responder = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"
	unreg     = "urn:oasis:names:tc:ebcore:partyid-type:unregistered"
)

func domibusUser(id, msgID, at, from, to, conv string, props []Property, parts []PartInfo) *Messaging {
	return &Messaging{ID: id, MustUnderstand: true, UserMessage: &UserMessage{
		MPC:  DefaultMPC,
		Info: MessageInfo{Timestamp: ts(at), MessageID: msgID},
		From: Party{ID: from, Type: unreg, Role: initiator},
		To:   Party{ID: to, Type: unreg, Role: responder},
		Collaboration: CollaborationInfo{
			Service: Service{Value: "bdx:noprocess", Type: "tc1"}, Action: "TC1Leg1", ConversationID: conv,
		},
		Properties: props,
		Payloads:   parts,
	}}
}

var (
	c1       = Property{Name: "originalSender", Value: "urn:oasis:names:tc:ebcore:partyid-type:unregistered:C1"}
	c4       = Property{Name: "finalRecipient", Value: "urn:oasis:names:tc:ebcore:partyid-type:unregistered:C4"}
	cidMsgGz = PartInfo{Href: "cid:message", Properties: []Property{{Name: "CompressionType", Value: "application/gzip"}, {Name: "MimeType", Value: "text/xml"}}}
)

// receiptWant summarises a receipt: its header and its NR reference URIs.
type receiptWant struct {
	id, msgID, refTo, at string
	uris                 []string
	other                int
	mustUnderstand       bool
}

func TestCapturedUserMessages(t *testing.T) {
	tests := []struct {
		file string
		want *Messaging
	}{
		{"UserMessage12.xml", &Messaging{MustUnderstand: true, UserMessage: &UserMessage{
			Info: MessageInfo{Timestamp: ts("2011-04-03T14:49:28.886Z"), MessageID: "2011-921@5209999001264.example.com"},
			From: Party{ID: "5209999001264", Type: "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088", Role: "Seller"},
			To:   Party{ID: "5209999001295", Type: "urn:oasis:names:tc:ebcore:partyid-type:iso6523:0088", Role: "Buyer"},
			Collaboration: CollaborationInfo{
				Service:        Service{Value: "http://docs.oasis-open.org/ebxml-msg/as4/200902/service"},
				Action:         "http://docs.oasis-open.org/ebxml-msg/as4/200902/action",
				ConversationID: "2011-921",
			},
			Payloads: []PartInfo{{Href: "#_f8aa8b55-b31c-4364-94d0-3615ca65aa40"}},
		}}},
		{"WrongSigningAlgorithm.xml", &Messaging{MustUnderstand: true, UserMessage: &UserMessage{
			Info: MessageInfo{Timestamp: ts("2016-12-21T10:34:22.462Z"), MessageID: "0c5307dc-5f80-49f5-94ac-2422a8e0d595@ph-as4"},
			From: Party{ID: "APP_1000000101", Role: "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/sender"},
			To:   Party{ID: "APP_1000000101", Role: responder},
			Collaboration: CollaborationInfo{
				AgreementRef:   &AgreementRef{Value: "http://agreements.holodeckb2b.org/examples/agreement0", PMode: "mock-pmode-soap12"},
				Service:        Service{Value: "QuoteToCollect", Type: "MyServiceTypes"},
				Action:         "NewPurchaseOrder",
				ConversationID: "4321",
			},
			Properties: []Property{{Name: "originalSender", Value: "C1-test"}, {Name: "finalRecipient", Value: "C4-test"}},
			Payloads:   []PartInfo{{}},
		}}},
		{"from-holodeck-1.nolicense.xml", &Messaging{ID: "id-501d4b2b-1800503d-f84a-46a7-a0ac-f35a85b6d925", MustUnderstand: true, UserMessage: &UserMessage{
			Info: MessageInfo{Timestamp: ts("2017-01-10T13:46:53.701Z"), MessageID: "1d2726f5-e0f2-4a7d-b984-d073d630df29@PC65063.brzg.local"},
			From: Party{ID: "APP_1000000101", Role: initiator},
			To:   Party{ID: "APP_1000000101", Role: responder},
			Collaboration: CollaborationInfo{
				Service:        Service{Value: "urn:www.cenbii.eu:profile:bii04:ver2.0", Type: "cenbii-procid-ubl"},
				Action:         "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:www.cenbii.eu:transaction:biitrns010:ver2.0:extended:urn:www.peppol.eu:bis:peppol4a:ver2.0::2.1",
				ConversationID: "cc48ef1a-45f8-4b46-a58d-970759a8ecae@PC65063.brzg.local",
			},
			Properties: []Property{{Name: "originalSender", Value: "test"}, {Name: "finalRecipient", Value: "test"}},
			Payloads: []PartInfo{{Href: "cid:1d2726f5-e0f2-4a7d-b984-d073d630df2-197002057@PC65063.brzg.local",
				Properties: []Property{{Name: "CompressionType", Value: "application/gzip"}, {Name: "MimeType", Value: "application/xml"}}}},
		}}},
		{"dump-raw.as4out", &Messaging{ID: "phase4-msg-7dd929c7-ded5-4413-be57-d21af2c87b69", MustUnderstand: true, UserMessage: &UserMessage{
			Info: MessageInfo{Timestamp: ts("2026-01-29T15:39:03.805Z"), MessageID: "17a7c374-efe3-41e2-ac0d-8a8f47529e47@phase4"},
			From: Party{ID: "POP000306", Type: "urn:fdc:peppol.eu:2017:identifiers:ap", Role: initiator},
			To:   Party{ID: "POP000306", Type: "urn:fdc:peppol.eu:2017:identifiers:ap", Role: responder},
			Collaboration: CollaborationInfo{
				AgreementRef:   &AgreementRef{Value: "urn:fdc:peppol.eu:2017:agreements:tia:ap_provider"},
				Service:        Service{Value: "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0", Type: "cenbii-procid-ubl"},
				Action:         "busdox-docid-qns::urn:oasis:names:specification:ubl:schema:xsd:Invoice-2::Invoice##urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0::2.1",
				ConversationID: "phase4@Conv-4045816466640743733",
			},
			Properties: []Property{
				{Name: "originalSender", Type: "iso6523-actorid-upis", Value: "9915:phase4-test-sender"},
				{Name: "finalRecipient", Type: "iso6523-actorid-upis", Value: "9915:helger"},
			},
			Payloads: []PartInfo{{Href: "cid:phase4-att-ff0f8ad5-f982-48ba-b8e2-26997600f496@cid",
				Properties: []Property{{Name: "MimeType", Value: "application/xml"}, {Name: "CompressionType", Value: "application/gzip"}}}},
		}}},
		{"MSHAS4Request-signOnly.xml", domibusUser("_27340763-8e7b-434b-9c29-7fa5cd951dfa", "d2569e7d-1e6d-43cb-ac9f-96abd0d13ee7@domibus.eu",
			"2017-11-21T09:41:32Z", "domibus-blue", "domibus-red", "0015bfcd-b9db-4591-b10b-e935a8731fb1@domibus.eu",
			[]Property{c4, c1}, []PartInfo{{Href: "cid:message", Properties: []Property{{Name: "MimeType", Value: "text/xml"}, {Name: "CompressionType", Value: "application/gzip"}}}})},
		{"MSHAS4Request.xml", domibusUser("_abfaa979-ae91-4530-8f0a-2e7347f23ccf", "bb22d1a8-1c23-4f90-ada9-46708d91d7ba@domibus.eu",
			"2017-10-24T11:29:12Z", "domibus-red", "domibus-blue", "a25b174c-c354-4042-bb35-5f7f0e49edac@domibus.eu",
			[]Property{c1, c4}, nil)},
		{"SoapRequest.xml", domibusUser("_2ecd71f3-5ed4-4a45-9f6f-dbd60f1b3a35", "a9a491d9-d770-4a6e-a23f-eebdbd229558@domibus.eu",
			"2017-12-05T11:02:30Z", "domibus-blue", "domibus-red", "400b1014-0ba4-4435-be24-04c66210cc8c@domibus.eu",
			[]Property{c1, c4}, []PartInfo{cidMsgGz})},
		{"SoapRequestBinaryToken.xml", domibusUser("_f12593b8-bd5b-410f-82d2-b2b20dac6c04", "bbd129f0-ff62-40ce-ba69-73bbc3819306@domibus.eu",
			"2017-12-06T00:02:29Z", "domibus-blue", "domibus-red", "2a0f42e8-cf0f-4c93-895f-0fa48aec8e05@domibus.eu",
			[]Property{c1, c4}, []PartInfo{cidMsgGz})},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			env, err := loadEnvelope(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseEnvelope(env)
			if err != nil {
				t.Fatal(err)
			}
			if tc.file == "MSHAS4Request.xml" {
				// Two parts: the SOAP Body (no href) and one MIME part; check their
				// hrefs and MimeTypes, then compare the rest.
				ps := got.UserMessage.Payloads
				if len(ps) != 2 || ps[0].Href != "" || ps[0].MimeType() != "text/xml" ||
					ps[1].Href != "cid:payload_d13a58d3-0e86-4834-bb8a-4028780e18c9" {
					t.Errorf("payloads = %+v", ps)
				}
				got.UserMessage.Payloads = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got\n%+v\nwant\n%+v", dump(got), dump(tc.want))
			}
		})
	}
}

func dump(m *Messaging) string {
	if m.UserMessage != nil {
		return fmt.Sprintf("id=%s mu=%v %+v", m.ID, m.MustUnderstand, *m.UserMessage)
	}
	return fmt.Sprintf("%+v", *m)
}

func TestCapturedReceipts(t *testing.T) {
	tests := map[string]receiptWant{
		"TestReceipt12.xml": {"phase4-msg-16a44d96-0b9d-4752-a7f5-53bff8b33cb3", "d36e26c0-5d4d-4950-ad81-dc620681b5f9@phase4", "035e0a83-6dc5-427b-bcee-483475c65153@phase4", "2025-12-05T14:03:40.878Z",
			[]string{"#phase4-msg-3adda884-f9be-419a-b918-f4fb3e97f9c4", "#id-ed836bb0-6951-469a-9ffb-320390ae439d", "cid:phase4-att-a9297596-e9df-4740-9245-2c069712326f@cid"}, 1, true},
		"TestReceipt11.xml":              {"", "ph-as4@8e086db6-b26e-4c15-95c5-973f3bedbd96", "ph-as4@2babaddd-282e-461e-b645-730c5abebcce", "2017-06-13T13:36:35.320Z", nil, 1, true},
		"governikus.as4in":               {"id-4b2841275ffe7f7-72b2-4897-9c3d-d8fa3de25da9", "03528358-a714-49bc-bce8-9bfabb01fa78@vt-peppol-c3", "6b52b4c0-de6a-46b8-8286-27bac7d1a463@phase4", "2022-03-07T17:41:28.705Z", nil, 0, true},
		"helger.as4in":                   {"phase4-msg-a9255f87-075b-4348-b125-beb6cee397e9", "1384cf77-2de9-4303-a4e7-ca935a20f4fd@phase4", "3b3775c9-e88d-47f9-be5a-8e045ca2bc07@phase4", "2022-03-07T17:36:50.173Z", nil, 0, true},
		"dataport1-mustunderstand.as4in": {"id-4b28412d2948bca-f4a2-48fe-8503-d3693f501057", "18acfd2d-1fb6-44dd-a196-a077132cf999@lppapqa002.dpaorinp.de", "669beff6-bf89-4776-9a27-eddece68083d@phase4", "2022-03-07T16:36:50.994Z", nil, 0, true},
		"dataport1.as4in":                {"id-4b28412d2948bca-f4a2-48fe-8503-d3693f501057", "18acfd2d-1fb6-44dd-a196-a077132cf999@lppapqa002.dpaorinp.de", "669beff6-bf89-4776-9a27-eddece68083d@phase4", "2022-03-07T16:36:50.994Z", nil, 0, true},
		"MSHAS4Response.xml": {"_9b17ed69-9372-4d91-b2e7-5f620cc5e3aa", "04b5a969-2be8-40f2-a0e3-50f014557594@domibus.eu", "bb22d1a8-1c23-4f90-ada9-46708d91d7ba@domibus.eu", "2017-10-24T11:29:18.393Z",
			[]string{"", "#_abfaa979-ae91-4530-8f0a-2e7347f23ccf", ""}, 0, true},
		"MSHAS4Response-signOnly.xml": {"_fcb2245e-9050-4443-a096-2dcec9704211", "19806abc-2cb0-42dc-8d2e-9c5a29650bba@domibus.eu", "d2569e7d-1e6d-43cb-ac9f-96abd0d13ee7@domibus.eu", "2017-11-21T09:41:32.474Z",
			[]string{"#_7b7f8cfd-b8d4-4b54-8fb3-9664f5a9619f", "#_27340763-8e7b-434b-9c29-7fa5cd951dfa", "cid:message"}, 0, true},
		"soapEnvelope-SignalMessage-receipt-pull.xml": {"_664ab00d-e92b-46c0-ae72-017cb586ede7", "184f4ad8-637f-11ee-bc72-2cf05db4a367@domibus.eu", "-Dom00302-", "2023-10-05T13:00:01Z", nil, 0, true},
	}
	for file, w := range tests {
		t.Run(file, func(t *testing.T) {
			env, err := loadEnvelope(t, file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseEnvelope(env)
			if err != nil {
				t.Fatal(err)
			}
			s := m.SignalMessage
			if m.UserMessage != nil || s == nil || s.Receipt == nil {
				t.Fatalf("not a receipt: %+v", m)
			}
			if m.ID != w.id || s.Info.MessageID != w.msgID || s.Info.RefToMessageID != w.refTo || !s.Info.Timestamp.Equal(ts(w.at)) || m.MustUnderstand != w.mustUnderstand {
				t.Errorf("header: id %q msg %q ref %q at %v mu %v", m.ID, s.Info.MessageID, s.Info.RefToMessageID, s.Info.Timestamp, m.MustUnderstand)
			}
			if len(s.Receipt.Other) != w.other {
				t.Errorf("%d other receipt children, want %d", len(s.Receipt.Other), w.other)
			}
			// Every NR receipt here has three parts: Messaging, Body, one attachment.
			wantRefs := 3
			if file == "TestReceipt11.xml" {
				wantRefs = 0
			}
			ds, err := s.Receipt.Digests()
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != wantRefs {
				t.Fatalf("%d NR references, want %d", len(ds), wantRefs)
			}
			for i, d := range ds {
				if len(d.DigestValue) != 32 || d.DigestMethod != "http://www.w3.org/2001/04/xmlenc#sha256" {
					t.Errorf("reference %d: %s with %d-byte digest", i, d.DigestMethod, len(d.DigestValue))
				}
				if w.uris != nil && w.uris[i] != "" && d.URI != w.uris[i] {
					t.Errorf("reference %d URI %q, want %q", i, d.URI, w.uris[i])
				}
			}
			// The copies stand alone: they serialise and re-parse with ds bound.
			for _, ref := range s.Receipt.NRReferences {
				doc := etree.NewDocument()
				doc.SetRoot(ref.Copy())
				b, err := doc.WriteToBytes()
				if err != nil {
					t.Fatal(err)
				}
				back, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
				if err != nil || !xmlsafe.Is(back.Root(), NSDS, "Reference") {
					t.Errorf("detached reference does not stand alone: %v\n%s", err, b)
				}
			}
		})
	}
}

// TestReceiptMatchesRequest checks the Domibus pair against each other: the
// receipt refers to the request's MessageId and lists its Messaging wsu:Id.
func TestReceiptMatchesRequest(t *testing.T) {
	reqEnv, err := loadEnvelope(t, "MSHAS4Request-signOnly.xml")
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseEnvelope(reqEnv)
	if err != nil {
		t.Fatal(err)
	}
	recEnv, err := loadEnvelope(t, "MSHAS4Response-signOnly.xml")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ParseEnvelope(recEnv)
	if err != nil {
		t.Fatal(err)
	}
	if rec.SignalMessage.Info.RefToMessageID != req.UserMessage.Info.MessageID {
		t.Errorf("receipt refers to %q, request is %q", rec.SignalMessage.Info.RefToMessageID, req.UserMessage.Info.MessageID)
	}
	ds, _ := rec.SignalMessage.Receipt.Digests()
	found := false
	for _, d := range ds {
		found = found || d.URI == "#"+req.ID
	}
	if !found {
		t.Errorf("receipt does not list the request's eb:Messaging %q", req.ID)
	}
	if cid, ok := (PartInfo{Href: "CID:a%40b"}).ContentID(); !ok || cid != "a@b" {
		t.Errorf("ContentID of CID:a%%40b = %q, %v", cid, ok)
	}
	if _, ok := (PartInfo{Href: "#body"}).ContentID(); ok {
		t.Error("ContentID of #body")
	}
	href := req.UserMessage.Payloads[0].Href
	if cid, ok := req.UserMessage.Payloads[0].ContentID(); !ok || cid != "message" || href != "cid:message" {
		t.Errorf("ContentID of %q = %q, %v", href, cid, ok)
	}
}

func TestPullRequest(t *testing.T) {
	env, err := loadEnvelope(t, "PullRequest12.xml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	want := &Messaging{MustUnderstand: true, SignalMessage: &SignalMessage{
		Info:        MessageInfo{Timestamp: ts("2011-02-19T11:30:11.320Z"), MessageID: "msg123@smallco.example.com"},
		PullRequest: &PullRequest{MPC: "http://as4.bigco.example.com/queues/q_456"},
	}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v / %+v", m, m.SignalMessage)
	}
}

func TestCapturedNegatives(t *testing.T) {
	tests := []struct {
		file string
		code Code
	}{
		{"TwoUserMessages.xml", ValueInconsistent},  // phase4 answers EBMS:0003
		{"UserMessageNoPartyID.xml", InvalidHeader}, // phase4 answers EBMS:0009
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			env, err := loadEnvelope(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseEnvelope(env)
			if code, ok := CodeOf(err); !ok || code != tc.code || m != nil {
				t.Errorf("got %v, %v; want %s", m, err, tc.code)
			}
		})
	}
	// Not well-formed (an eb:Property is never closed): refused before ebMS.
	if _, err := loadEnvelope(t, "UserMessageWithCompressedPayload12.xml"); !errors.Is(err, xmlsafe.ErrSyntax) {
		t.Errorf("UserMessageWithCompressedPayload12.xml: %v, want xmlsafe.ErrSyntax", err)
	}
}

// sdkMessage is a UserMessage as Brevduva sends it (spec-facts §a.1).
func sdkMessage() *Messaging {
	return &Messaging{ID: "_msg-1", MustUnderstand: true, UserMessage: &UserMessage{
		MPC:  DefaultMPC,
		Info: MessageInfo{Timestamp: ts("2026-11-27T02:00:00.123Z"), MessageID: "7e3b2a1c-0000-4000-8000-000000000001@brevduva"},
		From: Party{ID: "AP0007-OPEN-TEST", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: initiator},
		To:   Party{ID: "AP0001-SDK-QA", Type: "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap", Role: responder},
		Collaboration: CollaborationInfo{
			Service:        Service{Value: "bdx:noprocess", Type: "urn:fdc:digg.se:edelivery:process"},
			Action:         "busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc",
			ConversationID: "7e3b2a1c-0000-4000-8000-000000000002",
		},
		Properties: []Property{
			{Name: "originalSender", Type: "iso6523-actorid-upis", Value: "0203:digg.se"},
			{Name: "finalRecipient", Type: "iso6523-actorid-upis", Value: "0203:example.se"},
		},
		Payloads: []PartInfo{{Href: "cid:message", Properties: []Property{
			{Name: PropMimeType, Value: "text/xml"}, {Name: PropCompressionType, Value: CompressionGzip},
		}}},
	}}
}

// roundTrip builds m, serialises it inside an envelope, re-parses it with
// xmlsafe and returns the parsed model and the bytes.
func roundTrip(t *testing.T, m *Messaging) (*Messaging, []byte) {
	t.Helper()
	el, err := m.Element()
	if err != nil {
		t.Fatal(err)
	}
	env := soap.New()
	env.AddHeader(el)
	b, err := env.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	penv, err := soap.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	got, err := ParseEnvelope(penv)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return got, b
}

func TestRoundTripUserMessage(t *testing.T) {
	in := sdkMessage()
	in.UserMessage.Collaboration.AgreementRef = &AgreementRef{Value: "A1", Type: "urn:x", PMode: "pm"}
	in.UserMessage.Info.RefToMessageID = "earlier@x"
	before := dump(in)
	got, b := roundTrip(t, in)
	if !reflect.DeepEqual(got, in) {
		t.Errorf("round trip differs:\n%s\n%s", dump(got), dump(in))
	}
	if dump(in) != before {
		t.Error("Element modified its input")
	}
	// Element order on the wire is spec-facts §a.1's.
	order := []string{"<eb:Messaging", "<eb:UserMessage", "<eb:MessageInfo", "<eb:Timestamp>2026-11-27T02:00:00.123Z<", "<eb:MessageId", "<eb:RefToMessageId",
		"<eb:PartyInfo", "<eb:From", "<eb:PartyId type=", "<eb:Role", "<eb:To", "<eb:CollaborationInfo", "<eb:AgreementRef", "<eb:Service type=", "<eb:Action", "<eb:ConversationId",
		"<eb:MessageProperties", `<eb:Property name="originalSender" type="iso6523-actorid-upis"`, "<eb:PayloadInfo", `<eb:PartInfo href="cid:message"`, "<eb:PartProperties", `<eb:Property name="MimeType">text/xml<`}
	at := 0
	for _, o := range order {
		i := bytes.Index(b[at:], []byte(o))
		if i < 0 {
			t.Fatalf("%q missing or out of order in\n%s", o, b)
		}
		at += i
	}
	for _, must := range []string{`S12:mustUnderstand="true"`, `wsu:Id="_msg-1"`, `mpc="` + DefaultMPC + `"`} {
		if !bytes.Contains(b, []byte(must)) {
			t.Errorf("missing %s in\n%s", must, b)
		}
	}
}

func TestRoundTripSignals(t *testing.T) {
	at := ts("2026-11-27T02:00:01.5Z")
	// Receipt built from the references of a captured receipt.
	env, err := loadEnvelope(t, "MSHAS4Response-signOnly.xml")
	if err != nil {
		t.Fatal(err)
	}
	captured, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	refs := captured.SignalMessage.Receipt.NRReferences
	rec := NewReceipt("_r1", "r1@brevduva", "d2569e7d-1e6d-43cb-ac9f-96abd0d13ee7@domibus.eu", at, refs)
	got, b := roundTrip(t, rec)
	if got.SignalMessage.Info != rec.SignalMessage.Info || got.ID != "_r1" {
		t.Errorf("receipt header: %+v", got.SignalMessage.Info)
	}
	want, _ := captured.SignalMessage.Receipt.Digests()
	gotD, err := got.SignalMessage.Receipt.Digests()
	if err != nil || !reflect.DeepEqual(gotD, want) {
		t.Errorf("receipt digests %+v, %v; want %+v", gotD, err, want)
	}
	if !bytes.Contains(b, []byte(`<ebbp:NonRepudiationInformation xmlns:ebbp="`+NSEBBP+`"><ebbp:MessagePartNRInformation><ds:Reference`)) {
		t.Errorf("NRI layout:\n%s", b)
	}

	// Receipt of the other form: a copy of the eb:UserMessage (AS4 Profile
	// §5.1.8 without non-repudiation), as some peers send.
	umEl, err := sdkMessage().Element()
	if err != nil {
		t.Fatal(err)
	}
	copyForm := &Messaging{SignalMessage: &SignalMessage{
		Info:    MessageInfo{Timestamp: at, MessageID: "r2@brevduva", RefToMessageID: "7e3b2a1c-0000-4000-8000-000000000001@brevduva"},
		Receipt: &Receipt{UserMessage: umEl.SelectElement("UserMessage")},
	}}
	got, _ = roundTrip(t, copyForm)
	if um := got.SignalMessage.Receipt.UserMessage; um == nil || !xmlsafe.Is(um, NS, "UserMessage") || len(got.SignalMessage.Receipt.NRReferences) != 0 {
		t.Fatalf("copy-form receipt: %+v", got.SignalMessage.Receipt)
	} else {
		u, err := parseUserMessage(um)
		if err != nil || u.Info.MessageID != got.SignalMessage.Info.RefToMessageID {
			t.Errorf("copied UserMessage: %+v, %v", u, err)
		}
	}

	// Error signal: local cause and security detail do not leak.
	e1 := NewError(FailedAuthentication, "certificate CN=evil not trusted", errors.New("x509: secret internals"))
	e2 := NewError(DecompressionFailure, "part cid:message is not gzip", errors.New("gzip: invalid header"))
	sig := ErrorSignal("_e1", "e1@brevduva", "m1@peer", at, e1, e2)
	got, b = roundTrip(t, sig)
	es := got.SignalMessage.Errors
	if len(es) != 2 {
		t.Fatalf("%d errors", len(es))
	}
	if es[0].Code != FailedAuthentication || es[0].Severity != Failure || es[0].Category != Processing || es[0].Origin != OriginSecurity ||
		es[0].ShortName != "FailedAuthentication" || es[0].Detail != "" || es[0].RefToMessageID != "m1@peer" {
		t.Errorf("error 1: %+v", es[0])
	}
	if es[1].Code != DecompressionFailure || es[1].Detail != "part cid:message is not gzip" || es[1].Category != Communication {
		t.Errorf("error 2: %+v", es[1])
	}
	for _, leak := range []string{"secret internals", "CN=evil", "gzip: invalid header"} {
		if bytes.Contains(b, []byte(leak)) {
			t.Errorf("error signal leaks %q:\n%s", leak, b)
		}
	}
	if e1.Detail == "" || e1.Err == nil {
		t.Error("ErrorSignal modified its input errors")
	}

	// Fault envelope: Sender for a Content error.
	fe, err := FaultEnvelope(ErrorSignal("_e2", "e2@brevduva", "m2@peer", at, NewError(InvalidHeader, "x", nil)))
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := fe.Bytes()
	fenv, err := soap.ParseBytes(fb, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	f, err := fenv.Fault()
	if err != nil || f.Code != soap.Sender || f.Reason != "InvalidHeader" {
		t.Errorf("fault %+v, %v", f, err)
	}
	if m, err := ParseEnvelope(fenv); err != nil || m.SignalMessage.Errors[0].Code != InvalidHeader {
		t.Errorf("fault envelope header: %v", err)
	}
}

// TestValidationCodes edits a valid SDK message one rule at a time.
func TestValidationCodes(t *testing.T) {
	tests := []struct {
		name string
		edit func(u *UserMessage)
		code Code
	}{
		{"no ConversationId (TA18)", func(u *UserMessage) { u.Collaboration.ConversationID = "" }, InvalidHeader},
		{"no MessageId", func(u *UserMessage) { u.Info.MessageID = "" }, InvalidHeader},
		{"no Timestamp", func(u *UserMessage) { u.Info.Timestamp = time.Time{} }, InvalidHeader},
		{"MessageId in brackets", func(u *UserMessage) { u.Info.MessageID = "<m@x>" }, InvalidHeader},
		{"RefToMessageId with space", func(u *UserMessage) { u.Info.RefToMessageID = "m @x" }, InvalidHeader},
		{"empty From PartyId", func(u *UserMessage) { u.From.ID = "" }, InvalidHeader},
		{"empty To Role", func(u *UserMessage) { u.To.Role = "" }, InvalidHeader},
		{"no Action", func(u *UserMessage) { u.Collaboration.Action = "" }, InvalidHeader},
		{"untyped non-URI Service", func(u *UserMessage) { u.Collaboration.Service = Service{Value: "QuoteToCollect"} }, ValueInconsistent},
		{"untyped non-URI AgreementRef", func(u *UserMessage) { u.Collaboration.AgreementRef = &AgreementRef{Value: "A1"} }, ValueInconsistent},
		{"external payload (TA08)", func(u *UserMessage) { u.Payloads[0].Href = "http://example.com/payload" }, ExternalPayloadError},
		{"malformed cid URL", func(u *UserMessage) { u.Payloads[0].Href = "cid:%zz" }, ExternalPayloadError},
		{"compressed without MimeType (TA26)", func(u *UserMessage) { u.Payloads[0].Properties = u.Payloads[0].Properties[1:] }, ValueInconsistent},
		{"unknown compression", func(u *UserMessage) { u.Payloads[0].Properties[1].Value = "application/zip" }, DecompressionFailure}, // AS4_CP_TA30
		{"bad CharacterSet (TA29)", func(u *UserMessage) {
			u.Payloads[0].Properties = append(u.Payloads[0].Properties, Property{Name: PropCharacterSet, Value: "utf 8!"})
		}, ValueInconsistent},
		{"duplicate href", func(u *UserMessage) { u.Payloads = append(u.Payloads, u.Payloads[0]) }, ValueInconsistent},
		{"property without name", func(u *UserMessage) { u.Properties[0].Name = "" }, InvalidHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sdkMessage()
			tc.edit(m.UserMessage)
			_, err := m.Element()
			if code, ok := CodeOf(err); !ok || code != tc.code {
				t.Errorf("Element: %v, want %s", err, tc.code)
			}
		})
	}
	ok := sdkMessage()
	ok.UserMessage.Payloads[0].Properties = append(ok.UserMessage.Payloads[0].Properties, Property{Name: PropCharacterSet, Value: "UTF-8"})
	if _, err := ok.Element(); err != nil {
		t.Errorf("valid message with CharacterSet refused: %v", err)
	}
	if _, err := (&Messaging{}).Element(); err == nil {
		t.Error("empty Messaging built")
	}
	both := sdkMessage()
	both.SignalMessage = &SignalMessage{}
	if code, _ := CodeOf(func() error { _, err := both.Element(); return err }()); code != ValueInconsistent {
		t.Errorf("bundled: %s", code)
	}
	noRef := NewReceipt("", "r@x", "", time.Unix(1, 0), []*etree.Element{etree.NewElement("x")})
	if code, _ := CodeOf(func() error { _, err := noRef.Element(); return err }()); code != InvalidReceipt {
		t.Errorf("receipt without RefToMessageId: %s", code)
	}
}

// TestParseCodes feeds edited XML to ParseMessaging.
func TestParseCodes(t *testing.T) {
	base := func(t *testing.T) string {
		el, err := sdkMessage().Element()
		if err != nil {
			t.Fatal(err)
		}
		doc := etree.NewDocument()
		doc.SetRoot(el)
		s, err := doc.WriteToString()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name     string
		old, new string
		code     Code
	}{
		{"two From PartyIds (TA03)", "</eb:PartyId><eb:Role>" + initiator, `</eb:PartyId><eb:PartyId type="x">second</eb:PartyId><eb:Role>` + initiator, InvalidHeader},
		{"no ConversationId (TA18)", "<eb:ConversationId>7e3b2a1c-0000-4000-8000-000000000002</eb:ConversationId>", "", InvalidHeader},
		{"elements out of order", "<eb:Action>", "<eb:ConversationId>x</eb:ConversationId><eb:Action>", InvalidHeader},
		{"unknown eb element", "<eb:PayloadInfo>", "<eb:Bogus/><eb:PayloadInfo>", InvalidHeader},
		{"foreign element in UserMessage", "<eb:PayloadInfo>", `<x:y xmlns:x="urn:x"/><eb:PayloadInfo>`, InvalidHeader},
		{"bad timestamp", "2026-11-27T02:00:00.123Z", "yesterday", InvalidHeader},
		{"bad mustUnderstand", `S12:mustUnderstand="true"`, `S12:mustUnderstand="yes"`, InvalidHeader},
		{"property without name attribute", `name="originalSender"`, ``, InvalidHeader},
		{"external href", `href="cid:message"`, `href="https://evil.example/x"`, ExternalPayloadError},
		{"two UserMessages", "</eb:UserMessage>", "</eb:UserMessage><eb:UserMessage/>", ValueInconsistent},
		{"no message unit", "<eb:UserMessage", "<eb:Nothing", InvalidHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := base(t)
			if !strings.Contains(s, tc.old) {
				t.Fatalf("%q not in %s", tc.old, s)
			}
			s = strings.Replace(s, tc.old, tc.new, 1)
			if tc.name == "no message unit" {
				s = strings.Replace(s, "</eb:UserMessage>", "</eb:Nothing>", 1)
			}
			doc, err := xmlsafe.ParseBytes([]byte(s), xmlsafe.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMessaging(doc.Root())
			if code, ok := CodeOf(err); !ok || code != tc.code || m != nil {
				t.Errorf("got %v, want %s", err, tc.code)
			}
		})
	}
	if _, err := ParseMessaging(etree.NewElement("Messaging")); err == nil {
		t.Error("un-namespaced Messaging accepted")
	}
}

func TestTimestamps(t *testing.T) {
	for in, want := range map[string]string{
		"2011-04-03T14:49:28.886Z":      "2011-04-03T14:49:28.886Z",
		"2016-12-21T11:34:22.462+01:00": "2016-12-21T10:34:22.462Z",
		"2017-06-13T13:36:35.320":       "2017-06-13T13:36:35.320Z", // no zone: UTC (ebMS 3.0 Core §5.2.2.1)
		"2017-06-13T13:36:35Z":          "2017-06-13T13:36:35.000Z",
		"2017-06-13T13:36:35.1234567Z":  "2017-06-13T13:36:35.1234567Z",
	} {
		got, err := ParseTimestamp(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if s := FormatTimestamp(got); s != want {
			t.Errorf("%s -> %s, want %s", in, s, want)
		}
		if back, _ := ParseTimestamp(FormatTimestamp(got)); !back.Equal(got) {
			t.Errorf("%s does not survive formatting", in)
		}
	}
	for _, bad := range []string{"", "2017-06-13", "13:36:35", "2017-13-01T00:00:00Z", "yesterday"} {
		if _, err := ParseTimestamp(bad); err == nil {
			t.Errorf("ParseTimestamp(%q) accepted", bad)
		}
	}
}

func TestErrorTable(t *testing.T) {
	// Rows as ebMS 3.0 Core §6.7 and the AS4 profile list them.
	want := map[Code][4]string{
		ValueNotRecognized:           {"ValueNotRecognized", "failure", "Content", "ebMS"},
		FeatureNotSupported:          {"FeatureNotSupported", "warning", "Content", "ebMS"},
		ValueInconsistent:            {"ValueInconsistent", "failure", "Content", "ebMS"},
		Other:                        {"Other", "failure", "Content", "ebMS"},
		ConnectionFailure:            {"ConnectionFailure", "failure", "Communication", "ebMS"},
		EmptyMessagePartitionChannel: {"EmptyMessagePartitionChannel", "warning", "Communication", "ebMS"},
		MIMEInconsistency:            {"MimeInconsistency", "failure", "Unpackaging", "ebMS"},
		FeatureNotSupportedFailure:   {"FeatureNotSupported", "failure", "Unpackaging", "ebMS"},
		InvalidHeader:                {"InvalidHeader", "failure", "Unpackaging", "ebMS"},
		ProcessingModeMismatch:       {"ProcessingModeMismatch", "failure", "Processing", "ebMS"},
		ExternalPayloadError:         {"ExternalPayloadError", "failure", "Content", "ebMS"},
		FailedAuthentication:         {"FailedAuthentication", "failure", "Processing", "security"},
		FailedDecryption:             {"FailedDecryption", "failure", "Processing", "security"},
		PolicyNoncompliance:          {"PolicyNoncompliance", "failure", "Processing", "security"},
		DysfunctionalReliability:     {"DysfunctionalReliability", "failure", "Processing", "reliability"},
		DeliveryFailure:              {"DeliveryFailure", "failure", "Communication", "reliability"},
		MissingReceipt:               {"MissingReceipt", "failure", "Communication", "ebMS"},
		InvalidReceipt:               {"InvalidReceipt", "failure", "Communication", "ebMS"},
		DecompressionFailure:         {"DecompressionFailure", "failure", "Communication", "ebMS"},
	}
	for code, w := range want {
		e := NewError(code, "d", nil)
		got := [4]string{e.ShortName, string(e.Severity), string(e.Category), string(e.Origin)}
		if got != w || e.Code != code {
			t.Errorf("%s: %v, want %v", code, got, w)
		}
	}
	if _, ok := Lookup("EBMS:9999"); ok {
		t.Error("unknown code found")
	}
	if e := NewError("EBMS:9999", "x", nil); e.Code != Other || !strings.Contains(e.Detail, "EBMS:9999") {
		t.Errorf("unknown code: %+v", e)
	}
	cause := errors.New("root cause")
	e := NewError(InvalidHeader, "detail", cause)
	if !errors.Is(e, cause) || !strings.Contains(e.Error(), "EBMS:0009 InvalidHeader: detail: root cause") {
		t.Errorf("Error() = %q", e.Error())
	}
	wrapped := errors.Join(errors.New("other"), e)
	if c, ok := CodeOf(wrapped); !ok || c != InvalidHeader {
		t.Errorf("CodeOf(wrapped) = %s, %v", c, ok)
	}
}

func FuzzParseMessaging(f *testing.F) {
	for _, name := range []string{"MSHAS4Request-signOnly.xml", "MSHAS4Response-signOnly.xml", "TwoUserMessages.xml", "UserMessageNoPartyID.xml", "PullRequest12.xml", "TestReceipt11.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := xmlsafe.Limits{MaxBytes: 1 << 16, MaxDepth: 32, MaxAttrs: 32, MaxAttrLen: 1024, MaxElements: 4000}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := soap.ParseBytes(b, lim)
		if err != nil {
			return
		}
		m, err := ParseEnvelope(env)
		if err != nil {
			if _, ok := CodeOf(err); !ok {
				t.Fatalf("error without ebMS code: %v", err)
			}
			if m != nil {
				t.Fatal("value and error both returned")
			}
			return
		}
		if m == nil {
			t.Fatal("(nil, nil)")
		}
		// Whatever parses must build, and build back to the same model.
		el, err := m.Element()
		if err != nil {
			t.Fatalf("parsed message does not build: %v", err)
		}
		doc := etree.NewDocument()
		doc.SetRoot(el)
		out, err := doc.WriteToBytes()
		if err != nil {
			t.Fatal(err)
		}
		d2, err := xmlsafe.ParseBytes(out, xmlsafe.DefaultLimits)
		if err != nil {
			t.Fatalf("built element does not re-parse: %v\n%s", err, out)
		}
		m2, err := ParseMessaging(d2.Root())
		if err != nil {
			t.Fatalf("built element does not validate: %v\n%s", err, out)
		}
		m.MustUnderstand = true // Element always writes it
		if m.UserMessage != nil && !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip differs:\n%+v\n%+v", m.UserMessage, m2.UserMessage)
		}
	})
}
