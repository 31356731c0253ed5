package sdkapi

import (
	"context"
	"errors"
	"time"
)

// Errors a Service returns (wrapped); the handler maps each to a status.
var (
	ErrNotFound           = errors.New("sdkapi: not found")                            // 404
	ErrInvalid            = errors.New("sdkapi: invalid message")                      // 400
	ErrDuplicate          = errors.New("sdkapi: message id already used")              // 409
	ErrNotDeletable       = errors.New("sdkapi: message cannot be deleted now")        // 409
	ErrRecipientNotFound  = errors.New("sdkapi: recipient not found")                  // 422
	ErrRecipientUntrusted = errors.New("sdkapi: recipient's access point not trusted") // 422
	ErrNotSupported       = errors.New("sdkapi: not supported by this store")          // 501
)

// Service is what the API needs from the access point. Every call names the tenant of
// the caller's token; nothing of another tenant may be reachable through it.
type Service interface {
	// Participant returns the tenant's participant id ("0203:…").
	Participant(ctx context.Context, tenant string) (string, error)
	// Send submits one message: an SDK message v3 (XML) to seal, or a sealed XHE.
	Send(ctx context.Context, tenant string, s Submission) (Sent, error)
	// Sent returns one sent message or ErrNotFound.
	Sent(ctx context.Context, tenant, messageID string) (Sent, error)
	// ListSent returns one page of sent messages, newest first.
	ListSent(ctx context.Context, tenant string, f Filter) (SentPage, error)
	// DeleteSent deletes a finished sent message: ErrNotFound, ErrNotDeletable.
	DeleteSent(ctx context.Context, tenant, messageID string) error
	// ListMail returns one page of a function address's inbox (no bodies).
	ListMail(ctx context.Context, tenant, address, cursor string, limit int) (MailPage, error)
	// GetMail returns one delivered message with its body, or ErrNotFound.
	GetMail(ctx context.Context, tenant, address, messageID string) (Mail, error)
	// MarkRead marks a delivered message read and returns it without body.
	MarkRead(ctx context.Context, tenant, address, messageID string) (Mail, error)
}

// Submission is one sendMessage: exactly one of Message and XHE.
type Submission struct {
	Message []byte // SDK message v3 XML
	XHE     []byte // sealed XHE (end-to-end mode)
}

// Sent is the outbox view of a sent message.
type Sent struct {
	MessageID       string
	ConversationID  string
	RefToMessageID  string
	Sender          string
	Recipient       string
	FunctionAddress string
	Label           string
	Status          string // messageStatus
	CreatedAt       time.Time
	Events          []SentEvent
}

// SentEvent is one entry of a sent message's history.
type SentEvent struct {
	Status string
	At     time.Time
	Reason string
}

// Filter selects sent messages (getMessageByFilter). Empty fields match everything.
type Filter struct {
	Status            string
	RecipientFunction string // recipientAttention.subOrganization.extension
	Cursor            string
	Limit             int
}

// SentPage is one page of sent messages.
type SentPage struct {
	Items []Sent
	Next  string
}

// Mail is a message delivered to a function address.
type Mail struct {
	MessageID       string
	FunctionAddress string
	ConversationID  string
	Sender          string
	Recipient       string
	Label           string
	Confidential    bool
	Sealed          bool
	ContentType     string
	DeliveredAt     time.Time
	ReadAt          time.Time
	Body            []byte // GetMail only
}

// MailPage is one page of an inbox.
type MailPage struct {
	Items []Mail
	Next  string
}
