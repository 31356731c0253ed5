package ebms

import (
	"fmt"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/soap"
)

// Element builds eb:Messaging in schema order (ebMS 3.0 Core §5.2, the order
// spec-facts §a.1 lists): S12:mustUnderstand="true" (ebMS 3.0 Core §5.2.1),
// wsu:Id when ID is set, then the message unit. It validates m first with the
// rules ParseMessaging applies and returns the same *Error on a violation.
// The element declares the eb, S12 and wsu prefixes itself; m is not
// modified and the result shares no elements with it.
func (m *Messaging) Element() (*etree.Element, error) {
	if err := m.validate(); err != nil {
		return nil, fmt.Errorf("ebms: build: %w", err)
	}
	el := etree.NewElement("eb:Messaging")
	el.CreateAttr("xmlns:eb", NS)
	el.CreateAttr("xmlns:S12", NSS12)
	el.CreateAttr("S12:mustUnderstand", "true")
	if m.ID != "" {
		el.CreateAttr("xmlns:wsu", NSWSU)
		el.CreateAttr("wsu:Id", m.ID)
	}
	if u := m.UserMessage; u != nil {
		u.build(el.CreateElement("eb:UserMessage"))
	} else {
		m.SignalMessage.build(el.CreateElement("eb:SignalMessage"))
	}
	return el, nil
}

func (i MessageInfo) build(parent *etree.Element) {
	mi := parent.CreateElement("eb:MessageInfo")
	mi.CreateElement("eb:Timestamp").SetText(FormatTimestamp(i.Timestamp))
	mi.CreateElement("eb:MessageId").SetText(i.MessageID)
	if i.RefToMessageID != "" {
		mi.CreateElement("eb:RefToMessageId").SetText(i.RefToMessageID)
	}
}

func (u *UserMessage) build(el *etree.Element) {
	if u.MPC != "" {
		el.CreateAttr("mpc", u.MPC)
	}
	u.Info.build(el)
	pi := el.CreateElement("eb:PartyInfo")
	for _, p := range []struct {
		tag string
		p   Party
	}{{"eb:From", u.From}, {"eb:To", u.To}} {
		pe := pi.CreateElement(p.tag)
		id := pe.CreateElement("eb:PartyId")
		if p.p.Type != "" {
			id.CreateAttr("type", p.p.Type)
		}
		id.SetText(p.p.ID)
		pe.CreateElement("eb:Role").SetText(p.p.Role)
	}
	c := u.Collaboration
	ci := el.CreateElement("eb:CollaborationInfo")
	if a := c.AgreementRef; a != nil {
		ae := ci.CreateElement("eb:AgreementRef")
		if a.Type != "" {
			ae.CreateAttr("type", a.Type)
		}
		if a.PMode != "" {
			ae.CreateAttr("pmode", a.PMode)
		}
		ae.SetText(a.Value)
	}
	se := ci.CreateElement("eb:Service")
	if c.Service.Type != "" {
		se.CreateAttr("type", c.Service.Type)
	}
	se.SetText(c.Service.Value)
	ci.CreateElement("eb:Action").SetText(c.Action)
	ci.CreateElement("eb:ConversationId").SetText(c.ConversationID)
	if len(u.Properties) > 0 {
		buildProperties(el.CreateElement("eb:MessageProperties"), u.Properties)
	}
	if len(u.Payloads) > 0 {
		pl := el.CreateElement("eb:PayloadInfo")
		for _, p := range u.Payloads {
			pe := pl.CreateElement("eb:PartInfo")
			if p.Href != "" {
				pe.CreateAttr("href", p.Href)
			}
			if len(p.Properties) > 0 {
				buildProperties(pe.CreateElement("eb:PartProperties"), p.Properties)
			}
		}
	}
}

func buildProperties(parent *etree.Element, ps []Property) {
	for _, p := range ps {
		pe := parent.CreateElement("eb:Property")
		pe.CreateAttr("name", p.Name)
		if p.Type != "" {
			pe.CreateAttr("type", p.Type)
		}
		pe.SetText(p.Value)
	}
}

