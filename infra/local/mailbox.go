package local

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
)

var _ msh.Mailbox = (*Mailbox)(nil)

var subOrder = []byte("order")

// Mailbox is the bbolt msh.Mailbox. Each function address has its own bucket with the items
// by message id and a delivery-order index by sequence number.
type Mailbox struct{ db *bolt.DB }

// NewMailbox returns the mailbox store on db.
func NewMailbox(db *bolt.DB) *Mailbox { return &Mailbox{db: db} }

// Deliver implements msh.Mailbox: put-if-absent and the order entry in one transaction.
func (s *Mailbox) Deliver(ctx context.Context, m msh.MailItem) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("local: deliver: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: deliver %q: %w", m.MessageID, err)
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		box, err := mkbucket(tx, bucketMailbox, []byte(m.Tenant), []byte(m.Address))
		if err != nil {
			return err
		}
		items, err := box.CreateBucketIfNotExists(subItems)
		if err != nil {
			return err
		}
		order, err := box.CreateBucketIfNotExists(subOrder)
		if err != nil {
			return err
		}
		if items.Get([]byte(m.MessageID)) != nil {
			return msh.ErrDuplicate
		}
		seq, err := box.NextSequence()
		if err != nil {
			return err
		}
		v, err := encodeRecord(toMailRec(m, seq))
		if err != nil {
			return err
		}
		if err := items.Put([]byte(m.MessageID), v); err != nil {
			return err
		}
		return order.Put(seqKey(seq), []byte(m.MessageID))
	})
	if err != nil {
		return fmt.Errorf("local: deliver %q: %w", m.MessageID, err)
	}
	return nil
}

// GetMail implements msh.Mailbox.
func (s *Mailbox) GetMail(_ context.Context, k msh.MailKey) (msh.MailItem, error) {
	if err := k.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("local: get mail: %w", err)
	}
	var rec mailRec
	err := s.db.View(func(tx *bolt.Tx) error {
		return get(bucket(tx, bucketMailbox, []byte(k.Tenant), []byte(k.Address), subItems), k.MessageID, &rec)
	})
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("local: get mail %q: %w", k.MessageID, err)
	}
	return rec.item(k), nil
}

// ListMail implements msh.Mailbox; the cursor is the last sequence number returned, in hex.
func (s *Mailbox) ListMail(_ context.Context, r msh.ListMailRequest) (msh.MailPage, error) {
	if err := r.Validate(); err != nil {
		return msh.MailPage{}, fmt.Errorf("local: list mail: %w", err)
	}
	after, err := parseCursor(r.Cursor)
	if err != nil {
		return msh.MailPage{}, fmt.Errorf("local: list mail: %w", err)
	}
	limit := r.EffectiveLimit()
	var page msh.MailPage
	err = s.db.View(func(tx *bolt.Tx) error {
		items := bucket(tx, bucketMailbox, []byte(r.Tenant), []byte(r.Address), subItems)
		order := bucket(tx, bucketMailbox, []byte(r.Tenant), []byte(r.Address), subOrder)
		if items == nil || order == nil {
			return nil
		}
		c := order.Cursor()
		var last uint64
		for k, id := c.Seek(seqKey(after + 1)); k != nil; k, id = c.Next() {
			if len(page.Items) == limit {
				page.Next = formatCursor(last)
				return nil
			}
			var rec mailRec
			if err := get(items, string(id), &rec); err != nil {
				return fmt.Errorf("order entry %x → %q: %w", k, id, err)
			}
			page.Items = append(page.Items, rec.item(msh.MailKey{Tenant: r.Tenant, Address: r.Address, MessageID: string(id)}))
			last = binary.BigEndian.Uint64(k)
		}
		return nil
	})
	if err != nil {
		return msh.MailPage{}, fmt.Errorf("local: list mail: %w", err)
	}
	return page, nil
}

// MarkRead implements msh.Mailbox: read, set ReadAt once, write, in one transaction.
func (s *Mailbox) MarkRead(ctx context.Context, r msh.MarkReadRequest) (msh.MailItem, error) {
	if err := r.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("local: mark read: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return msh.MailItem{}, fmt.Errorf("local: mark read %q: %w", r.MessageID, err)
	}
	var rec mailRec
	err := s.db.Update(func(tx *bolt.Tx) error {
		items := bucket(tx, bucketMailbox, []byte(r.Tenant), []byte(r.Address), subItems)
		if err := get(items, r.MessageID, &rec); err != nil {
			return err
		}
		if !rec.ReadAt.IsZero() {
			return nil
		}
		rec.ReadAt = r.At
		v, err := encodeRecord(rec)
		if err != nil {
			return err
		}
		return items.Put([]byte(r.MessageID), v)
	})
	if err != nil {
		return msh.MailItem{}, fmt.Errorf("local: mark read %q: %w", r.MessageID, err)
	}
	return rec.item(r.MailKey), nil
}

// Cursors are a sequence number as 16 hex digits; "" is the start.
func formatCursor(seq uint64) string { return hex.EncodeToString(seqKey(seq)) }

func parseCursor(c string) (uint64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := hex.DecodeString(c)
	if err != nil || len(b) != 8 || binary.BigEndian.Uint64(b) == math.MaxUint64 {
		return 0, fmt.Errorf("cursor %q: %w", c, msh.ErrInvalid)
	}
	return binary.BigEndian.Uint64(b), nil
}
