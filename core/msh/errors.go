package msh

import "errors"

// Sentinel errors of the msh ports. Adapters wrap them with context
// (fmt.Errorf("local: get inbound %q: %w", id, msh.ErrNotFound)); callers test with errors.Is.
var (
	// ErrNotFound: the record, payload, mail item or lease target does not exist (for this tenant).
	ErrNotFound = errors.New("msh: not found")
	// ErrDuplicate: a put-if-absent found the key taken; the stored value is unchanged.
	ErrDuplicate = errors.New("msh: duplicate")
	// ErrConflict: a compare-and-swap found another version (or state) than expected.
	ErrConflict = errors.New("msh: conflict")
	// ErrInvalidTransition: the outbox state table forbids the requested transition.
	ErrInvalidTransition = errors.New("msh: invalid state transition")
	// ErrInvalid: a request is malformed (bad tenant or id, missing field, time in the past).
	ErrInvalid = errors.New("msh: invalid request")
	// ErrTooLarge: a record or payload exceeds its size limit; nothing was stored.
	ErrTooLarge = errors.New("msh: too large")
	// ErrEmpty: no queue item is due for leasing.
	ErrEmpty = errors.New("msh: queue empty")
	// ErrLeaseLost: the lease handle is no longer the item's current lease (acked, or
	// expired and leased again by someone else).
	ErrLeaseLost = errors.New("msh: lease lost")
)
