package msh

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/pmode"
	"github.com/brevduva/brevduva/core/smp"
	"github.com/brevduva/brevduva/core/trust"
)

// This file is the access point engine's API: one Engine serves every tenant (an SDK
// participant with its own AP certificate and AS4 endpoint) over the ports of this package.
//
//   - Receive is the C3 side of one AS4 exchange (eDelivery AS4 1.15; AS4 Profile §5.1.8
//     receipts; ebMS 3.0 Core §6 errors), following the receive-path ordering of the
//     package doc.
//   - Submit is the SDK API's sendMessage (spec-facts §i); the worker (RunOnce, Run) sends
//     with reception awareness (the PMode retry schedule, EBMS:0301 after the last retry).
//   - The worker also delivers received messages as the MT (C4): it opens the XHE
//     ([CONTENT] §5.3, spec-facts §a.3), puts the SDK message into the mailbox of its
//     function address and sends the Meddelandekvittens back (spec-facts §d).

// Errors of the engine API. Each is wrapped with context; callers test with errors.Is.
var (
	// ErrUnknownTenant: no tenant with that id is configured.
	ErrUnknownTenant = errors.New("msh: unknown tenant")
	// ErrRecipientNotFound: discovery found no such participant, document type or O2O
	// certificate for the recipient of a submission.
	ErrRecipientNotFound = errors.New("msh: recipient not found")
	// ErrNotDeletable: the outbound message is in a state that may not be deleted.
	ErrNotDeletable = errors.New("msh: message cannot be deleted in its state")
	// ErrNotImplemented: the store lacks an optional ability the call needs
	// (OutboxLister for ListOutbound, OutboxDeleter for DeleteOutbound).
	ErrNotImplemented = errors.New("msh: not implemented")
)

// TenantConfig is one tenant: an SDK participant behind this access point.
type TenantConfig struct {
	ID          string        // tenant id (storage scope, ValidateTenant)
	Participant string        // "0203:kommun-a.se" (iso6523-actorid-upis value, spec-facts §a.2)
	APPartyID   string        // this AP's PartyId: the CN of the AP certificate (spec-facts §a.1)
	Profile     pmode.Profile // the AS4 profile; zero value = pmode.EDelivery115()

	// AS4 layer: the AP certificate and its keys (signing, and decrypting received messages).
	AS4Key       crypto.Signer
	AS4Decrypter crypto.Decrypter
	AS4Cert      *x509.Certificate

	// O2O layer: the organisation's certificate and keys. A nil O2OKey is end-to-end mode:
	// the browser seals and opens, the engine only forwards and checks signatures.
	O2OKey       crypto.Signer
	O2ODecrypter crypto.Decrypter
	O2OCert      *x509.Certificate

	APTrust  *trust.Store // peer AP certificates (AS4 layer); required
	O2OTrust *trust.Store // optional chain check of CertPub certificates

	// FunctionAddresses are the mailboxes this tenant's MT accepts (XHE HandlingServiceID).
	FunctionAddresses []string
}

// Discoverer finds a participant's AP and O2O certificates for one document type
// (core/discovery.Discovery fits). The engine passes participants as smp.Identifier
// {Scheme: "iso6523-actorid-upis", Value: "0203:…"} and documents as {Scheme:
// "busdox-docid-qns", Value: smp.DocumentSDKMessage or the receipt's document id}. A
// participant or document that does not exist must wrap discovery.ErrNotFound (or
// discovery.ErrNoEndpoint when the document has no endpoint for the transport profile).
type Discoverer interface {
	Lookup(ctx context.Context, participant, document smp.Identifier) (*discovery.Result, error)
}

var _ Discoverer = (*discovery.Discovery)(nil)

// Transport posts one AS4 message to a peer AP (mTLS in infra/httpx). An error means no
// usable response (the engine retries); a response of any HTTP status is returned with
// its body.
type Transport interface {
	Post(ctx context.Context, endpointURL, contentType string, body io.Reader) (respContentType string, respBody []byte, err error)
}

