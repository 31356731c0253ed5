package msh

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/brevduva/brevduva/core/as4"
	"github.com/brevduva/brevduva/core/ebms"
	"github.com/brevduva/brevduva/core/o2o"
	"github.com/brevduva/brevduva/core/pmode"
)

// Defaults of EngineOptions.
const (
	defaultDuplicateWindow = 7 * 24 * time.Hour
	defaultLease           = 5 * time.Minute
	defaultGrace           = 2 * time.Minute
	defaultPoll            = time.Second
	defaultWorkers         = 2
	// graceDelay caps the Nack delay of a work item whose record is not written yet; the
	// delay starts at minGraceDelay and grows with the item's age, so that the common case
	// (the writer is a few milliseconds from PutInbound/CreateOutbound) costs no latency.
	graceDelay    = 5 * time.Second
	minGraceDelay = 20 * time.Millisecond
	// defaultErrorDelay is the Nack delay after a store or lookup failure.
	defaultErrorDelay = 10 * time.Second
	// maxWireID caps the MessageIds the engine accepts: queue item ids add a prefix.
	maxWireID = MaxIDBytes - 16
)

// Meta keys of the records the engine writes.
const (
	metaKind     = "kind"     // OutboundKind
	metaFunction = "function" // recipient function address (HandlingServiceID)
	metaLabel    = "label"    // SDK label
	metaRefTo    = "refTo"    // receipt: the acknowledged message's id
	metaDetail   = "detail"   // kvittens detail code or failure text
	metaFirst    = "first"    // first send attempt (RFC 3339)
	metaRefs     = "refs"     // inbound: digest of the received ds:References
	metaAS4ID    = "as4"      // mail: the AS4 MessageId it came in
	metaConf     = "confidential"
	metaSealed   = "sealed"
)

// Work item id prefixes: one queue per tenant carries both kinds of work.
const (
	itemSend    = "send:"
	itemDeliver = "deliver:"
)

type tenant struct {
	cfg     TenantConfig
	profile pmode.Profile
	retry   RetryPolicy
	o2o     o2o.Profile
	signals *as4.SignalBuilder
}

