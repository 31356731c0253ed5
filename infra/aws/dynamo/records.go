package dynamo

import (
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/infra/msgrec"
)

// Storage forms of the msh records shared with the other adapters (infra/msgrec).
type (
	inboundRec  = msgrec.Inbound
	outboundRec = msgrec.Outbound
)

var (
	toInboundRec  = msgrec.FromInbound
	toOutboundRec = msgrec.FromOutbound
)

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
