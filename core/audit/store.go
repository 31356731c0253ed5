package audit

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Adapters wrap them with context; callers test with errors.Is.
var (
	// ErrConflict: an append found its sequence number taken (another appender won), or a
	// checkpoint was not newer than the stored one. Nothing was changed.
	ErrConflict = errors.New("audit: conflict")
	// ErrEmpty: the tenant has no entry.
	ErrEmpty = errors.New("audit: empty")
	// ErrNotFound: no checkpoint is stored.
	ErrNotFound = errors.New("audit: not found")
	// ErrInvalid: a malformed request or event.
	ErrInvalid = errors.New("audit: invalid")
)

// Record is one stored entry: its sequence number (the store's key) and its bytes (Encode).
type Record struct {
	Seq  uint64
	Data []byte
}

// Checkpoint is the last entry retention removed: the chain continues from it.
type Checkpoint struct {
	Seq  uint64
	Hash [32]byte
	At   time.Time // the pruned entry's time
}

// String is the form a TypePruned entry names the checkpoint in: "seq:hash".
func (c Checkpoint) String() string { return formatAnchor(c.Seq, c.Hash) }

// Store keeps the tenants' chains as raw records. Every write is one conditional write on
// one record (docs/design/audit.md: DynamoDB, dynalite and bbolt fit).
type Store interface {
	// Append stores r under tenant if no record with r.Seq exists, else ErrConflict
	// (unchanged). One atomic put-if-absent.
	Append(ctx context.Context, tenant string, r Record) error
	// Last returns the record with the highest Seq of tenant, or ErrEmpty. It reads what
	// every completed Append wrote (a strongly consistent read).
	Last(ctx context.Context, tenant string) (Record, error)
	// Scan returns up to limit (1..MaxScan) records of tenant with Seq ≥ from in ascending
	// Seq order; fewer only at the end of the chain.
	Scan(ctx context.Context, tenant string, from uint64, limit int) ([]Record, error)
	// PutCheckpoint stores c if no checkpoint of tenant exists or the stored one has a
	// lower Seq, else ErrConflict.
	PutCheckpoint(ctx context.Context, tenant string, c Checkpoint) error
	// Checkpoint returns tenant's checkpoint, or ErrNotFound.
	Checkpoint(ctx context.Context, tenant string) (Checkpoint, error)
	// DeleteThrough deletes tenant's records with Seq ≤ through (retention).
	DeleteThrough(ctx context.Context, tenant string, through uint64) error
}

// MaxScan caps one Scan.
const MaxScan = 1000
