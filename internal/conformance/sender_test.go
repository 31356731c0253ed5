package conformance

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/internal/localsys"
)

// Brevduva as the sending MSH: Kommun A's AP sends an SDK message submitted through the
// SDK API (discovery through the local DNS and SMP); the test reads what it put on the
// wire.

// wire is one recorded AS4 message of A: its content type, SOAP envelope and MIME parts.
type wire struct {
	ct    string
	env   *etree.Document
	parts map[string][]byte // by Content-ID without brackets
}

func parseWire(t *testing.T, p posted) *wire {
	t.Helper()
	mt, params, err := mime.ParseMediaType(p.ct)
	if err != nil || mt != "multipart/related" {
		t.Fatalf("content type %q: %v", p.ct, err)
	}
	w := &wire{ct: p.ct, parts: map[string][]byte{}}
	r := multipart.NewReader(bytes.NewReader(p.body), params["boundary"])
	for i := 0; ; i++ {
		part, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			w.env = etree.NewDocument()
			if err := w.env.ReadFromBytes(b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w.parts[strings.Trim(part.Header.Get("Content-ID"), "<>")] = b
	}
	if w.env == nil {
		t.Fatal("no SOAP part")
	}
	return w
}

func (w *wire) all(path string) []*etree.Element { return w.env.FindElements(path) }

func (w *wire) one(t *testing.T, path string) *etree.Element {
	t.Helper()
	es := w.all(path)
	if len(es) != 1 {
		t.Fatalf("%s: %d elements", path, len(es))
	}
	return es[0]
}

// sent is one message of A, recorded once for the sending-side tests.
func sent(t *testing.T) (string, *wire) {
	t.Helper()
	system(t)
	sentOnce.Do(func() {
		id, p := sendFromA(t, "registrator")
		sentMsg.id, sentMsg.w = id, parseWire(t, p)
	})
	if sentMsg.w == nil {
		t.Fatal("no recorded message (an earlier test failed to send)")
	}
	return sentMsg.id, sentMsg.w
}

// TA01 (sending side): the message sent gets its receipt and, with the kvittens, ACCEPTED.
func TestAS4_CP_TA01_SenderReachesAccepted(t *testing.T) {
	id, _ := sent(t)
	waitStatus(t, id, "ACCEPTED")
}

// TA03: exactly one eb:PartyId in eb:From and in eb:To.
func TestAS4_CP_TA03_OnePartyID(t *testing.T) {
	_, w := sent(t)
	w.one(t, "//UserMessage/PartyInfo/From/PartyId")
	w.one(t, "//UserMessage/PartyInfo/To/PartyId")
}

// TA05 and TA24: payloads travel compressed in MIME parts, CompressionType present.
func TestAS4_CP_TA05_CompressedInMIMEParts(t *testing.T) {
	_, w := sent(t)
	infos := w.all("//UserMessage/PayloadInfo/PartInfo")
	if len(infos) == 0 {
		t.Fatal("no PartInfo")
	}
	for _, pi := range infos {
		href := pi.SelectAttrValue("href", "")
		if !strings.HasPrefix(href, "cid:") {
			t.Fatalf("href %q is not a MIME part", href)
		}
		if _, ok := w.parts[strings.TrimPrefix(href, "cid:")]; !ok {
			t.Fatalf("no MIME part %s", href)
		}
		if partProperty(pi, "CompressionType") != "application/gzip" {
			t.Fatalf("%s: CompressionType %q", href, partProperty(pi, "CompressionType"))
		}
	}
}

// TA24: the CompressionType part property is present.
func TestAS4_CP_TA24_CompressionTypePresent(t *testing.T) {
	_, w := sent(t)
	for _, pi := range w.all("//UserMessage/PayloadInfo/PartInfo") {
		if partProperty(pi, "CompressionType") == "" {
			t.Fatal("no CompressionType")
		}
	}
}

// TA25: the MimeType part property is present.
func TestAS4_CP_TA25_MimeTypePresent(t *testing.T) {
	_, w := sent(t)
	for _, pi := range w.all("//UserMessage/PayloadInfo/PartInfo") {
		if partProperty(pi, "MimeType") == "" {
			t.Fatal("no MimeType")
		}
	}
}

// TA06: the SOAP Body is empty and the first PartInfo is an XML document (the XHE).
func TestAS4_CP_TA06_EmptyBodyFirstPartXML(t *testing.T) {
	_, w := sent(t)
	body := w.one(t, "//Envelope/Body")
	if len(body.ChildElements()) != 0 || strings.TrimSpace(body.Text()) != "" {
		t.Fatal("SOAP Body not empty")
	}
	infos := w.all("//UserMessage/PayloadInfo/PartInfo")
	if len(infos) == 0 || !strings.HasSuffix(partProperty(infos[0], "MimeType"), "xml") {
		t.Fatalf("first PartInfo MimeType %q", partProperty(infos[0], "MimeType"))
	}
}

// TA12: rsa-sha256 signature with SHA-256 digests over eb:Messaging (by wsu:Id), the
// Body and every attachment.
func TestAS4_CP_TA12_SigningProfile(t *testing.T) {
	_, w := sent(t)
	sm := w.one(t, "//Security/Signature/SignedInfo/SignatureMethod")
	if sm.SelectAttrValue("Algorithm", "") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Fatalf("SignatureMethod %s", sm.SelectAttrValue("Algorithm", ""))
	}
	refs := map[string]bool{}
	for _, r := range w.all("//Security/Signature/SignedInfo/Reference") {
		if dm := r.FindElement("DigestMethod"); dm == nil || dm.SelectAttrValue("Algorithm", "") != "http://www.w3.org/2001/04/xmlenc#sha256" {
			t.Fatalf("reference %s: digest method", r.SelectAttrValue("URI", ""))
		}
		refs[r.SelectAttrValue("URI", "")] = true
	}
	idOf := func(path string) string {
		e := w.one(t, path)
		for _, a := range e.Attr {
			if a.Key == "Id" {
				return "#" + a.Value
			}
		}
		t.Fatalf("%s has no Id", path)
		return ""
	}
	for _, want := range []string{idOf("//Envelope/Header/Messaging"), idOf("//Envelope/Body")} {
		if !refs[want] {
			t.Errorf("%s not signed (references %v)", want, refs)
		}
	}
	for _, pi := range w.all("//UserMessage/PayloadInfo/PartInfo") {
		if href := pi.SelectAttrValue("href", ""); !refs[href] {
			t.Errorf("attachment %s not signed", href)
		}
	}
}

