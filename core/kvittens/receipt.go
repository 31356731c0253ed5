package kvittens

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Namespaces of UBL 2.1 ApplicationResponse.
const (
	Namespace = "urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2"
	NSCAC     = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	NSCBC     = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// Profile values, copied verbatim.
const (
	CustomizationID = "urn:fdc:digg.se:edelivery:messagetype:response:1" // R3-APP
	ProfileID       = "bdx:noprocess"                                    // R4-APP
	PartyScheme     = "iso6523-actorid-upis"                             // EndpointID@schemeID (R9-APP)
	// LineNA is the LineID DIGG's examples use when no location applies.
	LineNA = "NA"
)

// IDPrefix followed by the acknowledged message's id is the id Brevduva gives its
// kvittens (cbc:ID and the XHE Header/ID; DIGG only asks for the receipt's own id,
// spec-facts §d): derived from the message, so that a message is answered once, whether
// the access point seals the kvittens (core/msh) or an end-to-end client does.
const IDPrefix = "kvittens-"

// ErrNotReceipt is wrapped when a document cannot be read as a receipt at all.
var ErrNotReceipt = errors.New("not a meddelandekvittens")

// Line is one cac:LineResponse: where, the orsakskod, and the detail code and text
// (StatusReasonCode and StatusReason; placement ⚠U spec-facts §k 16).
type Line struct {
	LineID string
	Reason Reason
	Code   string // StatusReasonCode, optional
	Text   string // StatusReason, required
}

// Receipt is a Meddelandekvittens.
type Receipt struct {
	ID        string // the receipt's own id
	IssueDate string // YYYY-MM-DD
	IssueTime string // hh:mm:ssZ
	// Sender is the receipt's sender: the original message's recipient ("0203:…").
	Sender string
	// Receiver is the original message's sender.
	Receiver string
	Code     ResponseCode
	// DocumentID is the Header/ID of the acknowledged XHE (= the SDK messageId).
	DocumentID string
	Lines      []Line // none when ACCEPTED (R7-APP), at least one when REJECTED (R8-APP)
}

// New returns a receipt issued at now (UTC) answering the message documentID from
// original sender to original recipient: ACCEPTED when rej is nil, else REJECTED with
// rej's lines.
func New(id string, now time.Time, documentID, originalSender, originalRecipient string, rej *Rejection) *Receipt {
	now = now.UTC()
	r := &Receipt{ID: id, IssueDate: now.Format("2006-01-02"), IssueTime: now.Format("15:04:05Z"),
		Sender: originalRecipient, Receiver: originalSender, Code: Accepted, DocumentID: documentID}
	if rej != nil {
		r.Code = Rejected
		r.Lines = rej.Lines()
	}
	return r
}

// Lines turns a rejection into receipt lines: one per violation (location as LineID, the
// rule id and detail code as StatusReasonCode/StatusReason, never the offending value:
// [CONTENT] says not to echo content), or a single "NA" line.
func (r *Rejection) Lines() []Line {
	if len(r.Violations) == 0 {
		return []Line{{LineID: LineNA, Reason: r.Reason, Code: string(r.Detail), Text: string(r.Detail)}}
	}
	var out []Line
	for _, v := range r.Violations {
		id := v.Location
		if id == "" {
			id = LineNA
		}
		out = append(out, Line{LineID: id, Reason: v.Reason, Code: string(v.Detail), Text: string(v.Detail) + " | " + v.Rule})
	}
	return out
}

// Element builds the ApplicationResponse element (namespaces declared on it).
func (r *Receipt) Element() *etree.Element {
	root := etree.NewElement("ApplicationResponse")
	root.CreateAttr("xmlns", Namespace)
	root.CreateAttr("xmlns:cac", NSCAC)
	root.CreateAttr("xmlns:cbc", NSCBC)
	cbc := func(p *etree.Element, local, v string) *etree.Element {
		c := p.CreateElement("cbc:" + local)
		c.SetText(v)
		return c
	}
	cac := func(p *etree.Element, local string) *etree.Element { return p.CreateElement("cac:" + local) }
	cbc(root, "CustomizationID", CustomizationID)
	cbc(root, "ProfileID", ProfileID)
	cbc(root, "ID", r.ID)
	cbc(root, "IssueDate", r.IssueDate)
	cbc(root, "IssueTime", r.IssueTime)
	cbc(cac(root, "SenderParty"), "EndpointID", r.Sender).CreateAttr("schemeID", PartyScheme)
	cbc(cac(root, "ReceiverParty"), "EndpointID", r.Receiver).CreateAttr("schemeID", PartyScheme)
	dr := cac(root, "DocumentResponse")
	cbc(cac(dr, "Response"), "ResponseCode", string(r.Code))
	cbc(cac(dr, "DocumentReference"), "ID", r.DocumentID)
	for _, l := range r.Lines {
		lr := cac(dr, "LineResponse")
		cbc(cac(lr, "LineReference"), "LineID", l.LineID)
		resp := cac(lr, "Response")
		cbc(resp, "ResponseCode", string(l.Reason))
		st := cac(resp, "Status")
		if l.Code != "" {
			cbc(st, "StatusReasonCode", l.Code)
		}
		cbc(st, "StatusReason", l.Text)
	}
	return root
}

// Bytes validates and serialises the receipt.
func (r *Receipt) Bytes() ([]byte, error) {
	root := r.Element()
	if vs := Validate(root); len(vs) > 0 {
		return nil, fmt.Errorf("kvittens: build: %w", Reject(vs))
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(root)
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("kvittens: build: %w", err)
	}
	return buf.Bytes(), nil
}

func v(rule, loc, text string) Violation {
	return Violation{Rule: rule, Location: loc, Text: text, Reason: BV, Detail: DetailInvariant}
}

func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

func stringValue(el *etree.Element) string {
	var b strings.Builder
	var walk func(e *etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				b.WriteString(t.Data)
			case *etree.Element:
				walk(t)
			}
		}
	}
	walk(el)
	return b.String()
}

