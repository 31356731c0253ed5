package conformance

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	bdmime "github.com/brevduva/brevduva/core/mime"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/wssec"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/core/xmlsafe"
	"github.com/brevduva/brevduva/internal/demopki"
	"github.com/brevduva/brevduva/internal/localsys"
)

// Attacks on Kommun B's running AP (issue 9, "Attacks"), each over HTTPS with mutual
// TLS from the test driver: the message is refused with an ebMS error and nothing is
// delivered. docs/conformance.md, section "Attacks", maps each to its defence.

// notDelivered waits until a valid message posted after id is delivered, then wants
// id not in B's mailbox fn: an asynchronous refusal (after the AS4 receipt) would
// have been done by then.
func notDelivered(t *testing.T, fn, id string) {
	t.Helper()
	n := newMessage(t, fn)
	ct, body := n.pack(t)
	if code, _, b := post(t, ct, body); !isReceipt(b) {
		t.Fatalf("control: HTTP %d, error %q", code, ebmsError(b))
	}
	waitMail(t, fn, n.id)
	time.Sleep(300 * time.Millisecond) // two delivery workers: let the other finish too
	if c := mailCount(t, fn, id); c != 0 {
		t.Fatalf("%s delivered %d times", id, c)
	}
}

// refused posts a message and wants an ebMS error (want, or any when want is "") and
// no delivery of id.
func refused(t *testing.T, id, want, ct string, body []byte) {
	t.Helper()
	code, _, b := post(t, ct, body)
	got := ebmsError(b)
	if isReceipt(b) || got == "" || want != "" && got != want {
		t.Fatalf("HTTP %d: error %q, want %q: %.300s", code, got, want, b)
	}
	t.Logf("HTTP %d, %s", code, got)
	if n := mailCount(t, "registrator", id); n != 0 {
		t.Fatalf("delivered %d", n)
	}
}

// dtdServer counts requests: an XML parser that resolved an external entity or DTD
// would hit it.
func dtdServer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`<!ENTITY x "x">`))
	}))
	t.Cleanup(ts.Close)
	return ts.URL, &hits
}

// TestAttackXML: hostile XML in the SOAP part. The payload sits in an extra, unsigned
// SOAP header block without mustUnderstand, which a receiver ignores: the control
// (the same block, harmless) is accepted, so each refusal comes from the XML defence
// (core/xmlsafe: no DTD, no entities, depth and attribute caps), not from the signature.
func TestAttackXML(t *testing.T) {
	system(t)
	url, hits := dtdServer(t)
	const header = `<x:Extra xmlns:x="urn:brevduva:attack"%s>%s</x:Extra>`
	deep := strings.Repeat("<x:d>", 5000) + strings.Repeat("</x:d>", 5000)
	laughs := `<!DOCTYPE S12:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">` +
		`<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">` +
		`<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">` +
		`<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>`
	cases := []struct {
		name, doctype, attr, content string
		accept                       bool
	}{
		{name: "control", content: "harmless", accept: true},
		{name: "XXE (external entity)", doctype: `<!DOCTYPE S12:Envelope [<!ENTITY xxe SYSTEM "` + url + `/xxe">]>`, content: "&xxe;"},
		{name: "XXE (local file)", doctype: `<!DOCTYPE S12:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`, content: "&xxe;"},
		{name: "external DTD", doctype: `<!DOCTYPE S12:Envelope SYSTEM "` + url + `/evil.dtd">`, content: "x"},
		{name: "parameter entity", doctype: `<!DOCTYPE S12:Envelope [<!ENTITY % p SYSTEM "` + url + `/p.dtd"> %p;]>`, content: "x"},
		{name: "entity expansion (billion laughs)", doctype: laughs, content: "&h;"},
		{name: "deep nesting", content: deep},
		{name: "huge attribute", attr: fmt.Sprintf(` x:a="%s"`, strings.Repeat("A", 1<<20)), content: "x"},
		{name: "many attributes", attr: manyAttrs(2000), content: "x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newMessage(t, "registrator")
			ct0, body0 := m.pack(t)
			e := openPacked(t, ct0, body0)
			root, err := e.doc.WriteToBytes()
			if err != nil {
				t.Fatal(err)
			}
			root = insertHeader(t, root, fmt.Sprintf(header, c.attr, c.content))
			if c.doctype != "" {
				root = insertDoctype(t, root, c.doctype)
			}
			ct, body := e.withRoot(root)
			if c.accept {
				if code, _, b := post(t, ct, body); !isReceipt(b) {
					t.Fatalf("HTTP %d error %q", code, ebmsError(b))
				}
				waitMail(t, "registrator", m.id)
				return
			}
			refused(t, m.id, "EBMS:0009", ct, body) // InvalidHeader: the SOAP part does not parse
		})
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the AP fetched %d external entities or DTDs", n)
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` x:a%d="1"`, i)
	}
	return b.String()
}

