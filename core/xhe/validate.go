package xhe

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/xmlsafe"
)

// ErrNotXHE is wrapped when the document is not an XHE envelope that can be read.
var ErrNotXHE = errors.New("not an xhe envelope")

func rule(id, loc, text string) kvittens.Violation {
	return kvittens.Violation{Rule: id, Location: loc, Text: text, Reason: kvittens.BV, Detail: kvittens.DetailInvariant}
}

func structure(loc, format string, args ...any) kvittens.Violation {
	return kvittens.Violation{Rule: "XSD", Location: loc, Text: fmt.Sprintf(format, args...),
		Reason: kvittens.SV, Detail: kvittens.DetailStructure}
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

func kids(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	return xmlsafe.Children(el, ns, local)
}

func first(el *etree.Element, ns, local string) *etree.Element {
	if k := kids(el, ns, local); len(k) > 0 {
		return k[0]
	}
	return nil
}

// path follows a chain of (ns, local) steps, collecting every match (XPath child axis).
func path(els []*etree.Element, steps ...[2]string) []*etree.Element {
	for _, s := range steps {
		var next []*etree.Element
		for _, e := range els {
			next = append(next, kids(e, s[0], s[1])...)
		}
		els = next
	}
	return els
}

func agg(local string) [2]string { return [2]string{NSAggregate, local} }
func bas(local string) [2]string { return [2]string{NSBasic, local} }

// Validate applies DIGG-XHE-Business-Rules (R1-XHE … R14-XHE, with R11 checking ToParty)
// and the structural checks Parse relies on ("XSD") to the XHE root. It does not modify it.
func Validate(root *etree.Element) []kvittens.Violation {
	if !xmlsafe.Is(root, Namespace, "XHE") {
		return []kvittens.Violation{structure("/", "root element is {%s}%s, want {%s}XHE", xmlsafe.NamespaceURI(root), root.Tag, Namespace)}
	}
	var out []kvittens.Violation
	checkStructure(root, xsdModel(), "/XHE", &out)
	x := []*etree.Element{root}

	// R1-XHE: elements outside the profile.
	for _, p := range []struct {
		loc string
		els []*etree.Element
	}{
		{"/x:XHE/ext:XHEExtensions", path(x, [2]string{NSExtension, "XHEExtensions"})},
		{"/x:XHE/xhb:ProfileID", path(x, bas("ProfileID"))},
		{"/x:XHE/xhb:ProfileExecutionID", path(x, bas("ProfileExecutionID"))},
		{"/x:XHE/xha:Header/xha:BusinessScope/xha:ExternalReference", path(x, agg("Header"), agg("BusinessScope"), agg("ExternalReference"))},
	} {
		for range p.els {
			out = append(out, rule("R1-XHE", p.loc, "Endast XML-element och attribut som angivits i denna specifikation får användas"))
		}
	}
	payloads := path(x, agg("Payloads"), agg("Payload"))
	for _, pl := range payloads {
		for _, s := range [][2]string{bas("Description"), bas("CustomizationID"), bas("ProfileID"), bas("ProfileExecutionID"),
			bas("ValidationTypeCode"), bas("InstanceEncryptionMethod"), bas("InstanceHashValue"),
			agg("InstanceDecryptionInformationExternalReference"), agg("InstanceDecryptionKeyExternalReference"),
			agg("RelevantExternalReference")} {
			pre := "xhb:"
			if s[0] == NSAggregate {
				pre = "xha:"
			}
			for range kids(pl, s[0], s[1]) {
				out = append(out, rule("R1-XHE", "/x:XHE/xha:Payloads/xha:Payload/"+pre+s[1],
					"Endast XML-element och attribut som angivits i denna specifikation får användas"))
			}
		}
	}

	// R14-XHE: cardinalities.
	r14 := func(ok bool, text string) {
		if !ok {
			out = append(out, rule("R14-XHE", "/x:XHE", text+" Element och attribut ska anges i enlighet med den tillåtna kardinalitet som framgår i syntaxmappningen."))
		}
	}
	r14(len(path(x, bas("CustomizationID"))) > 0, "CustomizationID är obligatoriskt.")
	r14(len(path(x, agg("Header"), agg("BusinessScope"), agg("BusinessScopeCriterion"))) > 0, "BusinessScopeCriterionär är obligatoriskt.")
	r14(len(path(x, agg("Header"), agg("FromParty"))) > 0, "FromParty är obligatoriskt.")
	r14(len(path(x, agg("Header"), agg("FromParty"), agg("PartyIdentification"))) == 1, "FromParty/PartyIdentification får anges max 1 gång.")
	r14(len(path(x, agg("Header"), agg("ToParty"), agg("PartyIdentification"))) == 1, "ToParty/PartyIdentification får anges max 1 gång.")
	r14(len(payloads) == 1, "Payload är obligatoriskt och får bara anges en gång.")
	r14(len(path(payloads, bas("DocumentTypeCode"))) > 0, "DocumentTypeCode är obligatoriskt.")
	r14(len(path(payloads, bas("ContentTypeCode"))) > 0, "ContentTypeCode är obligatoriskt.")
	r14(len(path(payloads, agg("PayloadContent"))) > 0, "PayloadContent är obligatoriskt.")

	// R2-XHE: no empty leaf elements outside PayloadContent, except xenc and ds ones.
	var walk func(e *etree.Element, loc string, inContent bool)
	walk = func(e *etree.Element, loc string, inContent bool) {
		ch := e.ChildElements()
		ns := xmlsafe.NamespaceURI(e)
		if !inContent && len(ch) == 0 && normalizeSpace(stringValue(e)) == "" && ns != nsXenc && ns != nsDS {
			out = append(out, rule("R2-XHE", loc, "Tomma element eller attribut får inte anges"))
		}
		inner := inContent || xmlsafe.Is(e, NSAggregate, "PayloadContent")
		seen := map[string]int{}
		for _, c := range ch {
			seen[c.Tag]++
			walk(c, fmt.Sprintf("%s/%s[%d]", loc, c.Tag, seen[c.Tag]), inner)
		}
	}
	walk(root, "/XHE", false)

	// R3-XHE, R9-XHE.
	for _, c := range path(x, bas("CustomizationID")) {
		if normalizeSpace(stringValue(c)) != CustomizationID {
			out = append(out, rule("R3-XHE", "/x:XHE/xhb:CustomizationID", "CustomizationID måste ha korrekt värde enligt kodlista"))
		}
	}
	for _, c := range path(x, bas("XHEVersionID")) {
		if normalizeSpace(stringValue(c)) != VersionID {
			out = append(out, rule("R9-XHE", "/x:XHE/xhb:XHEVersionID", "XHEVersionID ska ha värde 1.0"))
		}
	}
	// R4-XHE … R8-XHE.
	crit := path(x, agg("Header"), agg("BusinessScope"), agg("BusinessScopeCriterion"))
	for i, t := range []CriterionType{DocumentID, DocumentIDScheme, ProcessID, ProcessIDScheme, FederationID} {
		found := false
		for _, c := range crit {
			for _, tc := range kids(c, NSBasic, "BusinessScopeCriterionTypeCode") {
				if normalizeSpace(stringValue(tc)) == string(t) {
					found = true
				}
			}
		}
		if !found {
			out = append(out, rule(fmt.Sprintf("R%d-XHE", 4+i), "/x:XHE/xha:Header/xha:BusinessScope",
				"Ett BusinessScopeCriterionTypeCode ska anges med koden "+string(t)))
		}
	}
	// R10-XHE (FromParty) and R11-XHE (ToParty, as its text says).
	for _, p := range []struct{ id, party, text string }{
		{"R10-XHE", "FromParty", "ID för FromParty ska ha attributet 'iso6523-actorid-upis'"},
		{"R11-XHE", "ToParty", "ID för ToParty ska ha attributet 'iso6523-actorid-upis'"},
	} {
		for _, id := range path(x, agg("Header"), agg(p.party), agg("PartyIdentification"), bas("ID")) {
			v, _ := xmlsafe.Attr(id, "", "schemeID")
			if normalizeSpace(v) != PartyScheme {
				out = append(out, rule(p.id, "/x:XHE/xha:Header/xha:"+p.party+"/xha:PartyIdentification/xhb:ID", p.text))
			}
		}
	}
	// R12-XHE / R13-XHE.
	for _, pl := range payloads {
		for _, ind := range kids(pl, NSBasic, "InstanceEncryptionIndicator") {
			enc := len(path([]*etree.Element{pl}, agg("PayloadContent"), [2]string{nsXenc, "EncryptedData"})) > 0
			switch strings.TrimSpace(stringValue(ind)) {
			case "true", "1":
				if !enc {
					out = append(out, rule("R12-XHE", "/x:XHE/xha:Payloads/xha:Payload", "PayloadContent ska innehålla elementet 'EncryptedData' om InstanceEncryptionIndicator är 'true'"))
				}
			case "false", "0":
				if enc {
					out = append(out, rule("R13-XHE", "/x:XHE/xha:Payloads/xha:Payload", "PayloadContent ska inte innehålla elementet 'EncryptedData' om InstanceEncryptionIndicator är 'false'"))
				}
			default:
				out = append(out, structure("/x:XHE/xha:Payloads/xha:Payload/xhb:InstanceEncryptionIndicator", "%q is not a valid xs:boolean", stringValue(ind)))
			}
		}
	}
	// Structure Parse relies on (XHE-1.0.xsd): Header with ID and CreationDateTime, and
	// PayloadContent holding at most one element.
	h := first(root, NSAggregate, "Header")
	if h == nil || first(h, NSBasic, "ID") == nil || first(h, NSBasic, "CreationDateTime") == nil {
		out = append(out, structure("/x:XHE/xha:Header", "Header with ID and CreationDateTime is required"))
	}
	for _, party := range []string{"FromParty", "ToParty"} {
		for _, pi := range path(x, agg("Header"), agg(party), agg("PartyIdentification")) {
			if first(pi, NSBasic, "ID") == nil {
				out = append(out, structure("/x:XHE/xha:Header/xha:"+party+"/xha:PartyIdentification", "PartyIdentification/ID is required"))
			}
		}
	}
	for _, pc := range path(payloads, agg("PayloadContent")) {
		if len(pc.ChildElements()) > 1 {
			out = append(out, structure("/x:XHE/xha:Payloads/xha:Payload/xha:PayloadContent", "PayloadContent holds more than one element"))
		}
	}
	return out
}

// Parse validates the XHE root and reads it. Values are XPath string values (all text
// children), so a comment inserted into a signed value (comments are outside the
// C14N-without-comments signature) cannot truncate what is read. Envelope.Content points into root's tree.
// Violations give a *kvittens.Rejection (wrapped).
func Parse(root *etree.Element) (*Envelope, error) {
	if vs := Validate(root); len(vs) > 0 {
		return nil, fmt.Errorf("xhe: %w", kvittens.Reject(vs))
	}
	e := &Envelope{}
	h := first(root, NSAggregate, "Header")
	e.ID = normalizeSpace(stringValue(first(h, NSBasic, "ID")))
	e.CreationDateTime = strings.TrimSpace(stringValue(first(h, NSBasic, "CreationDateTime")))
	for _, c := range path([]*etree.Element{h}, agg("BusinessScope"), agg("BusinessScopeCriterion")) {
		e.Scope = append(e.Scope, Criterion{
			Type:  CriterionType(normalizeSpace(stringValue(first(c, NSBasic, "BusinessScopeCriterionTypeCode")))),
			Value: normalizeSpace(stringValueOr(first(c, NSBasic, "BusinessScopeCriterionValue"))),
		})
	}
	e.From = normalizeSpace(stringValue(path([]*etree.Element{h}, agg("FromParty"), agg("PartyIdentification"), bas("ID"))[0]))
	e.To = normalizeSpace(stringValue(path([]*etree.Element{h}, agg("ToParty"), agg("PartyIdentification"), bas("ID"))[0]))
	pl := path([]*etree.Element{root}, agg("Payloads"), agg("Payload"))[0]
	e.DocumentTypeCode = normalizeSpace(stringValue(first(pl, NSBasic, "DocumentTypeCode")))
	e.ContentTypeCode = normalizeSpace(stringValue(first(pl, NSBasic, "ContentTypeCode")))
	e.HandlingServiceID = normalizeSpace(stringValueOr(first(pl, NSBasic, "HandlingServiceID")))
	if ind := first(pl, NSBasic, "InstanceEncryptionIndicator"); ind != nil {
		v := strings.TrimSpace(stringValue(ind))
		e.Encrypted = v == "true" || v == "1"
	}
	if pc := first(pl, NSAggregate, "PayloadContent"); pc != nil {
		if ch := pc.ChildElements(); len(ch) == 1 {
			e.Content = ch[0]
		} else {
			e.ContentText = stringValue(pc)
		}
	}
	return e, nil
}

// utf8BOM may start a UTF-8 document (XML 1.0 §4.3.3, Appendix F); DIGG's
// XHE-tm-base-ext-sigenc.xml has one. core/xmlsafe refuses it, so it is stripped here.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func stringValueOr(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return stringValue(el)
}

// ParseBytes parses b with core/xmlsafe, then Parse. It returns the document too (the
// signature is verified on it).
func ParseBytes(b []byte) (*etree.Document, *Envelope, error) {
	doc, err := xmlsafe.ParseBytes(bytes.TrimPrefix(b, utf8BOM), xmlsafe.DefaultLimits)
	if err != nil {
		return nil, nil, fmt.Errorf("xhe: %w: %w", ErrNotXHE, err)
	}
	if doc.Root() == nil {
		return nil, nil, fmt.Errorf("xhe: %w: no root element", ErrNotXHE)
	}
	e, err := Parse(doc.Root())
	if err != nil {
		return nil, nil, err
	}
	return doc, e, nil
}
