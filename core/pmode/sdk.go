package pmode

import (
	"fmt"

	"github.com/brevduva/brevduva/core/ebms"
)

// MEP is a message exchange pattern URI (ebMS 3.0 Core §2.2).
type MEP string

// Binding is an MEP binding URI (ebMS 3.0 Core §2.2).
type Binding string

// MEPs and bindings of DIGG's P-Mode (spec-facts §a.1).
const (
	MEPOneWay   MEP     = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/oneWay"
	BindingPush Binding = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/push"
)

// SDK leg values from DIGG's P-Mode (spec-facts §a.1).
const (
	// RoleInitiator and RoleResponder are eb:From/eb:Role and eb:To/eb:Role
	// (⚠U spec-facts §k 2; go-as4 uses urn:fdc:digg.se:edelivery:transportprofile:as4:role:ap).
	RoleInitiator = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/initiator"
	RoleResponder = "http://docs.oasis-open.org/ebxml-msg/ebms/v3.0/ns/core/200704/responder"

	// PartyTypeAP is eb:PartyId@type; the PartyId is the CN of the AP's
	// eDelivery certificate (the To PartyId comes from SMP, ⚠U spec-facts §k 14).
	PartyTypeAP = "urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:ap"

	// Service and ServiceType are eb:Service and its type (lower-case digg.se;
	// [CONTENT] §3.1 misprints Digg.se).
	Service     = "bdx:noprocess"
	ServiceType = "urn:fdc:digg.se:edelivery:process"

	// ActionMessage is the Action of an SDK message v3.
	ActionMessage = "busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc"
	// ActionReceipt is the Action of a Meddelandekvittens.
	ActionReceipt = "busdox-docid-qns::urn:oasis:names:specification:ubl:schema:xsd:ApplicationResponse-2::ApplicationResponse##fdc:digg.se:edelivery:messagetype:response:1::2.1::tm-base-ext-sigenc"

	// PropOriginalSender and PropFinalRecipient are the required message
	// properties (four-corner model, eDelivery AS4 1.15; DIGG's eDeliveryPropertySet).
	PropOriginalSender = "originalSender"
	PropFinalRecipient = "finalRecipient"
	// ParticipantPropertyType is the type of both properties (⚠U spec-facts §k 1;
	// go-as4 uses urn:fdc:digg.se:edelivery:transportprofile:as4:partytype:participant).
	ParticipantPropertyType = "iso6523-actorid-upis"

	// AgreementRef is the eb:AgreementRef sent: none. DIGG's P-Mode defines
	// "A1" but no leg uses it (⚠U spec-facts §k 7).
	AgreementRef = ""

	// MPC is the message partition channel of both legs.
	MPC = ebms.DefaultMPC

	// PayloadCID and PayloadMimeType describe the one payload, the XHE.
	PayloadCID      = "message"
	PayloadMimeType = "text/xml"

	// SecurityPolicyName and SignatureMethodName are what DIGG's P-Mode
	// names; EDelivery115 implements them.
	SecurityPolicyName  = "eDeliveryAS4Policy_BST"
	SignatureMethodName = "RSA_SHA256"

	// TestService and TestAction mark test messages, never delivered
	// (eDelivery AS4 1.15, AS4_CP_TA16/TA17).
	TestService = ebms.TestService
	TestAction  = ebms.TestAction
)

// Leg is one leg of DIGG's P-Mode: what a UserMessage on it must carry.
type Leg struct {
	Name              string
	MEP               MEP
	Binding           Binding
	Service           ebms.Service
	Action            string
	FromRole, ToRole  string
	PartyType         string
	MPC               string
	Properties        []string // required message properties
	PropertyType      string
	PayloadCID        string
	PayloadMimeType   string
	CompressPayloads  bool
	SecurityPolicy    string
	DuplicateDetected bool
}

