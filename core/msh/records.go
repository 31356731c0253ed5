package msh

import (
	"fmt"
	"time"
)

// InboundMessage is an AS4 UserMessage accepted by this access point (C3): the ebMS header
// facts, where its payloads were stored, and the signed receipt that was returned, so that a
// duplicate is answered with the same receipt (AS4 1.15 reception awareness).
type InboundMessage struct {
	MessageKey
	ConversationID string
	RefToMessageID string
	FromParty      string // sending AP (eb:From/PartyId)
	ToParty        string // this AP
	OriginalSender string // 0203:… (four-corner property)
	FinalRecipient string // 0203:…
	Service        string
	Action         string
	ReceivedAt     time.Time
	PayloadNames   []string // PayloadStore names, in PartInfo order
	Receipt        []byte   // the signed eb:Receipt signal message (raw SOAP envelope)
	Meta           map[string]string
}

// Size is the record's approximate encoded size, checked against MaxRecordBytes.
func (m InboundMessage) Size() int {
	return 128 + len(m.Tenant) + len(m.MessageID) + len(m.ConversationID) + len(m.RefToMessageID) +
		len(m.FromParty) + len(m.ToParty) + len(m.OriginalSender) + len(m.FinalRecipient) +
		len(m.Service) + len(m.Action) + stringsSize(m.PayloadNames) + len(m.Receipt)*4/3 + metaSize(m.Meta)
}

// Validate checks the key, the payload names and the size.
func (m InboundMessage) Validate() error {
	if err := m.MessageKey.Validate(); err != nil {
		return err
	}
	for _, n := range m.PayloadNames {
		if err := ValidateID("payload name", n); err != nil {
			return err
		}
	}
	return checkSize("inbound message", m.Size())
}

// Event is one entry of an outbound message's history (the SDK API's events).
type Event struct {
	State  State
	At     time.Time
	Reason string
}

// MaxHistory caps OutboundMessage.History; older events are dropped first.
const MaxHistory = 32

// OutboundMessage is an outbox entry: a message this tenant sends, its state, and the
// version that every change compares and swaps (SwapOutbound).
type OutboundMessage struct {
	MessageKey
	ConversationID string
	Sender         string // 0203:… (SDK API sender)
	Recipient      string // 0203:… (SDK API recipient)
	State          State
	Version        int64 // 1 on creation, +1 on every swap; set by the store
	Attempts       int   // AS4 send attempts started
	NextAttempt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Reason         string // last failure or rejection reason (no message content)
	PayloadNames   []string
	History        []Event
	Meta           map[string]string
}

// Size is the record's approximate encoded size, checked against MaxRecordBytes.
func (m OutboundMessage) Size() int {
	n := 160 + len(m.Tenant) + len(m.MessageID) + len(m.ConversationID) + len(m.Sender) +
		len(m.Recipient) + len(m.State) + len(m.Reason) + stringsSize(m.PayloadNames) + metaSize(m.Meta)
	for _, e := range m.History {
		n += 48 + len(e.State) + len(e.Reason)
	}
	return n
}

// Validate checks the key, the state, the payload names and the size.
func (m OutboundMessage) Validate() error {
	if err := m.MessageKey.Validate(); err != nil {
		return err
	}
	if err := checkState(m.State); err != nil {
		return err
	}
	for _, n := range m.PayloadNames {
		if err := ValidateID("payload name", n); err != nil {
			return err
		}
	}
	if len(m.History) > MaxHistory {
		return fmt.Errorf("msh: outbound message: %d history events exceed %d: %w", len(m.History), MaxHistory, ErrTooLarge)
	}
	return checkSize("outbound message", m.Size())
}

// SwapRequest replaces an outbound message if, and only if, its stored Version is Expect.
type SwapRequest struct {
	Expect int64
	Next   OutboundMessage // Tenant and MessageID name the record; Version is set by the store to Expect+1
}

// GuardRequest registers a MessageId with the DuplicateGuard until Expires.
type GuardRequest struct {
	Tenant    string
	MessageID string
	Expires   time.Time // must be after the adapter clock's now
}

// Validate checks the key (ErrInvalid); the adapter checks Expires against its clock.
func (r GuardRequest) Validate() error {
	return MessageKey{Tenant: r.Tenant, MessageID: r.MessageID}.Validate()
}

// MailKey identifies a delivered message in a function address's mailbox.
type MailKey struct {
	Tenant    string
	Address   string // the function address (XHE HandlingServiceID / SDK recipientAttention)
	MessageID string
}

// Validate checks every part (ErrInvalid).
func (k MailKey) Validate() error {
	if err := ValidateTenant(k.Tenant); err != nil {
		return err
	}
	if err := ValidateID("function address", k.Address); err != nil {
		return err
	}
	return ValidateID("message id", k.MessageID)
}

// MailItem is a message delivered by the MT (C4) to a function address.
type MailItem struct {
	MailKey
	ConversationID string
	Sender         string
	Recipient      string
	Label          string // SDK label, ≤ 256
	DeliveredAt    time.Time
	ReadAt         time.Time // zero until MarkRead
	PayloadNames   []string
	Meta           map[string]string
}

