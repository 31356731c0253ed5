package msh

import (
	"context"
	"io"
)

// InboundStore keeps the AS4 UserMessages this access point accepted, keyed by tenant and
// MessageId. The engine answers with a receipt only after PutInbound returned nil.
type InboundStore interface {
	// PutInbound stores m durably if no message with m's key exists: on return with nil the
	// record survives a crash. If one exists it returns ErrDuplicate and leaves it unchanged.
	// One atomic put-if-absent. ErrInvalid / ErrTooLarge (m.Validate) store nothing.
	PutInbound(ctx context.Context, m InboundMessage) error
	// GetInbound returns the stored message or ErrNotFound.
	GetInbound(ctx context.Context, k MessageKey) (InboundMessage, error)
}

// OutboxStore keeps outbound messages and their state. Changes are compare-and-swap on
// Version; use Transition rather than SwapOutbound to change State.
type OutboxStore interface {
	// CreateOutbound stores m with Version 1 if no outbound message with m's key exists,
	// else ErrDuplicate (unchanged). m.State must be NEW or SCHEDULED (ErrInvalid).
	CreateOutbound(ctx context.Context, m OutboundMessage) error
	// GetOutbound returns the stored message or ErrNotFound.
	GetOutbound(ctx context.Context, k MessageKey) (OutboundMessage, error)
	// SwapOutbound replaces the record named by r.Next if its stored Version equals r.Expect,
	// storing r.Next with Version r.Expect+1, and returns what it stored. A different stored
	// version gives ErrConflict, a missing record ErrNotFound; both change nothing.
	// One atomic conditional write.
	SwapOutbound(ctx context.Context, r SwapRequest) (OutboundMessage, error)
}

// MessageStore is both halves of the message store; local and AWS adapters implement both.
type MessageStore interface {
	InboundStore
	OutboxStore
}

// PayloadStore keeps large blobs (AS4 attachments, sealed SDK messages) by tenant and name,
// streamed in both directions.
type PayloadStore interface {
	// PutPayload streams body into the payload named by r. The put is atomic: until it
	// returns nil no reader sees the payload, and afterwards readers see all of it. It is
	// put-if-absent: a payload already there gives ErrDuplicate and is left unchanged (of
	// concurrent puts of one name exactly one wins). A body longer than r.Limit gives
	// ErrTooLarge and a failing body its error; neither leaves anything visible.
	PutPayload(ctx context.Context, r PutPayloadRequest, body io.Reader) (PayloadInfo, error)
	// OpenPayload returns a reader of the whole payload or ErrNotFound. The caller closes it.
	OpenPayload(ctx context.Context, k PayloadKey) (io.ReadCloser, PayloadInfo, error)
}

// PayloadDeleter is the optional ability to delete a payload (retention). Deleting a
// missing payload gives ErrNotFound.
type PayloadDeleter interface {
	DeletePayload(ctx context.Context, k PayloadKey) error
}

// DuplicateGuard detects duplicate AS4 MessageIds (AS4 duplicate detection).
type DuplicateGuard interface {
	// Register records r.MessageID for r.Tenant until r.Expires and reports whether an
	// unexpired registration already existed (seen = true: the existing one is left as it
	// is). One atomic register-and-check: of concurrent calls for one id exactly one gets
	// seen = false. An expired registration counts as absent. r.Expires not after the
	// adapter clock's now is ErrInvalid.
	Register(ctx context.Context, r GuardRequest) (seen bool, err error)
}

// GuardSweeper is the optional ability to delete up to limit expired registrations of a
// tenant (DynamoDB TTL does this by itself). It returns how many it deleted.
type GuardSweeper interface {
	SweepExpired(ctx context.Context, tenant string, limit int) (int, error)
}

