package msh

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/certpub"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/trust"
	"github.com/brevduva/brevduva/core/xhe"
)

func participantID(v string) smp.Identifier {
	return smp.Identifier{Scheme: smp.SchemeParticipant, Value: v}
}

func documentID(kind OutboundKind) smp.Identifier {
	if kind == KindReceipt {
		return smp.Identifier{Scheme: xhe.DocIDSchemeQNS, Value: smp.DocumentSDKReceipt}
	}
	return smp.Identifier{Scheme: xhe.DocIDSchemeQNS, Value: smp.DocumentSDKMessage}
}

func legOf(kind OutboundKind) pmode.Leg {
	if kind == KindReceipt {
		return pmode.SDKReceiptLeg()
	}
	return pmode.SDKMessageLeg()
}

// signingCert picks the CertPub signing certificate of a lookup result (spec-facts §f),
// or the only one published.
func signingCert(r *discovery.Result) (*x509.Certificate, error) {
	var any *x509.Certificate
	for _, c := range r.O2O {
		if c.Use == certpub.Signing {
			return c.Cert, nil
		}
		if any == nil {
			any = c.Cert
		}
	}
	if any != nil && len(r.O2O) == 1 {
		return any, nil
	}
	if r.O2OErr != nil {
		return nil, fmt.Errorf("msh: no certpub signing certificate: %w", r.O2OErr)
	}
	return nil, errors.New("msh: no certpub signing certificate")
}

// encryptionCert picks the CertPub certificate to seal for: the encryption one, else the
// only one published.
func encryptionCert(r *discovery.Result) (*x509.Certificate, error) {
	for _, c := range r.O2O {
		if c.Use != certpub.Signing {
			return c.Cert, nil
		}
	}
	if len(r.O2O) == 1 {
		return r.O2O[0].Cert, nil
	}
	if r.O2OErr != nil {
		return nil, fmt.Errorf("msh: no certpub encryption certificate: %w", r.O2OErr)
	}
	return nil, errors.New("msh: no certpub encryption certificate")
}

// submit: Message → CertPub lookup and Seal; then the XHE path for both kinds.
func (e *Engine) submit(ctx context.Context, tid string, s Submission) (*Outbound, error) {
	t, err := e.tenant(tid)
	if err != nil {
		return nil, err
	}
	if (s.XHE == nil) == (s.Message == nil) {
		return nil, fmt.Errorf("msh: submit: give exactly one of XHE and Message: %w", ErrInvalid)
	}
	var label string
	var conversation string
	x := s.XHE
	if s.Message != nil {
		if t.cfg.O2OKey == nil {
			return nil, fmt.Errorf("msh: submit: tenant %s has no O2O key (end-to-end mode): submit a sealed XHE: %w", tid, ErrInvalid)
		}
		m, err := sdkmsg.Parse(s.Message)
		if err != nil {
			return nil, fmt.Errorf("msh: submit: %w: %w", ErrInvalid, err)
		}
		if vs := sdkmsg.Validate(s.Message); len(vs) > 0 {
			return nil, fmt.Errorf("msh: submit: %w: %w", ErrInvalid, kvittens.Reject(vs))
		}
		if !sameParticipant(m.Sender.ID, t.cfg.Participant) {
			return nil, fmt.Errorf("msh: submit: sender %s is not this tenant's participant: %w", m.Sender.ID, ErrInvalid)
		}
		if a := m.Sender.Attention; a != nil && a.FunctionAddress != "" && !slices.Contains(t.cfg.FunctionAddresses, a.FunctionAddress) {
			return nil, fmt.Errorf("msh: submit: sender function address %q is not one of this tenant's: %w", a.FunctionAddress, ErrInvalid)
		}
		if m.Recipient.Attention == nil || m.Recipient.Attention.FunctionAddress == "" {
			return nil, fmt.Errorf("msh: submit: no recipient function address: %w", ErrInvalid)
		}
		res, err := e.o.Discovery.Lookup(ctx, participantID(m.Recipient.ID), documentID(KindMessage))
		if notRegistered(err) {
			return nil, fmt.Errorf("msh: submit: recipient %s: %w: %w", m.Recipient.ID, ErrRecipientNotFound, err)
		}
		if err != nil {
			return nil, fmt.Errorf("msh: submit: look up recipient %s: %w", m.Recipient.ID, err)
		}
		cert, err := encryptionCert(res)
		if err != nil {
			return nil, fmt.Errorf("msh: submit: recipient %s: %w: %w", m.Recipient.ID, ErrRecipientNotFound, err)
		}
		sealer := &o2o.Sealer{Key: t.cfg.O2OKey, Cert: t.cfg.O2OCert, Profile: t.o2o, Now: e.o.Clock.Now}
		if x, err = sealer.Seal(s.Message, cert, m.Recipient.Attention.FunctionAddress); err != nil {
			return nil, fmt.Errorf("msh: submit: seal: %w: %w", ErrInvalid, err)
		}
		label, conversation = m.Label, m.ConversationID
	} else if t.cfg.O2OCert != nil {
		// End-to-end mode: the browser signed with the organisation's key; its certificate
		// is ours to check ([CONTENT] §5.3 applies at C4, we refuse early what C4 rejects).
		if _, err := o2o.Verify(x, o2o.Sender{Cert: t.cfg.O2OCert, Trust: t.cfg.O2OTrust}, t.o2o, e.now()); err != nil {
			return nil, fmt.Errorf("msh: submit: %w: %w", ErrInvalid, err)
		}
	}
	_, env, err := xhe.ParseBytes(x)
	if err != nil {
		return nil, fmt.Errorf("msh: submit: %w: %w", ErrInvalid, err)
	}
	if !sameParticipant(env.From, t.cfg.Participant) {
		return nil, fmt.Errorf("msh: submit: xhe from %s is not this tenant's participant: %w", env.From, ErrInvalid)
	}
	if !env.Encrypted {
		return nil, fmt.Errorf("msh: submit: xhe payload not encrypted ([CONTENT] §5.3): %w", ErrInvalid)
	}
	if conversation == "" {
		conversation = env.ID // end-to-end: the SDK conversationId is sealed; ⚠U use the message id
	}
	rec, err := e.createOutbound(ctx, t, outboundSpec{
		id: env.ID, kind: KindMessage, conversation: conversation, recipient: env.To,
		function: env.HandlingServiceID, label: label, xhe: x,
	})
	if err != nil {
		return nil, fmt.Errorf("msh: submit: %w", err)
	}
	e.log.InfoContext(ctx, "message submitted", "tenant", tid, "messageId", env.ID, "sender", t.cfg.Participant, "recipient", env.To, "function", env.HandlingServiceID)
	return outboundView(rec), nil
}