// insertHeader puts block first into the SOAP header.
func insertHeader(t *testing.T, root []byte, block string) []byte {
	t.Helper()
	i := bytes.Index(root, []byte(":Header>"))
	if i < 0 || bytes.Contains(root[:i], []byte("</")) {
		t.Fatalf("no SOAP header start: %.200s", root)
	}
	i += len(":Header>")
	return append(append(append([]byte(nil), root[:i]...), block...), root[i:]...)
}

// insertDoctype puts a document type declaration before the root element.
func insertDoctype(t *testing.T, root []byte, doctype string) []byte {
	t.Helper()
	i := 0
	if bytes.HasPrefix(root, []byte("<?xml")) {
		i = bytes.Index(root, []byte("?>")) + 2
	}
	return append(append(append([]byte(nil), root[:i]...), doctype...), root[i:]...)
}

// wrap moves el into a new element named name (urn:brevduva:attack) at parent.
func wrap(parent, el *etree.Element, name string) *etree.Element {
	w := parent.CreateElement("x:" + name)
	w.CreateAttr("xmlns:x", "urn:brevduva:attack")
	el.Parent().RemoveChild(el)
	w.AddChild(el)
	return w
}

// evilMessaging is a copy of the signed eb:Messaging with a fresh MessageId: valid in
// every other way, it would replay the signed payload past duplicate elimination.
func evilMessaging(e *edited) *etree.Element {
	ev := e.find("//eb:Messaging").Copy()
	ev.FindElement(".//eb:MessageId").SetText(newID())
	return ev
}

// TestAttackSignatureWrapping: XML signature wrapping (XSW) against the WS-Security
// signature. None is signed again: the signature stays valid over the elements it
// references, and the attack is where they now sit. Defence: core/wssec IndexIDs
// (duplicate ids refused), core/as4 sigResult.require (the eb:Messaging and Body the
// message is processed from must be the referenced ones), core/xmlsafe (duplicate ids).
func TestAttackSignatureWrapping(t *testing.T) {
	cases := []struct {
		name, want string
		edit       func(e *edited)
	}{
		{"duplicated wsu:Id (evil eb:Messaging with the signed one's id first)", "EBMS:0009", func(e *edited) {
			hdr := e.find("//S12:Header")
			ev := evilMessaging(e)
			hdr.InsertChildAt(0, ev)
		}},
		{"moved wsu:Id (signed eb:Messaging in a wrapper, evil one without id in its place)", "EBMS:0103", func(e *edited) {
			hdr := e.find("//S12:Header")
			ev := evilMessaging(e)
			ev.RemoveAttr(attrWSUID(t, ev))
			wrap(hdr, e.find("//eb:Messaging"), "Wrapper")
			hdr.InsertChildAt(0, ev)
		}},
		{"second eb:Messaging (unsigned, no id)", "EBMS:0009", func(e *edited) {
			ev := evilMessaging(e)
			ev.RemoveAttr(attrWSUID(t, ev))
			e.find("//S12:Header").AddChild(ev)
		}},
		{"signed eb:Messaging hidden inside wsse:Security, evil one in its place", "EBMS:0103", func(e *edited) {
			hdr := e.find("//S12:Header")
			orig := e.find("//eb:Messaging")
			ev := evilMessaging(e)
			ev.RemoveAttr(attrWSUID(t, ev))
			wrap(e.find("//wsse:Security"), orig, "Hidden")
			hdr.InsertChildAt(0, ev)
		}},
		{"reference to a different Body (signed Body moved to a header, unsigned Body with content)", "EBMS:0103", func(e *edited) {
			env, body := e.doc.Root(), e.find("//S12:Body")
			wrap(e.find("//S12:Header"), body, "OldBody")
			nb := env.CreateElement(body.Space + ":Body")
			nb.CreateElement("x:Evil").CreateAttr("xmlns:x", "urn:brevduva:attack")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			system(t)
			m := newMessage(t, "registrator")
			ct0, body0 := m.pack(t)
			e := openPacked(t, ct0, body0)
			c.edit(e)
			ct, body := e.bytes()
			refused(t, m.id, c.want, ct, body)
		})
	}
}

