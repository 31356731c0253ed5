package sdkmsg

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// ErrNotWellFormed is wrapped when the input is not well-formed XML or is refused by
// core/xmlsafe (DTD, entities, duplicate attributes, limits).
var ErrNotWellFormed = errors.New("not well-formed xml")

// parseXML parses b with core/xmlsafe (no DTD, no entities, no duplicate attributes,
// bounded size and depth).
func parseXML(b []byte) (*etree.Document, error) {
	doc, err := xmlsafe.ParseBytes(b, xmlsafe.DefaultLimits)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotWellFormed, err)
	}
	if doc.Root() == nil {
		return nil, fmt.Errorf("%w: no root element", ErrNotWellFormed)
	}
	return doc, nil
}

// Validate checks a serialised SDK message against the 30 MB limit, well-formedness, the
// XSD, MessageConstraints.xml and [CONTENT]. It returns every violation; none means valid.
func Validate(b []byte) []kvittens.Violation {
	if len(b) > MaxBytes {
		return []kvittens.Violation{{Rule: RuleSize, Location: "/", Reason: kvittens.BV, Detail: kvittens.DetailTooLong,
			Text: fmt.Sprintf("too-long | message is %d bytes, over the limit of %d", len(b), MaxBytes)}}
	}
	doc, err := parseXML(b)
	if err != nil {
		return []kvittens.Violation{xsdViolation("/", "%v", err)}
	}
	return ValidateElement(doc.Root())
}

// ValidateElement checks a parsed tns:messagePayload element (it is not modified).
func ValidateElement(root *etree.Element) []kvittens.Violation {
	out := checkXSD(root)
	if root.NamespaceURI() != Namespace || root.Tag != "messagePayload" {
		return out
	}
	out = append(out, checkSchematron(root)...)
	return append(out, checkContent(root)...)
}

// Parse validates b and returns the message. Any violation gives a *kvittens.Rejection
// (SV/structure, BV/invariant or BV/too-long) listing all of them.
func Parse(b []byte) (*Message, error) {
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("sdkmsg: %w", kvittens.Reject(Validate(b)))
	}
	doc, err := parseXML(b)
	if err != nil {
		return nil, fmt.Errorf("sdkmsg: %w", kvittens.Reject([]kvittens.Violation{xsdViolation("/", "%v", err)}))
	}
	return ParseElement(doc.Root())
}

// ParseElement validates a parsed messagePayload element and returns the message.
func ParseElement(root *etree.Element) (*Message, error) {
	if vs := ValidateElement(root); len(vs) > 0 {
		return nil, fmt.Errorf("sdkmsg: %w", kvittens.Reject(vs))
	}
	return decode(root), nil
}

// child returns the first tns child named local, or nil.
func child(el *etree.Element, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if isT(c, local) {
			return c
		}
	}
	return nil
}

func children(el *etree.Element, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if isT(c, local) {
			out = append(out, c)
		}
	}
	return out
}

func text(el *etree.Element, local string) string {
	if c := child(el, local); c != nil {
		return stringValue(c)
	}
	return ""
}

func decodeII(el *etree.Element) II {
	return II{Root: text(el, "root"), Extension: text(el, "extension")}
}

func decodeAttention(el *etree.Element) *Attention {
	if el == nil {
		return nil
	}
	a := &Attention{}
	for _, p := range children(el, "person") {
		var pp Person
		if id := child(p, "personId"); id != nil {
			ii := decodeII(id)
			pp.PersonID = &ii
		}
		pp.Label = text(p, "label")
		a.Persons = append(a.Persons, pp)
	}
	so := child(el, "subOrganization")
	a.FunctionAddress = text(child(so, "organizationId"), "extension")
	a.FunctionLabel = text(so, "label")
	for _, r := range children(el, "reference") {
		a.References = append(a.References, Reference{ReferenceID: decodeII(child(r, "referenceId")), Label: text(r, "label")})
	}
	return a
}

// decode reads a valid messagePayload (validation guarantees the structure).
func decode(root *etree.Element) *Message {
	msg := child(root, "message")
	h := child(msg, "messageHeader")
	m := &Message{
		CreationDateTime: text(h, "creationDateTime"),
		MessageID:        text(h, "messageId"),
		ConversationID:   text(h, "conversationId"),
		RefToMessageID:   text(h, "refToMessageId"),
		Label:            text(h, "label"),
	}
	m.Confidentiality, _ = strconv.ParseBool(strings.TrimSpace(text(h, "confidentiality")))
	if g := child(h, "generatingSystem"); g != nil {
		ii := decodeII(g)
		m.GeneratingSystem = &ii
	}
	r := child(h, "recipient")
	m.Recipient = Party{ID: text(child(r, "recipientID"), "extension"), Label: text(r, "label"), Attention: decodeAttention(child(r, "attention"))}
	s := child(h, "sender")
	m.Sender = Party{ID: text(child(s, "senderID"), "extension"), Label: text(s, "label"), Attention: decodeAttention(child(s, "attention"))}
	for _, d := range children(child(msg, "messageBody"), "documents") {
		doc := Document{DocumentID: text(d, "documentID"), DocumentName: text(d, "documentName"), Index: text(d, "index")}
		for _, f := range children(d, "ContentFiles") {
			content, _ := decodeBase64(text(f, "content"))
			doc.Files = append(doc.Files, File{FileName: text(f, "fileName"), ContentType: text(f, "contentType"), Content: content})
		}
		for _, t := range children(d, "ContentText") {
			doc.Texts = append(doc.Texts, text(t, "characterSequence"))
		}
		m.Documents = append(m.Documents, doc)
	}
	return m
}