type outboundSpec struct {
	id, conversation, recipient, function, label, refTo string
	receipt                                             string // a kvittens: its code (audit trail)
	kind                                                OutboundKind
	xhe                                                 []byte
}

// createOutbound follows the send-path ordering of the package doc: payload, then the
// work item, then the record (so that no crash leaves a record nothing works on).
func (e *Engine) createOutbound(ctx context.Context, t *tenant, s outboundSpec) (OutboundMessage, error) {
	if len(s.id) > maxWireID {
		return OutboundMessage{}, fmt.Errorf("message id of %d bytes: %w", len(s.id), ErrInvalid)
	}
	k := MessageKey{Tenant: t.cfg.ID, MessageID: s.id}
	if err := k.Validate(); err != nil {
		return OutboundMessage{}, err
	}
	if _, err := e.o.Store.GetOutbound(ctx, k); err == nil {
		return OutboundMessage{}, fmt.Errorf("outbound %s: %w", s.id, ErrDuplicate)
	} else if !errors.Is(err, ErrNotFound) {
		return OutboundMessage{}, err
	}
	name, err := e.putPayload(ctx, t.cfg.ID, "out", s.id, s.xhe)
	if err != nil {
		return OutboundMessage{}, err
	}
	if err := e.enqueue(ctx, t.cfg.ID, itemSend+s.id); err != nil {
		return OutboundMessage{}, err
	}
	now := e.now()
	rec := NewOutbound(k, StateScheduled, now)
	rec.ConversationID, rec.Sender, rec.Recipient, rec.PayloadNames = s.conversation, t.cfg.Participant, s.recipient, []string{name}
	rec.Meta = map[string]string{metaKind: string(s.kind), metaFunction: s.function}
	if s.label != "" {
		rec.Meta[metaLabel] = s.label
	}
	if s.refTo != "" {
		rec.Meta[metaRefTo] = s.refTo
	}
	if err := e.o.Store.CreateOutbound(ctx, rec); err != nil {
		return OutboundMessage{}, fmt.Errorf("create outbound %s: %w", s.id, err)
	}
	rec.Version = 1
	ev := outboundEvent(rec, audit.TypeSubmitted)
	ev.O2OCert, ev.Receipt = certFingerprint(t.cfg.O2OCert), s.receipt
	e.audit(ctx, ev)
	return rec, nil
}

