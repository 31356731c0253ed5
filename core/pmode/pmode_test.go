package pmode

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/c14n"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlenc"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// diggPMode is DIGG's sample P-Mode, parsed.
type diggPMode struct{ root *etree.Element }

func loadDIGG(t *testing.T) diggPMode {
	t.Helper()
	b, err := os.ReadFile("testdata/p-mode.xml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	return diggPMode{doc.Root()}
}

// named finds the element at path (local names, no namespace: Domibus's
// P-Mode children are unqualified) whose attribute name equals value.
func (d diggPMode) named(t *testing.T, path, name string) *etree.Element {
	t.Helper()
	for _, el := range d.root.FindElements(path) {
		if el.SelectAttrValue("name", "") == name {
			return el
		}
	}
	t.Fatalf("no %s named %q in p-mode.xml", path, name)
	return nil
}

func attr(t *testing.T, el *etree.Element, name string) string {
	t.Helper()
	a := el.SelectAttr(name)
	if a == nil {
		t.Fatalf("<%s> has no %s", el.Tag, name)
	}
	return a.Value
}

func TestDIGGPModeAgrees(t *testing.T) {
	d := loadDIGG(t)
	legs := map[string]Leg{}
	for _, l := range SDKLegs() {
		legs[l.Name] = l
	}
	lcs := d.root.FindElements("businessProcesses/legConfigurations/legConfiguration")
	if len(lcs) != len(legs) {
		t.Fatalf("p-mode.xml has %d legs, we define %d", len(lcs), len(legs))
	}
	for _, lc := range lcs {
		name := attr(t, lc, "name")
		leg, ok := legs[name]
		if !ok {
			t.Errorf("leg %q of p-mode.xml is not defined", name)
			continue
		}
		svc := d.named(t, "businessProcesses/services/service", attr(t, lc, "service"))
		if got := (ebms.Service{Value: attr(t, svc, "value"), Type: attr(t, svc, "type")}); got != leg.Service {
			t.Errorf("%s: service %+v, want %+v", name, got, leg.Service)
		}
		act := d.named(t, "businessProcesses/actions/action", attr(t, lc, "action"))
		if got := attr(t, act, "value"); got != leg.Action {
			t.Errorf("%s: action %q, want %q", name, got, leg.Action)
		}
		sec := d.named(t, "businessProcesses/securities/security", attr(t, lc, "security"))
		if attr(t, sec, "name") != leg.SecurityPolicy || attr(t, sec, "policy") != SecurityPolicyName+".xml" || attr(t, sec, "signatureMethod") != SignatureMethodName {
			t.Errorf("%s: security %v", name, sec.Attr)
		}
		if got := attr(t, lc, "compressPayloads") == "true"; got != leg.CompressPayloads {
			t.Errorf("%s: compressPayloads %v", name, got)
		}
		mpc := d.named(t, "mpcs/mpc", attr(t, lc, "defaultMpc"))
		if attr(t, mpc, "qualifiedName") != leg.MPC {
			t.Errorf("%s: mpc %q", name, attr(t, mpc, "qualifiedName"))
		}
		ra := d.named(t, "businessProcesses/as4/receptionAwareness", attr(t, lc, "receptionAwareness"))
		if attr(t, ra, "retry") != DIGGRetry || (attr(t, ra, "duplicateDetection") == "true") != leg.DuplicateDetected {
			t.Errorf("%s: receptionAwareness %v", name, ra.Attr)
		}
		rel := d.named(t, "businessProcesses/as4/reliability", attr(t, lc, "reliability"))
		prof := EDelivery115()
		if attr(t, rel, "replyPattern") != prof.Reliability.ReplyPattern || (attr(t, rel, "nonRepudiation") == "true") != prof.Reliability.NonRepudiation {
			t.Errorf("%s: reliability %v", name, rel.Attr)
		}
		// Required properties: the property set's keys.
		ps := d.named(t, "businessProcesses/properties/propertySet", attr(t, lc, "propertySet"))
		var keys []string
		for _, ref := range ps.SelectElements("propertyRef") {
			p := d.named(t, "businessProcesses/properties/property", attr(t, ref, "property"))
			if attr(t, p, "required") != "true" {
				t.Errorf("property %s not required", attr(t, p, "key"))
			}
			keys = append(keys, attr(t, p, "key"))
		}
		if !sameSet(keys, leg.Properties) {
			t.Errorf("%s: properties %v, want %v", name, keys, leg.Properties)
		}
		// The one required payload.
		pp := d.named(t, "businessProcesses/payloadProfiles/payloadProfile", attr(t, lc, "payloadProfile"))
		var required []*etree.Element
		for _, a := range pp.SelectElements("attachment") {
			pl := d.named(t, "businessProcesses/payloadProfiles/payload", attr(t, a, "name"))
			if attr(t, pl, "required") == "true" {
				required = append(required, pl)
			}
		}
		if len(required) != 1 || attr(t, required[0], "cid") != "cid:"+leg.PayloadCID || attr(t, required[0], "mimeType") != leg.PayloadMimeType {
			t.Errorf("%s: required payloads %d", name, len(required))
		}
	}
	// MEP, binding, roles and party type are used by the processes.
	for _, proc := range d.root.FindElements("businessProcesses/process") {
		mep := d.named(t, "businessProcesses/meps/mep", attr(t, proc, "mep"))
		bnd := d.named(t, "businessProcesses/meps/binding", attr(t, proc, "binding"))
		ini := d.named(t, "businessProcesses/roles/role", attr(t, proc, "initiatorRole"))
		res := d.named(t, "businessProcesses/roles/role", attr(t, proc, "responderRole"))
		if MEP(attr(t, mep, "value")) != MEPOneWay || Binding(attr(t, bnd, "value")) != BindingPush ||
			attr(t, ini, "value") != RoleInitiator || attr(t, res, "value") != RoleResponder {
			t.Errorf("process %s: mep/binding/roles differ", attr(t, proc, "name"))
		}
	}
	pt := d.named(t, "businessProcesses/parties/partyIdTypes/partyIdType", "partyTypeUrn")
	if attr(t, pt, "value") != PartyTypeAP {
		t.Errorf("party id type %q", attr(t, pt, "value"))
	}
	// DIGG's retry parses into the profile's schedule.
	r, err := ParseRetry(attr(t, d.named(t, "businessProcesses/as4/receptionAwareness", "receptionAwareness"), "retry"))
	if err != nil || r != EDelivery115().Reliability.Retry {
		t.Errorf("retry %+v, %v; profile has %+v", r, err, EDelivery115().Reliability.Retry)
	}
	// RSA_SHA256 is the profile's signature method.
	if SignatureMethodName == "RSA_SHA256" && EDelivery115().Security.SignatureMethod != xmldsig.RSASHA256 {
		t.Error("profile does not sign with rsa-sha256")
	}
	// The agreement A1 exists but no leg references it (⚠U §k 7).
	for _, lc := range lcs {
		if lc.SelectAttr("agreement") != nil {
			t.Errorf("leg %s now references an agreement; revisit AgreementRef", attr(t, lc, "name"))
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestProfilesValid(t *testing.T) {
	for _, id := range []string{IDEDelivery115, IDEDelivery20} {
		p, err := ByID(id)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != id {
			t.Errorf("ByID(%q).ID = %q", id, p.ID)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	if _, err := ByID("edelivery-3"); !errors.Is(err, ErrUnknown) {
		t.Errorf("unknown id: %v", err)
	}
	p := EDelivery20()
	if p.Security.SignatureMethod != xmldsig.Ed25519 || p.Security.KeyAgreement == nil || p.Security.KeyAgreement.Algorithm != xmlenc.X25519 ||
		p.Security.KeyAgreement.KDF != xmlenc.HKDF || p.Security.KeyAgreement.Wrap != xmlenc.KWAES128 || p.Security.ContentEncryption != xmlenc.AES128GCM || p.Security.KeyTransport != nil {
		t.Errorf("2.0 suite: %+v", p.Security)
	}
	q := EDelivery115()
	if q.Security.KeyTransport == nil || q.Security.KeyTransport.Algorithm != xmlenc.RSAOAEP || q.Security.KeyTransport.MGF != xmlenc.MGF1SHA256 ||
		q.Security.C14N != c14n.ExcC14N || q.Security.MinRSABits != 2048 || q.Security.MaxRSABits != 4096 {
		t.Errorf("1.15 suite: %+v", q.Security)
	}
}

// TestProfilesAreValues checks that changing a returned profile changes no other.
func TestProfilesAreValues(t *testing.T) {
	a := EDelivery115()
	a.Security.KeyTransport.Algorithm = "x"
	a.Security.AcceptSignatureMethods[0] = "y"
	b := EDelivery115()
	if b.Security.KeyTransport.Algorithm != xmlenc.RSAOAEP || b.Security.AcceptSignatureMethods[0] != xmldsig.RSASHA256 {
		t.Error("profiles share state")
	}
}

func TestValidateReportsEveryViolation(t *testing.T) {
	p := EDelivery115()
	p.ID = ""
	p.Security.SignatureMethod = xmldsig.RSASHA1
	p.Security.DigestMethod = xmldsig.SHA1
	p.Security.C14N = c14n.C14N10
	p.Security.ContentEncryption = xmlenc.AES256CBC
	ka := xmlenc.AS4KeyAgreement()
	p.Security.KeyAgreement = &ka
	p.Security.EmitTokenReference = "thumbprint"
	p.Security.MinRSABits = 1024
	p.Security.RequireSignedParts.Body = false
	p.Compression.Type = "application/zip"
	p.Reliability.ReplyPattern = "callback"
	p.MaxMessageBytes = 0
	before := reflect.ValueOf(p).Interface()
	err := p.Validate()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v", err)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("not an errors.Join: %T", err)
	}
	msg := err.Error()
	for _, want := range []string{"empty ID", "signature method", "digest method", "canonicalization", "content encryption",
		"exactly one of KeyTransport", "token reference \"thumbprint\"", "MinRSABits 1024", "signature must cover", "compression type",
		"reply pattern", "MaxMessageBytes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("no violation mentions %q", want)
		}
	}
	if n := len(joined.Unwrap()); n < 12 {
		t.Errorf("%d violations reported:\n%s", n, msg)
	}
	if !reflect.DeepEqual(before, p) {
		t.Error("Validate changed the profile")
	}
}

func TestRetry(t *testing.T) {
	r, err := ParseRetry(DIGGRetry)
	if err != nil {
		t.Fatal(err)
	}
	if r.Timeout != 12*time.Minute || r.Count != 4 || r.Strategy != RetryConstant || r.String() != DIGGRetry {
		t.Errorf("%+v", r)
	}
	ds := r.Delays()
	var total time.Duration
	for _, d := range ds {
		total += d
		if d != 3*time.Minute {
			t.Errorf("delay %v", d)
		}
	}
	if len(ds) != 4 || total != 12*time.Minute {
		t.Errorf("delays %v", ds)
	}
	for _, bad := range []string{"", "12;4", "x;4;CONSTANT", "12;-1;CONSTANT", "0;4;CONSTANT", "12;4;PROGRESSIVE", "12;4;CONSTANT;1", "3333333312;4;CONSTANT", "12;1001;CONSTANT"} {
		if _, err := ParseRetry(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRetry(%q) = %v", bad, err)
		}
	}
}

func sdkUserMessage() *ebms.UserMessage {
	return &ebms.UserMessage{
		MPC:  MPC,
		Info: ebms.MessageInfo{Timestamp: time.Unix(1, 0), MessageID: "m@x"},
		From: ebms.Party{ID: "AP0007-OPEN-TEST", Type: PartyTypeAP, Role: RoleInitiator},
		To:   ebms.Party{ID: "AP0001-SDK-QA", Type: PartyTypeAP, Role: RoleResponder},
		Collaboration: ebms.CollaborationInfo{
			Service: ebms.Service{Value: Service, Type: ServiceType}, Action: ActionMessage, ConversationID: "c",
		},
		Properties: []ebms.Property{
			{Name: PropOriginalSender, Type: ParticipantPropertyType, Value: "0203:digg.se"},
			{Name: PropFinalRecipient, Type: ParticipantPropertyType, Value: "0203:example.se"},
		},
		Payloads: []ebms.PartInfo{{Href: "cid:" + PayloadCID, Properties: []ebms.Property{
			{Name: ebms.PropMimeType, Value: PayloadMimeType}, {Name: ebms.PropCompressionType, Value: ebms.CompressionGzip},
		}}},
	}
}

func TestLegUserMessage(t *testing.T) {
	leg := SDKReceiptLeg()
	u := leg.UserMessage("AP0001-SDK-QA", "AP0007-OPEN-TEST", "conv-1", "0203:example.se", "0203:digg.se")
	u.Info = ebms.MessageInfo{Timestamp: time.Unix(1, 0), MessageID: "r@x"}
	u.Payloads = []ebms.PartInfo{{Href: "cid:" + PayloadCID, Properties: []ebms.Property{{Name: ebms.PropMimeType, Value: PayloadMimeType}}}}
	if err := leg.Check(u); err != nil {
		t.Errorf("leg refuses its own message: %v", err)
	}
	if v, _ := u.Property(PropOriginalSender); v != "0203:example.se" || u.Collaboration.Action != ActionReceipt || u.From.ID != "AP0001-SDK-QA" {
		t.Errorf("%+v", u)
	}
	m := &ebms.Messaging{UserMessage: u}
	if _, err := m.Element(); err != nil {
		t.Errorf("leg message does not build: %v", err)
	}
}

func TestLegCheck(t *testing.T) {
	leg := SDKMessageLeg()
	if err := leg.Check(sdkUserMessage()); err != nil {
		t.Fatalf("SDK message refused: %v", err)
	}
	if SDKReceiptLeg().Match(sdkUserMessage()) {
		t.Error("receipt leg matches a message")
	}
	uncompressed := sdkUserMessage()
	uncompressed.Payloads[0].Properties = uncompressed.Payloads[0].Properties[:1]
	if err := leg.Check(uncompressed); err != nil {
		t.Errorf("uncompressed payload refused (AS4_CP_TA04): %v", err)
	}
	edits := map[string]func(u *ebms.UserMessage){
		"action":      func(u *ebms.UserMessage) { u.Collaboration.Action = ActionReceipt },
		"service":     func(u *ebms.UserMessage) { u.Collaboration.Service.Type = "urn:fdc:Digg.se:edelivery:process" },
		"party type":  func(u *ebms.UserMessage) { u.To.Type = "urn:oasis:names:tc:ebcore:partyid-type:unregistered" },
		"role":        func(u *ebms.UserMessage) { u.From.Role = ebms.DefaultRole },
		"mpc":         func(u *ebms.UserMessage) { u.MPC = "urn:other" },
		"property":    func(u *ebms.UserMessage) { u.Properties = u.Properties[:1] },
		"two parts":   func(u *ebms.UserMessage) { u.Payloads = append(u.Payloads, ebms.PartInfo{Href: "cid:attachment"}) },
		"payload cid": func(u *ebms.UserMessage) { u.Payloads[0].Href = "cid:other" },
		"mime type":   func(u *ebms.UserMessage) { u.Payloads[0].Properties[0].Value = "application/pdf" },
	}
	for name, edit := range edits {
		u := sdkUserMessage()
		edit(u)
		if code, ok := ebms.CodeOf(leg.Check(u)); !ok || code != ebms.ProcessingModeMismatch {
			t.Errorf("%s: got %v, want EBMS:0010", name, leg.Check(u))
		}
	}
}

func FuzzParseRetry(f *testing.F) {
	for _, s := range []string{DIGGRetry, "1;0;CONSTANT", "12;4", "x;y;z", "60;1000000;CONSTANT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRetry(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error without ErrInvalid: %v", err)
			}
			return
		}
		if r.Timeout <= 0 || r.Count < 0 || r.Strategy != RetryConstant {
			t.Fatalf("ParseRetry(%q) = %+v", s, r)
		}
		back, err := ParseRetry(r.String())
		if err != nil || back != r {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, r, r.String(), back, err)
		}
	})
}
