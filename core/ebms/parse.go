package ebms

import (
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// ParseMessaging reads and validates an eb:Messaging element. Every failure is
// an *Error whose Code is what the peer should be told:
//
//   - EBMS:0009 InvalidHeader when the header does not follow the ebMS 3.0
//     schema and packaging rules: a missing or repeated element, an empty
//     PartyId (UserMessageNoPartyID.xml), two PartyIds in From or To
//     (AS4_CP_TA03), no ConversationId (AS4_CP_TA18);
//   - EBMS:0003 ValueInconsistent for values that contradict each other or
//     the AS4 profile: two UserMessages (TwoUserMessages.xml, as phase4
//     answers it), a Service or AgreementRef without type that is not a URI
//     (ebMS 3.0 Core §5.2.2.7–8), a compressed part without MimeType
//     (AS4 Profile §3.1, AS4_CP_TA26), an invalid CharacterSet (AS4_CP_TA29);
//   - EBMS:0303 DecompressionFailure for a CompressionType other than
//     application/gzip (AS4 Profile §3.1, AS4_CP_TA30, as phase4 answers it);
//   - EBMS:0011 ExternalPayloadError for a PartInfo@href that is neither
//     "cid:" nor "#" (AS4_CP_TA08; eDelivery AS4 1.15: no hyperlink payloads);
//   - EBMS:0302 InvalidReceipt for a Receipt without RefToMessageId
//     (eDelivery AS4 1.15: signals carry RefToMessageId).
//
// el is not modified; the result holds copies of any elements it keeps.
func ParseMessaging(el *etree.Element) (*Messaging, error) {
	m, err := parseMessaging(el)
	if err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func invalidHeader(format string, a ...any) *Error {
	return NewError(InvalidHeader, fmt.Sprintf(format, a...), nil)
}

func parseMessaging(el *etree.Element) (*Messaging, error) {
	if el == nil || !xmlsafe.Is(el, NS, "Messaging") {
		return nil, invalidHeader("not an eb:Messaging element")
	}
	m := &Messaging{}
	m.ID, _ = xmlsafe.Attr(el, NSWSU, "Id")
	for _, ns := range []string{NSS12, NSS11} {
		if v, ok := xmlsafe.Attr(el, ns, "mustUnderstand"); ok {
			switch strings.TrimSpace(v) {
			case "true", "1":
				m.MustUnderstand = true
			case "false", "0":
			default:
				return nil, invalidHeader("eb:Messaging mustUnderstand %q is not a boolean", v)
			}
		}
	}
	users := xmlsafe.Children(el, NS, "UserMessage")
	signals := xmlsafe.Children(el, NS, "SignalMessage")
	for _, c := range el.ChildElements() {
		if xmlsafe.NamespaceURI(c) == NS && c.Tag != "UserMessage" && c.Tag != "SignalMessage" {
			return nil, invalidHeader("unexpected eb:%s in eb:Messaging", c.Tag)
		}
	}
	switch {
	case len(users) > 1:
		return nil, NewError(ValueInconsistent, fmt.Sprintf("%d eb:UserMessage elements; AS4 carries one message unit", len(users)), nil)
	case len(signals) > 1:
		return nil, NewError(ValueInconsistent, fmt.Sprintf("%d eb:SignalMessage elements; AS4 carries one message unit", len(signals)), nil)
	case len(users)+len(signals) > 1:
		return nil, NewError(ValueInconsistent, "eb:UserMessage bundled with eb:SignalMessage; AS4 carries one message unit", nil)
	case len(users) == 1:
		u, err := parseUserMessage(users[0])
		if err != nil {
			return nil, err
		}
		m.UserMessage = u
	case len(signals) == 1:
		s, err := parseSignalMessage(signals[0])
		if err != nil {
			return nil, err
		}
		m.SignalMessage = s
	default:
		return nil, invalidHeader("eb:Messaging holds neither eb:UserMessage nor eb:SignalMessage")
	}
	return m, nil
}

// slot is one element of a schema sequence: local name in NS, occurrences.
type slot struct {
	local    string
	min, max int // max < 0: unbounded
}

// sequence sorts el's element children into slots, in schema order. Elements
// outside NS go to other when allowOther, and are an error otherwise.
func sequence(el *etree.Element, allowOther bool, slots ...slot) (got [][]*etree.Element, other []*etree.Element, err error) {
	got = make([][]*etree.Element, len(slots))
	at := 0
	for _, c := range el.ChildElements() {
		if xmlsafe.NamespaceURI(c) != NS {
			if !allowOther {
				return nil, nil, invalidHeader("unexpected {%s}%s in eb:%s", xmlsafe.NamespaceURI(c), c.Tag, el.Tag)
			}
			other = append(other, c)
			continue
		}
		i := at
		for i < len(slots) && slots[i].local != c.Tag {
			i++
		}
		if i == len(slots) {
			return nil, nil, invalidHeader("unexpected or misplaced eb:%s in eb:%s", c.Tag, el.Tag)
		}
		at = i
		got[i] = append(got[i], c)
	}
	for i, s := range slots {
		n := len(got[i])
		if n < s.min {
			return nil, nil, invalidHeader("eb:%s lacks eb:%s", el.Tag, s.local)
		}
		if s.max >= 0 && n > s.max {
			return nil, nil, invalidHeader("eb:%s has %d eb:%s, at most %d allowed", el.Tag, n, s.local, s.max)
		}
	}
	return got, other, nil
}

func text(el *etree.Element) string { return strings.TrimSpace(el.Text()) }

func attr(el *etree.Element, local string) string {
	v, _ := xmlsafe.Attr(el, "", local)
	return strings.TrimSpace(v)
}

func parseMessageInfo(el *etree.Element) (MessageInfo, error) {
	got, _, err := sequence(el, false, slot{"Timestamp", 1, 1}, slot{"MessageId", 1, 1}, slot{"RefToMessageId", 0, 1})
	if err != nil {
		return MessageInfo{}, err
	}
	ts, err := ParseTimestamp(text(got[0][0]))
	if err != nil {
		return MessageInfo{}, NewError(InvalidHeader, "eb:Timestamp", err)
	}
	info := MessageInfo{Timestamp: ts, MessageID: text(got[1][0])}
	if len(got[2]) == 1 {
		info.RefToMessageID = text(got[2][0])
		if info.RefToMessageID == "" {
			return MessageInfo{}, invalidHeader("empty eb:RefToMessageId")
		}
	}
	return info, nil
}

// ParseTimestamp reads an xsd:dateTime as ebMS uses it (ebMS 3.0 Core
// §5.2.2.1: UTC, the "Z" optional); a value with an offset is converted to UTC.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("ebms: timestamp %q is not an xsd:dateTime", s)
}

// FormatTimestamp writes t in UTC with milliseconds and "Z", as phase4 and
// Domibus do; a time with finer precision keeps it, so that parsing what
// was written gives t back.
func FormatTimestamp(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format(time.RFC3339Nano)
}

func parseUserMessage(el *etree.Element) (*UserMessage, error) {
	got, _, err := sequence(el, false,
		slot{"MessageInfo", 1, 1}, slot{"PartyInfo", 1, 1}, slot{"CollaborationInfo", 1, 1},
		slot{"MessageProperties", 0, 1}, slot{"PayloadInfo", 0, 1})
	if err != nil {
		return nil, err
	}
	u := &UserMessage{MPC: attr(el, "mpc")}
	if u.Info, err = parseMessageInfo(got[0][0]); err != nil {
		return nil, err
	}
	pi, _, err := sequence(got[1][0], false, slot{"From", 1, 1}, slot{"To", 1, 1})
	if err != nil {
		return nil, err
	}
	if u.From, err = parseParty(pi[0][0]); err != nil {
		return nil, err
	}
	if u.To, err = parseParty(pi[1][0]); err != nil {
		return nil, err
	}
	ci, _, err := sequence(got[2][0], false,
		slot{"AgreementRef", 0, 1}, slot{"Service", 1, 1}, slot{"Action", 1, 1}, slot{"ConversationId", 1, 1})
	if err != nil {
		return nil, err
	}
	if len(ci[0]) == 1 {
		a := ci[0][0]
		u.Collaboration.AgreementRef = &AgreementRef{Value: text(a), Type: attr(a, "type"), PMode: attr(a, "pmode")}
	}
	u.Collaboration.Service = Service{Value: text(ci[1][0]), Type: attr(ci[1][0], "type")}
	u.Collaboration.Action = text(ci[2][0])
	u.Collaboration.ConversationID = text(ci[3][0])
	if len(got[3]) == 1 {
		if u.Properties, err = parseProperties(got[3][0]); err != nil {
			return nil, err
		}
	}
	if len(got[4]) == 1 {
		parts, _, err := sequence(got[4][0], false, slot{"PartInfo", 1, -1})
		if err != nil {
			return nil, err
		}
		for _, p := range parts[0] {
			pi, err := parsePartInfo(p)
			if err != nil {
				return nil, err
			}
			u.Payloads = append(u.Payloads, pi)
		}
	}
	return u, nil
}

func parseParty(el *etree.Element) (Party, error) {
	got, _, err := sequence(el, false, slot{"PartyId", 1, -1}, slot{"Role", 1, 1})
	if err != nil {
		return Party{}, err
	}
	if n := len(got[0]); n != 1 { // AS4_CP_TA03: one PartyId in From and in To
		return Party{}, invalidHeader("eb:%s has %d eb:PartyId; eDelivery AS4 allows one", el.Tag, n)
	}
	return Party{ID: text(got[0][0]), Type: attr(got[0][0], "type"), Role: text(got[1][0])}, nil
}

func parseProperties(el *etree.Element) ([]Property, error) {
	got, _, err := sequence(el, false, slot{"Property", 1, -1})
	if err != nil {
		return nil, err
	}
	ps := make([]Property, 0, len(got[0]))
	for _, p := range got[0] {
		name, ok := xmlsafe.Attr(p, "", "name")
		if !ok {
			return nil, invalidHeader("eb:Property without name in eb:%s", el.Tag)
		}
		if len(p.ChildElements()) > 0 {
			return nil, invalidHeader("eb:Property %q has element content", name)
		}
		ps = append(ps, Property{Name: strings.TrimSpace(name), Type: attr(p, "type"), Value: text(p)})
	}
	return ps, nil
}

func parsePartInfo(el *etree.Element) (PartInfo, error) {
	got, _, err := sequence(el, false, slot{"Schema", 0, -1}, slot{"Description", 0, -1}, slot{"PartProperties", 0, 1})
	if err != nil {
		return PartInfo{}, err
	}
	p := PartInfo{Href: attr(el, "href")}
	if len(got[2]) == 1 {
		if p.Properties, err = parseProperties(got[2][0]); err != nil {
			return PartInfo{}, err
		}
	}
	return p, nil
}

func parseSignalMessage(el *etree.Element) (*SignalMessage, error) {
	got, other, err := sequence(el, true,
		slot{"MessageInfo", 1, 1}, slot{"PullRequest", 0, 1}, slot{"Receipt", 0, 1}, slot{"Error", 0, -1})
	if err != nil {
		return nil, err
	}
	_ = other // ##other extensions are allowed and ignored (ebMS 3.0 schema)
	s := &SignalMessage{}
	if s.Info, err = parseMessageInfo(got[0][0]); err != nil {
		return nil, err
	}
	if len(got[1]) == 1 {
		s.PullRequest = &PullRequest{MPC: attr(got[1][0], "mpc")}
	}
	if len(got[2]) == 1 {
		if s.Receipt, err = parseReceipt(got[2][0]); err != nil {
			return nil, err
		}
	}
	for _, e := range got[3] {
		pe, err := parseError(e)
		if err != nil {
			return nil, err
		}
		s.Errors = append(s.Errors, pe)
	}
	return s, nil
}

func parseReceipt(el *etree.Element) (*Receipt, error) {
	r := &Receipt{}
	for _, c := range el.ChildElements() {
		switch {
		case xmlsafe.Is(c, NSEBBP, "NonRepudiationInformation"):
			for _, pi := range c.ChildElements() {
				if !xmlsafe.Is(pi, NSEBBP, "MessagePartNRInformation") {
					continue // ebbp: also allows MessagePartIdentifier and extensions
				}
				for _, ref := range xmlsafe.Children(pi, NSDS, "Reference") {
					r.NRReferences = append(r.NRReferences, detach(ref))
				}
			}
			if len(r.NRReferences) == 0 {
				return nil, invalidHeader("ebbp:NonRepudiationInformation without ds:Reference")
			}
		case xmlsafe.Is(c, NS, "UserMessage"):
			if r.UserMessage != nil {
				return nil, invalidHeader("eb:Receipt holds two eb:UserMessage copies")
			}
			r.UserMessage = detach(c)
		default:
			r.Other = append(r.Other, detach(c))
		}
	}
	return r, nil
}

func parseError(el *etree.Element) (*Error, error) {
	got, _, err := sequence(el, true, slot{"Description", 0, 1}, slot{"ErrorDetail", 0, 1})
	if err != nil {
		return nil, err
	}
	e := &Error{
		Code:           Code(attr(el, "errorCode")),
		Severity:       Severity(attr(el, "severity")),
		Category:       Category(attr(el, "category")),
		ShortName:      attr(el, "shortDescription"),
		Origin:         Origin(attr(el, "origin")),
		RefToMessageID: attr(el, "refToMessageInError"),
	}
	if len(got[0]) == 1 {
		e.Description = text(got[0][0])
	}
	if len(got[1]) == 1 {
		e.Detail = text(got[1][0])
	}
	return e, nil
}

// detach returns a copy of el that declares every namespace prefix its
// subtree uses but does not itself declare, with the binding in el's scope,
// so that the copy serialises on its own.
func detach(el *etree.Element) *etree.Element {
	c := el.Copy()
	declared := map[string]bool{}
	var walk func(e *etree.Element, scope map[string]bool)
	walk = func(e *etree.Element, scope map[string]bool) {
		var local map[string]bool
		for _, a := range e.Attr {
			if !xmlsafe.IsNamespaceDecl(a) {
				continue
			}
			if local == nil {
				local = copyMap(scope)
			}
			if a.Space == "" {
				local[""] = true
			} else {
				local[a.Key] = true
			}
		}
		if local != nil {
			scope = local
		}
		need := func(prefix string) {
			if prefix == "xml" || prefix == "xmlns" || scope[prefix] || declared[prefix] {
				return
			}
			declared[prefix] = true
		}
		need(e.Space)
		for _, a := range e.Attr {
			if a.Space != "" && !xmlsafe.IsNamespaceDecl(a) {
				need(a.Space)
			}
		}
		for _, ch := range e.ChildElements() {
			walk(ch, scope)
		}
	}
	walk(el, map[string]bool{})
	for prefix := range declared {
		uri, ok := xmlsafe.LookupPrefix(el, prefix)
		if !ok {
			continue // cannot happen for xmlsafe-parsed input
		}
		if prefix == "" {
			if uri != "" {
				c.CreateAttr("xmlns", uri)
			}
			continue
		}
		c.CreateAttr("xmlns:"+prefix, uri)
	}
	return c
}

func copyMap(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}
