package sdkapi

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Version is meta.version of every response document (spec-facts §i).
const Version = "sdk api 1.0.0"

// TypeMessages is the JSON:API resource type of a message.
const TypeMessages = "messages"

// MediaType is the content type of documents (JSON:API 1.0).
const MediaType = "application/vnd.api+json"

// Meta is the meta member of a response.
type Meta struct {
	Version string `json:"version"`
}

// Links are the links member of a response.
type Links struct {
	Self string `json:"self,omitempty"`
	Next string `json:"next,omitempty"`
}

// Document is a response document with one resource or a list.
type Document[T any] struct {
	Meta  *Meta  `json:"meta,omitempty"`
	Links *Links `json:"links,omitempty"`
	Data  T      `json:"data"`
}

// Resource is one message resource.
type Resource struct {
	Type       string     `json:"type"`
	ID         string     `json:"id,omitempty"`
	Attributes Attributes `json:"attributes"`
}

// Attributes are a message's attributes (spec-facts §i).
type Attributes struct {
	MessageStatus      string        `json:"messageStatus,omitempty"`
	CreationDateTime   string        `json:"creationDateTime,omitempty"`
	MessageID          string        `json:"messageId,omitempty"`
	ConversationID     string        `json:"conversationId,omitempty"`
	RefToMessageID     string        `json:"refToMessageId,omitempty"`
	Confidentiality    *bool         `json:"confidentiality,omitempty"`
	GeneratingSystem   *II           `json:"generatingSystem,omitempty"`
	Label              string        `json:"label,omitempty"`
	Sender             string        `json:"sender,omitempty"`
	Recipient          string        `json:"recipient,omitempty"`
	SenderAttention    *Attention    `json:"senderAttention,omitempty"`
	RecipientAttention *Attention    `json:"recipientAttention,omitempty"`
	DigitalDocument    []Document1   `json:"digitalDocument,omitempty"`
	Events             []Event       `json:"events,omitempty"`
	SealedXHE          []byte        `json:"sealedXhe,omitempty"` // Brevduva: end-to-end mode (base64)
	Mailbox            *MailboxState `json:"mailbox,omitempty"`   // Brevduva: inbox items only
}

// II is an identifier with its scheme and an optional label.
type II struct {
	Root      string `json:"root,omitempty"`
	Extension string `json:"extension"`
	Label     string `json:"label,omitempty"`
}

// Attention is recipientAttention or senderAttention.
type Attention struct {
	SubOrganization *II  `json:"subOrganization,omitempty"`
	AttentionPerson []II `json:"attentionPerson,omitempty"`
	ReferenceID     []II `json:"referenceId,omitempty"`
}

// Document1 is one digitalDocument item.
type Document1 struct {
	DocumentID      string   `json:"documentId"`
	DocumentName    string   `json:"documentName,omitempty"`
	Index           Index    `json:"index,omitempty"`
	ContentTextBody []string `json:"contentTextBody,omitempty"`
	ContentFiles    []File   `json:"contentFiles,omitempty"`
}

// File is one contentFiles item; Content is base64 in JSON.
type File struct {
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
	Content     []byte `json:"content"`
}

// Event is one status change of a sent message.
type Event struct {
	MessageStatus string `json:"messageStatus"`
	DateTime      string `json:"dateTime"`
	Reason        string `json:"reason,omitempty"`
}

// MailboxState tells where an inbox item is and whether it was read.
type MailboxState struct {
	FunctionAddress string `json:"functionAddress"`
	DeliveredAt     string `json:"deliveredDateTime"`
	ReadAt          string `json:"readDateTime,omitempty"`
	Sealed          bool   `json:"sealed,omitempty"`
}

// Index is a document index: written as a number when it is one, read from a number or
// a string.
type Index string

// MarshalJSON writes a decimal index as a number.
func (i Index) MarshalJSON() ([]byte, error) {
	if n, err := strconv.ParseUint(string(i), 10, 31); err == nil {
		return []byte(strconv.FormatUint(n, 10)), nil
	}
	return json.Marshal(string(i))
}

// UnmarshalJSON reads a number or a string.
func (i *Index) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*i = Index(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("sdkapi: index: %w", err)
	}
	*i = Index(n.String())
	return nil
}

// Problem is an RFC 7807 problem document with DIGG's eventIssues.
type Problem struct {
	Type        string       `json:"type"`
	Title       string       `json:"title"`
	Status      int          `json:"status"`
	Detail      string       `json:"detail,omitempty"`
	Instance    string       `json:"instance,omitempty"`
	EventIssues []EventIssue `json:"eventIssues,omitempty"`
}

// EventIssue names one problem with the request.
type EventIssue struct {
	TypeCode string `json:"typeCode"`
	Title    string `json:"title"`
	Detail   string `json:"detail,omitempty"`
	In       string `json:"in,omitempty"`
}
