// Package msgrec holds the stored forms of the access point's message records
// (core/msh InboundMessage and OutboundMessage) that every storage adapter writes as
// JSON: infra/local (bbolt) and infra/aws/dynamo. The format belongs to infra, not to
// core, so renaming a field of a core type cannot silently drop stored data; the short
// JSON names are the stored format and must not change without a migration.
package msgrec

import (
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

// Inbound is the stored form of an msh.InboundMessage (its key is stored apart).
type Inbound struct {
	ConversationID string            `json:"cid,omitempty"`
	RefToMessageID string            `json:"ref,omitempty"`
	FromParty      string            `json:"from,omitempty"`
	ToParty        string            `json:"to,omitempty"`
	OriginalSender string            `json:"os,omitempty"`
	FinalRecipient string            `json:"fr,omitempty"`
	Service        string            `json:"svc,omitempty"`
	Action         string            `json:"act,omitempty"`
	ReceivedAt     time.Time         `json:"at"`
	PayloadNames   []string          `json:"p,omitempty"`
	Receipt        []byte            `json:"rcpt,omitempty"`
	Meta           map[string]string `json:"meta,omitempty"`
}

// FromInbound is the stored form of m.
func FromInbound(m msh.InboundMessage) Inbound {
	return Inbound{m.ConversationID, m.RefToMessageID, m.FromParty, m.ToParty, m.OriginalSender,
		m.FinalRecipient, m.Service, m.Action, m.ReceivedAt, m.PayloadNames, m.Receipt, m.Meta}
}

// Msg is the message r stores under k.
func (r Inbound) Msg(k msh.MessageKey) msh.InboundMessage {
	return msh.InboundMessage{MessageKey: k, ConversationID: r.ConversationID, RefToMessageID: r.RefToMessageID,
		FromParty: r.FromParty, ToParty: r.ToParty, OriginalSender: r.OriginalSender, FinalRecipient: r.FinalRecipient,
		Service: r.Service, Action: r.Action, ReceivedAt: r.ReceivedAt, PayloadNames: r.PayloadNames,
		Receipt: r.Receipt, Meta: r.Meta}
}

// Event is the stored form of an msh.Event.
type Event struct {
	State  string    `json:"s"`
	At     time.Time `json:"at"`
	Reason string    `json:"r,omitempty"`
}

// Outbound is the stored form of an msh.OutboundMessage (its key is stored apart).
type Outbound struct {
	ConversationID string            `json:"cid,omitempty"`
	Sender         string            `json:"snd,omitempty"`
	Recipient      string            `json:"rcp,omitempty"`
	State          string            `json:"state"`
	Version        int64             `json:"v"`
	Attempts       int               `json:"n,omitempty"`
	NextAttempt    time.Time         `json:"next"`
	CreatedAt      time.Time         `json:"created"`
	UpdatedAt      time.Time         `json:"updated"`
	Reason         string            `json:"reason,omitempty"`
	PayloadNames   []string          `json:"p,omitempty"`
	History        []Event           `json:"h,omitempty"`
	Meta           map[string]string `json:"meta,omitempty"`
}

// FromOutbound is the stored form of m.
func FromOutbound(m msh.OutboundMessage) Outbound {
	r := Outbound{m.ConversationID, m.Sender, m.Recipient, string(m.State), m.Version, m.Attempts,
		m.NextAttempt, m.CreatedAt, m.UpdatedAt, m.Reason, m.PayloadNames, nil, m.Meta}
	for _, e := range m.History {
		r.History = append(r.History, Event{string(e.State), e.At, e.Reason})
	}
	return r
}

// Msg is the message r stores under k.
func (r Outbound) Msg(k msh.MessageKey) msh.OutboundMessage {
	m := msh.OutboundMessage{MessageKey: k, ConversationID: r.ConversationID, Sender: r.Sender, Recipient: r.Recipient,
		State: msh.State(r.State), Version: r.Version, Attempts: r.Attempts, NextAttempt: r.NextAttempt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Reason: r.Reason, PayloadNames: r.PayloadNames, Meta: r.Meta}
	for _, e := range r.History {
		m.History = append(m.History, msh.Event{State: msh.State(e.State), At: e.At, Reason: e.Reason})
	}
	return m
}
