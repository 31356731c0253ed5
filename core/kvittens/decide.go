package kvittens

import "errors"

// Event is something the receiving message service found while handling an SDK message
// ([CONTENT] §5.3 and the field tables of §4; spec-facts §d).
type Event string

const (
	EventValid             Event = "valid"
	EventUnknownRefTo      Event = "refToMessageId-unknown"    // still ACCEPTED
	EventSchema            Event = "schema-invalid"            // XSD failure, corrupt message
	EventMalware           Event = "malware"                   // raise an incident; quarantine allowed
	EventTooLong           Event = "too-long"                  // over 30 MB
	EventRule              Event = "rule-invalid"              // schematron or code-list rule
	EventDuplicate         Event = "duplicate-message-id"      // MessageId reused
	EventUnsupportedFile   Event = "unsupported-file-type"     // a file type the recipient does not take
	EventRefToRejected     Event = "refToMessageId-rejected"   // answers a message that was REJECTED
	EventUnknownFunction   Event = "unknown-function-address"  // HandlingServiceID not in the address book
	EventBadSignature      Event = "bad-signature"             // XHE signature fails
	EventWrongSigner       Event = "signer-not-certpub"        // signer ≠ the sender's CertPub certificate
	EventNotEncrypted      Event = "not-encrypted"             // not encrypted per the transport model
	EventSenderMismatch    Event = "sender-mismatch"           // senderID ≠ XHE FromParty / sending AP config
	EventRecipientMismatch Event = "recipient-mismatch"        // recipientID ≠ XHE ToParty
	EventFunctionMismatch  Event = "function-address-mismatch" // subOrganization ≠ HandlingServiceID
	EventSenderNotInSMP    Event = "sender-not-registered"     // no receipt can be delivered
	EventIsReceipt         Event = "message-is-a-receipt"      // never answer a receipt with a receipt
)

// Decision is what to answer: whether to send a receipt at all and with what content.
type Decision struct {
	Send   bool
	Code   ResponseCode
	Reason Reason // empty when ACCEPTED
	Detail Detail // empty when ACCEPTED
}

// Decide is the decision table of [CONTENT] §5.3 (spec-facts §d).
func Decide(e Event) Decision {
	rej := func(r Reason, d Detail) Decision { return Decision{Send: true, Code: Rejected, Reason: r, Detail: d} }
	switch e {
	case EventValid, EventUnknownRefTo:
		return Decision{Send: true, Code: Accepted}
	case EventSchema:
		return rej(SV, DetailStructure)
	case EventMalware:
		return rej(BV, DetailForbidden)
	case EventTooLong:
		return rej(BV, DetailTooLong)
	case EventRule:
		return rej(BV, DetailInvariant)
	case EventDuplicate:
		return rej(BV, DetailDuplicate) // ⚠U spec-facts §k 23
	case EventUnsupportedFile, EventRefToRejected:
		// §5.3 says "shall not be acknowledged, error code REJECTED": read as send REJECTED (⚠U spec-facts §d).
		return rej(BV, DetailNotSupported)
	case EventUnknownFunction:
		return rej(BV, DetailNotFound)
	case EventBadSignature, EventWrongSigner, EventNotEncrypted:
		return rej(SIG, DetailSecurity)
	case EventSenderMismatch, EventRecipientMismatch, EventFunctionMismatch:
		return rej(BV, DetailSecurity)
	case EventSenderNotInSMP, EventIsReceipt:
		return Decision{Send: false} // the receipt could not be delivered / no receipt loops (⚠U spec-facts §d)
	}
	// An unknown event is a broken invariant of the caller; reject it as a rule failure
	// rather than accept it.
	return rej(BV, DetailInvariant)
}

// DecideError maps the outcome of opening a message to a decision: nil → ACCEPTED, a
// *Rejection → REJECTED with its reason and detail, any other error → REJECTED/SV/structure
// (the message could not be processed as a valid SDK message).
func DecideError(err error) Decision {
	if err == nil {
		return Decide(EventValid)
	}
	var r *Rejection
	if errors.As(err, &r) {
		return Decision{Send: true, Code: Rejected, Reason: r.Reason, Detail: r.Detail}
	}
	return Decide(EventSchema)
}
