package msh

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/beevik/etree"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/xmldsig"
)

// statusOK is the HTTP status of every AS4 answer the engine gives: a receipt, or an ebMS
// error signal (errorAsResponse, spec-facts §a.1: a normal SOAP message, not a fault).
const statusOK = 200

// legFor picks the SDK P-Mode leg of a user message by Service and Action (spec-facts
// §a.1); none is EBMS:0010 ProcessingModeMismatch (ebMS 3.0 Core §6.7.1).
func legFor(u *ebms.UserMessage) (pmode.Leg, error) {
	if u == nil {
		return pmode.Leg{}, ebms.NewError(ebms.ProcessingModeMismatch, "not a user message", nil)
	}
	for _, l := range pmode.SDKLegs() {
		if l.Match(u) {
			return l, nil
		}
	}
	return pmode.Leg{}, ebms.NewError(ebms.ProcessingModeMismatch, "no leg for this service and action", nil)
}

// isTestMessage reports whether u is on the ebMS test service and action (ebMS 3.0 Core
// §5.2.2.9: a test message; eDelivery AS4 1.15 and AS4_CP_TA16/TA17: answered like any
// message, never delivered).
func isTestMessage(u *ebms.UserMessage) bool {
	return u != nil && u.Collaboration.Service.Value == ebms.TestService && u.Collaboration.Action == ebms.TestAction
}

// testReceipt answers a verified test message with a signed receipt and keeps nothing:
// it is not stored, not registered as a duplicate and never delivered (AS4_CP_TA16/TA17).
// It must still be addressed to this access point.
func (e *Engine) testReceipt(ctx context.Context, t *tenant, v *as4.Verified) (AS4Response, error) {
	um := v.Messaging.UserMessage
	if um.To.ID != t.cfg.APPartyID {
		return e.errorResponse(ctx, t, um.Info.MessageID, ebms.NewError(ebms.ProcessingModeMismatch, "To/PartyId is not this access point", nil))
	}
	receipt, err := t.signals.Receipt(v)
	if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive test message %s: receipt: %w", um.Info.MessageID, err)
	}
	e.log.InfoContext(ctx, "test message answered, not delivered", "tenant", t.cfg.ID, "messageId", um.Info.MessageID, "fromAP", um.From.ID)
	e.audit(ctx, audit.Event{Tenant: t.cfg.ID, Type: audit.TypeReceived, AS4MessageID: um.Info.MessageID, FromAP: um.From.ID,
		ToAP: um.To.ID, APCert: certFingerprint(v.Signer), Detail: "ebMS test message, not delivered"})
	return AS4Response{Status: statusOK, ContentType: as4.SignalContentType, Body: receipt}, nil
}