// allowed is the profile's element tree (children by namespace and local name) and the
// attributes each may carry; anything else is R1-APP ("only the elements and attributes
// of this specification"). DIGG's schematron lists the forbidden UBL elements; listing the
// allowed ones catches the same set within UBL.
type node struct {
	kids  map[string]*node
	attrs map[string]bool
}

func profileTree() *node {
	leaf := func(attrs ...string) *node {
		n := &node{attrs: map[string]bool{}}
		for _, a := range attrs {
			n.attrs[a] = true
		}
		return n
	}
	br := func(kids map[string]*node) *node { return &node{kids: kids, attrs: map[string]bool{}} }
	c, b := "{"+NSCAC+"}", "{"+NSCBC+"}"
	return br(map[string]*node{
		b + "CustomizationID": leaf(), b + "ProfileID": leaf(), b + "ID": leaf(),
		b + "IssueDate": leaf(), b + "IssueTime": leaf(),
		c + "SenderParty":   br(map[string]*node{b + "EndpointID": leaf("schemeID")}),
		c + "ReceiverParty": br(map[string]*node{b + "EndpointID": leaf("schemeID")}),
		c + "DocumentResponse": br(map[string]*node{
			c + "Response":          br(map[string]*node{b + "ResponseCode": leaf()}),
			c + "DocumentReference": br(map[string]*node{b + "ID": leaf()}),
			c + "LineResponse": br(map[string]*node{
				c + "LineReference": br(map[string]*node{b + "LineID": leaf()}),
				c + "Response": br(map[string]*node{
					b + "ResponseCode": leaf(),
					c + "Status":       br(map[string]*node{b + "StatusReasonCode": leaf(), b + "StatusReason": leaf()}),
				}),
			}),
		}),
	})
}

func kids(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	return xmlsafe.Children(el, ns, local)
}

func path(els []*etree.Element, steps ...string) []*etree.Element {
	for _, s := range steps {
		ns, local := NSCAC, s[4:]
		if strings.HasPrefix(s, "cbc:") {
			ns = NSCBC
		}
		var next []*etree.Element
		for _, e := range els {
			next = append(next, kids(e, ns, local)...)
		}
		els = next
	}
	return els
}

