package dynamo

import (
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

// Storage forms of the msh records: the stored format is this package's, so renaming a
// field of a core type cannot silently drop stored data.

type inboundRec struct {
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

func toInboundRec(m msh.InboundMessage) inboundRec {
	return inboundRec{m.ConversationID, m.RefToMessageID, m.FromParty, m.ToParty, m.OriginalSender,
		m.FinalRecipient, m.Service, m.Action, m.ReceivedAt, m.PayloadNames, m.Receipt, m.Meta}
}

func (r inboundRec) msg(k msh.MessageKey) msh.InboundMessage {
	return msh.InboundMessage{MessageKey: k, ConversationID: r.ConversationID, RefToMessageID: r.RefToMessageID,
		FromParty: r.FromParty, ToParty: r.ToParty, OriginalSender: r.OriginalSender, FinalRecipient: r.FinalRecipient,
		Service: r.Service, Action: r.Action, ReceivedAt: r.ReceivedAt, PayloadNames: r.PayloadNames,
		Receipt: r.Receipt, Meta: r.Meta}
}

type eventRec struct {
	State  string    `json:"s"`
	At     time.Time `json:"at"`
	Reason string    `json:"r,omitempty"`
}

type outboundRec struct {
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
	History        []eventRec        `json:"h,omitempty"`
	Meta           map[string]string `json:"meta,omitempty"`
}

func toOutboundRec(m msh.OutboundMessage) outboundRec {
	r := outboundRec{m.ConversationID, m.Sender, m.Recipient, string(m.State), m.Version, m.Attempts,
		m.NextAttempt, m.CreatedAt, m.UpdatedAt, m.Reason, m.PayloadNames, nil, m.Meta}
	for _, e := range m.History {
		r.History = append(r.History, eventRec{string(e.State), e.At, e.Reason})
	}
	return r
}

func (r outboundRec) msg(k msh.MessageKey) msh.OutboundMessage {
	m := msh.OutboundMessage{MessageKey: k, ConversationID: r.ConversationID, Sender: r.Sender, Recipient: r.Recipient,
		State: msh.State(r.State), Version: r.Version, Attempts: r.Attempts, NextAttempt: r.NextAttempt,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Reason: r.Reason, PayloadNames: r.PayloadNames, Meta: r.Meta}
	for _, e := range r.History {
		m.History = append(m.History, msh.Event{State: msh.State(e.State), At: e.At, Reason: e.Reason})
	}
	return m
}

type mailRec struct {
	ConversationID string            `json:"cid,omitempty"`
	Sender         string            `json:"snd,omitempty"`
	Recipient      string            `json:"rcp,omitempty"`
	Label          string            `json:"label,omitempty"`
	DeliveredAt    time.Time         `json:"at"`
	PayloadNames   []string          `json:"p,omitempty"`
	Meta           map[string]string `json:"meta,omitempty"`
}

func toMailRec(m msh.MailItem) mailRec {
	return mailRec{m.ConversationID, m.Sender, m.Recipient, m.Label, m.DeliveredAt, m.PayloadNames, m.Meta}
}

func (r mailRec) item(k msh.MailKey, readAt time.Time) msh.MailItem {
	return msh.MailItem{MailKey: k, ConversationID: r.ConversationID, Sender: r.Sender, Recipient: r.Recipient,
		Label: r.Label, DeliveredAt: r.DeliveredAt, ReadAt: readAt, PayloadNames: r.PayloadNames, Meta: r.Meta}
}
