package local

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.OutboxLister  = (*Messages)(nil)
	_ msh.OutboxDeleter = (*Messages)(nil)
)

// ListOutbound implements msh.OutboxLister: one read transaction over the tenant's
// outbox bucket in key (message id) order, from after the cursor (the hex of the last id
// of the previous page).
func (s *Messages) ListOutbound(_ context.Context, r msh.ListOutboundRequest) (msh.OutboundPage, error) {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return msh.OutboundPage{}, fmt.Errorf("local: list outbound: %w", err)
	}
	if r.Limit < 0 || r.Limit > msh.MaxListLimit {
		return msh.OutboundPage{}, fmt.Errorf("local: list outbound: limit %d: %w", r.Limit, msh.ErrInvalid)
	}
	limit := r.Limit
	if limit == 0 {
		limit = msh.DefaultListLimit
	}
	after, err := hex.DecodeString(r.Cursor)
	if err != nil || (r.Cursor != "" && len(after) == 0) {
		return msh.OutboundPage{}, fmt.Errorf("local: list outbound: cursor %q: %w", r.Cursor, msh.ErrInvalid)
	}
	var p msh.OutboundPage
	err = s.db.View(func(tx *bolt.Tx) error {
		b := bucket(tx, bucketOutbox, []byte(r.Tenant))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		k, v := c.First()
		if len(after) > 0 {
			k, v = c.Seek(after)
			if k != nil && bytes.Equal(k, after) {
				k, v = c.Next()
			}
		}
		var last []byte
		for ; k != nil; k, v = c.Next() {
			if v == nil { // a nested bucket, not a record
				continue
			}
			var rec outboundRec
			if err := decodeRecord(v, &rec); err != nil {
				return fmt.Errorf("outbound %q: %w", k, err)
			}
			m := rec.Msg(msh.MessageKey{Tenant: r.Tenant, MessageID: string(k)})
			if r.State != "" && m.State != r.State {
				continue
			}
			if len(p.Items) == limit {
				p.Next = hex.EncodeToString(last)
				return nil
			}
			p.Items = append(p.Items, m)
			last = append(last[:0], k...)
		}
		return nil
	})
	if err != nil {
		return msh.OutboundPage{}, fmt.Errorf("local: list outbound: %w", err)
	}
	return p, nil
}

// DeleteOutbound implements msh.OutboxDeleter: compare the version and delete in one
// transaction.
func (s *Messages) DeleteOutbound(ctx context.Context, k msh.MessageKey, expect int64) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("local: delete outbound: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: delete outbound %q: %w", k.MessageID, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := bucket(tx, bucketOutbox, []byte(k.Tenant))
		var cur outboundRec
		if err := get(b, k.MessageID, &cur); err != nil {
			return err
		}
		if cur.Version != expect {
			return fmt.Errorf("version %d, expected %d: %w", cur.Version, expect, msh.ErrConflict)
		}
		return b.Delete([]byte(k.MessageID))
	})
	if err != nil {
		return fmt.Errorf("local: delete outbound %q: %w", k.MessageID, err)
	}
	return nil
}
