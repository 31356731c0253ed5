package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Type says what happened to a message.
type Type string

// The event types the access point engine records (docs/design/audit.md lists where).
const (
	TypeSubmitted Type = "submitted" // an outbound message (or Meddelandekvittens) was accepted for sending
	TypeState     Type = "state"     // an outbound message changed state (SDK API messageStatus)
	TypeReceived  Type = "received"  // an AS4 user message was stored and its receipt returned (C3)
	TypeDuplicate Type = "duplicate" // a duplicate AS4 MessageId was answered again, not delivered again
	TypeRefused   Type = "refused"   // an AS4 message was answered with an ebMS error signal
	TypeDelivered Type = "delivered" // the MT (C4) put an SDK message into a function address's mailbox
	TypeRejected  Type = "rejected"  // the MT (C4) did not deliver: the kvittens orsakskod and detail
	TypePruned    Type = "pruned"    // retention removed the entries up to Checkpoint
)

// Event is one message event: identifiers, parties, fingerprints and outcome. It has no
// field for content, and callers must put none into Reason or Detail.
type Event struct {
	Tenant            string
	At                time.Time
	Type              Type
	MessageID         string // SDK messageId (= AS4 MessageId, ⚠U spec-facts §k 13)
	AS4MessageID      string // the AS4 eb:MessageId when it differs or is all that is known
	ConversationID    string
	RefToMessageID    string
	Sender            string // sender participant, 0203:…
	SenderFunction    string // sender function address, when known
	Recipient         string // recipient participant, 0203:…
	RecipientFunction string // recipient function address (XHE HandlingServiceID)
	FromAP            string // eb:From PartyId (the sending AP)
	ToAP              string // eb:To PartyId (the receiving AP)
	APCert            string // hex SHA-256 of the peer AP's signing certificate
	O2OCert           string // hex SHA-256 of the O2O signer's certificate
	State             string // outbound state after the event (SDK API messageStatus)
	ErrorCode         string // ebMS error code ("EBMS:0301"), when one applies
	Reason            string // outbox Reason or kvittens orsakskod (no content)
	Detail            string // kvittens detail code or a short failure description (no content)
	Receipt           string // receipt status: "as4-receipt", or the kvittens code ACCEPTED / REJECTED
	Checkpoint        string // TypePruned: "seq:hash" of the last pruned entry
}

// Entry is an Event in a tenant's chain.
type Entry struct {
	Event
	Seq  uint64   // 1 for the first entry of the tenant
	Prev [32]byte // Hash of entry Seq-1; zero for Seq 1
	Hash [32]byte // SHA-256 of the entry's encoding up to the hash itself
}

// Limits of the encoding.
const (
	// MaxField caps every text field of an event, in bytes.
	MaxField = 1024
	// MaxRecord caps an encoded entry.
	MaxRecord = 16 << 10
)

// ErrCorrupt: stored bytes are not an entry (decoding failed or its own hash does not match).
var ErrCorrupt = errors.New("audit: corrupt entry")

// magic opens every encoded entry: the format and its version.
var magic = []byte("BVA1")

// fields lists the event's text fields in their fixed encoding order. Changing the list
// needs a new magic.
func (e *Event) fields() []*string {
	return []*string{
		&e.Tenant, (*string)(&e.Type), &e.MessageID, &e.AS4MessageID, &e.ConversationID, &e.RefToMessageID,
		&e.Sender, &e.SenderFunction, &e.Recipient, &e.RecipientFunction, &e.FromAP, &e.ToAP,
		&e.APCert, &e.O2OCert, &e.State, &e.ErrorCode, &e.Reason, &e.Detail, &e.Receipt, &e.Checkpoint,
	}
}

// Validate checks the field sizes and encodings (every field valid UTF-8, ≤ MaxField).
func (e Event) Validate() error {
	if e.Tenant == "" || e.Type == "" {
		return fmt.Errorf("audit: event without tenant or type: %w", ErrInvalid)
	}
	for i, f := range e.fields() {
		if len(*f) > MaxField || !utf8.ValidString(*f) {
			return fmt.Errorf("audit: event field %d: over %d bytes or not UTF-8: %w", i, MaxField, ErrInvalid)
		}
	}
	return nil
}

