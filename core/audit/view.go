package audit

import (
	"errors"
	"time"
)

// View is the JSON form of an entry (the HTTP API and `brevduva audit search`): hashes in
// hex, the time in RFC 3339, empty fields left out.
type View struct {
	Seq               uint64 `json:"seq"`
	At                string `json:"at"`
	Type              Type   `json:"type"`
	MessageID         string `json:"messageId,omitempty"`
	AS4MessageID      string `json:"as4MessageId,omitempty"`
	ConversationID    string `json:"conversationId,omitempty"`
	RefToMessageID    string `json:"refToMessageId,omitempty"`
	Sender            string `json:"sender,omitempty"`
	SenderFunction    string `json:"senderFunction,omitempty"`
	Recipient         string `json:"recipient,omitempty"`
	RecipientFunction string `json:"recipientFunction,omitempty"`
	FromAP            string `json:"fromAp,omitempty"`
	ToAP              string `json:"toAp,omitempty"`
	APCert            string `json:"apCertSha256,omitempty"`
	O2OCert           string `json:"o2oCertSha256,omitempty"`
	State             string `json:"state,omitempty"`
	ErrorCode         string `json:"errorCode,omitempty"`
	Reason            string `json:"reason,omitempty"`
	Detail            string `json:"detail,omitempty"`
	Receipt           string `json:"receipt,omitempty"`
	Checkpoint        string `json:"checkpoint,omitempty"`
	Prev              string `json:"prev"`
	Hash              string `json:"hash"`
}

// ViewOf returns the JSON form of e.
func ViewOf(e Entry) View {
	return View{
		Seq: e.Seq, At: e.At.UTC().Format(time.RFC3339Nano), Type: e.Type, MessageID: e.MessageID,
		AS4MessageID: e.AS4MessageID, ConversationID: e.ConversationID, RefToMessageID: e.RefToMessageID,
		Sender: e.Sender, SenderFunction: e.SenderFunction, Recipient: e.Recipient, RecipientFunction: e.RecipientFunction,
		FromAP: e.FromAP, ToAP: e.ToAP, APCert: e.APCert, O2OCert: e.O2OCert, State: e.State, ErrorCode: e.ErrorCode,
		Reason: e.Reason, Detail: e.Detail, Receipt: e.Receipt, Checkpoint: e.Checkpoint,
		Prev: HashHex(e.Prev), Hash: HashHex(e.Hash),
	}
}

// VerifyView is the JSON form of a verification: Valid, or the first broken entry.
type VerifyView struct {
	Tenant     string `json:"tenant"`
	Valid      bool   `json:"valid"`
	Entries    uint64 `json:"entries,omitempty"`
	First      uint64 `json:"first,omitempty"`
	Head       string `json:"head,omitempty"`       // the anchor to keep: "seq:hash"
	Checkpoint string `json:"checkpoint,omitempty"` // "seq:hash" of the last pruned entry
	BrokenAt   uint64 `json:"brokenAt,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// VerifyViewOf is the JSON form of Verify's result: a report, or a *BrokenError. Other
// errors are not a verdict and give ok = false.
func VerifyViewOf(tenant string, r Report, err error) (v VerifyView, ok bool) {
	v = VerifyView{Tenant: tenant}
	var be *BrokenError
	if errors.As(err, &be) {
		v.BrokenAt, v.Reason = be.Seq, be.Reason
		return v, true
	}
	if err != nil {
		return v, false
	}
	v.Valid, v.Entries, v.First = true, r.Entries, r.First
	if r.Entries > 0 {
		v.Head = r.Head.String()
	}
	if r.Checkpoint != nil {
		v.Checkpoint = r.Checkpoint.String()
	}
	return v, true
}
