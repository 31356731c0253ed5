package local

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/audit"
)

var _ audit.Store = (*AuditStore)(nil)

// The audit trail's buckets (docs/design/audit.md), beside the msh ports' ones:
//
//	audit/{tenant}/entries/{seq}    → the entry's canonical bytes (audit.Encode)
//	audit/{tenant}/checkpoint       → seq | hash | at (8 + 32 + 8 bytes)
var (
	bucketAudit     = []byte("audit")
	subEntries      = []byte("entries")
	keyCheckpoint   = []byte("checkpoint")
	checkpointBytes = 8 + 32 + 8
)

// AuditStore is the bbolt audit.Store: each append is one read-write transaction that puts
// the entry only if its sequence number is free.
type AuditStore struct{ db *bolt.DB }

// NewAuditStore returns the audit store on db.
func NewAuditStore(db *bolt.DB) *AuditStore { return &AuditStore{db: db} }

// Append implements audit.Store.
func (s *AuditStore) Append(ctx context.Context, tenant string, r audit.Record) error {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := mkbucket(tx, bucketAudit, []byte(tenant), subEntries)
		if err != nil {
			return err
		}
		k := seqKey(r.Seq)
		if b.Get(k) != nil {
			return audit.ErrConflict
		}
		return b.Put(k, r.Data)
	})
	if err != nil {
		return fmt.Errorf("local: audit append %s #%d: %w", tenant, r.Seq, err)
	}
	return nil
}

func checkAuditRequest(ctx context.Context, tenant string) error {
	if tenant == "" {
		return fmt.Errorf("local: audit: no tenant: %w", audit.ErrInvalid)
	}
	return ctx.Err()
}

// Last implements audit.Store.
func (s *AuditStore) Last(ctx context.Context, tenant string) (audit.Record, error) {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return audit.Record{}, err
	}
	var r audit.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucket(tx, bucketAudit, []byte(tenant), subEntries)
		if b == nil {
			return audit.ErrEmpty
		}
		k, v := b.Cursor().Last()
		if k == nil {
			return audit.ErrEmpty
		}
		r = record(k, v)
		return nil
	})
	if err != nil {
		return audit.Record{}, fmt.Errorf("local: audit head %s: %w", tenant, err)
	}
	return r, nil
}

// record copies a bbolt key and value out of the transaction. A key that is not 8 bytes
// (only written around Append) reads as sequence number 0, which Verify reports.
func record(k, v []byte) audit.Record {
	var seq uint64
	if len(k) == 8 {
		seq = binary.BigEndian.Uint64(k)
	}
	return audit.Record{Seq: seq, Data: slices.Clone(v)}
}

// Scan implements audit.Store.
func (s *AuditStore) Scan(ctx context.Context, tenant string, from uint64, limit int) ([]audit.Record, error) {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return nil, err
	}
	if limit < 1 || limit > audit.MaxScan {
		return nil, fmt.Errorf("local: audit scan limit %d: %w", limit, audit.ErrInvalid)
	}
	var out []audit.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := bucket(tx, bucketAudit, []byte(tenant), subEntries)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, record(k, v))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("local: audit scan %s: %w", tenant, err)
	}
	return out, nil
}

// PutCheckpoint implements audit.Store.
func (s *AuditStore) PutCheckpoint(ctx context.Context, tenant string, c audit.Checkpoint) error {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := mkbucket(tx, bucketAudit, []byte(tenant))
		if err != nil {
			return err
		}
		if old, err := decodeCheckpoint(b.Get(keyCheckpoint)); err == nil && old.Seq >= c.Seq {
			return audit.ErrConflict
		}
		return b.Put(keyCheckpoint, encodeCheckpoint(c))
	})
	if err != nil {
		return fmt.Errorf("local: audit checkpoint %s #%d: %w", tenant, c.Seq, err)
	}
	return nil
}

func encodeCheckpoint(c audit.Checkpoint) []byte {
	b := binary.BigEndian.AppendUint64(nil, c.Seq)
	b = append(b, c.Hash[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(c.At.UnixNano()))
}

func decodeCheckpoint(b []byte) (audit.Checkpoint, error) {
	if b == nil {
		return audit.Checkpoint{}, audit.ErrNotFound
	}
	if len(b) != checkpointBytes {
		return audit.Checkpoint{}, fmt.Errorf("%w: checkpoint of %d bytes", errCorrupt, len(b))
	}
	c := audit.Checkpoint{Seq: binary.BigEndian.Uint64(b)}
	copy(c.Hash[:], b[8:40])
	c.At = time.Unix(0, int64(binary.BigEndian.Uint64(b[40:]))).UTC()
	return c, nil
}

// Checkpoint implements audit.Store.
func (s *AuditStore) Checkpoint(ctx context.Context, tenant string) (audit.Checkpoint, error) {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return audit.Checkpoint{}, err
	}
	var c audit.Checkpoint
	err := s.db.View(func(tx *bolt.Tx) error {
		var raw []byte
		if b := bucket(tx, bucketAudit, []byte(tenant)); b != nil {
			raw = b.Get(keyCheckpoint)
		}
		var err error
		c, err = decodeCheckpoint(raw)
		return err
	})
	if err != nil {
		return audit.Checkpoint{}, fmt.Errorf("local: audit checkpoint %s: %w", tenant, err)
	}
	return c, nil
}

// DeleteThrough implements audit.Store, in transactions of up to audit.MaxScan entries.
func (s *AuditStore) DeleteThrough(ctx context.Context, tenant string, through uint64) error {
	if err := checkAuditRequest(ctx, tenant); err != nil {
		return err
	}
	for more := true; more; {
		err := s.db.Update(func(tx *bolt.Tx) error {
			more = false
			b := bucket(tx, bucketAudit, []byte(tenant), subEntries)
			if b == nil {
				return nil
			}
			c := b.Cursor()
			n := 0
			for k, _ := c.First(); len(k) == 8 && binary.BigEndian.Uint64(k) <= through; k, _ = c.First() {
				if n == audit.MaxScan {
					more = true
					return nil
				}
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("local: audit delete %s through #%d: %w", tenant, through, err)
		}
	}
	return nil
}