func sdkLeg(name, action string) Leg {
	return Leg{
		Name: name, MEP: MEPOneWay, Binding: BindingPush,
		Service: ebms.Service{Value: Service, Type: ServiceType}, Action: action,
		FromRole: RoleInitiator, ToRole: RoleResponder, PartyType: PartyTypeAP, MPC: MPC,
		Properties: []string{PropOriginalSender, PropFinalRecipient}, PropertyType: ParticipantPropertyType,
		PayloadCID: PayloadCID, PayloadMimeType: PayloadMimeType, CompressPayloads: true,
		SecurityPolicy: SecurityPolicyName, DuplicateDetected: true,
	}
}

// SDKMessageLeg is the leg "messageWithAttachment_v3" of DIGG's P-Mode.
func SDKMessageLeg() Leg { return sdkLeg("messageWithAttachment_v3", ActionMessage) }

// SDKReceiptLeg is the leg "messageReceipt" of DIGG's P-Mode.
func SDKReceiptLeg() Leg { return sdkLeg("messageReceipt", ActionReceipt) }

// SDKLegs returns both legs.
func SDKLegs() []Leg { return []Leg{SDKMessageLeg(), SDKReceiptLeg()} }

// Match reports whether u is addressed to this leg (Service, its type and Action).
func (l Leg) Match(u *ebms.UserMessage) bool {
	return u.Collaboration.Service == l.Service && u.Collaboration.Action == l.Action
}

// Check verifies that u follows the leg: party types, roles, MPC, the
// required properties and the one payload (compressed or not, AS4_CP_TA04).
// A mismatch is EBMS:0010
// ProcessingModeMismatch (ebMS 3.0 Core §6.7.1). Property types are not
// compared because their value is ⚠U (spec-facts §k 1).
func (l Leg) Check(u *ebms.UserMessage) error {
	mismatch := func(format string, a ...any) error {
		return ebms.NewError(ebms.ProcessingModeMismatch, fmt.Sprintf("leg %s: ", l.Name)+fmt.Sprintf(format, a...), nil)
	}
	if !l.Match(u) {
		return mismatch("service %q/%q action %q", u.Collaboration.Service.Type, u.Collaboration.Service.Value, u.Collaboration.Action)
	}
	if u.From.Type != l.PartyType || u.To.Type != l.PartyType {
		return mismatch("party id types %q and %q", u.From.Type, u.To.Type)
	}
	if u.From.Role != l.FromRole || u.To.Role != l.ToRole {
		return mismatch("roles %q and %q", u.From.Role, u.To.Role)
	}
	if mpc := u.MPC; mpc != "" && mpc != l.MPC {
		return mismatch("mpc %q", mpc)
	}
	for _, name := range l.Properties {
		if v, ok := u.Property(name); !ok || v == "" {
			return mismatch("property %s missing", name)
		}
	}
	if len(u.Payloads) != 1 {
		return mismatch("%d payloads, want 1", len(u.Payloads))
	}
	p := u.Payloads[0]
	if cid, ok := p.ContentID(); !ok || cid != l.PayloadCID {
		return mismatch("payload href %q, want cid:%s", p.Href, l.PayloadCID)
	}
	if p.MimeType() != l.PayloadMimeType {
		return mismatch("payload MimeType %q, want %s", p.MimeType(), l.PayloadMimeType)
	}
	// An uncompressed payload is accepted although the leg compresses
	// (eDelivery AS4 1.15, AS4_CP_TA04).
	return nil
}

// UserMessage returns a UserMessage on this leg from AP fromAP to AP toAP
// (their certificate CNs), with the four-corner properties (spec-facts §a.1).
// MessageInfo and the payloads are left for the packer to fill.
func (l Leg) UserMessage(fromAP, toAP, conversationID, originalSender, finalRecipient string) *ebms.UserMessage {
	return &ebms.UserMessage{
		MPC:  l.MPC,
		From: ebms.Party{ID: fromAP, Type: l.PartyType, Role: l.FromRole},
		To:   ebms.Party{ID: toAP, Type: l.PartyType, Role: l.ToRole},
		Collaboration: ebms.CollaborationInfo{
			Service: l.Service, Action: l.Action, ConversationID: conversationID,
		},
		Properties: []ebms.Property{
			{Name: PropOriginalSender, Type: l.PropertyType, Value: originalSender},
			{Name: PropFinalRecipient, Type: l.PropertyType, Value: finalRecipient},
		},
	}
}