// Size is the record's approximate encoded size, checked against MaxRecordBytes.
func (m MailItem) Size() int {
	return 128 + len(m.Tenant) + len(m.Address) + len(m.MessageID) + len(m.ConversationID) +
		len(m.Sender) + len(m.Recipient) + len(m.Label) + stringsSize(m.PayloadNames) + metaSize(m.Meta)
}

// Validate checks the key, the payload names and the size.
func (m MailItem) Validate() error {
	if err := m.MailKey.Validate(); err != nil {
		return err
	}
	for _, n := range m.PayloadNames {
		if err := ValidateID("payload name", n); err != nil {
			return err
		}
	}
	return checkSize("mail item", m.Size())
}

// ListMailRequest asks for one page of a mailbox, in delivery order.
type ListMailRequest struct {
	Tenant  string
	Address string
	Cursor  string // "" for the first page, else MailPage.Next of the previous page
	Limit   int    // 1..MaxListLimit; 0 means DefaultListLimit
}

// List limits.
const (
	DefaultListLimit = 100
	MaxListLimit     = 1000
)

// Validate checks the tenant, address and limit.
func (r ListMailRequest) Validate() error {
	if err := ValidateTenant(r.Tenant); err != nil {
		return err
	}
	if err := ValidateID("function address", r.Address); err != nil {
		return err
	}
	if r.Limit < 0 || r.Limit > MaxListLimit {
		return fmt.Errorf("msh: list limit %d not in 0..%d: %w", r.Limit, MaxListLimit, ErrInvalid)
	}
	return nil
}

// EffectiveLimit is Limit, or DefaultListLimit when Limit is 0.
func (r ListMailRequest) EffectiveLimit() int {
	if r.Limit == 0 {
		return DefaultListLimit
	}
	return r.Limit
}

// MailPage is one page of a mailbox.
type MailPage struct {
	Items []MailItem
	Next  string // "" when there are no more items (at the time of the call)
}

// MarkReadRequest marks a mail item read at At.
type MarkReadRequest struct {
	MailKey
	At time.Time // not zero
}

// Validate checks the key and that At is set (ErrInvalid).
func (r MarkReadRequest) Validate() error {
	if err := r.MailKey.Validate(); err != nil {
		return err
	}
	if r.At.IsZero() {
		return fmt.Errorf("msh: mark read %s: no time: %w", r.MessageID, ErrInvalid)
	}
	return nil
}

// QueueItem is one unit of outbound work: typically "send outbound message X".
type QueueItem struct {
	Tenant    string
	ID        string    // unique among the tenant's pending items
	Body      []byte    // ≤ MaxQueueBody
	NotBefore time.Time // not leased before this time; zero = at once
}

// Validate checks the key and the body size.
func (q QueueItem) Validate() error {
	if err := ValidateTenant(q.Tenant); err != nil {
		return err
	}
	if err := ValidateID("queue item id", q.ID); err != nil {
		return err
	}
	if len(q.Body) > MaxQueueBody {
		return fmt.Errorf("msh: queue item %q: body of %d bytes exceeds %d: %w", q.ID, len(q.Body), MaxQueueBody, ErrTooLarge)
	}
	return nil
}

// MaxVisibility caps a lease (SQS's maximum visibility timeout is 12 hours).
const MaxVisibility = 12 * time.Hour

// LeaseRequest leases the next due item of a tenant's queue for Visibility.
type LeaseRequest struct {
	Tenant     string
	Visibility time.Duration // 0 < Visibility ≤ MaxVisibility
}

// Validate checks the tenant and the visibility.
func (r LeaseRequest) Validate() error {
	if err := ValidateTenant(r.Tenant); err != nil {
		return err
	}
	if r.Visibility <= 0 || r.Visibility > MaxVisibility {
		return fmt.Errorf("msh: visibility %v not in (0, %v]: %w", r.Visibility, MaxVisibility, ErrInvalid)
	}
	return nil
}

// Lease is a leased queue item: invisible to other workers until Until.
type Lease struct {
	Item    QueueItem
	Handle  string    // names this lease, for Ack and Nack
	Attempt int       // 1 on the first lease of the item, +1 on each later one
	Until   time.Time // the lease expires then and the item becomes due again
}

// LeaseRef names a lease for Ack.
type LeaseRef struct {
	Tenant string
	Handle string
}

// NackRequest gives a lease back: the item becomes due again after Delay (≥ 0).
type NackRequest struct {
	LeaseRef
	Delay time.Duration
}

// DeadLetterRequest asks for a page of a tenant's dead letters.
type DeadLetterRequest struct {
	Tenant string
	Cursor string
	Limit  int // 0 means DefaultListLimit
}

// DeadLetterPage is a page of dead letters: items leased MaxAttempts times without an Ack.
type DeadLetterPage struct {
	Items []DeadLetter
	Next  string
}

// DeadLetter is a queue item that was given up on.
type DeadLetter struct {
	Item     QueueItem
	Attempts int
	DeadAt   time.Time
}

// ValidateNew is Validate plus the creation rule: the state is NEW or SCHEDULED.
func (m OutboundMessage) ValidateNew() error {
	if err := m.Validate(); err != nil {
		return err
	}
	if !IsInitial(m.State) {
		return fmt.Errorf("msh: outbound message %s: created in %s, want NEW or SCHEDULED: %w", m.MessageID, m.State, ErrInvalid)
	}
	return nil
}
