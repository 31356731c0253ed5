package sdkmsg

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/kvittens"
)

// This file checks the constraints of infrastructure_messaging_MessageWithAttachments_3.0.xsd
// natively: element order and cardinality of each xs:sequence, the trailing
// xs:any namespace="##other", simple types (xs:dateTime, xs:boolean, maxLength 256),
// no text in element-only content and no undeclared attributes.

const xsiNamespace = "http://www.w3.org/2001/XMLSchema-instance"

type simpleType int

const (
	tString simpleType = iota
	tDateTime
	tBoolean
	tString256 // xs:string restricted to maxLength 256
)

type particle struct {
	name     string
	min, max int // max -1 = unbounded
	simple   simpleType
	complex  *complexType // nil for a simple type
}

type complexType struct {
	name     string
	seq      []particle
	anyOther bool // trailing xs:any namespace="##other"
}

const unbounded = -1

// xsdModel returns the XSD's types; built per call so the package has no globals.
func xsdModel() *complexType {
	ii := &complexType{name: "IIType", seq: []particle{
		{name: "root", min: 1, max: 1}, {name: "extension", min: 1, max: 1},
	}}
	person := &complexType{name: "AttentionPersonType", anyOther: true, seq: []particle{
		{name: "personId", min: 0, max: 1, complex: ii},
		{name: "label", min: 0, max: 1, simple: tString256},
	}}
	subOrg := &complexType{name: "subOrganizationType", anyOther: true, seq: []particle{
		{name: "organizationId", min: 1, max: 1, complex: ii},
		{name: "label", min: 0, max: 1, simple: tString256},
	}}
	ref := &complexType{name: "ReferenceType", anyOther: true, seq: []particle{
		{name: "referenceId", min: 1, max: 1, complex: ii},
		{name: "label", min: 0, max: 1, simple: tString256},
	}}
	attention := &complexType{name: "AttentionDataType", anyOther: true, seq: []particle{
		{name: "person", min: 0, max: unbounded, complex: person},
		{name: "subOrganization", min: 1, max: 1, complex: subOrg},
		{name: "reference", min: 0, max: unbounded, complex: ref},
	}}
	recipient := &complexType{name: "RecipientType", anyOther: true, seq: []particle{
		{name: "recipientID", min: 1, max: 1, complex: ii},
		{name: "label", min: 0, max: 1, simple: tString256},
		{name: "attention", min: 1, max: 1, complex: attention},
	}}
	sender := &complexType{name: "SenderType", anyOther: true, seq: []particle{
		{name: "senderID", min: 1, max: 1, complex: ii},
		{name: "label", min: 0, max: 1, simple: tString256},
		{name: "attention", min: 0, max: 1, complex: attention},
	}}
	header := &complexType{name: "MessageHeaderType", anyOther: true, seq: []particle{
		{name: "creationDateTime", min: 1, max: 1, simple: tDateTime},
		{name: "messageId", min: 1, max: 1},
		{name: "conversationId", min: 1, max: 1},
		{name: "refToMessageId", min: 0, max: 1},
		{name: "label", min: 0, max: 1},
		{name: "confidentiality", min: 1, max: 1, simple: tBoolean},
		{name: "generatingSystem", min: 0, max: 1, complex: ii},
		{name: "recipient", min: 1, max: 1, complex: recipient},
		{name: "sender", min: 1, max: 1, complex: sender},
	}}
	files := &complexType{name: "ContentAsBase64", anyOther: true, seq: []particle{
		{name: "fileName", min: 1, max: 1}, {name: "contentType", min: 1, max: 1}, {name: "content", min: 1, max: 1},
	}}
	text := &complexType{name: "contentAsText", anyOther: true, seq: []particle{
		{name: "characterSequence", min: 1, max: 1},
	}}
	doc := &complexType{name: "DigitalDocumentType", anyOther: true, seq: []particle{
		{name: "documentID", min: 1, max: 1},
		{name: "documentName", min: 0, max: 1},
		{name: "index", min: 0, max: 1},
		{name: "ContentFiles", min: 0, max: unbounded, complex: files},
		{name: "ContentText", min: 0, max: unbounded, complex: text},
	}}
	body := &complexType{name: "MessageBodyType", anyOther: true, seq: []particle{
		{name: "documents", min: 1, max: unbounded, complex: doc},
	}}
	message := &complexType{name: "MessageType", anyOther: true, seq: []particle{
		{name: "messageHeader", min: 1, max: 1, complex: header},
		{name: "messageBody", min: 1, max: 1, complex: body},
	}}
	return &complexType{name: "MessagePayloadType", seq: []particle{
		{name: "message", min: 1, max: 1, complex: message},
	}}
}

func xsdViolation(loc, format string, args ...any) kvittens.Violation {
	return kvittens.Violation{Rule: "XSD", Location: loc, Text: fmt.Sprintf(format, args...),
		Reason: kvittens.SV, Detail: kvittens.DetailStructure}
}

// checkXSD validates root (which must be tns:messagePayload) against the XSD.
func checkXSD(root *etree.Element) []kvittens.Violation {
	if root.NamespaceURI() != Namespace || root.Tag != "messagePayload" {
		return []kvittens.Violation{xsdViolation("/"+root.FullTag(),
			"root element is {%s}%s, want {%s}messagePayload", root.NamespaceURI(), root.Tag, Namespace)}
	}
	var out []kvittens.Violation
	checkComplex(root, xsdModel(), "/tns:messagePayload", &out)
	return out
}

