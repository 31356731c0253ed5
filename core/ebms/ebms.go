// Package ebms implements the ebMS 3.0 message header, eb:Messaging (OASIS
// ebXML Messaging Services 3.0 Core, §5.2 and its schema), as profiled by the
// AS4 profile (OASIS AS4 Profile of ebMS 3.0, §2–§3) and eDelivery AS4 1.15
// (spec-facts §g): the UserMessage with its party, collaboration, property
// and payload information, and the SignalMessage carrying a Receipt (with
// ebbp:NonRepudiationInformation, ebBP Signals 2.0) or eb:Error elements.
//
// ParseMessaging validates what it reads and fails with an *Error carrying
// the ebMS error code a peer should be told (ebMS 3.0 Core §6.7). Element
// builds the header in schema order. The error table is Lookup.
package ebms

import (
	"strings"
	"time"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/mime"
)

// Namespaces.
const (
	// NS is the ebMS 3.0 namespace (ebMS 3.0 Core §5.1).
	NS = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/"
	// NSEBBP is the ebBP signals namespace of NonRepudiationInformation (AS4 §5.1.8, ebBP 2.0.4 signals schema).
	NSEBBP = "http://docs.oasis-open.org/ebxml-bp/ebbp-signals-2.0"
	// NSWSU is the WS-Security utility namespace of wsu:Id (WSS 1.1 SOAP Message Security §4).
	NSWSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	// NSDS is the XML Signature namespace of the ds:Reference copies in receipts.
	NSDS = "http://www.w3.org/2000/09/xmldsig#"
	// NSS12 is the SOAP 1.2 namespace of S12:mustUnderstand.
	NSS12 = "http://www.w3.org/2003/05/soap-envelope"
	// NSS11 is the SOAP 1.1 namespace of S11:mustUnderstand, read only.
	NSS11 = "http://schemas.xmlsoap.org/soap/envelope/"
)

// Values defined by ebMS 3.0 Core.
const (
	// DefaultMPC is the default message partition channel (ebMS 3.0 Core §3.4.1).
	DefaultMPC = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultMPC"
	// DefaultRole is the role used when none is agreed (ebMS 3.0 Core §5.2.2.3).
	DefaultRole = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/defaultRole"
	// TestService and TestAction mark a test message that is never delivered
	// (ebMS 3.0 Core §5.2.2.9–10; eDelivery AS4 1.15, AS4_CP_TA16/TA17).
	TestService = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/service"
	TestAction  = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/test"
)

// Part property names (AS4 Profile §3.1 compression; ebMS 3.0 Core §5.2.2.13).
const (
	PropMimeType        = "MimeType"
	PropCharacterSet    = "CharacterSet"
	PropCompressionType = "CompressionType"
	// CompressionGzip is the only CompressionType AS4 defines (AS4 Profile §3.1).
	CompressionGzip = "application/gzip"
)

// Messaging is eb:Messaging. AS4 does not bundle (eDelivery AS4 1.15: one
// message unit per message), so it holds exactly one of UserMessage and
// SignalMessage.
type Messaging struct {
	ID             string // wsu:Id, the target of the signature reference (spec-facts §a)
	MustUnderstand bool   // S12:mustUnderstand as parsed; Element always writes "true"
	UserMessage    *UserMessage
	SignalMessage  *SignalMessage
}

// MessageInfo is eb:MessageInfo (ebMS 3.0 Core §5.2.2.1).
type MessageInfo struct {
	Timestamp      time.Time // written in UTC with milliseconds
	MessageID      string
	RefToMessageID string // optional
}

// UserMessage is eb:UserMessage (ebMS 3.0 Core §5.2.2).
type UserMessage struct {
	MPC           string // @mpc; "" means the default MPC
	Info          MessageInfo
	From, To      Party
	Collaboration CollaborationInfo
	Properties    []Property // eb:MessageProperties
	Payloads      []PartInfo // eb:PayloadInfo
}

// Party is eb:From or eb:To: one PartyId (eDelivery AS4 1.15, AS4_CP_TA03)
// and a Role (ebMS 3.0 Core §5.2.2.3–5.2.2.6).
type Party struct {
	ID   string // eb:PartyId
	Type string // eb:PartyId@type; without it ID must be a URI (§5.2.2.4)
	Role string
}

// CollaborationInfo is eb:CollaborationInfo (ebMS 3.0 Core §5.2.2.6–5.2.2.11).
type CollaborationInfo struct {
	AgreementRef   *AgreementRef
	Service        Service
	Action         string
	ConversationID string
}

// AgreementRef is eb:AgreementRef (§5.2.2.7).
type AgreementRef struct{ Value, Type, PMode string }

// Service is eb:Service (§5.2.2.8).
type Service struct{ Value, Type string }

// Property is eb:Property in MessageProperties or PartProperties
// (§5.2.2.11, §5.2.2.13). Type is optional (AS4_CP_TA20/TA44).
type Property struct{ Name, Type, Value string }

// PartInfo is eb:PartInfo (§5.2.2.13). Href is "cid:…" for a MIME part,
// "#id" for an element in the SOAP Body, or "" for the Body itself.
type PartInfo struct {
	Href       string
	Properties []Property // eb:PartProperties
}

// Property returns the value of the first property named name.
func (p PartInfo) Property(name string) (string, bool) { return findProperty(p.Properties, name) }

// MimeType returns the MimeType part property.
func (p PartInfo) MimeType() string { v, _ := p.Property(PropMimeType); return v }

// CompressionType returns the CompressionType part property.
func (p PartInfo) CompressionType() string { v, _ := p.Property(PropCompressionType); return v }

// CharacterSet returns the CharacterSet part property.
func (p PartInfo) CharacterSet() string { v, _ := p.Property(PropCharacterSet); return v }

// ContentID returns the bare Content-ID a "cid:" href names, %-decoded as
// RFC 2392 §2 requires (mime.NormalizeCID), and false for any other href. It
// compares equal with core/mime's Part.ContentID.
func (p PartInfo) ContentID() (string, bool) {
	if len(p.Href) <= 4 || !strings.EqualFold(p.Href[:4], "cid:") {
		return "", false
	}
	cid, err := mime.NormalizeCID(p.Href)
	if err != nil {
		return "", false
	}
	return cid, true
}

// Property returns the value of the first message property named name.
func (u *UserMessage) Property(name string) (string, bool) {
	return findProperty(u.Properties, name)
}

func findProperty(ps []Property, name string) (string, bool) {
	for _, p := range ps {
		if p.Name == name {
			return p.Value, true
		}
	}
	return "", false
}

// SignalMessage is eb:SignalMessage (ebMS 3.0 Core §5.2.3): exactly one of
// PullRequest, Receipt and Errors is set.
type SignalMessage struct {
	Info        MessageInfo
	PullRequest *PullRequest
	Receipt     *Receipt
	Errors      []*Error
}

// PullRequest is eb:PullRequest (§5.2.3.1).
type PullRequest struct{ MPC string }

// Receipt is eb:Receipt (§5.2.3.3; AS4 Profile §5.1.8). A non-repudiation
// receipt holds copies of the sender's ds:Reference elements, one per
// ebbp:MessagePartNRInformation (eDelivery AS4 1.15, spec-facts §g); the
// other form, sent by some peers, holds a copy of the eb:UserMessage.
// All elements are copies, owned by the Receipt.
type Receipt struct {
	NRReferences []*etree.Element // ds:Reference
	UserMessage  *etree.Element   // eb:UserMessage copy
	Other        []*etree.Element // further extension elements, kept as read
}
