package msh

import (
	"context"
	"crypto/x509"
	"strings"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/xhe"
)

// Auditor receives the audit trail's message events (core/audit.Log fits;
// docs/design/audit.md). The engine calls Record synchronously, after the state the event
// reports is stored. A failing Record is logged and counted (Engine.AuditFailures) and
// never changes how the message is processed: auditing cannot lose, block or duplicate a
// message. A crash between the store write and Record loses that event unless the step is
// repeated: a repeated Transition, delivery or receive records it again, so the trail is
// at least once for every step that is retried, and may hold an event twice.
type Auditor interface {
	Record(ctx context.Context, ev audit.Event) error
}

var _ Auditor = (*audit.Log)(nil)

// AuditFailures is the number of audit events the Auditor refused since the engine
// started (a metric: anything but 0 wants attention).
func (e *Engine) AuditFailures() uint64 { return e.auditFailures.Load() }

// audit records ev when an Auditor is configured (At = now when zero).
func (e *Engine) audit(ctx context.Context, ev audit.Event) {
	if e.o.Audit == nil {
		return
	}
	if ev.At.IsZero() {
		ev.At = e.now()
	}
	if err := e.o.Audit.Record(ctx, ev); err != nil {
		e.auditFailures.Add(1)
		e.log.ErrorContext(ctx, "audit event not recorded", "tenant", ev.Tenant, "messageId", ev.MessageID, "type", ev.Type, "err", err)
	}
}

// outboundEvent is the audit event of an outbound message's stored state.
func outboundEvent(m OutboundMessage, typ audit.Type) audit.Event {
	ev := audit.Event{
		Tenant: m.Tenant, At: m.UpdatedAt, Type: typ, MessageID: m.MessageID, ConversationID: m.ConversationID,
		RefToMessageID: m.Meta[metaRefTo], Sender: m.Sender, Recipient: m.Recipient, RecipientFunction: m.Meta[metaFunction],
		State: string(m.State), Reason: m.Reason, Detail: m.Meta[metaDetail],
	}
	if strings.HasPrefix(m.Reason, "EBMS:") {
		ev.ErrorCode = m.Reason
	}
	return ev
}

// certFingerprint is audit.Fingerprint of c, empty for nil.
func certFingerprint(c *x509.Certificate) string {
	if c == nil {
		return ""
	}
	return audit.Fingerprint(c.Raw)
}

// transition is Transition on the engine's store, recording the stored state; with adds
// what the caller knows beyond the record (the peer AP, the receipt).
func (e *Engine) transition(ctx context.Context, r TransitionRequest, with ...func(*audit.Event)) (OutboundMessage, error) {
	m, err := Transition(ctx, e.o.Store, r)
	if err != nil {
		return m, err
	}
	ev := outboundEvent(m, audit.TypeState)
	for _, w := range with {
		w(&ev)
	}
	e.audit(ctx, ev)
	return m, nil
}

// inboundEvent is the audit event of a received AS4 user message; signer is the sending
// AP's certificate when the event is about the AS4 exchange.
func inboundEvent(in InboundMessage, typ audit.Type, signer *x509.Certificate) audit.Event {
	return audit.Event{
		Tenant: in.Tenant, Type: typ, AS4MessageID: in.MessageID, ConversationID: in.ConversationID,
		RefToMessageID: in.RefToMessageID, Sender: in.OriginalSender, Recipient: in.FinalRecipient,
		FromAP: in.FromParty, ToAP: in.ToParty, APCert: certFingerprint(signer),
	}
}

// deliveryEvent is the audit event of the MT's decision on a received message: delivered,
// or rejected with the kvittens orsakskod and detail code. env may be the unverified
// envelope of a rejected message (its ids as written); signer is the sender's CertPub
// signing certificate.
func deliveryEvent(in InboundMessage, env *xhe.Envelope, signer *x509.Certificate, d kvittens.Decision) audit.Event {
	ev := inboundEvent(in, audit.TypeDelivered, nil)
	ev.O2OCert, ev.Receipt = certFingerprint(signer), string(d.Code)
	if env != nil {
		ev.MessageID, ev.RecipientFunction = env.ID, env.HandlingServiceID
	}
	if d.Code != kvittens.Accepted {
		ev.Type, ev.Reason, ev.Detail = audit.TypeRejected, string(d.Reason), string(d.Detail)
	}
	return ev
}