// receive follows the receive-path ordering of the package doc: verify, register the
// MessageId, store the payload, enqueue the delivery, PutInbound with the receipt, and
// only then answer with the receipt (AS4 Profile §5.1.8; eDelivery AS4 1.15 reception
// awareness and duplicate detection).
func (e *Engine) receive(ctx context.Context, tid string, contentType string, body io.Reader) (AS4Response, error) {
	t, err := e.tenant(tid)
	if err != nil {
		return AS4Response{}, err
	}
	var claimed string // the unverified MessageId, for the log of a refusal only
	u := &as4.Unpacker{
		Profile: t.profile,
		Select: func(unverified *ebms.Messaging) (pmode.Profile, error) {
			if unverified.UserMessage != nil {
				claimed = unverified.UserMessage.Info.MessageID
			}
			if isTestMessage(unverified.UserMessage) {
				return t.profile, nil
			}
			if _, err := legFor(unverified.UserMessage); err != nil {
				return pmode.Profile{}, err
			}
			return t.profile, nil // both SDK legs share the tenant's profile
		},
		Recipient: as4.Recipient{Cert: t.cfg.AS4Cert, Decrypter: t.cfg.AS4Decrypter},
		Trust:     t.cfg.APTrust,
		Limits:    receiveLimits(t.profile),
	}
	if t.profile.MaxMessageBytes > 0 {
		body = io.LimitReader(body, t.profile.MaxMessageBytes+1)
	}
	v, err := u.Unpack(contentType, body)
	if err != nil && claimed != "" {
		// The consumer's side of the report (AS4_CP_TA31): the log names the message.
		err = fmt.Errorf("unverified messageId %q: %w", claimed, err)
	}
	if err != nil {
		return e.errorResponse(ctx, t, "", err)
	}
	um := v.Messaging.UserMessage
	id := um.Info.MessageID
	if isTestMessage(um) {
		return e.testReceipt(ctx, t, v)
	}
	leg, err := legFor(um)
	if err == nil {
		err = leg.Check(um)
	}
	if err != nil {
		return e.errorResponse(ctx, t, id, err)
	}
	sender, _ := um.Property(pmode.PropOriginalSender)
	recipient, _ := um.Property(pmode.PropFinalRecipient)
	switch {
	case v.Signer == nil || um.From.ID != v.Signer.Subject.CommonName:
		// Subject identity (AS4_DR_TA02–04): an AP's party id is the CN of its AP
		// certificate (spec-facts §a.1), so From/PartyId must name the signer; another AP
		// of the same CA cannot send in this one's name.
		return e.errorResponse(ctx, t, id, ebms.NewError(ebms.FailedAuthentication, "From/PartyId is not the signing certificate's CN", nil))
	case um.To.ID != t.cfg.APPartyID: // the message is for another AP (ebMS 3.0 Core: eb:To names the receiving party)
		return e.errorResponse(ctx, t, id, ebms.NewError(ebms.ProcessingModeMismatch, "To/PartyId is not this access point", nil))
	case !sameParticipant(recipient, t.cfg.Participant): // spec-facts §a.3: recipientID = finalRecipient
		return e.errorResponse(ctx, t, id, ebms.NewError(ebms.ValueInconsistent, "finalRecipient is not served here", nil))
	case len(id) > maxWireID || ValidateID("message id", id) != nil:
		return e.errorResponse(ctx, t, id, ebms.NewError(ebms.InvalidHeader, "MessageId too long", nil))
	}
	log := e.log.With("tenant", tid, "messageId", id, "action", leg.Name, "sender", sender, "recipient", recipient, "fromAP", um.From.ID)
	k := MessageKey{Tenant: tid, MessageID: id}
	refs := refsDigest(v.References)
	now := e.now()

	seen, err := e.o.Guard.Register(ctx, GuardRequest{Tenant: tid, MessageID: id, Expires: now.Add(e.o.DuplicateWindow)})
	if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, err)
	}
	if seen {
		in, err := e.o.Store.GetInbound(ctx, k)
		if err == nil {
			log.InfoContext(ctx, "duplicate message: receipt again, not delivered again")
			return e.duplicateReceipt(ctx, t, in, v, refs)
		}
		if !errors.Is(err, ErrNotFound) {
			return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, err)
		}
		// An earlier attempt crashed before it stored anything: process it again.
	}
	if len(v.Payloads) != 1 {
		return e.errorResponse(ctx, t, id, ebms.NewError(ebms.ProcessingModeMismatch, "want one payload", nil))
	}
	name, err := e.putPayload(ctx, tid, "in", id, v.Payloads[0].Data)
	if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, err)
	}
	receipt, err := t.signals.Receipt(v)
	if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: receipt: %w", id, err)
	}
	if err := e.enqueue(ctx, tid, itemDeliver+id); err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, err)
	}
	in := InboundMessage{
		MessageKey: k, ConversationID: um.Collaboration.ConversationID, RefToMessageID: um.Info.RefToMessageID,
		FromParty: um.From.ID, ToParty: um.To.ID, OriginalSender: sender, FinalRecipient: recipient,
		Service: um.Collaboration.Service.Value, Action: um.Collaboration.Action, ReceivedAt: now,
		PayloadNames: []string{name}, Receipt: receipt, Meta: map[string]string{metaRefs: refs},
	}
	if err := e.o.Store.PutInbound(ctx, in); errors.Is(err, ErrDuplicate) {
		stored, gerr := e.o.Store.GetInbound(ctx, k)
		if gerr != nil {
			return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, gerr)
		}
		log.InfoContext(ctx, "concurrent duplicate: the stored receipt")
		return e.duplicateReceipt(ctx, t, stored, v, refs)
	} else if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: %w", id, err)
	}
	log.InfoContext(ctx, "message received")
	e.audit(ctx, inboundEvent(in, audit.TypeReceived, v.Signer))
	return AS4Response{Status: statusOK, ContentType: as4.SignalContentType, Body: receipt}, nil
}

