package msh

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/xhe"
)

// receiptIDPrefix makes the id of the Meddelandekvittens answering a message: derived
// from the message's id, so that a delivery retried after a crash answers once.
const receiptIDPrefix = kvittens.IDPrefix

// deliver is the MT (C4) step for one received AS4 message: a Meddelandekvittens updates
// the outbox; an SDK message is opened, checked ([CONTENT] §5.3, spec-facts §a.3),
// delivered to its function address and answered with a Meddelandekvittens (spec-facts §d).
func (e *Engine) deliver(ctx context.Context, t *tenant, l Lease, id string) (outcome, error) {
	in, err := e.o.Store.GetInbound(ctx, MessageKey{Tenant: t.cfg.ID, MessageID: id})
	if errors.Is(err, ErrNotFound) {
		return e.orphan(ctx, t, l), nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: deliver %s: %w", id, err)
	}
	if len(in.PayloadNames) != 1 {
		return outcome{}, fmt.Errorf("msh: deliver %s: %d payloads: %w", id, len(in.PayloadNames), ErrInvalid)
	}
	x, err := e.readPayload(ctx, t.cfg.ID, in.PayloadNames[0])
	if err != nil {
		return outcome{}, fmt.Errorf("msh: deliver %s: %w", id, err)
	}
	if in.Action == pmode.SDKReceiptLeg().Action {
		return e.receiveKvittens(ctx, t, in, x)
	}
	log := e.log.With("tenant", t.cfg.ID, "messageId", id, "sender", in.OriginalSender, "recipient", in.FinalRecipient)

	// The sender's CertPub signing certificate, from its registration for the receipt
	// document: a sender not in SMP could not take the kvittens, so nothing is sent
	// (spec-facts §d) and, with nothing to check the signature against, nothing delivered.
	res, err := e.o.Discovery.Lookup(ctx, participantID(in.OriginalSender), documentID(KindReceipt))
	var senderCert *x509.Certificate
	if err == nil {
		senderCert, err = signingCert(res)
	}
	if notRegistered(err) || (err != nil && res != nil) {
		log.WarnContext(ctx, "sender not registered in SMP/CertPub: not delivered, no kvittens", "err", err)
		ev := inboundEvent(in, audit.TypeRejected, nil)
		ev.Detail = "sender-not-registered"
		e.audit(ctx, ev)
		return done, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: deliver %s: look up sender: %w", id, err)
	}
	sender := o2o.Sender{Cert: senderCert, Trust: t.cfg.O2OTrust}

	var env *xhe.Envelope
	var rej error
	mail := MailItem{DeliveredAt: e.now(), Meta: map[string]string{metaAS4ID: id}}
	var content []byte
	if t.cfg.O2OKey != nil {
		op := &o2o.Opener{Decrypter: t.cfg.O2ODecrypter, Cert: t.cfg.O2OCert, Profile: t.o2o, Now: e.o.Clock.Now}
		opened, err := op.Open(x, sender)
		if err == nil {
			env, content = opened.Envelope, opened.MessageXML
			mail.Label = opened.Message.Label
			mail.Meta[metaConf] = strconv.FormatBool(opened.Message.Confidentiality)
		}
		rej = err
	} else {
		// End-to-end mode: the organisation's key is in the browser. The engine checks the
		// XHE signature against the sender's CertPub certificate, the envelope and the
		// routing; decryption, the SDK message's schema and rules, and its cross-checks with
		// the envelope are left to the client, which also owns the kvittens.
		if _, err := o2o.Verify(x, sender, t.o2o, e.now()); err != nil {
			rej = err
		} else if _, env, err = xhe.ParseBytes(x); err != nil {
			rej = &kvittens.Rejection{Reason: kvittens.SV, Detail: kvittens.DetailStructure, Err: err}
		} else if !env.Encrypted {
			rej = &kvittens.Rejection{Reason: kvittens.SIG, Detail: kvittens.DetailSecurity, Err: o2o.ErrNotEncrypted}
		}
		content = x
		mail.Meta[metaSealed] = "true"
	}
	if rej == nil {
		rej = routing(t, in, env)
	}
	if rej == nil {
		rej = e.checkSenderDomain(ctx, log, in)
	}
	if env == nil { // for the kvittens only: the envelope as written, unverified
		if _, e2, err := xhe.ParseBytes(x); err == nil {
			env = e2
		}
	}
	if rej == nil {
		mail.MailKey = MailKey{Tenant: t.cfg.ID, Address: env.HandlingServiceID, MessageID: env.ID}
		mail.ConversationID, mail.Sender, mail.Recipient = in.ConversationID, env.From, env.To
		if rej, err = e.putMail(ctx, mail, content); err != nil {
			return outcome{}, fmt.Errorf("msh: deliver %s: %w", id, err)
		}
	}
	d := kvittens.DecideError(rej)
	e.audit(ctx, deliveryEvent(in, env, senderCert, d))
	if rej != nil {
		log.WarnContext(ctx, "message rejected", "reason", d.Reason, "detail", d.Detail, errAttr(rej))
	} else {
		log.InfoContext(ctx, "message delivered", "function", env.HandlingServiceID)
	}
	if t.cfg.O2OKey == nil {
		// End-to-end mode: the kvittens is the client's to seal (the key is in the browser);
		// it hands it in with SubmitKvittens, which queues it as below.
		return done, nil
	}
	if !d.Send || env == nil || env.ID == "" {
		log.WarnContext(ctx, "no kvittens sent", "decision", d.Code)
		return done, nil
	}
	if err := e.sendKvittens(ctx, t, in, env, rej); err != nil {
		return outcome{}, fmt.Errorf("msh: deliver %s: %w", id, err)
	}
	return done, nil
}