// TA13: the attachment is encrypted with AES-128-GCM and its key is wrapped for the
// receiver (B decrypts it: the message reaches ACCEPTED).
func TestAS4_CP_TA13_EncryptionProfile(t *testing.T) {
	id, w := sent(t)
	var gcm, oaep bool
	for _, em := range w.all("//Security//EncryptionMethod") {
		switch em.SelectAttrValue("Algorithm", "") {
		case "http://www.w3.org/2009/xmlenc11#aes128-gcm":
			gcm = true
		case "http://www.w3.org/2009/xmlenc11#rsa-oaep":
			oaep = true
		}
	}
	if !gcm || !oaep {
		t.Fatalf("aes128-gcm %v, rsa-oaep %v", gcm, oaep)
	}
	for cid, b := range w.parts {
		if bytes.Contains(b, []byte("XHE")) || bytes.HasPrefix(b, []byte("\x1f\x8b")) {
			t.Fatalf("part %s is not encrypted", cid)
		}
	}
	waitStatus(t, id, "ACCEPTED")
}

// TA18: eb:ConversationId is present.
func TestAS4_CP_TA18_ConversationID(t *testing.T) {
	_, w := sent(t)
	if strings.TrimSpace(w.one(t, "//UserMessage/CollaborationInfo/ConversationId").Text()) == "" {
		t.Fatal("empty ConversationId")
	}
}

// TA20: the message properties carry a type.
func TestAS4_CP_TA20_PropertiesWithType(t *testing.T) {
	_, w := sent(t)
	props := w.all("//UserMessage/MessageProperties/Property")
	if len(props) == 0 {
		t.Fatal("no message properties")
	}
	for _, p := range props {
		if p.SelectAttrValue("type", "") == "" {
			t.Errorf("property %s without type", p.SelectAttrValue("name", ""))
		}
	}
}

// 4CT_TA01: originalSender and finalRecipient name C1 and C4 (the participants).
func TestAS4_4CT_TA01_OriginalSenderFinalRecipient(t *testing.T) {
	_, w := sent(t)
	got := map[string]string{}
	for _, p := range w.all("//UserMessage/MessageProperties/Property") {
		got[p.SelectAttrValue("name", "")] = strings.TrimSpace(p.Text())
	}
	if !strings.HasSuffix(localsys.DemoParticipantA, got["originalSender"]) || got["originalSender"] == "" ||
		!strings.HasSuffix(localsys.DemoParticipantB, got["finalRecipient"]) || got["finalRecipient"] == "" {
		t.Fatalf("properties %v", got)
	}
}

// 4CT_TA03: eb:From and eb:To name the access points (C2, C3), not the participants.
func TestAS4_4CT_TA03_FromToAreAccessPoints(t *testing.T) {
	_, w := sent(t)
	from := strings.TrimSpace(w.one(t, "//UserMessage/PartyInfo/From/PartyId").Text())
	to := strings.TrimSpace(w.one(t, "//UserMessage/PartyInfo/To/PartyId").Text())
	if from != sut.d.Tenants[0].APPartyID || to != sut.d.Tenants[1].APPartyID {
		t.Fatalf("From %q To %q", from, to)
	}
}

func partProperty(pi *etree.Element, name string) string {
	for _, p := range pi.FindElements("PartProperties/Property") {
		if p.SelectAttrValue("name", "") == name {
			return strings.TrimSpace(p.Text())
		}
	}
	return ""
}
