package msh

import (
	"fmt"
	"unicode/utf8"
)

// Limits on keys and records. They are chosen so that every record fits one DynamoDB item
// (400 KB) and one bbolt value, and every key fits a DynamoDB partition key (2048 bytes)
// together with its prefix.
const (
	MaxTenantBytes = 64       // tenant ids: [A-Za-z0-9._-]
	MaxIDBytes     = 512      // message ids, function addresses, payload names, queue item ids
	MaxRecordBytes = 64 << 10 // a record's encoded size (Size methods)
	MaxQueueBody   = 64 << 10 // a queue item's body (SQS allows 256 KiB)
)

// MessageKey identifies an inbound or outbound message: the tenant and the AS4 MessageId
// (which is also the SDK messageId, spec-facts §k 13).
type MessageKey struct {
	Tenant    string
	MessageID string
}

// Validate checks both parts (ErrInvalid).
func (k MessageKey) Validate() error {
	if err := ValidateTenant(k.Tenant); err != nil {
		return err
	}
	return ValidateID("message id", k.MessageID)
}

// ValidateTenant accepts 1 to MaxTenantBytes of ASCII letters, digits, '.', '_' and '-'.
// Tenant ids become path elements, key prefixes and bucket names, so the set is small.
func ValidateTenant(tenant string) error {
	if tenant == "" || len(tenant) > MaxTenantBytes {
		return fmt.Errorf("msh: tenant %q: length must be 1..%d: %w", tenant, MaxTenantBytes, ErrInvalid)
	}
	for i := 0; i < len(tenant); i++ {
		c := tenant[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return fmt.Errorf("msh: tenant %q: byte %#x not allowed: %w", tenant, c, ErrInvalid)
		}
	}
	if tenant == "." || tenant == ".." {
		return fmt.Errorf("msh: tenant %q: %w", tenant, ErrInvalid)
	}
	return nil
}

// ValidateID accepts 1 to MaxIDBytes of valid UTF-8 without control characters. what names
// the field in the error.
func ValidateID(what, id string) error {
	if id == "" || len(id) > MaxIDBytes {
		return fmt.Errorf("msh: %s: length %d not in 1..%d: %w", what, len(id), MaxIDBytes, ErrInvalid)
	}
	if !utf8.ValidString(id) {
		return fmt.Errorf("msh: %s: not UTF-8: %w", what, ErrInvalid)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("msh: %s: control character %U: %w", what, r, ErrInvalid)
		}
	}
	return nil
}

func checkSize(what string, n int) error {
	if n > MaxRecordBytes {
		return fmt.Errorf("msh: %s: record of %d bytes exceeds %d: %w", what, n, MaxRecordBytes, ErrTooLarge)
	}
	return nil
}

func stringsSize(ss []string) int {
	n := 0
	for _, s := range ss {
		n += len(s) + 8
	}
	return n
}

func metaSize(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v) + 8
	}
	return n
}