// Encode returns the canonical bytes of e:
//
//	"BVA1" | seq (8, big-endian) | prev (32) | at (8, big-endian Unix nanoseconds) |
//	20 × (uvarint length | UTF-8 bytes) | SHA-256 of all the above (32)
//
// It sets e.Hash to the trailing hash.
func Encode(e *Entry) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := encodeBody(e)
	e.Hash = sha256.Sum256(b)
	return append(b, e.Hash[:]...), nil
}

func encodeBody(e *Entry) []byte {
	b := make([]byte, 0, 256)
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = append(b, e.Prev[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(e.At.UnixNano()))
	for _, f := range e.fields() {
		b = binary.AppendUvarint(b, uint64(len(*f)))
		b = append(b, *f...)
	}
	return b
}

// Decode parses the canonical bytes of an entry and checks its own hash. Anything else —
// another magic, a short or long field, a field over MaxField, bytes left over, a
// non-minimal length, a hash that does not match — is ErrCorrupt.
func Decode(b []byte) (Entry, error) {
	var e Entry
	if len(b) > MaxRecord {
		return e, fmt.Errorf("audit: entry of %d bytes over %d: %w", len(b), MaxRecord, ErrCorrupt)
	}
	const head = 4 + 8 + 32 + 8
	if len(b) < head+sha256.Size || !bytes.Equal(b[:4], magic) {
		return e, fmt.Errorf("audit: not an entry: %w", ErrCorrupt)
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	e.Seq = binary.BigEndian.Uint64(body[4:])
	copy(e.Prev[:], body[12:44])
	e.At = time.Unix(0, int64(binary.BigEndian.Uint64(body[44:52]))).UTC()
	rest := body[head:]
	for i, f := range e.fields() {
		n, k := binary.Uvarint(rest)
		if k <= 0 || n > MaxField || uint64(len(rest)-k) < n || k != uvarintLen(n) {
			return Entry{}, fmt.Errorf("audit: field %d: bad length: %w", i, ErrCorrupt)
		}
		s := string(rest[k : k+int(n)])
		if !utf8.ValidString(s) {
			return Entry{}, fmt.Errorf("audit: field %d: not UTF-8: %w", i, ErrCorrupt)
		}
		*f, rest = s, rest[k+int(n):]
	}
	if len(rest) != 0 {
		return Entry{}, fmt.Errorf("audit: %d bytes after the fields: %w", len(rest), ErrCorrupt)
	}
	if err := e.Validate(); err != nil {
		return Entry{}, fmt.Errorf("audit: entry %d: %w: %w", e.Seq, ErrCorrupt, err)
	}
	e.Hash = sha256.Sum256(body)
	if !bytes.Equal(e.Hash[:], sum) {
		return Entry{}, fmt.Errorf("audit: entry %d: hash does not match its bytes: %w", e.Seq, ErrCorrupt)
	}
	return e, nil
}

func uvarintLen(n uint64) int {
	var b [binary.MaxVarintLen64]byte
	return binary.PutUvarint(b[:], n)
}

// HashHex is h in lower-case hex, the form anchors and checkpoints print.
func HashHex(h [32]byte) string { return hex.EncodeToString(h[:]) }

// ParseHash parses a HashHex.
func ParseHash(s string) ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("audit: hash %q: want 64 hex digits: %w", s, ErrInvalid)
	}
	copy(h[:], b)
	return h, nil
}

// Fingerprint is the hex SHA-256 of a DER certificate (Event.APCert, Event.O2OCert); empty
// for no certificate.
func Fingerprint(der []byte) string {
	if len(der) == 0 {
		return ""
	}
	s := sha256.Sum256(der)
	return hex.EncodeToString(s[:])
}
