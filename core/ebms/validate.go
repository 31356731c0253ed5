package ebms

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/brevduva/brevduva/core/xmlsafe"
)

// validate checks the rules that both parsing and building enforce.
func (m *Messaging) validate() *Error {
	switch {
	case m.UserMessage != nil && m.SignalMessage != nil:
		return NewError(ValueInconsistent, "eb:UserMessage bundled with eb:SignalMessage; AS4 carries one message unit", nil)
	case m.UserMessage != nil:
		return m.UserMessage.validate()
	case m.SignalMessage != nil:
		return m.SignalMessage.validate()
	}
	return invalidHeader("eb:Messaging holds neither eb:UserMessage nor eb:SignalMessage")
}

func (i MessageInfo) validate() *Error {
	if i.Timestamp.IsZero() {
		return invalidHeader("eb:Timestamp missing")
	}
	if i.MessageID == "" {
		return invalidHeader("empty eb:MessageId") // ebMS 3.0 Core §5.2.2.1: REQUIRED
	}
	// ebMS 3.0 Core §5.2.2.1: MessageId and RefToMessageId are RFC 2822
	// msg-ids WITHOUT the angle brackets; neither may hold white space.
	for _, id := range []string{i.MessageID, i.RefToMessageID} {
		if strings.ContainsAny(id, "<> \t\r\n") {
			return invalidHeader("eb:MessageId or eb:RefToMessageId %q holds angle brackets or white space", id)
		}
	}
	return nil
}

// isURI reports whether s is an absolute URI (RFC 3986 §4.3): a scheme and a colon.
func isURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && !strings.ContainsAny(s, " \t\r\n")
}

func (u *UserMessage) validate() *Error {
	if err := u.Info.validate(); err != nil {
		return err
	}
	for _, p := range []struct {
		name string
		p    Party
	}{{"From", u.From}, {"To", u.To}} {
		if p.p.ID == "" {
			return invalidHeader("empty eb:PartyId in eb:%s", p.name)
		}
		if p.p.Role == "" {
			return invalidHeader("empty eb:Role in eb:%s", p.name)
		}
		// ebMS 3.0 Core §5.2.2.4 wants an untyped PartyId to be a URI, with a
		// SHOULD on reporting EBMS:0003. Holodeck B2B and phase4 send untyped
		// non-URI ids (from-holodeck-1.xml), so this is not enforced; the SDK
		// P-Mode always types its PartyIds.
	}
	c := u.Collaboration
	if a := c.AgreementRef; a != nil {
		if a.Value == "" {
			return invalidHeader("empty eb:AgreementRef")
		}
		if a.Type == "" && !isURI(a.Value) { // ebMS 3.0 Core §5.2.2.7
			return NewError(ValueInconsistent, fmt.Sprintf("eb:AgreementRef %q has no type and is not a URI", a.Value), nil)
		}
	}
	if c.Service.Value == "" {
		return invalidHeader("empty eb:Service")
	}
	if c.Service.Type == "" && !isURI(c.Service.Value) { // ebMS 3.0 Core §5.2.2.8
		return NewError(ValueInconsistent, fmt.Sprintf("eb:Service %q has no type and is not a URI", c.Service.Value), nil)
	}
	if c.Action == "" {
		return invalidHeader("empty eb:Action") // ebMS 3.0 Core §5.2.2.10: REQUIRED
	}
	if c.ConversationID == "" {
		return invalidHeader("empty eb:ConversationId") // AS4_CP_TA18; ebMS 3.0 Core §5.2.2.11: REQUIRED
	}
	for _, p := range u.Properties {
		if p.Name == "" {
			return invalidHeader("eb:MessageProperties/eb:Property with an empty name")
		}
	}
	hrefs := map[string]bool{}
	for _, p := range u.Payloads {
		if err := p.validate(); err != nil {
			return err
		}
		if hrefs[p.Href] {
			return NewError(ValueInconsistent, fmt.Sprintf("two eb:PartInfo with href %q", p.Href), nil)
		}
		hrefs[p.Href] = true
	}
	return nil
}