// send is one AS4 send attempt of an outbound message (AS4 Profile §3.2 reception
// awareness: retries per the PMode schedule, EBMS:0301 MissingReceipt after the last).
func (e *Engine) send(ctx context.Context, t *tenant, l Lease, id string) (outcome, error) {
	k := MessageKey{Tenant: t.cfg.ID, MessageID: id}
	m, err := e.o.Store.GetOutbound(ctx, k)
	if errors.Is(err, ErrNotFound) {
		return e.orphan(ctx, t, l), nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: send %s: %w", id, err)
	}
	now := e.now()
	switch m.State {
	case StateScheduled:
	case StateScheduledForResend:
		if m.NextAttempt.After(now) {
			return retryIn(m.NextAttempt.Sub(now)), nil
		}
	case StateSubmitted: // an attempt crashed (or lost its lease) after it began
		return e.failAttempt(ctx, t, m, "EBMS:0005", "attempt interrupted")
	case StateWaitingForReceipt:
		return e.kvittensTimeout(ctx, m)
	default: // finished: nothing to send
		return done, nil
	}
	kind := OutboundKind(m.Meta[metaKind])
	m, err = e.transition(ctx, TransitionRequest{MessageKey: k, From: m.State, To: StateSubmitted, At: now,
		Mutate: func(n *OutboundMessage) {
			n.Attempts++
			if n.Meta == nil {
				n.Meta = map[string]string{}
			}
			if n.Meta[metaFirst] == "" {
				n.Meta[metaFirst] = now.UTC().Format(time.RFC3339Nano)
			}
		}})
	if err != nil {
		return outcome{}, fmt.Errorf("msh: send %s: %w", id, err)
	}
	log := e.log.With("tenant", t.cfg.ID, "messageId", id, "kind", kind, "recipient", m.Recipient, "attempt", m.Attempts)

	res, err := e.o.Discovery.Lookup(ctx, participantID(m.Recipient), documentID(kind))
	if notRegistered(err) {
		log.WarnContext(ctx, "recipient not found", "err", err)
		_, err := e.finish(ctx, m, StateError, "recipient-not-found", "")
		return done, err
	}
	if err != nil {
		log.WarnContext(ctx, "recipient lookup failed", "err", err)
		return e.failAttempt(ctx, t, m, "EBMS:0005", "lookup failed")
	}
	if _, err := t.cfg.APTrust.Verify(res.APCertificate, nil, trust.Signing); err != nil {
		// The SMP's AP certificate gets the checks a signer's gets, revocation included
		// (TenantConfig.APTrust's CRLs): nothing is encrypted for a revoked AP. Retried,
		// since a CRL that cannot be fetched now may be fetched later.
		log.WarnContext(ctx, "recipient AP certificate not trusted", "err", err)
		return e.failAttempt(ctx, t, m, string(ebms.FailedAuthentication), "recipient AP certificate not trusted")
	}
	peer := func(ev *audit.Event) { // the receiving AP, for the audit trail
		ev.FromAP, ev.ToAP, ev.APCert = t.cfg.APPartyID, res.APCertificate.Subject.CommonName, certFingerprint(res.APCertificate)
	}
	if kind == KindMessage && t.cfg.O2OTrust != nil {
		// The recipient's CertPub certificate must chain to the O2O CA and be valid now
		// (spec-facts §j): a message sealed for an expired key is not sent (ERROR).
		cert, err := encryptionCert(res)
		if err == nil {
			_, err = t.cfg.O2OTrust.Verify(cert, nil, trust.Encryption)
		}
		if err != nil {
			log.WarnContext(ctx, "recipient O2O certificate not valid", "err", err)
			_, err := e.finish(ctx, m, StateError, reasonRecipientCertificate, "", peer)
			return done, err
		}
	}
	if len(m.PayloadNames) != 1 {
		return outcome{}, fmt.Errorf("msh: send %s: %d payloads: %w", id, len(m.PayloadNames), ErrInvalid)
	}
	x, err := e.readPayload(ctx, t.cfg.ID, m.PayloadNames[0])
	if err != nil {
		return outcome{}, fmt.Errorf("msh: send %s: %w", id, err)
	}
	leg := legOf(kind)
	um := leg.UserMessage(t.cfg.APPartyID, res.APCertificate.Subject.CommonName, // To = receiving AP's CN (⚠U spec-facts §k 14)
		m.ConversationID, t.cfg.Participant, m.Recipient)
	um.Info.MessageID = id // AS4 MessageId = SDK messageId (⚠U spec-facts §k 13)
	um.Info.RefToMessageID = m.Meta[metaRefTo]
	packer := &as4.Packer{Profile: t.profile, Sender: as4.Sender{Key: t.cfg.AS4Key, Cert: t.cfg.AS4Cert},
		Recipient: res.APCertificate, Now: e.o.Clock.Now, NewID: e.o.NewID}
	var wire bytes.Buffer
	ct, sent, err := packer.Pack(&wire, um, []as4.Payload{{ContentID: leg.PayloadCID, MimeType: leg.PayloadMimeType, Data: x}})
	if err != nil {
		log.ErrorContext(ctx, "pack failed", "err", err)
		_, err2 := e.finish(ctx, m, StateError, string(ebmsCode(err)), "pack failed", peer)
		return done, err2
	}
	rct, rbody, err := e.o.Transport.Post(ctx, res.EndpointURL, ct, &wire)
	if err != nil {
		detail := transportFailure(err)
		log.WarnContext(ctx, "no response", "endpoint", res.EndpointURL, "detail", detail, "err", err)
		return e.failAttempt(ctx, t, m, string(ebms.ConnectionFailure), detail, peer)
	}
	// Only the receiving AP's own certificate (from its SMP registration) may sign the
	// receipt or error that decides this message (issue 9: signals from another party are
	// never trusted).
	v := &as4.SignalVerifier{Profile: t.profile, Trust: t.cfg.APTrust, Known: []*x509.Certificate{res.APCertificate}, Peer: res.APCertificate}
	if _, rerr := v.VerifyReceipt(sent, rct, bytes.NewReader(rbody)); rerr == nil {
		next := StateWaitingForReceipt
		reason := ""
		if kind == KindReceipt {
			// A Meddelandekvittens is never answered (spec-facts §d): the AS4 receipt ends it.
			next, reason = StateAccepted, receiptAS4
		}
		m2, err := e.finish(ctx, m, next, reason, "", peer, func(ev *audit.Event) { ev.Receipt = receiptAS4 })
		if err != nil {
			return done, err
		}
		log.InfoContext(ctx, "as4 receipt verified", "state", m2.State)
		if m2.State == StateWaitingForReceipt && e.o.ReceiptTimeout > 0 {
			return retryIn(e.o.ReceiptTimeout), nil // the item comes back to check for the kvittens
		}
		return done, nil
	} else if sig, serr := v.Verify(rct, bytes.NewReader(rbody)); serr == nil && sig.Messaging.SignalMessage != nil && len(sig.Messaging.SignalMessage.Errors) > 0 {
		eb := sig.Messaging.SignalMessage.Errors[0]
		log.WarnContext(ctx, "ebms error signal", "code", eb.Code, "shortName", eb.ShortName)
		_, err := e.finish(ctx, m, StateMessageExchangeError, string(eb.Code), eb.ShortName, peer)
		return done, err
	} else {
		log.WarnContext(ctx, "no valid receipt", "err", rerr)
		return e.failAttempt(ctx, t, m, string(ebmsCode(rerr)), "invalid receipt", peer)
	}
}