// attrWSUID is the qualified name of el's wsu:Id attribute.
func attrWSUID(t *testing.T, el *etree.Element) string {
	t.Helper()
	for _, a := range el.Attr {
		if a.Key == "Id" && a.NamespaceURI() == wssec.NSWSU {
			return a.FullKey()
		}
	}
	t.Fatalf("%s has no wsu:Id", el.Tag)
	return ""
}

// TestAttackUnsignedOrPartlySigned: a message without its signature, and messages whose
// signature (valid, made again by the driver) leaves out a part the profile requires
// signed (eDelivery AS4 1.15: eb:Messaging, Body and every attachment). Defence:
// core/as4 sigResult.require (EBMS:0103 PolicyNoncompliance).
func TestAttackUnsignedOrPartlySigned(t *testing.T) {
	t.Run("unsigned", func(t *testing.T) {
		system(t)
		m := newMessage(t, "registrator")
		ct0, body0 := m.pack(t)
		e := openPacked(t, ct0, body0)
		sig := e.find("//ds:Signature")
		sig.Parent().RemoveChild(sig)
		ct, body := e.bytes()
		refused(t, m.id, "EBMS:0103", ct, body)
	})
	for _, target := range []string{"eb:Messaging", "S12:Body", "attachment"} {
		t.Run("reference to "+target+" left out", func(t *testing.T) {
			negative(t, "EBMS:0103", func(e *edited) {
				var uri string
				if target == "attachment" {
					uri = "cid:" + e.parts[0].cid
				} else {
					el := e.find("//" + target)
					uri = "#" + el.SelectAttrValue(attrWSUID(t, el), "")
				}
				for _, r := range e.doc.FindElements("//ds:SignedInfo/ds:Reference") {
					if r.SelectAttrValue("URI", "") == uri {
						r.Parent().RemoveChild(r)
						return
					}
				}
				t.Fatalf("no reference %s", uri)
			})
		})
	}
}

