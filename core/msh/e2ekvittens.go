package msh

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/xhe"
)

// maxKvittensBytes caps a client-sealed kvittens XHE: a receipt is a few kB, its lines
// one per violation.
const maxKvittensBytes = 1 << 20

// SubmitKvittens hands in the Meddelandekvittens that an end-to-end tenant's client
// (which holds the organisation key) sealed for a message delivered to its mailbox
// address: the XHE signed with the organisation's O2O key, never encrypted (spec-facts
// §d: "signed, never encrypted, sent with the receipt Action"), exactly as the engine
// seals its own in server mode (sendKvittens). The engine checks the message was
// delivered to this tenant, that the XHE is a valid receipt (DIGG-AppRes-Business-Rules
// R1-APP…R9-APP, kvittens.Validate via o2o.OpenReceipt) signed with the tenant's own O2O
// certificate (the one CertPub publishes for it), that it answers that message
// (DocumentReference/ID = the acknowledged XHE's Header/ID, spec-facts §d), that the
// parties are the message's swapped (SenderParty = original recipient, ReceiverParty =
// original sender, spec-facts §d) and that its id is "kvittens-" + the message id (this
// engine's receipt id, so that a delivery answers once). It then queues the AS4 send to
// the original sender like server mode. The same kvittens again returns the queued one;
// another one for the same message is ErrDuplicate, also when both arrive at once: each
// submission writes its bytes under a payload name of its own (putPayload adds a fresh
// id), and the conditional CreateOutbound lets one record, naming the winner's payload,
// be stored, so the kvittens sent is always the winner's bytes
// (TestSubmitKvittensRaceSendsTheWinner). The loser's payload stays unreferenced. A
// tenant whose engine holds the O2O key is refused (ErrInvalid): the engine sends its own.
func (e *Engine) SubmitKvittens(ctx context.Context, tid, address, messageID string, x []byte) (*Outbound, error) {
	t, err := e.tenant(tid)
	if err != nil {
		return nil, err
	}
	mail, err := e.o.Mailbox.GetMail(ctx, MailKey{Tenant: tid, Address: address, MessageID: messageID})
	if err != nil {
		return nil, fmt.Errorf("msh: kvittens for %s: not delivered here: %w", messageID, err)
	}
	if t.cfg.O2OKey != nil {
		return nil, fmt.Errorf("msh: kvittens: tenant %s seals its kvittens on the server: %w", tid, ErrInvalid)
	}
	if t.cfg.O2OCert == nil {
		return nil, fmt.Errorf("msh: kvittens: tenant %s has no O2O certificate to check the signature with: %w", tid, ErrInvalid)
	}
	if len(x) > maxKvittensBytes {
		return nil, fmt.Errorf("msh: kvittens: %d bytes, over %d: %w", len(x), maxKvittensBytes, ErrInvalid)
	}
	in, err := e.o.Store.GetInbound(ctx, MessageKey{Tenant: tid, MessageID: mail.Meta[metaAS4ID]})
	if err != nil {
		return nil, fmt.Errorf("msh: kvittens for %s: the inbound message: %w", messageID, err)
	}
	env, rc, err := o2o.OpenReceipt(x, o2o.Sender{Cert: t.cfg.O2OCert, Trust: t.cfg.O2OTrust}, t.o2o, e.now())
	if err != nil {
		return nil, fmt.Errorf("msh: kvittens for %s: %w: %w", messageID, ErrInvalid, err)
	}
	if err := answers(t, mail, in, env, rc); err != nil {
		return nil, fmt.Errorf("msh: kvittens for %s: %w: %w", messageID, ErrInvalid, err)
	}
	if o, err := e.queuedKvittens(ctx, tid, rc.ID, x); !errors.Is(err, ErrNotFound) {
		return o, err
	}
	if err := e.queueKvittens(ctx, t, in, env.HandlingServiceID, rc, x); errors.Is(err, ErrDuplicate) {
		return e.queuedKvittens(ctx, tid, rc.ID, x) // queued meanwhile
	} else if err != nil {
		return nil, fmt.Errorf("msh: kvittens for %s: %w", messageID, err)
	}
	return e.queuedKvittens(ctx, tid, rc.ID, x)
}

// answers checks that a client's receipt answers the delivered mail (spec-facts §d):
// DocumentReference/ID is the message's Header/ID, SenderParty this tenant (the original
// recipient), ReceiverParty the original sender, the XHE routed back to the original
// message's function address (as SealReceipt does), a receipt XHE, and the id this engine
// gives the kvittens of that message.
func answers(t *tenant, mail MailItem, in InboundMessage, env *xhe.Envelope, rc *kvittens.Receipt) error {
	switch {
	case rc.DocumentID != mail.MessageID:
		return fmt.Errorf("the receipt answers %q, not this message", rc.DocumentID)
	case rc.ID != receiptIDPrefix+mail.MessageID || env.ID != rc.ID:
		return fmt.Errorf("receipt id %q (xhe %q), want %q", rc.ID, env.ID, receiptIDPrefix+mail.MessageID)
	case !sameParticipant(rc.Sender, t.cfg.Participant):
		return fmt.Errorf("receipt sender %s is not this tenant's participant", rc.Sender)
	case !sameParticipant(rc.Receiver, in.OriginalSender) || !sameParticipant(rc.Receiver, mail.Sender):
		return fmt.Errorf("receipt receiver %s is not the message's sender", rc.Receiver)
	case env.HandlingServiceID != mail.MailKey.Address:
		return fmt.Errorf("xhe HandlingServiceID %q, want the message's %q", env.HandlingServiceID, mail.MailKey.Address)
	case env.DocumentTypeCode != xhe.DocTypeReceipt || env.Criterion(xhe.DocumentID) != xhe.DocIDReceipt:
		return errors.New("the xhe is not scoped as a receipt")
	}
	return nil
}

// queuedKvittens returns the kvittens rid already in the outbox when it is x byte for byte,
// ErrDuplicate when it is another, ErrNotFound when there is none.
func (e *Engine) queuedKvittens(ctx context.Context, tid, rid string, x []byte) (*Outbound, error) {
	m, err := e.o.Store.GetOutbound(ctx, MessageKey{Tenant: tid, MessageID: rid})
	if err != nil {
		return nil, fmt.Errorf("msh: kvittens %s: %w", rid, err)
	}
	if len(m.PayloadNames) != 1 {
		return nil, fmt.Errorf("msh: kvittens %s: %d payloads: %w", rid, len(m.PayloadNames), ErrInvalid)
	}
	prev, err := e.readPayload(ctx, tid, m.PayloadNames[0])
	if err != nil {
		return nil, fmt.Errorf("msh: kvittens %s: %w", rid, err)
	}
	if !bytes.Equal(prev, x) {
		return nil, fmt.Errorf("msh: kvittens %s: another kvittens answers this message already: %w", rid, ErrDuplicate)
	}
	return outboundView(m), nil
}