// kvittensTimeout moves a message still WAITING_FOR_RECEIPT ReceiptTimeout after its AS4
// receipt to MESSAGE_EXCHANGE_ERROR (no timeout is published: ⚠U spec-facts §k 17).
func (e *Engine) kvittensTimeout(ctx context.Context, m OutboundMessage) (outcome, error) {
	if e.o.ReceiptTimeout <= 0 {
		return done, nil
	}
	now := e.now()
	if due := m.UpdatedAt.Add(e.o.ReceiptTimeout); now.Before(due) {
		return retryIn(due.Sub(now)), nil
	}
	_, err := e.transition(ctx, TransitionRequest{MessageKey: m.MessageKey, From: StateWaitingForReceipt,
		To: StateMessageExchangeError, At: now, Reason: reasonKvittensTimeout})
	if errors.Is(err, ErrConflict) { // the kvittens came meanwhile
		return done, nil
	}
	if err != nil {
		return outcome{}, fmt.Errorf("msh: kvittens timeout %s: %w", m.MessageID, err)
	}
	e.log.WarnContext(ctx, "no kvittens in time", "tenant", m.Tenant, "messageId", m.MessageID, "recipient", m.Recipient)
	return done, nil
}

// reasonRecipientCertificate is the Reason of a message not sent because the recipient's
// O2O certificate is not valid.
const reasonRecipientCertificate = "recipient-certificate-invalid"

