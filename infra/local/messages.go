package local

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
)

var _ msh.MessageStore = (*Messages)(nil)

// Messages is the bbolt msh.MessageStore: inbound messages and outbox entries.
type Messages struct{ db *bolt.DB }

// NewMessages returns the message store on db (from OpenDB).
func NewMessages(db *bolt.DB) *Messages { return &Messages{db: db} }

// PutInbound implements msh.InboundStore: one transaction, put-if-absent, fsynced.
func (s *Messages) PutInbound(ctx context.Context, m msh.InboundMessage) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("local: put inbound: %w", err)
	}
	v, err := encodeRecord(toInboundRec(m))
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: put inbound %q: %w", m.MessageID, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := mkbucket(tx, bucketInbound, []byte(m.Tenant))
		if err != nil {
			return fmt.Errorf("local: put inbound %q: %w", m.MessageID, err)
		}
		if b.Get([]byte(m.MessageID)) != nil {
			return fmt.Errorf("local: put inbound %q: %w", m.MessageID, msh.ErrDuplicate)
		}
		if err := b.Put([]byte(m.MessageID), v); err != nil {
			return fmt.Errorf("local: put inbound %q: %w", m.MessageID, err)
		}
		return nil
	})
}

// GetInbound implements msh.InboundStore.
func (s *Messages) GetInbound(_ context.Context, k msh.MessageKey) (msh.InboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.InboundMessage{}, fmt.Errorf("local: get inbound: %w", err)
	}
	var rec inboundRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(bucket(tx, bucketInbound, []byte(k.Tenant)), k.MessageID, &rec)
	})
	if err != nil {
		return msh.InboundMessage{}, fmt.Errorf("local: get inbound %q: %w", k.MessageID, err)
	}
	return rec.Msg(k), nil
}

// CreateOutbound implements msh.OutboxStore.
func (s *Messages) CreateOutbound(ctx context.Context, m msh.OutboundMessage) error {
	if err := m.ValidateNew(); err != nil {
		return fmt.Errorf("local: create outbound: %w", err)
	}
	m.Version = 1
	v, err := encodeRecord(toOutboundRec(m))
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: create outbound %q: %w", m.MessageID, err)
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := mkbucket(tx, bucketOutbox, []byte(m.Tenant))
		if err != nil {
			return fmt.Errorf("local: create outbound %q: %w", m.MessageID, err)
		}
		if b.Get([]byte(m.MessageID)) != nil {
			return fmt.Errorf("local: create outbound %q: %w", m.MessageID, msh.ErrDuplicate)
		}
		if err := b.Put([]byte(m.MessageID), v); err != nil {
			return fmt.Errorf("local: create outbound %q: %w", m.MessageID, err)
		}
		return nil
	})
}

// GetOutbound implements msh.OutboxStore.
func (s *Messages) GetOutbound(_ context.Context, k msh.MessageKey) (msh.OutboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("local: get outbound: %w", err)
	}
	var rec outboundRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(bucket(tx, bucketOutbox, []byte(k.Tenant)), k.MessageID, &rec)
	})
	if err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("local: get outbound %q: %w", k.MessageID, err)
	}
	return rec.Msg(k), nil
}

// SwapOutbound implements msh.OutboxStore: compare the stored version and write in one
// transaction.
func (s *Messages) SwapOutbound(ctx context.Context, r msh.SwapRequest) (msh.OutboundMessage, error) {
	next := r.Next
	if err := next.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("local: swap outbound: %w", err)
	}
	next.Version = r.Expect + 1
	v, err := encodeRecord(toOutboundRec(next))
	if err != nil {
		return msh.OutboundMessage{}, err
	}
	if err := ctx.Err(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("local: swap outbound %q: %w", next.MessageID, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := bucket(tx, bucketOutbox, []byte(next.Tenant))
		var cur outboundRec
		if err := get(b, next.MessageID, &cur); err != nil {
			return err
		}
		if cur.Version != r.Expect {
			return fmt.Errorf("version %d, expected %d: %w", cur.Version, r.Expect, msh.ErrConflict)
		}
		return b.Put([]byte(next.MessageID), v)
	})
	if err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("local: swap outbound %q: %w", next.MessageID, err)
	}
	return next, nil
}

// get decodes b[key] into v, or returns msh.ErrNotFound; b may be nil.
func get(b *bolt.Bucket, key string, v any) error {
	if b == nil {
		return msh.ErrNotFound
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return msh.ErrNotFound
	}
	return decodeRecord(raw, v)
}