func newEngine(o EngineOptions) (*Engine, error) {
	switch {
	case o.Store == nil, o.Payloads == nil, o.Guard == nil, o.Queue == nil, o.Mailbox == nil:
		return nil, fmt.Errorf("msh: engine: store, payloads, guard, queue and mailbox are required: %w", ErrInvalid)
	case o.Clock == nil, o.Discovery == nil, o.Transport == nil:
		return nil, fmt.Errorf("msh: engine: clock, discovery and transport are required: %w", ErrInvalid)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.NewID == nil {
		o.NewID = randomUUID
	}
	if o.DuplicateWindow <= 0 {
		o.DuplicateWindow = defaultDuplicateWindow
	}
	if o.Lease <= 0 {
		o.Lease = defaultLease
	}
	if o.Grace <= 0 {
		o.Grace = defaultGrace
	}
	if o.ErrorDelay <= 0 {
		o.ErrorDelay = defaultErrorDelay
	}
	if o.PollInterval <= 0 {
		o.PollInterval = defaultPoll
	}
	if o.Workers <= 0 {
		o.Workers = defaultWorkers
	}
	e := &Engine{o: o, log: o.Logger, tenants: map[string]*tenant{}}
	for _, c := range o.Tenants {
		t, err := e.newTenant(c)
		if err != nil {
			return nil, err
		}
		if _, dup := e.tenants[c.ID]; dup {
			return nil, fmt.Errorf("msh: engine: tenant %q twice: %w", c.ID, ErrInvalid)
		}
		e.tenants[c.ID] = t
	}
	return e, nil
}

func (e *Engine) newTenant(c TenantConfig) (*tenant, error) {
	if err := ValidateTenant(c.ID); err != nil {
		return nil, fmt.Errorf("msh: engine: %w", err)
	}
	if c.Participant == "" || c.APPartyID == "" || c.AS4Key == nil || c.AS4Decrypter == nil || c.AS4Cert == nil || c.APTrust == nil {
		return nil, fmt.Errorf("msh: engine: tenant %q: participant, AP party id, AS4 key, decrypter, certificate and AP trust are required: %w", c.ID, ErrInvalid)
	}
	if c.O2OKey != nil && (c.O2ODecrypter == nil || c.O2OCert == nil) {
		return nil, fmt.Errorf("msh: engine: tenant %q: an O2O key needs its decrypter and certificate: %w", c.ID, ErrInvalid)
	}
	for _, a := range c.FunctionAddresses {
		if err := ValidateID("function address", a); err != nil {
			return nil, fmt.Errorf("msh: engine: tenant %q: %w", c.ID, err)
		}
	}
	p := c.Profile
	if p.ID == "" {
		p = pmode.EDelivery115()
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("msh: engine: tenant %q: %w", c.ID, err)
	}
	retry, err := e.retryPolicy(p)
	if err != nil {
		return nil, fmt.Errorf("msh: engine: tenant %q: %w", c.ID, err)
	}
	return &tenant{
		cfg: c, profile: p, retry: retry, o2o: o2o.DIGGProfile(),
		signals: &as4.SignalBuilder{Profile: p, Sender: as4.Sender{Key: c.AS4Key, Cert: c.AS4Cert}, Now: e.o.Clock.Now, NewID: e.o.NewID},
	}, nil
}

// retryPolicy is the reception-awareness schedule: EngineOptions.Retry, else the
// profile's, else DIGG's sample "12;4;CONSTANT" (spec-facts §k 18).
func (e *Engine) retryPolicy(p pmode.Profile) (RetryPolicy, error) {
	if e.o.Retry != nil {
		return *e.o.Retry, e.o.Retry.Validate()
	}
	if r := p.Reliability.Retry; r.Strategy != "" {
		rp := RetryPolicy{Timeout: r.Timeout, Retries: r.Count, Strategy: RetryStrategy(r.Strategy)}
		return rp, rp.Validate()
	}
	return ParseRetry(pmode.DIGGRetry)
}

func (e *Engine) now() time.Time { return e.o.Clock.Now() }

// randomUUID returns a random (version 4) UUID.
func randomUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// sameParticipant compares participant ids lower-cased (⚠U spec-facts §k 21).
func sameParticipant(a, b string) bool { return strings.EqualFold(a, b) }

// putPayload stores data under a fresh per-attempt name (package doc, the receive path).
func (e *Engine) putPayload(ctx context.Context, tenant, prefix, id string, data []byte) (string, error) {
	name := prefix + "/" + id + "/" + e.o.NewID()
	if _, err := e.o.Payloads.PutPayload(ctx, PutPayloadRequest{PayloadKey: PayloadKey{Tenant: tenant, Name: name}, Limit: int64(o2o.MaxXHEBytes)}, bytes.NewReader(data)); err != nil {
		return "", fmt.Errorf("msh: put payload: %w", err)
	}
	return name, nil
}

func (e *Engine) readPayload(ctx context.Context, tenant, name string) ([]byte, error) {
	rc, _, err := e.o.Payloads.OpenPayload(ctx, PayloadKey{Tenant: tenant, Name: name})
	if err != nil {
		return nil, fmt.Errorf("msh: open payload: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(o2o.MaxXHEBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("msh: read payload: %w", err)
	}
	return b, nil
}

// --- outbox views -------------------------------------------------------------------

func outboundView(m OutboundMessage) *Outbound {
	kind := OutboundKind(m.Meta[metaKind])
	if kind == "" {
		kind = KindMessage
	}
	return &Outbound{
		MessageID: m.MessageID, ConversationID: m.ConversationID, RefToMessageID: m.Meta[metaRefTo],
		Sender: m.Sender, Recipient: m.Recipient, FunctionAddress: m.Meta[metaFunction], Label: m.Meta[metaLabel],
		Kind: kind, State: m.State, Reason: m.Reason, Detail: m.Meta[metaDetail], Attempts: m.Attempts,
		NextAttempt: m.NextAttempt, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt, History: slices.Clone(m.History),
	}
}

func (e *Engine) outbound(ctx context.Context, tid, messageID string) (*Outbound, error) {
	if _, err := e.tenant(tid); err != nil {
		return nil, err
	}
	m, err := e.o.Store.GetOutbound(ctx, MessageKey{Tenant: tid, MessageID: messageID})
	if err != nil {
		return nil, fmt.Errorf("msh: outbound %s: %w", messageID, err)
	}
	return outboundView(m), nil
}

func (e *Engine) listOutbound(ctx context.Context, tid string, f OutboundFilter) (OutboundList, error) {
	if _, err := e.tenant(tid); err != nil {
		return OutboundList{}, err
	}
	l, ok := e.o.Store.(OutboxLister)
	if !ok {
		return OutboundList{}, fmt.Errorf("msh: list outbound: the store cannot list: %w", ErrNotImplemented)
	}
	p, err := l.ListOutbound(ctx, ListOutboundRequest{Tenant: tid, State: f.State, Cursor: f.Cursor, Limit: f.Limit})
	if err != nil {
		return OutboundList{}, fmt.Errorf("msh: list outbound: %w", err)
	}
	out := OutboundList{Items: []*Outbound{}, Next: p.Next}
	for _, m := range p.Items {
		if v := outboundView(m); v.Kind == KindMessage { // receipts are the MT's own traffic
			out.Items = append(out.Items, v)
		}
	}
	return out, nil
}

// deletable: a message that is finished (spec-facts §i: "some statuses only").
func deletable(s State) bool {
	return s == StateAccepted || s == StateRejected || s == StateError || s == StateMessageExchangeError
}

func (e *Engine) deleteOutbound(ctx context.Context, tid, messageID string) error {
	if _, err := e.tenant(tid); err != nil {
		return err
	}
	d, ok := e.o.Store.(OutboxDeleter)
	if !ok {
		return fmt.Errorf("msh: delete outbound: the store cannot delete: %w", ErrNotImplemented)
	}
	k := MessageKey{Tenant: tid, MessageID: messageID}
	m, err := e.o.Store.GetOutbound(ctx, k)
	if err != nil {
		return fmt.Errorf("msh: delete outbound %s: %w", messageID, err)
	}
	if !deletable(m.State) {
		return fmt.Errorf("msh: delete outbound %s in %s: %w", messageID, m.State, ErrNotDeletable)
	}
	if err := d.DeleteOutbound(ctx, k, m.Version); err != nil {
		return fmt.Errorf("msh: delete outbound %s: %w", messageID, err)
	}
	if pd, ok := e.o.Payloads.(PayloadDeleter); ok {
		for _, n := range m.PayloadNames {
			if err := pd.DeletePayload(ctx, PayloadKey{Tenant: tid, Name: n}); err != nil && !errors.Is(err, ErrNotFound) {
				e.log.WarnContext(ctx, "delete outbound payload", "tenant", tid, "messageId", messageID, "err", err)
			}
		}
	}
	e.log.InfoContext(ctx, "outbound deleted", "tenant", tid, "messageId", messageID, "state", m.State)
	return nil
}

// --- mailbox views ------------------------------------------------------------------

func mailView(m MailItem) *Mail {
	return &Mail{
		MessageID: m.MessageID, FunctionAddress: m.Address, ConversationID: m.ConversationID,
		Sender: m.Sender, Recipient: m.Recipient, Label: m.Label,
		Confidential: m.Meta[metaConf] == "true", Sealed: m.Meta[metaSealed] == "true",
		ContentType: "text/xml", DeliveredAt: m.DeliveredAt, ReadAt: m.ReadAt,
	}
}

func (e *Engine) listMail(ctx context.Context, tid, address string, f MailFilter) (MailList, error) {
	if _, err := e.tenant(tid); err != nil {
		return MailList{}, err
	}
	p, err := e.o.Mailbox.ListMail(ctx, ListMailRequest{Tenant: tid, Address: address, Cursor: f.Cursor, Limit: f.Limit})
	if err != nil {
		return MailList{}, fmt.Errorf("msh: list mail: %w", err)
	}
	out := MailList{Items: make([]*Mail, 0, len(p.Items)), Next: p.Next}
	for _, m := range p.Items {
		out.Items = append(out.Items, mailView(m))
	}
	return out, nil
}

func (e *Engine) getMail(ctx context.Context, tid, address, messageID string) (*Mail, error) {
	if _, err := e.tenant(tid); err != nil {
		return nil, err
	}
	m, err := e.o.Mailbox.GetMail(ctx, MailKey{Tenant: tid, Address: address, MessageID: messageID})
	if err != nil {
		return nil, fmt.Errorf("msh: get mail %s: %w", messageID, err)
	}
	v := mailView(m)
	if len(m.PayloadNames) != 1 {
		return nil, fmt.Errorf("msh: get mail %s: %d payloads, want 1: %w", messageID, len(m.PayloadNames), ErrInvalid)
	}
	if v.Body, err = e.readPayload(ctx, tid, m.PayloadNames[0]); err != nil {
		return nil, fmt.Errorf("msh: get mail %s: %w", messageID, err)
	}
	return v, nil
}

func (e *Engine) markRead(ctx context.Context, tid, address, messageID string) (*Mail, error) {
	if _, err := e.tenant(tid); err != nil {
		return nil, err
	}
	m, err := e.o.Mailbox.MarkRead(ctx, MarkReadRequest{MailKey: MailKey{Tenant: tid, Address: address, MessageID: messageID}, At: e.now()})
	if err != nil {
		return nil, fmt.Errorf("msh: mark read %s: %w", messageID, err)
	}
	return mailView(m), nil
}

// --- worker -------------------------------------------------------------------------

// outcome is what a handler wants done with its lease.
type outcome struct {
	ack   bool
	delay time.Duration // Nack delay when !ack
}

var (
	done = outcome{ack: true}
)

func retryIn(d time.Duration) outcome { return outcome{delay: max(d, 0)} }

func (e *Engine) runOnce(ctx context.Context, tid string) (bool, error) {
	t, err := e.tenant(tid)
	if err != nil {
		return false, err
	}
	l, err := e.o.Queue.Lease(ctx, LeaseRequest{Tenant: tid, Visibility: e.o.Lease})
	if errors.Is(err, ErrEmpty) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("msh: lease: %w", err)
	}
	var out outcome
	switch id := l.Item.ID; {
	case strings.HasPrefix(id, itemSend):
		out, err = e.send(ctx, t, l, strings.TrimPrefix(id, itemSend))
	case strings.HasPrefix(id, itemDeliver):
		out, err = e.deliver(ctx, t, l, strings.TrimPrefix(id, itemDeliver))
	default:
		e.log.ErrorContext(ctx, "unknown work item dropped", "tenant", tid, "item", id)
		out = done
	}
	if err != nil {
		out = retryIn(e.o.ErrorDelay)
		e.log.ErrorContext(ctx, "work item failed", "tenant", tid, "item", l.Item.ID, "attempt", l.Attempt, "err", err)
	}
	ref := LeaseRef{Tenant: tid, Handle: l.Handle}
	var qerr error
	if out.ack {
		qerr = e.o.Queue.Ack(ctx, ref)
	} else {
		qerr = e.o.Queue.Nack(ctx, NackRequest{LeaseRef: ref, Delay: out.delay})
	}
	if qerr != nil {
		// The item comes back when its lease expires; every step is idempotent.
		return true, errors.Join(err, fmt.Errorf("msh: settle lease: %w", qerr))
	}
	return true, err
}

// orphan handles a work item whose record does not exist: the writer enqueued it and has
// not written the record yet, or died before writing it (package doc, the send path).
func (e *Engine) orphan(ctx context.Context, t *tenant, l Lease) outcome {
	enq, err := time.Parse(time.RFC3339Nano, string(l.Item.Body))
	if age := e.now().Sub(enq); err == nil && age < e.o.Grace {
		return retryIn(min(graceDelay, max(minGraceDelay, age)))
	}
	e.log.WarnContext(ctx, "work item without a record dropped", "tenant", t.cfg.ID, "item", l.Item.ID)
	return done
}

func (e *Engine) enqueue(ctx context.Context, tid, id string) error {
	now := e.now()
	err := e.o.Queue.Enqueue(ctx, QueueItem{Tenant: tid, ID: id, Body: []byte(now.UTC().Format(time.RFC3339Nano)), NotBefore: now})
	if err != nil && !errors.Is(err, ErrDuplicate) { // a pending item does the same work
		return fmt.Errorf("msh: enqueue %s: %w", id, err)
	}
	return nil
}

func (e *Engine) run(ctx context.Context) error {
	done := make(chan struct{})
	n := 0
	for id := range e.tenants {
		for range e.o.Workers {
			n++
			go func() {
				defer func() { done <- struct{}{} }()
				e.worker(ctx, id)
			}()
		}
	}
	for range n {
		<-done
	}
	return ctx.Err()
}

func (e *Engine) worker(ctx context.Context, tid string) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for ctx.Err() == nil {
		worked, err := e.runOnce(ctx, tid)
		if err != nil && ctx.Err() == nil {
			e.log.ErrorContext(ctx, "worker", "tenant", tid, "err", err)
		}
		if worked && err == nil {
			continue
		}
		timer.Reset(e.o.PollInterval)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
	}
}

// ebmsCode is the ebMS error code of err, or EBMS:0004 Other.
func ebmsCode(err error) ebms.Code {
	if c, ok := ebms.CodeOf(err); ok {
		return c
	}
	return ebms.Other
}