// TestAttackMIME: hostile MIME structure. Defence: core/mime (Content-ID required and
// unique, part count cap), the HTTP body cap (infra/httpx, profile MaxMessageBytes).
func TestAttackMIME(t *testing.T) {
	cases := []struct {
		name string
		edit func(t *testing.T, e *edited) (string, []byte)
	}{
		{"attachment without Content-ID", func(t *testing.T, e *edited) (string, []byte) {
			ct, body := e.bytes()
			return ct, replaceOnce(t, body, "Content-ID: <"+e.parts[0].cid+">\r\n", "")
		}},
		{"duplicate Content-ID (a second part with the payload's id)", func(t *testing.T, e *edited) (string, []byte) {
			ct, body := e.bytes()
			end := "\r\n--" + boundary(t, ct) + "--"
			return ct, replaceOnce(t, body, end, "\r\n--"+boundary(t, ct)+"\r\nContent-Type: application/octet-stream\r\n"+
				"Content-ID: <"+e.parts[0].cid+">\r\n\r\nnot the payload"+end)
		}},
		{"duplicate Content-ID (the payload's id on the SOAP part)", func(t *testing.T, e *edited) (string, []byte) {
			ct, body := e.bytes()
			ct = strings.Replace(ct, "<"+e.rootCID+">", "<"+e.parts[0].cid+">", 1)
			return ct, replaceOnce(t, body, "Content-ID: <"+e.rootCID+">", "Content-ID: <"+e.parts[0].cid+">")
		}},
		{"part count bomb (2000 parts)", func(t *testing.T, e *edited) (string, []byte) {
			for i := range 2000 {
				e.parts = append(e.parts, &rawPart{cid: fmt.Sprintf("extra%d@attack", i), ct: "text/plain", data: []byte("x")})
			}
			return e.bytes()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			system(t)
			m := newMessage(t, "registrator")
			ct0, body0 := m.pack(t)
			ct, body := c.edit(t, openPacked(t, ct0, body0))
			refused(t, m.id, "EBMS:0007", ct, body) // MIMEInconsistency
		})
	}
	t.Run("part size bomb (over the 40 MB message cap)", func(t *testing.T) {
		system(t)
		m := newMessage(t, "registrator")
		ct0, body0 := m.pack(t)
		e := openPacked(t, ct0, body0)
		e.parts = append(e.parts, &rawPart{cid: "big@attack", ct: "application/octet-stream", data: make([]byte, 41<<20)})
		ct, body := e.bytes()
		code, _, b := post(t, ct, body)
		if isReceipt(b) || code != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d: %.300s", code, b)
		}
		t.Logf("HTTP %d, %q: %.200s", code, ebmsError(b), b)
		if n := mailCount(t, "registrator", m.id); n != 0 {
			t.Fatalf("delivered %d", n)
		}
	})
}

func replaceOnce(t *testing.T, body []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(body, []byte(old)) {
		t.Fatalf("no %q in the message", old)
	}
	return bytes.Replace(body, []byte(old), []byte(new), 1)
}

func boundary(t *testing.T, ct string) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == "" {
		t.Fatalf("content type %q: %v", ct, err)
	}
	return params["boundary"]
}