func (p PartInfo) validate() *Error {
	switch {
	case p.Href == "", strings.HasPrefix(p.Href, "#") && len(p.Href) > 1:
		// the SOAP Body, or an element in it (ebMS 3.0 Core §5.2.2.13)
	case len(p.Href) > 4 && strings.EqualFold(p.Href[:4], "cid:"):
		// a MIME part (SwA; eDelivery AS4 1.15: payloads in MIME parts)
		if _, ok := p.ContentID(); !ok { // RFC 2392: a cid URL that names no Content-ID cannot resolve
			return NewError(ExternalPayloadError, fmt.Sprintf("eb:PartInfo href %q is not a valid cid: URL", p.Href), nil)
		}
	default: // AS4_CP_TA08: an external payload is an error
		return NewError(ExternalPayloadError, fmt.Sprintf("eb:PartInfo href %q is not a cid: or # reference", p.Href), nil)
	}
	for _, pr := range p.Properties {
		if pr.Name == "" {
			return invalidHeader("eb:PartProperties/eb:Property with an empty name")
		}
	}
	if ct, ok := p.Property(PropCompressionType); ok {
		// AS4 Profile §3.1: application/gzip is the only compression. A part the MSH
		// cannot decompress is EBMS:0303 DecompressionFailure, returned synchronously
		// (AS4_CP_TA30; phase4 answers its WrongCompression.mime sample the same way).
		if ct != CompressionGzip {
			return NewError(DecompressionFailure, fmt.Sprintf("eb:PartInfo %q: CompressionType %q is not %s", p.Href, ct, CompressionGzip), nil)
		}
		if mt, ok := p.Property(PropMimeType); !ok || mt == "" { // AS4 Profile §3.1, AS4_CP_TA25/TA26
			return NewError(ValueInconsistent, fmt.Sprintf("eb:PartInfo %q: compressed part without MimeType", p.Href), nil)
		}
	}
	if cs, ok := p.Property(PropCharacterSet); ok && !isCharset(cs) { // AS4_CP_TA29
		return NewError(ValueInconsistent, fmt.Sprintf("eb:PartInfo %q: CharacterSet %q is not a charset name", p.Href, cs), nil)
	}
	return nil
}

// isCharset checks the syntax of an IANA charset name (RFC 2978 §2.3 mime-charset).
func isCharset(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case strings.ContainsRune("!#$%&'+-^_`{}~", c):
		default:
			return false
		}
	}
	return true
}

func (s *SignalMessage) validate() *Error {
	if err := s.Info.validate(); err != nil {
		return err
	}
	n := 0
	if s.PullRequest != nil {
		n++
	}
	if s.Receipt != nil {
		n++
	}
	if len(s.Errors) > 0 {
		n++
	}
	if n != 1 { // ebMS 3.0 Core §5.2.3: a signal is a PullRequest, a Receipt or Errors
		return invalidHeader("eb:SignalMessage must hold exactly one of PullRequest, Receipt, Error; it holds %d", n)
	}
	if r := s.Receipt; r != nil {
		if s.Info.RefToMessageID == "" { // eDelivery AS4 1.15: RefToMessageId on signals
			return NewError(InvalidReceipt, "eb:Receipt without eb:RefToMessageId", nil)
		}
		if len(r.NRReferences) == 0 && r.UserMessage == nil && len(r.Other) == 0 {
			return invalidHeader("empty eb:Receipt") // schema: one or more children
		}
		for i, ref := range r.NRReferences {
			if ref == nil || !xmlsafe.Is(ref, NSDS, "Reference") { // ebBP signals: MessagePartNRInformation holds a ds:Reference
				return NewError(InvalidReceipt, fmt.Sprintf("non-repudiation reference %d is not a ds:Reference", i), nil)
			}
		}
	}
	for _, e := range s.Errors {
		if e == nil || e.Code == "" {
			return invalidHeader("eb:Error without errorCode") // ebMS 3.0 Core §6.2.3: REQUIRED
		}
		if e.Severity != Failure && e.Severity != Warning { // §6.2.5
			return invalidHeader("eb:Error %s severity %q is not failure or warning", e.Code, e.Severity)
		}
	}
	return nil
}