func (s *SignalMessage) build(el *etree.Element) {
	s.Info.build(el)
	if s.PullRequest != nil {
		pr := el.CreateElement("eb:PullRequest")
		if s.PullRequest.MPC != "" {
			pr.CreateAttr("mpc", s.PullRequest.MPC)
		}
	}
	if r := s.Receipt; r != nil {
		re := el.CreateElement("eb:Receipt")
		if len(r.NRReferences) > 0 {
			nri := re.CreateElement("ebbp:NonRepudiationInformation")
			nri.CreateAttr("xmlns:ebbp", NSEBBP)
			for _, ref := range r.NRReferences {
				nri.CreateElement("ebbp:MessagePartNRInformation").AddChild(detach(ref))
			}
		}
		if r.UserMessage != nil {
			re.AddChild(detach(r.UserMessage))
		}
		for _, o := range r.Other {
			re.AddChild(detach(o))
		}
	}
	for _, e := range s.Errors {
		ee := el.CreateElement("eb:Error")
		ee.CreateAttr("errorCode", string(e.Code))
		ee.CreateAttr("severity", string(e.Severity))
		if e.Category != "" {
			ee.CreateAttr("category", string(e.Category))
		}
		if e.Origin != "" {
			ee.CreateAttr("origin", string(e.Origin))
		}
		if e.ShortName != "" {
			ee.CreateAttr("shortDescription", e.ShortName)
		}
		if e.RefToMessageID != "" {
			ee.CreateAttr("refToMessageInError", e.RefToMessageID)
		}
		if e.Description != "" {
			d := ee.CreateElement("eb:Description")
			d.CreateAttr("xml:lang", "en") // ebMS 3.0 Core §6.2: Description carries xml:lang
			d.SetText(e.Description)
		}
		if e.Detail != "" {
			ee.CreateElement("eb:ErrorDetail").SetText(e.Detail)
		}
	}
}

// NewReceipt returns the Messaging of a non-repudiation receipt for the user
// message refTo (AS4 Profile §5.1.8; eDelivery AS4 1.15: one
// ebbp:MessagePartNRInformation per signed part, copying the sender's
// ds:Reference). refs are the verified ds:Reference elements of the
// received message; they are copied, not modified.
func NewReceipt(id, messageID, refTo string, at time.Time, refs []*etree.Element) *Messaging {
	cp := make([]*etree.Element, len(refs))
	for i, r := range refs {
		cp[i] = detach(r)
	}
	return &Messaging{ID: id, MustUnderstand: true, SignalMessage: &SignalMessage{
		Info:    MessageInfo{Timestamp: at, MessageID: messageID, RefToMessageID: refTo},
		Receipt: &Receipt{NRReferences: cp},
	}}
}

// ErrorSignal returns the Messaging of an error signal (ebMS 3.0 Core §6.2)
// reporting errs about the message refTo ("" when it could not be read). Each
// error is sent as Public returns it: without its local cause and, for
// security errors, without detail. Errors without RefToMessageID get refTo.
func ErrorSignal(id, messageID, refTo string, at time.Time, errs ...*Error) *Messaging {
	out := make([]*Error, 0, len(errs))
	for _, e := range errs {
		if e == nil {
			continue
		}
		p := e.Public()
		if p.RefToMessageID == "" {
			p.RefToMessageID = refTo
		}
		out = append(out, p)
	}
	return &Messaging{ID: id, MustUnderstand: true, SignalMessage: &SignalMessage{
		Info:   MessageInfo{Timestamp: at, MessageID: messageID, RefToMessageID: refTo},
		Errors: out,
	}}
}

// FaultEnvelope returns a SOAP 1.2 envelope carrying the error signal m in
// its header and a SOAP Fault in its Body (ebMS 3.0 Core §6.6: an ebMS error
// of severity failure may be bound to a SOAP Fault). The fault code is
// Sender when any error is in category Content or Unpackaging (the message
// was at fault), Receiver otherwise; the reason is the first error's short
// name.
func FaultEnvelope(m *Messaging) (*soap.Envelope, error) {
	if m.SignalMessage == nil || len(m.SignalMessage.Errors) == 0 {
		return nil, fmt.Errorf("ebms: fault envelope: %w", invalidHeader("not an error signal"))
	}
	el, err := m.Element()
	if err != nil {
		return nil, err
	}
	code := soap.Receiver
	for _, e := range m.SignalMessage.Errors {
		if e.Category == Content || e.Category == Unpackaging {
			code = soap.Sender
		}
	}
	first := m.SignalMessage.Errors[0]
	reason := first.ShortName
	if reason == "" {
		reason = string(first.Code)
	}
	env, err := soap.NewFault(&soap.Fault{Code: code, Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("ebms: fault envelope: %w", err)
	}
	env.AddHeader(el)
	return env, nil
}