// receiptAS4 is the Reason of a kvittens the peer's AP acknowledged, and the audit
// trail's receipt status of a verified AS4 receipt.
const receiptAS4 = "as4-receipt"

// reasonKvittensTimeout is the Reason of a message whose Meddelandekvittens did not come.
const reasonKvittensTimeout = "kvittens-timeout"

// failAttempt records a failed attempt: SCHEDULED_FOR_RESEND at the schedule's next time,
// or MESSAGE_EXCHANGE_ERROR with EBMS:0301 MissingReceipt when the retries are spent.
func (e *Engine) failAttempt(ctx context.Context, t *tenant, m OutboundMessage, code, detail string, with ...func(*audit.Event)) (outcome, error) {
	first, err := time.Parse(time.RFC3339Nano, m.Meta[metaFirst])
	if err != nil {
		first = m.CreatedAt
	}
	attempts := max(m.Attempts, 1)
	state, next := t.retry.AfterFailure(first, attempts)
	now := e.now()
	if state == StateMessageExchangeError {
		_, err := e.finish(ctx, m, StateMessageExchangeError, string(ebms.MissingReceipt), code+" "+detail, with...)
		e.log.WarnContext(ctx, "retries spent", "tenant", t.cfg.ID, "messageId", m.MessageID, "attempts", attempts, "code", ebms.MissingReceipt)
		return done, err
	}
	_, err = e.transition(ctx, TransitionRequest{MessageKey: m.MessageKey, From: StateSubmitted, To: StateScheduledForResend,
		At: now, Reason: code, Mutate: func(n *OutboundMessage) {
			n.NextAttempt = next
			setMeta(n, metaDetail, detail)
		}}, with...)
	if err != nil {
		return outcome{}, fmt.Errorf("msh: send %s: %w", m.MessageID, err)
	}
	return retryIn(next.Sub(now)), nil
}

// finish moves a message from SUBMITTED to a result state. A message that moved on
// meanwhile (a kvittens overtook the AS4 receipt) is left as it is.
func (e *Engine) finish(ctx context.Context, m OutboundMessage, to State, reason, detail string, with ...func(*audit.Event)) (OutboundMessage, error) {
	n, err := e.transition(ctx, TransitionRequest{MessageKey: m.MessageKey, From: StateSubmitted, To: to, At: e.now(),
		Reason: reason, Mutate: func(n *OutboundMessage) { setMeta(n, metaDetail, detail) }}, with...)
	if errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidTransition) {
		cur, gerr := e.o.Store.GetOutbound(ctx, m.MessageKey)
		if gerr == nil && (cur.State == StateAccepted || cur.State == StateRejected) {
			return cur, nil
		}
	}
	if err != nil {
		return OutboundMessage{}, fmt.Errorf("msh: send %s → %s: %w", m.MessageID, to, err)
	}
	return n, nil
}

func setMeta(n *OutboundMessage, k, v string) {
	if n.Meta == nil {
		n.Meta = map[string]string{}
	}
	if v == "" {
		delete(n.Meta, k)
		return
	}
	n.Meta[k] = v
}

// notRegistered reports whether a lookup found that the participant cannot receive the
// document: not in the SML/SMP, or no endpoint for the document type and transport
// profile. Other lookup failures (network, signatures) are retried.
func notRegistered(err error) bool {
	return errors.Is(err, discovery.ErrNotFound) || errors.Is(err, discovery.ErrNoEndpoint)
}

// transportFailure names, for the outbox detail a user reads beside EBMS:0005, why a
// Transport.Post gave no answer: the TLS verdict on the peer's certificate, a refused
// connection, a timeout. Anything else is "no response". The text never carries the
// peer's own words.
func transportFailure(err error) string {
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return "TLS: the access point's certificate has expired or is not yet valid"
	case errors.As(err, &invalid):
		return "TLS: the access point's certificate is not valid"
	case errors.As(err, &unknown):
		return "TLS: the access point's certificate is from an unknown authority"
	case errors.As(err, &host):
		return "TLS: the access point's certificate does not name its host"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &timeout) && timeout.Timeout():
		return "no response: timeout"
	}
	return "no response"
}
