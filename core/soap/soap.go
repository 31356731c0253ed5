// Package soap implements the SOAP 1.2 envelope (W3C SOAP Version 1.2 Part 1:
// Messaging Framework, Second Edition, §5) as AS4 uses it (eDelivery AS4 1.15
// §2.1: SOAP 1.2 only), and reads SOAP 1.1 envelopes (W3C Note SOAP 1.1 §4)
// because some captured receipts use them. It gives namespace-aware access to
// header blocks and the body, checks mustUnderstand (SOAP 1.2 §5.2.3, §5.4.8)
// and builds and reads SOAP Faults (SOAP 1.2 §5.4; SOAP 1.1 §4.4).
//
// Elements are matched by namespace URI through core/xmlsafe, never by prefix.
package soap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// Namespaces of the two SOAP versions.
const (
	// NS12 is the SOAP 1.2 envelope namespace (SOAP 1.2 Part 1 §5).
	NS12 = "http://www.w3.org/2003/05/soap-envelope"
	// NS11 is the SOAP 1.1 envelope namespace (SOAP 1.1 §4.1.2), read only.
	NS11 = "http://schemas.xmlsoap.org/soap/envelope/"
)

// SOAP 1.2 roles (SOAP 1.2 Part 1 §2.2).
const (
	RoleNext             = "http://www.w3.org/2003/05/soap-envelope/role/next"
	RoleNone             = "http://www.w3.org/2003/05/soap-envelope/role/none"
	RoleUltimateReceiver = "http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver"
	// ActorNext is the SOAP 1.1 next actor (SOAP 1.1 §4.2.2).
	ActorNext = "http://schemas.xmlsoap.org/soap/actor/next"
)

// Prefix is the prefix New and NewFault give the SOAP 1.2 namespace, as phase4 does.
const Prefix = "S12"

// Sentinels; errors of this package wrap one of them.
var (
	// ErrNotEnvelope: the document element is not a SOAP Envelope.
	ErrNotEnvelope = errors.New("soap: not a SOAP envelope")
	// ErrVersionMismatch: an Envelope in neither SOAP namespace (SOAP 1.2 §5.4.7).
	ErrVersionMismatch = errors.New("soap: version mismatch")
	// ErrStructure: Header/Body missing, repeated or out of order (SOAP 1.2 §5.1).
	ErrStructure = errors.New("soap: bad envelope structure")
	// ErrMustUnderstand: a header block targeted at us with mustUnderstand is not understood (SOAP 1.2 §5.4.8).
	ErrMustUnderstand = errors.New("soap: header not understood")
	// ErrNotFound: a header block or body element is not there.
	ErrNotFound = errors.New("soap: not found")
	// ErrAmbiguous: a block expected once is there more than once.
	ErrAmbiguous = errors.New("soap: more than one")
	// ErrFault: a SOAP Fault is malformed.
	ErrFault = errors.New("soap: bad fault")
)

// Envelope is a parsed or new SOAP envelope. Header is nil when a parsed
// envelope has none. Version is the envelope namespace, NS12 or NS11.
type Envelope struct {
	Doc                *etree.Document
	Root, Header, Body *etree.Element
	Version            string
}

// New returns an empty SOAP 1.2 envelope with a Header and a Body.
func New() *Envelope {
	doc := etree.NewDocument()
	root := doc.CreateElement(Prefix + ":Envelope")
	root.CreateAttr("xmlns:"+Prefix, NS12)
	return &Envelope{
		Doc:     doc,
		Root:    root,
		Header:  root.CreateElement(Prefix + ":Header"),
		Body:    root.CreateElement(Prefix + ":Body"),
		Version: NS12,
	}
}

// ParseBytes parses b with xmlsafe (no DTD, no entities, limits) and then Parse.
func ParseBytes(b []byte, lim xmlsafe.Limits) (*Envelope, error) {
	doc, err := xmlsafe.ParseBytes(b, lim)
	if err != nil {
		return nil, fmt.Errorf("soap: parse: %w", err)
	}
	return Parse(doc)
}