// duplicateReceipt answers a duplicate: the stored receipt when the message is the same
// one byte for byte (its signature references match), else a receipt for the message as
// it came this time (a resend is packed anew, with a new timestamp, and the sender checks
// the receipt against what it sent, AS4 Profile §5.1.8). Either way nothing is delivered.
func (e *Engine) duplicateReceipt(ctx context.Context, t *tenant, in InboundMessage, v *as4.Verified, refs string) (AS4Response, error) {
	e.audit(ctx, inboundEvent(in, audit.TypeDuplicate, v.Signer))
	if in.Meta[metaRefs] == refs && len(in.Receipt) > 0 {
		return AS4Response{Status: statusOK, ContentType: as4.SignalContentType, Body: in.Receipt}, nil
	}
	r, err := t.signals.Receipt(v)
	if err != nil {
		return AS4Response{}, fmt.Errorf("msh: receive %s: receipt: %w", in.MessageID, err)
	}
	return AS4Response{Status: statusOK, ContentType: as4.SignalContentType, Body: r}, nil
}

// errorResponse answers with a signed ebMS error signal (ebMS 3.0 Core §6.2; eDelivery
// AS4 1.15 signs error signals): the peer sees ebms.Error.Public, the log the cause.
func (e *Engine) errorResponse(ctx context.Context, t *tenant, refTo string, err error) (AS4Response, error) {
	var eb *ebms.Error
	if !errors.As(err, &eb) {
		eb = ebms.NewError(ebms.Other, "", err)
	}
	e.log.WarnContext(ctx, "inbound message refused", "tenant", t.cfg.ID, "messageId", refTo, "code", eb.Code, "err", err)
	if refTo != "" { // a verified message: its ids are the sender's (docs/design/audit.md)
		e.audit(ctx, audit.Event{Tenant: t.cfg.ID, Type: audit.TypeRefused, AS4MessageID: refTo, ErrorCode: string(eb.Code), Detail: eb.ShortName})
	}
	b, serr := t.signals.ErrorSignal(refTo, eb)
	if serr != nil {
		return AS4Response{}, fmt.Errorf("msh: error signal: %w (answering %w)", serr, err)
	}
	// errorAsResponse (spec-facts §a.1): the signal is the HTTP response; a normal SOAP
	// message, not a fault, so 200.
	return AS4Response{Status: statusOK, ContentType: as4.SignalContentType, Body: b}, nil
}

// refsDigest names the set of signed references of a message (URI and DigestValue of
// each), to tell a resend of the same bytes from a new packing.
func refsDigest(refs []*etree.Element) string {
	h := sha256.New()
	for _, r := range refs {
		h.Write([]byte(r.SelectAttrValue("URI", "")))
		h.Write([]byte{0})
		for _, c := range r.ChildElements() {
			if c.Tag == "DigestValue" && c.NamespaceURI() == xmldsig.Namespace {
				h.Write([]byte(c.Text()))
			}
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// receiveLimits are as4.DefaultLimits with the decompressed payloads capped at twice the
// profile's wire cap (gzip bombs, issue 9): the SDK payload is an O2O-encrypted XHE,
// base64 ciphertext that gzip shrinks by about a quarter at most, so a legitimate
// message inflates to about 1.33 times its wire size.
func receiveLimits(p pmode.Profile) *as4.Limits {
	lim := as4.DefaultLimits
	if p.MaxMessageBytes > 0 && 2*p.MaxMessageBytes < lim.MaxDecompressed {
		lim.MaxDecompressed = 2 * p.MaxMessageBytes
	}
	return &lim
}