func checkAttrs(el *etree.Element, loc string, out *[]kvittens.Violation) {
	for _, a := range el.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		if a.NamespaceURI() == xsiNamespace {
			continue
		}
		*out = append(*out, xsdViolation(loc+"/@"+a.FullKey(), "attribute %s is not allowed", a.FullKey()))
	}
}

func checkComplex(el *etree.Element, ct *complexType, loc string, out *[]kvittens.Violation) {
	checkAttrs(el, loc, out)
	for _, tok := range el.Child {
		if cd, ok := tok.(*etree.CharData); ok && strings.TrimSpace(cd.Data) != "" {
			*out = append(*out, xsdViolation(loc, "text is not allowed in element-only content of %s", ct.name))
			break
		}
	}
	counts := make([]int, len(ct.seq))
	pos := 0       // current particle
	inAny := false // past the sequence, in the trailing xs:any
	seen := map[string]int{}
	for _, c := range el.ChildElements() {
		ns := c.NamespaceURI()
		cloc := childLoc(loc, c, seen)
		if ns != Namespace {
			if ct.anyOther && ns != "" {
				inAny = true // lax: no global declaration of another namespace is known; skip
				continue
			}
			*out = append(*out, xsdViolation(cloc, "element {%s}%s is not allowed in %s", ns, c.Tag, ct.name))
			continue
		}
		if inAny {
			*out = append(*out, xsdViolation(cloc, "element %s is not allowed after extension elements in %s", c.Tag, ct.name))
			continue
		}
		j := pos
		for j < len(ct.seq) && ct.seq[j].name != c.Tag {
			j++
		}
		if j == len(ct.seq) {
			*out = append(*out, xsdViolation(cloc, "element %s is not expected here in %s", c.Tag, ct.name))
			continue
		}
		for k := pos; k < j; k++ {
			if counts[k] < ct.seq[k].min {
				*out = append(*out, xsdViolation(cloc, "missing element %s before %s", ct.seq[k].name, c.Tag))
			}
		}
		pos = j
		counts[j]++
		p := ct.seq[j]
		if p.max != unbounded && counts[j] > p.max {
			*out = append(*out, xsdViolation(cloc, "element %s occurs more than %d time(s)", c.Tag, p.max))
		}
		if p.complex != nil {
			checkComplex(c, p.complex, cloc, out)
		} else {
			checkSimple(c, p.simple, cloc, out)
		}
	}
	for k := pos; k < len(ct.seq); k++ {
		if counts[k] < ct.seq[k].min {
			*out = append(*out, xsdViolation(loc, "missing element %s in %s", ct.seq[k].name, ct.name))
		}
	}
}

func checkSimple(el *etree.Element, st simpleType, loc string, out *[]kvittens.Violation) {
	checkAttrs(el, loc, out)
	if len(el.ChildElements()) > 0 {
		*out = append(*out, xsdViolation(loc, "element %s must have simple content", el.Tag))
		return
	}
	v := stringValue(el)
	switch st {
	case tDateTime:
		if !validDateTime(strings.TrimSpace(v)) {
			*out = append(*out, xsdViolation(loc, "%q is not a valid xs:dateTime", clip(v)))
		}
	case tBoolean:
		switch strings.TrimSpace(v) {
		case "true", "false", "1", "0":
		default:
			*out = append(*out, xsdViolation(loc, "%q is not a valid xs:boolean", clip(v)))
		}
	case tString256:
		if n := len([]rune(v)); n > 256 {
			*out = append(*out, xsdViolation(loc, "length %d exceeds maxLength 256", n))
		}
	}
}

// validDateTime reports whether s is in the xs:dateTime lexical space (XSD 1.0 Part 2
// §3.2.7.1) with a valid value.
func validDateTime(s string) bool {
	re := regexp.MustCompile(`^(-?)([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	m := re.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	year, _ := strconv.Atoi(m[2])
	mon, _ := strconv.Atoi(m[3])
	day, _ := strconv.Atoi(m[4])
	h, _ := strconv.Atoi(m[5])
	mi, _ := strconv.Atoi(m[6])
	sec, _ := strconv.Atoi(m[7])
	if len(m[2]) > 4 && m[2][0] == '0' || year == 0 {
		return false
	}
	if mon < 1 || mon > 12 || day < 1 || day > daysIn(year, mon) || mi > 59 || sec > 59 {
		return false
	}
	if h > 24 || (h == 24 && (mi != 0 || sec != 0 || strings.Trim(m[8], ".0") != "")) {
		return false
	}
	if tz := m[9]; len(tz) == 6 {
		th, _ := strconv.Atoi(tz[1:3])
		tm, _ := strconv.Atoi(tz[4:6])
		if tm > 59 || th > 14 || (th == 14 && tm != 0) {
			return false
		}
	}
	return true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func clip(s string) string {
	r := []rune(s)
	if len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// childLoc is the XPath-like location of child c of the element at loc, positional among
// its same-named siblings (seen counts them as they are visited).
func childLoc(loc string, c *etree.Element, seen map[string]int) string {
	ns := c.NamespaceURI()
	key := "{" + ns + "}" + c.Tag
	seen[key]++
	if ns == Namespace {
		return fmt.Sprintf("%s/tns:%s[%d]", loc, c.Tag, seen[key])
	}
	return fmt.Sprintf("%s/Q{%s}%s[%d]", loc, ns, c.Tag, seen[key])
}