// Validate applies DIGG-AppRes-Business-Rules (R1-APP … R9-APP) to an ApplicationResponse
// root, without modifying it.
func Validate(root *etree.Element) []Violation {
	if !xmlsafe.Is(root, Namespace, "ApplicationResponse") {
		return []Violation{{Rule: "XSD", Location: "/", Reason: SV, Detail: DetailStructure,
			Text: fmt.Sprintf("root element is {%s}%s, want {%s}ApplicationResponse", xmlsafe.NamespaceURI(root), root.Tag, Namespace)}}
	}
	var out []Violation
	const r1 = "Endast XML-element och attribut som angivits i denna specifikation får användas"
	const r2 = "Tomma element eller attribut får inte anges"
	var walk func(e *etree.Element, n *node, loc string)
	walk = func(e *etree.Element, n *node, loc string) {
		for _, a := range e.Attr {
			if xmlsafe.IsNamespaceDecl(a) {
				continue
			}
			if a.Space != "" || n == nil || !n.attrs[a.Key] {
				out = append(out, v("R1-APP", loc+"/@"+a.FullKey(), r1))
			}
		}
		ch := e.ChildElements()
		ns := xmlsafe.NamespaceURI(e)
		if len(ch) == 0 && normalizeSpace(stringValue(e)) == "" && ns != "http://www.w3.org/2001/04/xmlenc#" && ns != "http://www.w3.org/2000/09/xmldsig#" {
			out = append(out, v("R2-APP", loc, r2))
		}
		seen := map[string]int{}
		for _, c := range ch {
			key := "{" + xmlsafe.NamespaceURI(c) + "}" + c.Tag
			seen[key]++
			cl := fmt.Sprintf("%s/%s[%d]", loc, c.FullTag(), seen[key])
			var cn *node
			if n != nil {
				cn = n.kids[key]
			}
			if cn == nil && n != nil {
				out = append(out, v("R1-APP", cl, r1))
			}
			walk(c, cn, cl)
		}
	}
	walk(root, profileTree(), "/ApplicationResponse")

	r9 := func(ok bool, loc, text string) {
		if !ok {
			out = append(out, v("R9-APP", loc, text+" Element och attribut ska anges i enlighet med den tillåtna kardinalitet som framgår i syntaxmappningen."))
		}
	}
	x := []*etree.Element{root}
	r9(len(path(x, "cbc:CustomizationID")) > 0, "/ApplicationResponse", "CustomizationID är obligatoriskt.")
	r9(len(path(x, "cbc:ProfileID")) > 0, "/ApplicationResponse", "ProfileID är obligatoriskt.")
	r9(len(path(x, "cbc:IssueTime")) > 0, "/ApplicationResponse", "IssueTime är obligatoriskt.")
	drs := path(x, "cac:DocumentResponse")
	r9(len(drs) == 1, "/ApplicationResponse", "ApplicationResponse/DocumentResponse ska anges 1 gång.")
	for _, dr := range drs {
		d := []*etree.Element{dr}
		r9(len(path(d, "cac:DocumentReference")) == 1, "/ApplicationResponse/cac:DocumentResponse", "ApplicationResponse/DocumentResponse/DocumentReference ska anges 1 gång.")
		for _, resp := range path(d, "cac:Response") {
			r9(len(path([]*etree.Element{resp}, "cbc:ResponseCode")) == 1, "/ApplicationResponse/cac:DocumentResponse/cac:Response", "ApplicationResponse/DocumentResponse/Response/ResponseCode ska anges 1 gång.")
		}
		for _, lr := range path(d, "cac:LineResponse") {
			resps := path([]*etree.Element{lr}, "cac:Response")
			r9(len(resps) == 1, "/ApplicationResponse/cac:DocumentResponse/cac:LineResponse", "ApplicationResponse/DocumentResponse/LineResponse/Response ska anges 1 gång.")
			for _, resp := range resps {
				rr := []*etree.Element{resp}
				r9(len(path(rr, "cbc:ResponseCode")) == 1, "/ApplicationResponse/cac:DocumentResponse/cac:LineResponse/cac:Response", "ApplicationResponse/DocumentResponse/LineResponse/Response/ResponseCode ska anges 1 gång.")
				sts := path(rr, "cac:Status")
				r9(len(sts) == 1, "/ApplicationResponse/cac:DocumentResponse/cac:LineResponse/cac:Response", "ApplicationResponse/DocumentResponse/LineResponse/Response/Status ska anges 1 gång.")
				for _, st := range sts {
					r9(len(path([]*etree.Element{st}, "cbc:StatusReason")) == 1, "/ApplicationResponse/cac:DocumentResponse/cac:LineResponse/cac:Response/cac:Status", "ApplicationResponse/DocumentResponse/LineResponse/Response/Status/StatusReason ska anges 1 gång.")
				}
			}
		}
	}
	for _, p := range []string{"cac:ReceiverParty", "cac:SenderParty"} {
		for _, party := range path(x, p) {
			eps := path([]*etree.Element{party}, "cbc:EndpointID")
			r9(len(eps) == 1, "/ApplicationResponse/"+p, "ApplicationResponse/"+p[4:]+"/EndpointID ska anges 1 gång.")
			has := false
			for _, ep := range eps {
				if _, ok := xmlsafe.Attr(ep, "", "schemeID"); ok {
					has = true
				}
			}
			r9(has, "/ApplicationResponse/"+p, "EndpointID/@schemeID är obligatorisk att ange.")
		}
	}
	// R3-APP, R4-APP (on the string value of the first, as XPath's normalize-space(node-set)).
	firstText := func(els []*etree.Element) string {
		if len(els) == 0 {
			return ""
		}
		return normalizeSpace(stringValue(els[0]))
	}
	if firstText(path(x, "cbc:CustomizationID")) != CustomizationID {
		out = append(out, v("R3-APP", "/ApplicationResponse", "CustomizationID måste ha korrekt värde enligt kodlista"))
	}
	if firstText(path(x, "cbc:ProfileID")) != ProfileID {
		out = append(out, v("R4-APP", "/ApplicationResponse", "ProfileID måste ha korrekt värde enligt kodlista"))
	}
	hasLines := len(path(x, "cac:DocumentResponse", "cac:LineResponse")) > 0
	for _, rc := range path(x, "cac:DocumentResponse", "cac:Response", "cbc:ResponseCode") {
		code := normalizeSpace(stringValue(rc))
		if code != string(Accepted) && code != string(Rejected) {
			out = append(out, v("R5-APP", "/ApplicationResponse/cac:DocumentResponse/cac:Response/cbc:ResponseCode", "Kvittenskod (cac:DocumentResponse/cbc:ResponseCode) ska använda giltig kod enligt kodlista"))
		}
		// R7/R8 compare the raw string value (no normalize-space), as DIGG's XPath does.
		if stringValue(rc) == string(Accepted) && hasLines {
			out = append(out, v("R7-APP", "/ApplicationResponse/cac:DocumentResponse/cac:Response", "En kvittens med status ACCEPTED ska inte ha några orsakskoder"))
		}
		if stringValue(rc) == string(Rejected) && !hasLines {
			out = append(out, v("R8-APP", "/ApplicationResponse/cac:DocumentResponse/cac:Response", "En kvittens med status REJECTED måste ha minst en orsakskod"))
		}
	}
	for _, rc := range path(x, "cac:DocumentResponse", "cac:LineResponse", "cac:Response", "cbc:ResponseCode") {
		switch Reason(normalizeSpace(stringValue(rc))) {
		case SV, BV, SIG:
		default:
			out = append(out, v("R6-APP", "/ApplicationResponse/cac:DocumentResponse/cac:LineResponse/cac:Response/cbc:ResponseCode", "Orsakskod (cac:LineResponse/cac:Response/cbc:ResponseCode) ska använda giltig kod enligt kodlista"))
		}
	}
	// Structure Parse relies on (Response-2.1.xsd): ID, IssueDate, the parties and the
	// document reference id.
	for _, p := range [][]string{{"cbc:ID"}, {"cbc:IssueDate"}, {"cac:SenderParty"}, {"cac:ReceiverParty"},
		{"cac:DocumentResponse", "cac:Response"}, {"cac:DocumentResponse", "cac:DocumentReference", "cbc:ID"}} {
		if len(path(x, p...)) == 0 {
			out = append(out, Violation{Rule: "XSD", Location: "/ApplicationResponse/" + strings.Join(p, "/"),
				Text: "required element is missing", Reason: SV, Detail: DetailStructure})
		}
	}
	return out
}