// TestAttackGzipBomb: the payload is a gzip stream of members of 1 MiB of zeros each,
// 1 MiB more in all than twice the profile's message cap (the receive path's cap on
// decompressed payloads), about 1 KB a member on the wire, signed again so that only
// its size is wrong. Defence: core/as4 Limits.MaxDecompressed as core/msh receive
// sets it (EBMS:0303). Without the cap the message would be acknowledged.
func TestAttackGzipBomb(t *testing.T) {
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if _, err := zw.Write(make([]byte, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	bomb := bytes.Repeat(member.Bytes(), int(2*pmode.EDelivery115().MaxMessageBytes>>20)+1)
	negative(t, "EBMS:0303", func(e *edited) {
		e.editPlain(func([]byte) []byte { return bomb })
	})
}

// sentRefs returns the eb:MessageId and copies of the ds:Reference elements of a
// message A's AP posted (what a receipt for it must hold).
func sentRefs(t *testing.T, p posted) (string, []*etree.Element) {
	t.Helper()
	r, err := bdmime.NewReader(p.ct, bytes.NewReader(p.body), bdmime.DefaultLimits)
	if err != nil {
		t.Error(err)
		return "", nil
	}
	_, root, err := r.Root()
	if err != nil {
		t.Error(err)
		return "", nil
	}
	doc, err := xmlsafe.ParseBytes(root, xmlsafe.DefaultLimits)
	if err != nil {
		t.Error(err)
		return "", nil
	}
	var refs []*etree.Element
	for _, el := range doc.FindElements("//ds:SignedInfo/ds:Reference") {
		c := el.Copy()
		c.CreateAttr("xmlns:ds", xmldsig.Namespace) // the prefix was declared on ds:Signature
		refs = append(refs, c)
	}
	return doc.FindElement("//eb:MessageId").Text(), refs
}

// signal builds a signal about the message A posted, signed by c: a receipt, or, with
// code set, an ebMS error.
func signal(t *testing.T, c *demopki.Cert, p posted, code ebms.Code) []byte {
	t.Helper()
	id, refs := sentRefs(t, p)
	b := &as4.SignalBuilder{Profile: pmode.EDelivery115(), Sender: as4.Sender{Key: c.Key, Cert: c.Cert}, Now: time.Now}
	var out []byte
	var err error
	if code != "" {
		out, err = b.ErrorSignal(id, ebms.NewError(code, "forged", nil))
	} else {
		out, err = b.ReceiptFor(id, refs)
	}
	if err != nil {
		t.Error(err)
	}
	return out
}

// TestAttackSignalsNotTrusted: receipts and errors that are unsigned or signed by the
// wrong party never decide a message. A's AP sends an SDK message; the test answers in
// B's place (B never sees it) with a forged signal. Only a receipt signed with the AP
// certificate B's SMP registration publishes (the control) may move the message to
// WAITING_FOR_RECEIPT; the others leave it to retries, so it ends
// MESSAGE_EXCHANGE_ERROR without the forged error code. A's own AP certificate is from
// the same AP CA, so chain validation alone would accept its signature.
// Defence: core/msh send (SignalVerifier with the peer's certificate) and core/as4.
func TestAttackSignalsNotTrusted(t *testing.T) {
	system(t)
	apA, apB := leaf(t, "ap-a"), leaf(t, "ap-b")
	unsigned := func(p posted) (string, []byte) {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(signal(t, apB, p, "")); err != nil {
			t.Error(err)
		}
		sig := doc.FindElement("//ds:Signature")
		sig.Parent().RemoveChild(sig)
		b, _ := doc.WriteToBytes()
		return as4.SignalContentType, b
	}
	cases := []struct {
		name   string
		answer func(p posted) (string, []byte)
		want   string // final status
	}{
		{"control: receipt signed by B's AP", func(p posted) (string, []byte) { return as4.SignalContentType, signal(t, apB, p, "") }, "WAITING_FOR_RECEIPT"},
		{"receipt signed by another AP of the same CA", func(p posted) (string, []byte) { return as4.SignalContentType, signal(t, apA, p, "") }, "MESSAGE_EXCHANGE_ERROR"},
		{"unsigned receipt", unsigned, "MESSAGE_EXCHANGE_ERROR"},
		{"error signed by another AP of the same CA", func(p posted) (string, []byte) {
			return as4.SignalContentType, signal(t, apA, p, ebms.ProcessingModeMismatch)
		}, "MESSAGE_EXCHANGE_ERROR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := newID()
			sut.rec.answerFor(id, c.answer)
			body := map[string]any{"data": map[string]any{"type": "messages", "attributes": map[string]any{
				"messageId": id, "confidentiality": false, "label": "Attack", "sender": localsys.DemoParticipantA, "recipient": localsys.DemoParticipantB,
				"recipientAttention": map[string]any{"subOrganization": map[string]any{"extension": "registrator"}},
				"digitalDocument":    []any{map[string]any{"documentId": "d1", "index": 1, "contentTextBody": []string{"attack"}}}}}}
			if code, b := api(t, "POST", "/sdk/messages", token(t, 0), "", body); code != http.StatusCreated {
				t.Fatalf("submit: %d %s", code, b)
			}
			waitStatus(t, id, c.want)
			code, b := api(t, "GET", "/sdk/messages/"+id, token(t, 0), "", nil)
			t.Logf("%d %s", code, b)
			if c.want != "WAITING_FOR_RECEIPT" && (bytes.Contains(b, []byte("WAITING_FOR_RECEIPT")) || bytes.Contains(b, []byte(ebms.ProcessingModeMismatch))) {
				t.Fatalf("the forged signal was trusted: %s", b)
			}
		})
	}
}