// EngineOptions configures NewEngine. Store, Payloads, Guard, Queue, Mailbox, Clock,
// Discovery and Transport are required.
type EngineOptions struct {
	Tenants   []TenantConfig
	Store     MessageStore
	Payloads  PayloadStore
	Guard     DuplicateGuard
	Queue     OutboundQueue
	Mailbox   Mailbox
	Clock     Clock
	Discovery Discoverer
	Transport Transport
	Logger    *slog.Logger  // nil: discard
	NewID     func() string // message, receipt and attempt ids; nil: random UUIDs
	// Audit, if set, records every message event in the audit trail (Auditor).
	Audit Auditor

	// Retry overrides the PMode reception-awareness schedule (zero: the profile's, else
	// "12;4;CONSTANT", spec-facts §k 18).
	Retry *RetryPolicy
	// DuplicateWindow is how long received MessageIds are remembered (0: 7 days).
	DuplicateWindow time.Duration
	// Lease is the queue visibility of one work item (0: 5 minutes).
	Lease time.Duration
	// Grace is how long a send item whose record does not exist yet is retried before it
	// is dropped (package doc, the send path; 0: 2 minutes).
	Grace time.Duration
	// ErrorDelay is how long a work item waits after a store or lookup failure before it
	// is tried again (0: 10 s). Fault tests shorten it.
	ErrorDelay time.Duration
	// ReceiptTimeout moves WAITING_FOR_RECEIPT to MESSAGE_EXCHANGE_ERROR (Reason
	// "kvittens-timeout") when no Meddelandekvittens came that long after the AS4 receipt
	// (⚠U spec-facts §k 17; 0: wait for ever).
	ReceiptTimeout time.Duration
	// PollInterval is how long Run's workers sleep when a tenant's queue is empty (0: 1 s).
	PollInterval time.Duration
	// Workers is the number of Run workers per tenant (0: 2).
	Workers int
	// SenderDomain is what delivery does when From/PartyId and originalSender differ in
	// top domain (zero: log only, ⚠U spec-facts §k 22).
	SenderDomain SenderDomainCheck
}

// AS4Response is the synchronous answer to an inbound AS4 exchange: what the HTTP layer
// writes back (a signed receipt, or a signed ebMS error signal).
type AS4Response struct {
	Status      int
	ContentType string
	Body        []byte
}

// Submission is one SDK API sendMessage. Exactly one of XHE and Message is set.
type Submission struct {
	// XHE is an already sealed and signed XHE (end-to-end mode: the browser sealed it).
	XHE []byte
	// Message is a plain SDK message (MessageWithAttachments v3 XML), sealed by the engine
	// with the tenant's O2O key after a CertPub lookup of the recipient.
	Message []byte
}

// OutboundKind says what an outbound message carries.
type OutboundKind string

// Outbound kinds.
const (
	KindMessage OutboundKind = "message" // an SDK message (messageWithAttachment_v3 leg)
	KindReceipt OutboundKind = "receipt" // a Meddelandekvittens (messageReceipt leg)
)

// Outbound is the API view of an outbox entry.
type Outbound struct {
	MessageID       string // AS4 MessageId = SDK messageId (spec-facts §k 13)
	ConversationID  string
	RefToMessageID  string // for a receipt: the acknowledged message
	Sender          string // 0203:…
	Recipient       string // 0203:…
	FunctionAddress string // the recipient's function address (XHE HandlingServiceID)
	Label           string // SDK label (empty in end-to-end mode)
	Kind            OutboundKind
	State           State
	// Reason is the latest failure or rejection: an ebMS error code ("EBMS:0301"
	// MissingReceipt after the last retry, "EBMS:0005" for a failed attempt, the code of a
	// peer's error signal), the kvittens orsakskod ("SV", "BV", "SIG") of a REJECTED,
	// "recipient-not-found" or "recipient-certificate-invalid" (ERROR: the recipient's
	// CertPub certificate fails TenantConfig.O2OTrust, e.g. expired), "kvittens-timeout",
	// or "as4-receipt" (a kvittens the peer's AP acknowledged).
	Reason string
	// Detail is the kvittens detail code ("not-found", "security" …) or a short failure
	// description; never message content.
	Detail      string
	Attempts    int
	NextAttempt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	History     []Event
}

// OutboundFilter selects outbound messages for ListOutbound (the SDK API's
// getMessageByFilter). Empty fields match everything.
type OutboundFilter struct {
	State  State
	Cursor string // "" for the first page, else OutboundList.Next
	Limit  int    // 0: DefaultListLimit
}

// OutboundList is one page of outbound messages (SDK messages only, not the MT's
// kvittens), in the store's stable order (OutboxLister). A page may hold fewer than Limit
// items while Next is set.
type OutboundList struct {
	Items []*Outbound
	Next  string
}

// Mail is a message delivered to a function address's mailbox.
type Mail struct {
	MessageID       string
	FunctionAddress string
	ConversationID  string
	Sender          string // 0203:…
	Recipient       string // 0203:…
	Label           string // SDK label; empty when Sealed
	Confidential    bool   // SDK confidentiality; false when Sealed (unknown)
	// Sealed is true in end-to-end mode: Body is the XHE as received, still encrypted.
	Sealed bool
	// ContentType of Body: "text/xml" (the SDK message, or the sealed XHE).
	ContentType string
	DeliveredAt time.Time
	ReadAt      time.Time
	// Body is the SDK message XML byte for byte as the sender sealed it (or the sealed
	// XHE). Only GetMail fills it.
	Body []byte
}

