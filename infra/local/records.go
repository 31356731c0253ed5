package local

import (
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/infra/msgrec"
)

// Storage forms of the msh records shared with the other adapters (infra/msgrec).
type (
	inboundRec  = msgrec.Inbound
	eventRec    = msgrec.Event
	outboundRec = msgrec.Outbound
)

var (
	toInboundRec  = msgrec.FromInbound
	toOutboundRec = msgrec.FromOutbound
)

type queueRec struct {
	Body      []byte    `json:"b,omitempty"`
	NotBefore time.Time `json:"nb"`
	VisibleAt time.Time `json:"vis"`
	Attempts  int       `json:"n"`
	Leased    bool      `json:"l,omitempty"`
}

type deadRec struct {
	ID        string    `json:"id"`
	Body      []byte    `json:"b,omitempty"`
	NotBefore time.Time `json:"nb"`
	Attempts  int       `json:"n"`
	DeadAt    time.Time `json:"at"`
}

type mailRec struct {
	Seq            uint64            `json:"seq"`
	ConversationID string            `json:"cid,omitempty"`
	Sender         string            `json:"snd,omitempty"`
	Recipient      string            `json:"rcp,omitempty"`
	Label          string            `json:"label,omitempty"`
	DeliveredAt    time.Time         `json:"at"`
	ReadAt         time.Time         `json:"read"`
	PayloadNames   []string          `json:"p,omitempty"`
	Meta           map[string]string `json:"meta,omitempty"`
}

func toMailRec(m msh.MailItem, seq uint64) mailRec {
	return mailRec{seq, m.ConversationID, m.Sender, m.Recipient, m.Label, m.DeliveredAt, m.ReadAt, m.PayloadNames, m.Meta}
}

func (r mailRec) item(k msh.MailKey) msh.MailItem {
	return msh.MailItem{MailKey: k, ConversationID: r.ConversationID, Sender: r.Sender, Recipient: r.Recipient,
		Label: r.Label, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, PayloadNames: r.PayloadNames, Meta: r.Meta}
}