// FormatTime formats t as creationDateTime wants it: UTC with milliseconds,
// "2006-01-02T15:04:05.000Z" (pattern creationDateTime).
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Prefix is the namespace prefix Element uses for Namespace.
const Prefix = "tns"

// Element builds the tns:messagePayload element of m. It does not validate; call
// ValidateElement (or Bytes, which does).
func (m *Message) Element() *etree.Element {
	root := etree.NewElement(Prefix + ":messagePayload")
	root.CreateAttr("xmlns:"+Prefix, Namespace)
	add := func(parent *etree.Element, local, value string) *etree.Element {
		c := parent.CreateElement(Prefix + ":" + local)
		c.SetText(value)
		return c
	}
	addII := func(parent *etree.Element, local string, ii II) {
		c := parent.CreateElement(Prefix + ":" + local)
		add(c, "root", ii.Root)
		add(c, "extension", ii.Extension)
	}
	addAttention := func(parent *etree.Element, a *Attention) {
		if a == nil {
			return
		}
		at := parent.CreateElement(Prefix + ":attention")
		for _, p := range a.Persons {
			pe := at.CreateElement(Prefix + ":person")
			if p.PersonID != nil {
				addII(pe, "personId", *p.PersonID)
			}
			if p.Label != "" {
				add(pe, "label", p.Label)
			}
		}
		so := at.CreateElement(Prefix + ":subOrganization")
		addII(so, "organizationId", II{Root: FunctionalAddressRoot, Extension: a.FunctionAddress})
		if a.FunctionLabel != "" {
			add(so, "label", a.FunctionLabel)
		}
		for _, r := range a.References {
			re := at.CreateElement(Prefix + ":reference")
			addII(re, "referenceId", r.ReferenceID)
			if r.Label != "" {
				add(re, "label", r.Label)
			}
		}
	}
	msg := root.CreateElement(Prefix + ":message")
	h := msg.CreateElement(Prefix + ":messageHeader")
	add(h, "creationDateTime", m.CreationDateTime)
	add(h, "messageId", m.MessageID)
	add(h, "conversationId", m.ConversationID)
	if m.RefToMessageID != "" {
		add(h, "refToMessageId", m.RefToMessageID)
	}
	if m.Label != "" {
		add(h, "label", m.Label)
	}
	add(h, "confidentiality", strconv.FormatBool(m.Confidentiality))
	if m.GeneratingSystem != nil {
		addII(h, "generatingSystem", *m.GeneratingSystem)
	}
	r := h.CreateElement(Prefix + ":recipient")
	addII(r, "recipientID", II{Root: ParticipantScheme, Extension: m.Recipient.ID})
	if m.Recipient.Label != "" {
		add(r, "label", m.Recipient.Label)
	}
	addAttention(r, m.Recipient.Attention)
	s := h.CreateElement(Prefix + ":sender")
	addII(s, "senderID", II{Root: ParticipantScheme, Extension: m.Sender.ID})
	if m.Sender.Label != "" {
		add(s, "label", m.Sender.Label)
	}
	addAttention(s, m.Sender.Attention)
	body := msg.CreateElement(Prefix + ":messageBody")
	for _, d := range m.Documents {
		de := body.CreateElement(Prefix + ":documents")
		add(de, "documentID", d.DocumentID)
		if d.DocumentName != "" {
			add(de, "documentName", d.DocumentName)
		}
		if d.Index != "" {
			add(de, "index", d.Index)
		}
		for _, f := range d.Files {
			fe := de.CreateElement(Prefix + ":ContentFiles")
			add(fe, "fileName", f.FileName)
			add(fe, "contentType", f.ContentType)
			add(fe, "content", base64Encode(f.Content))
		}
		for _, t := range d.Texts {
			te := de.CreateElement(Prefix + ":ContentText")
			add(te, "characterSequence", t)
		}
	}
	return root
}

// Bytes serialises m (with an XML declaration) after validating it; an invalid message
// gives a *kvittens.Rejection.
func (m *Message) Bytes() ([]byte, error) {
	root := m.Element()
	if vs := ValidateElement(root); len(vs) > 0 {
		return nil, fmt.Errorf("sdkmsg: build: %w", kvittens.Reject(vs))
	}
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	doc.SetRoot(root)
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("sdkmsg: build: %w", err)
	}
	if buf.Len() > MaxBytes {
		return nil, fmt.Errorf("sdkmsg: build: %w", kvittens.Reject(Validate(buf.Bytes())))
	}
	return buf.Bytes(), nil
}