// Parse checks the envelope structure of doc (SOAP 1.2 Part 1 §5.1: an
// Envelope with zero or one Header followed by exactly one Body and no other
// element children; SOAP 1.1 §4.1.1 likewise) and returns it. doc is
// referenced, not copied.
func Parse(doc *etree.Document) (*Envelope, error) {
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" {
		return nil, fmt.Errorf("soap: parse: %w", ErrNotEnvelope)
	}
	ns := xmlsafe.NamespaceURI(root)
	if ns != NS12 && ns != NS11 {
		return nil, fmt.Errorf("soap: parse: %w: envelope namespace %q", ErrVersionMismatch, ns)
	}
	env := &Envelope{Doc: doc, Root: root, Version: ns}
	for i, c := range root.ChildElements() {
		switch {
		case xmlsafe.Is(c, ns, "Header") && i == 0:
			env.Header = c
		case xmlsafe.Is(c, ns, "Body") && env.Body == nil:
			env.Body = c
		case env.Body != nil && ns == NS11:
			// SOAP 1.1 §4.1.1 allows further elements after the Body.
		default:
			return nil, fmt.Errorf("soap: parse: %w: unexpected <%s> at position %d", ErrStructure, c.FullTag(), i)
		}
	}
	if env.Body == nil {
		return nil, fmt.Errorf("soap: parse: %w: no Body", ErrStructure)
	}
	return env, nil
}

// HeaderBlocks returns the header blocks named {ns}local, in document order.
func (e *Envelope) HeaderBlocks(ns, local string) []*etree.Element {
	if e.Header == nil {
		return nil
	}
	return xmlsafe.Children(e.Header, ns, local)
}

// HeaderBlock returns the only header block named {ns}local; ErrNotFound when
// there is none, ErrAmbiguous when there are several.
func (e *Envelope) HeaderBlock(ns, local string) (*etree.Element, error) {
	bs := e.HeaderBlocks(ns, local)
	switch len(bs) {
	case 1:
		return bs[0], nil
	case 0:
		return nil, fmt.Errorf("soap: header block {%s}%s: %w", ns, local, ErrNotFound)
	}
	return nil, fmt.Errorf("soap: header block {%s}%s: %w: %d", ns, local, ErrAmbiguous, len(bs))
}

// AddHeader appends block to the Header, creating the Header if needed.
func (e *Envelope) AddHeader(block *etree.Element) {
	if e.Header == nil {
		h := etree.NewElement("Header")
		h.Space = e.Root.Space
		e.Root.InsertChildAt(0, h)
		e.Header = h
	}
	e.Header.AddChild(block)
}

// BodyElements returns the element children of the Body. AS4 carries payloads
// in MIME parts, so an AS4 UserMessage has none (eDelivery AS4 1.15 §2.1).
func (e *Envelope) BodyElements() []*etree.Element { return e.Body.ChildElements() }

// MustUnderstand reports the mustUnderstand attribute of a header block in the
// envelope's namespace: xs:boolean "true"/"1"/"false"/"0" (SOAP 1.2 §5.2.3;
// SOAP 1.1 §4.2.3 uses "1"/"0"). An absent attribute is false; any other
// value is an error.
func (e *Envelope) MustUnderstand(block *etree.Element) (bool, error) {
	v, ok := xmlsafe.Attr(block, e.Version, "mustUnderstand")
	if !ok {
		return false, nil
	}
	switch strings.TrimSpace(v) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("soap: <%s> mustUnderstand=%q: %w: not a boolean", block.FullTag(), v, ErrStructure)
}

// Role returns the role a header block is targeted at (SOAP 1.2 §5.2.2
// role; SOAP 1.1 §4.2.2 actor). An absent attribute means the ultimate
// receiver and is returned as RoleUltimateReceiver.
func (e *Envelope) Role(block *etree.Element) string {
	name := "role"
	if e.Version == NS11 {
		name = "actor"
	}
	v, ok := xmlsafe.Attr(block, e.Version, name)
	if !ok || strings.TrimSpace(v) == "" {
		return RoleUltimateReceiver
	}
	return strings.TrimSpace(v)
}

// CheckMustUnderstand returns ErrMustUnderstand, naming every offending
// block, if a header block targeted at this node (no role, next or
// ultimateReceiver; SOAP 1.2 §2.2, §2.4) carries mustUnderstand="true" and
// understood reports false for it (SOAP 1.2 §5.2.3, §5.4.8). Blocks for
// other roles, such as wsse:Security with role="ebms", are not ours to
// process.
func (e *Envelope) CheckMustUnderstand(understood func(block *etree.Element) bool) error {
	if e.Header == nil {
		return nil
	}
	var bad []string
	for _, b := range e.Header.ChildElements() {
		switch e.Role(b) {
		case RoleUltimateReceiver, RoleNext, ActorNext:
		default:
			continue
		}
		mu, err := e.MustUnderstand(b)
		if err != nil {
			return err
		}
		if mu && !understood(b) {
			bad = append(bad, "{"+xmlsafe.NamespaceURI(b)+"}"+b.Tag)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("soap: %w: %s", ErrMustUnderstand, strings.Join(bad, ", "))
	}
	return nil
}

// Bytes serialises the envelope without indentation.
func (e *Envelope) Bytes() ([]byte, error) {
	b, err := e.Doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("soap: serialise: %w", err)
	}
	return b, nil
}