// Parse validates an ApplicationResponse root and reads it; violations give a *Rejection.
func Parse(root *etree.Element) (*Receipt, error) {
	if vs := Validate(root); len(vs) > 0 {
		return nil, fmt.Errorf("kvittens: %w", Reject(vs))
	}
	x := []*etree.Element{root}
	t := func(els []*etree.Element) string {
		if len(els) == 0 {
			return ""
		}
		return normalizeSpace(stringValue(els[0]))
	}
	r := &Receipt{
		ID: t(path(x, "cbc:ID")), IssueDate: t(path(x, "cbc:IssueDate")), IssueTime: t(path(x, "cbc:IssueTime")),
		Sender:     t(path(x, "cac:SenderParty", "cbc:EndpointID")),
		Receiver:   t(path(x, "cac:ReceiverParty", "cbc:EndpointID")),
		Code:       ResponseCode(t(path(x, "cac:DocumentResponse", "cac:Response", "cbc:ResponseCode"))),
		DocumentID: t(path(x, "cac:DocumentResponse", "cac:DocumentReference", "cbc:ID")),
	}
	for _, lr := range path(x, "cac:DocumentResponse", "cac:LineResponse") {
		l := []*etree.Element{lr}
		r.Lines = append(r.Lines, Line{
			LineID: t(path(l, "cac:LineReference", "cbc:LineID")),
			Reason: Reason(t(path(l, "cac:Response", "cbc:ResponseCode"))),
			Code:   t(path(l, "cac:Response", "cac:Status", "cbc:StatusReasonCode")),
			Text:   t(path(l, "cac:Response", "cac:Status", "cbc:StatusReason")),
		})
	}
	return r, nil
}

// ParseBytes parses b with core/xmlsafe and then Parse.
func ParseBytes(b []byte) (*Receipt, error) {
	doc, err := xmlsafe.ParseBytes(bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF}), xmlsafe.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("kvittens: %w: %w", ErrNotReceipt, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("kvittens: %w: no root element", ErrNotReceipt)
	}
	return Parse(doc.Root())
}