// MailFilter pages a mailbox.
type MailFilter struct {
	Cursor string
	Limit  int
}

// MailList is one page of a mailbox in delivery order.
type MailList struct {
	Items []*Mail
	Next  string
}

// Engine is the access point: AS4 receive, send with reception awareness, MT delivery and
// Meddelandekvittens handling for every configured tenant. It is safe for concurrent use.
type Engine struct {
	o             EngineOptions
	log           *slog.Logger
	tenants       map[string]*tenant
	auditFailures atomic.Uint64
}

// NewEngine checks o and returns an engine.
func NewEngine(o EngineOptions) (*Engine, error) {
	return newEngine(o)
}

// Receive handles one inbound AS4 exchange addressed to tenant's AP: it verifies and
// stores the message durably, enqueues its delivery and returns the signed receipt to
// write (HTTP 200). A duplicate MessageId gets the stored receipt again and is never
// delivered twice. A failure gets a signed ebMS error signal (with the public detail only).
// The error is non-nil only when no response can be given at all (unknown tenant, a store
// failure: the HTTP layer answers 5xx and the peer retries).
func (e *Engine) Receive(ctx context.Context, tenant string, contentType string, body io.Reader) (AS4Response, error) {
	return e.receive(ctx, tenant, contentType, body)
}

// Submit accepts an SDK API submission for tenant and returns the new outbox entry
// (SCHEDULED). A malformed submission is ErrInvalid (wrapping a *kvittens.Rejection when
// the SDK message or XHE failed validation); a Message whose recipient has no O2O
// certificate is ErrRecipientNotFound; a MessageId already submitted is ErrDuplicate.
func (e *Engine) Submit(ctx context.Context, tenant string, s Submission) (*Outbound, error) {
	return e.submit(ctx, tenant, s)
}

// Outbound returns one outbox entry of tenant, or ErrNotFound.
func (e *Engine) Outbound(ctx context.Context, tenant, messageID string) (*Outbound, error) {
	return e.outbound(ctx, tenant, messageID)
}

// ListOutbound returns one page of tenant's outbox. It needs a Store that implements
// OutboxLister (else ErrNotImplemented).
func (e *Engine) ListOutbound(ctx context.Context, tenant string, f OutboundFilter) (OutboundList, error) {
	return e.listOutbound(ctx, tenant, f)
}

// DeleteOutbound deletes an outbox entry. Only a message that is finished (ACCEPTED,
// REJECTED, ERROR, MESSAGE_EXCHANGE_ERROR) may be deleted, else ErrNotDeletable. It needs a
// Store that implements OutboxDeleter (else ErrNotImplemented).
func (e *Engine) DeleteOutbound(ctx context.Context, tenant, messageID string) error {
	return e.deleteOutbound(ctx, tenant, messageID)
}

// ListMail returns one page of a function address's mailbox (without bodies).
func (e *Engine) ListMail(ctx context.Context, tenant, address string, f MailFilter) (MailList, error) {
	return e.listMail(ctx, tenant, address, f)
}

// GetMail returns one delivered message with its Body, or ErrNotFound.
func (e *Engine) GetMail(ctx context.Context, tenant, address, messageID string) (*Mail, error) {
	return e.getMail(ctx, tenant, address, messageID)
}

// MarkRead marks a delivered message read (the first read time wins) and returns it
// without its Body.
func (e *Engine) MarkRead(ctx context.Context, tenant, address, messageID string) (*Mail, error) {
	return e.markRead(ctx, tenant, address, messageID)
}

// RunOnce leases one work item of tenant's queue (a send or a delivery) and processes it.
// worked is false when no item was due.
func (e *Engine) RunOnce(ctx context.Context, tenant string) (worked bool, err error) {
	return e.runOnce(ctx, tenant)
}

// Run runs workers for every tenant until ctx is done, then returns ctx's error.
func (e *Engine) Run(ctx context.Context) error {
	return e.run(ctx)
}

// Tenant returns the configuration of a tenant, or ErrUnknownTenant.
func (e *Engine) Tenant(id string) (TenantConfig, error) {
	t, err := e.tenant(id)
	if err != nil {
		return TenantConfig{}, err
	}
	return t.cfg, nil
}

func (e *Engine) tenant(id string) (*tenant, error) {
	t, ok := e.tenants[id]
	if !ok {
		return nil, fmt.Errorf("msh: tenant %q: %w", id, ErrUnknownTenant)
	}
	return t, nil
}