// routing checks the envelope against the AS4 header and this tenant ([CONTENT] §5.3,
// spec-facts §a.3): senderID = FromParty = originalSender, recipientID = ToParty =
// finalRecipient, HandlingServiceID one of the tenant's function addresses.
func routing(t *tenant, in InboundMessage, env *xhe.Envelope) error {
	reject := func(ev kvittens.Event, what string) error {
		d := kvittens.Decide(ev)
		return &kvittens.Rejection{Reason: d.Reason, Detail: d.Detail, Err: errors.New("msh: " + what)}
	}
	switch {
	case !sameParticipant(env.From, in.OriginalSender):
		return reject(kvittens.EventSenderMismatch, "xhe FromParty is not the AS4 originalSender")
	case !sameParticipant(env.To, in.FinalRecipient) || !sameParticipant(env.To, t.cfg.Participant):
		return reject(kvittens.EventRecipientMismatch, "xhe ToParty is not the AS4 finalRecipient")
	case !slices.Contains(t.cfg.FunctionAddresses, env.HandlingServiceID):
		return reject(kvittens.EventUnknownFunction, "unknown function address")
	}
	return nil
}

// putMail stores the content, then the mail item (put-if-absent: a repeated delivery of
// the same AS4 message is done; the same SDK messageId in another AS4 message is a reused
// MessageId, REJECTED BV duplicate, [CONTENT] §5.3).
func (e *Engine) putMail(ctx context.Context, m MailItem, content []byte) (rej error, err error) {
	if len(m.MessageID) > maxWireID {
		return &kvittens.Rejection{Reason: kvittens.BV, Detail: kvittens.DetailInvariant, Err: errors.New("msh: message id too long")}, nil
	}
	if err := m.MailKey.Validate(); err != nil {
		return &kvittens.Rejection{Reason: kvittens.BV, Detail: kvittens.DetailInvariant, Err: err}, nil
	}
	if prev, err := e.o.Mailbox.GetMail(ctx, m.MailKey); err == nil {
		return duplicateMail(prev, m), nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	name, err := e.putPayload(ctx, m.Tenant, "mail", m.MessageID, content)
	if err != nil {
		return nil, err
	}
	m.PayloadNames = []string{name}
	if err := e.o.Mailbox.Deliver(ctx, m); errors.Is(err, ErrDuplicate) {
		prev, gerr := e.o.Mailbox.GetMail(ctx, m.MailKey)
		if gerr != nil {
			return nil, gerr
		}
		return duplicateMail(prev, m), nil
	} else if err != nil {
		return nil, err
	}
	return nil, nil
}

func duplicateMail(prev, m MailItem) error {
	if prev.Meta[metaAS4ID] == m.Meta[metaAS4ID] {
		return nil // this very message, delivered by an earlier attempt
	}
	d := kvittens.Decide(kvittens.EventDuplicate)
	return &kvittens.Rejection{Reason: d.Reason, Detail: d.Detail, Err: errors.New("msh: messageId already delivered")}
}

// sendKvittens seals the Meddelandekvittens (signed, never encrypted, spec-facts §d) and
// queues it as an outbound message on the receipt leg.
func (e *Engine) sendKvittens(ctx context.Context, t *tenant, in InboundMessage, env *xhe.Envelope, rej error) error {
	var r *kvittens.Rejection
	if rej != nil && !errors.As(rej, &r) {
		d := kvittens.DecideError(rej)
		r = &kvittens.Rejection{Reason: d.Reason, Detail: d.Detail, Err: rej}
	}
	rid := receiptIDPrefix + env.ID
	rc := kvittens.New(rid, e.now(), env.ID, in.OriginalSender, t.cfg.Participant, r)
	sealer := &o2o.Sealer{Key: t.cfg.O2OKey, Cert: t.cfg.O2OCert, Profile: t.o2o, Now: e.o.Clock.Now}
	b, err := sealer.SealReceipt(rc, env.HandlingServiceID)
	if err != nil {
		return fmt.Errorf("seal kvittens: %w", err)
	}
	if err = e.queueKvittens(ctx, t, in, env.HandlingServiceID, rc, b); errors.Is(err, ErrDuplicate) {
		return nil // queued by an earlier attempt
	}
	return err
}

// queueKvittens queues a sealed kvittens (b, answering in, routed to its function
// address) as an outbound message on the receipt leg, to the original sender; server
// mode (sendKvittens) and end-to-end mode (SubmitKvittens) alike.
func (e *Engine) queueKvittens(ctx context.Context, t *tenant, in InboundMessage, function string, rc *kvittens.Receipt, b []byte) error {
	_, err := e.createOutbound(ctx, t, outboundSpec{
		id: rc.ID, kind: KindReceipt, conversation: in.ConversationID, // ⚠U spec-facts §k 15
		recipient: in.OriginalSender, function: function, refTo: in.MessageID, xhe: b, receipt: string(rc.Code),
	})
	if err != nil {
		return err
	}
	e.log.InfoContext(ctx, "kvittens queued", "tenant", t.cfg.ID, "messageId", rc.ID, "refTo", rc.DocumentID, "code", rc.Code, "recipient", in.OriginalSender)
	return nil
}

// receiveKvittens applies an incoming Meddelandekvittens to the outbox entry it answers:
// ACCEPTED, or REJECTED with the orsakskod and detail code. It is never answered
// (spec-facts §d).
func (e *Engine) receiveKvittens(ctx context.Context, t *tenant, in InboundMessage, x []byte) (outcome, error) {
	log := e.log.With("tenant", t.cfg.ID, "messageId", in.MessageID, "sender", in.OriginalSender)
	res, err := e.o.Discovery.Lookup(ctx, participantID(in.OriginalSender), documentID(KindMessage))
	var cert *x509.Certificate
	if err == nil {
		cert, err = signingCert(res)
	}
	if notRegistered(err) || (err != nil && res != nil) {
		log.WarnContext(ctx, "kvittens from a sender without a certpub certificate dropped", "err", err)
		return done, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: kvittens %s: look up sender: %w", in.MessageID, err)
	}
	env, rc, err := o2o.OpenReceipt(x, o2o.Sender{Cert: cert, Trust: t.cfg.O2OTrust}, t.o2o, e.now())
	if err != nil {
		log.WarnContext(ctx, "kvittens refused", errAttr(err))
		return done, nil
	}
	if !sameParticipant(env.From, in.OriginalSender) || !sameParticipant(rc.Receiver, t.cfg.Participant) {
		log.WarnContext(ctx, "kvittens parties do not match the AS4 header", "from", env.From, "receiver", rc.Receiver)
		return done, nil
	}
	k := MessageKey{Tenant: t.cfg.ID, MessageID: rc.DocumentID}
	m, err := e.o.Store.GetOutbound(ctx, k)
	if errors.Is(err, ErrNotFound) || (err == nil && (!sameParticipant(m.Recipient, rc.Sender) || OutboundKind(m.Meta[metaKind]) == KindReceipt)) {
		log.WarnContext(ctx, "kvittens for no message of ours", "refTo", rc.DocumentID)
		return done, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: kvittens %s: %w", in.MessageID, err)
	}
	to, reason, detail := StateAccepted, "", ""
	if rc.Code != kvittens.Accepted {
		to = StateRejected
		if len(rc.Lines) > 0 {
			reason, detail = string(rc.Lines[0].Reason), rc.Lines[0].Code
			if detail == "" {
				detail = rc.Lines[0].Text
			}
		}
	}
	_, err = e.transition(ctx, TransitionRequest{MessageKey: k, To: to, At: e.now(), Reason: reason,
		Mutate: func(n *OutboundMessage) { setMeta(n, metaDetail, detail) }}, func(ev *audit.Event) {
		ev.Receipt, ev.O2OCert, ev.FromAP, ev.ToAP = string(rc.Code), certFingerprint(cert), in.FromParty, in.ToParty
	})
	if errors.Is(err, ErrInvalidTransition) {
		log.WarnContext(ctx, "kvittens for a message in a final state", "refTo", rc.DocumentID, "code", rc.Code)
		return done, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: kvittens %s: %w", in.MessageID, err)
	}
	log.InfoContext(ctx, "kvittens applied", "refTo", rc.DocumentID, "code", rc.Code, "reason", reason, "detail", detail)
	return done, nil
}

// errAttr logs an error without message content (STYLE: logs carry ids, parties and
// outcomes): a *kvittens.Rejection by its reason, detail, rule ids and locations and its
// cause, never the violation texts, which may quote values of the message.
func errAttr(err error) slog.Attr {
	var r *kvittens.Rejection
	if !errors.As(err, &r) {
		return slog.String("err", err.Error())
	}
	rules := make([]string, 0, len(r.Violations))
	for _, v := range r.Violations {
		rules = append(rules, v.Rule+"@"+v.Location)
	}
	attrs := []any{slog.String("reason", string(r.Reason)), slog.String("detail", string(r.Detail)), slog.Any("rules", rules)}
	if r.Err != nil {
		attrs = append(attrs, slog.String("cause", r.Err.Error()))
	}
	return slog.Group("err", attrs...)
}