// OutboundQueue is the at-least-once work queue of the sending side, one queue per tenant.
type OutboundQueue interface {
	// Enqueue adds item, due at item.NotBefore. A pending item (not yet acked or
	// dead-lettered) with the same tenant and ID gives ErrDuplicate and stays as it was.
	Enqueue(ctx context.Context, item QueueItem) error
	// Lease returns a due item of r.Tenant and hides it from other leases until
	// now+r.Visibility, or ErrEmpty. An item is never leased by two workers at once while
	// its lease holds. An item whose lease expired is due again (a crashed worker), and
	// every lease counts an attempt; an item leased MaxAttempts times without an Ack is
	// moved to the dead letters instead of being leased again.
	Lease(ctx context.Context, r LeaseRequest) (Lease, error)
	// Ack removes the leased item for good. A handle that is not the item's current lease
	// (acked or nacked already, leased again after it expired, another tenant's, unknown)
	// gives ErrLeaseLost and changes nothing. An expired lease that nobody took over yet
	// may still be acked.
	Ack(ctx context.Context, r LeaseRef) error
	// Nack ends the lease; the item is due again after r.Delay. Errors as for Ack.
	Nack(ctx context.Context, r NackRequest) error
}

// DeadLetters is the optional ability to read a tenant's dead letters, page by page.
type DeadLetters interface {
	ListDead(ctx context.Context, r DeadLetterRequest) (DeadLetterPage, error)
}

// Mailbox holds the messages the MT (C4) delivered to each function address.
type Mailbox interface {
	// Deliver stores m if no item with m's key exists (exactly-once delivery by message id),
	// else ErrDuplicate, unchanged. One atomic put-if-absent.
	Deliver(ctx context.Context, m MailItem) error
	// GetMail returns the item or ErrNotFound.
	GetMail(ctx context.Context, k MailKey) (MailItem, error)
	// ListMail returns one page of an address's items in delivery order. Items delivered
	// while paging appear on a later page or not at all, never twice. A cursor that is not
	// a MailPage.Next of this adapter is ErrInvalid; an unknown address is an empty page.
	ListMail(ctx context.Context, r ListMailRequest) (MailPage, error)
	// MarkRead sets ReadAt to r.At if the item is unread and returns the item; marking a read
	// item again keeps the first ReadAt (idempotent). A missing item is ErrNotFound.
	MarkRead(ctx context.Context, r MarkReadRequest) (MailItem, error)
}

// PayloadKey names a payload.
type PayloadKey struct {
	Tenant string
	Name   string
}

// Validate checks both parts (ErrInvalid).
func (k PayloadKey) Validate() error {
	if err := ValidateTenant(k.Tenant); err != nil {
		return err
	}
	return ValidateID("payload name", k.Name)
}

// PutPayloadRequest names the payload to put and caps its size.
type PutPayloadRequest struct {
	PayloadKey
	Limit int64 // maximum size in bytes; 0 means DefaultPayloadLimit
}

// DefaultPayloadLimit is the payload cap when a request gives none: an SDK message may be
// 30 MB, about 40 MB on the wire (spec-facts §k 19); AS4 allows about 2 GB.
const DefaultPayloadLimit = 64 << 20

// EffectiveLimit is Limit, or DefaultPayloadLimit when Limit is 0.
func (r PutPayloadRequest) EffectiveLimit() int64 {
	if r.Limit <= 0 {
		return DefaultPayloadLimit
	}
	return r.Limit
}

// PayloadInfo describes a stored payload.
type PayloadInfo struct {
	Size   int64
	SHA256 [32]byte // set by PutPayload (computed while streaming); zero from OpenPayload
}

// OutboxLister is the optional ability to list a tenant's outbound messages (the SDK
// API's getMessageByFilter), page by page in an order the adapter keeps stable (the
// in-memory and bbolt adapters: by message id). Messages created while paging appear on
// a later page or not at all, never twice. It reads one tenant's partition (DynamoDB: a
// Query on the tenant, with a state GSI), never the whole table. A cursor that is not an
// OutboundPage.Next of this adapter is ErrInvalid.
type OutboxLister interface {
	ListOutbound(ctx context.Context, r ListOutboundRequest) (OutboundPage, error)
}

// OutboxDeleter is the optional ability to delete an outbound message if its stored
// Version is still expect (ErrConflict otherwise, ErrNotFound when missing).
type OutboxDeleter interface {
	DeleteOutbound(ctx context.Context, k MessageKey, expect int64) error
}

// ListOutboundRequest asks for one page of a tenant's outbox.
type ListOutboundRequest struct {
	Tenant string
	State  State  // "" for every state
	Cursor string // "" for the first page, else OutboundPage.Next of this adapter
	Limit  int    // 0..MaxListLimit; 0 means DefaultListLimit
}

// OutboundPage is one page of an outbox.
type OutboundPage struct {
	Items []OutboundMessage
	Next  string
}
