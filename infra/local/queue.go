package local

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.OutboundQueue = (*Queue)(nil)
	_ msh.DeadLetters   = (*Queue)(nil)
)

var (
	subItems = []byte("items")
	subDue   = []byte("due")
	subDead  = []byte("dead")
)

// Queue is the bbolt msh.OutboundQueue. An item's record holds its attempts and whether it
// is leased; its entry in the due index is keyed by the time it becomes leasable (NotBefore,
// the lease's end, or the nack delay), so Lease reads the first index entry.
type Queue struct {
	db          *bolt.DB
	clock       msh.Clock
	maxAttempts int
}

// NewQueue returns the queue on db, reading time from clock, that dead-letters an item after
// maxAttempts leases (values below 1 mean 1).
func NewQueue(db *bolt.DB, clock msh.Clock, maxAttempts int) *Queue {
	return &Queue{db: db, clock: clock, maxAttempts: max(maxAttempts, 1)}
}

// Enqueue implements msh.OutboundQueue.
func (q *Queue) Enqueue(ctx context.Context, item msh.QueueItem) error {
	if err := item.Validate(); err != nil {
		return fmt.Errorf("local: enqueue: %w", err)
	}
	v, err := encodeRecord(queueRec{Body: item.Body, NotBefore: item.NotBefore, VisibleAt: item.NotBefore})
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("local: enqueue %q: %w", item.ID, err)
	}
	err = q.db.Update(func(tx *bolt.Tx) error {
		items, due, err := q.buckets(tx, item.Tenant)
		if err != nil {
			return err
		}
		if items.Get([]byte(item.ID)) != nil {
			return msh.ErrDuplicate
		}
		if err := items.Put([]byte(item.ID), v); err != nil {
			return err
		}
		return due.Put(compose(timeKey(item.NotBefore), item.ID), nil)
	})
	if err != nil {
		return fmt.Errorf("local: enqueue %q: %w", item.ID, err)
	}
	return nil
}

func (q *Queue) buckets(tx *bolt.Tx, tenant string) (items, due *bolt.Bucket, err error) {
	if items, err = mkbucket(tx, bucketQueue, []byte(tenant), subItems); err != nil {
		return nil, nil, err
	}
	due, err = mkbucket(tx, bucketQueue, []byte(tenant), subDue)
	return items, due, err
}

// Lease implements msh.OutboundQueue: in one transaction, take the first due entry, move
// it to the lease's end and count the attempt (or dead-letter the item).
func (q *Queue) Lease(ctx context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	if err := r.Validate(); err != nil {
		return msh.Lease{}, fmt.Errorf("local: lease: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return msh.Lease{}, fmt.Errorf("local: lease %s: %w", r.Tenant, err)
	}
	now := q.clock.Now()
	nowKey := timeKey(now)
	var out msh.Lease
	err := q.db.Update(func(tx *bolt.Tx) error {
		items, due, err := q.buckets(tx, r.Tenant)
		if err != nil {
			return err
		}
		for {
			k, _ := due.Cursor().First()
			if k == nil || bytes.Compare(k[:8], nowKey) > 0 {
				return msh.ErrEmpty
			}
			k = bytes.Clone(k)
			id := string(k[8:])
			var rec queueRec
			if err := get(items, id, &rec); errors.Is(err, msh.ErrNotFound) {
				if err := due.Delete(k); err != nil { // a stale index entry
					return err
				}
				continue
			} else if err != nil {
				return err
			}
			if err := due.Delete(k); err != nil {
				return err
			}
			if rec.Attempts >= q.maxAttempts {
				if err := q.bury(tx, r.Tenant, id, rec, now); err != nil {
					return err
				}
				if err := items.Delete([]byte(id)); err != nil {
					return err
				}
				continue
			}
			rec.Attempts++
			rec.Leased = true
			rec.VisibleAt = now.Add(r.Visibility)
			if err := putQueueRec(items, due, id, rec); err != nil {
				return err
			}
			out = msh.Lease{
				Item:    msh.QueueItem{Tenant: r.Tenant, ID: id, Body: rec.Body, NotBefore: rec.NotBefore},
				Handle:  strconv.Itoa(rec.Attempts) + ":" + id,
				Attempt: rec.Attempts,
				Until:   rec.VisibleAt,
			}
			return nil
		}
	})
	if err != nil {
		return msh.Lease{}, fmt.Errorf("local: lease %s: %w", r.Tenant, err)
	}
	return out, nil
}

func putQueueRec(items, due *bolt.Bucket, id string, rec queueRec) error {
	v, err := encodeRecord(rec)
	if err != nil {
		return err
	}
	if err := items.Put([]byte(id), v); err != nil {
		return err
	}
	return due.Put(compose(timeKey(rec.VisibleAt), id), nil)
}

func (q *Queue) bury(tx *bolt.Tx, tenant, id string, rec queueRec, now time.Time) error {
	dead, err := mkbucket(tx, bucketQueue, []byte(tenant), subDead)
	if err != nil {
		return err
	}
	seq, err := dead.NextSequence()
	if err != nil {
		return err
	}
	v, err := encodeRecord(deadRec{ID: id, Body: rec.Body, NotBefore: rec.NotBefore, Attempts: rec.Attempts, DeadAt: now})
	if err != nil {
		return err
	}
	return dead.Put(seqKey(seq), v)
}

// settle applies f to the current lease named by ref in one transaction.
func (q *Queue) settle(ctx context.Context, ref msh.LeaseRef, f func(items, due *bolt.Bucket, id string, rec queueRec) error) error {
	if err := msh.ValidateTenant(ref.Tenant); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	n, id, ok := strings.Cut(ref.Handle, ":")
	attempt, err := strconv.Atoi(n)
	if !ok || err != nil || msh.ValidateID("queue item id", id) != nil {
		return fmt.Errorf("handle %q: %w", ref.Handle, msh.ErrLeaseLost)
	}
	return q.db.Update(func(tx *bolt.Tx) error {
		items := bucket(tx, bucketQueue, []byte(ref.Tenant), subItems)
		due := bucket(tx, bucketQueue, []byte(ref.Tenant), subDue)
		var rec queueRec
		if err := get(items, id, &rec); errors.Is(err, msh.ErrNotFound) {
			return fmt.Errorf("handle %q: %w", ref.Handle, msh.ErrLeaseLost)
		} else if err != nil {
			return err
		}
		if !rec.Leased || rec.Attempts != attempt {
			return fmt.Errorf("handle %q: %w", ref.Handle, msh.ErrLeaseLost)
		}
		if err := due.Delete(compose(timeKey(rec.VisibleAt), id)); err != nil {
			return err
		}
		return f(items, due, id, rec)
	})
}

// Ack implements msh.OutboundQueue.
func (q *Queue) Ack(ctx context.Context, r msh.LeaseRef) error {
	err := q.settle(ctx, r, func(items, _ *bolt.Bucket, id string, _ queueRec) error {
		return items.Delete([]byte(id))
	})
	if err != nil {
		return fmt.Errorf("local: ack: %w", err)
	}
	return nil
}

// Nack implements msh.OutboundQueue.
func (q *Queue) Nack(ctx context.Context, r msh.NackRequest) error {
	if r.Delay < 0 {
		return fmt.Errorf("local: nack: negative delay: %w", msh.ErrInvalid)
	}
	now := q.clock.Now()
	err := q.settle(ctx, r.LeaseRef, func(items, due *bolt.Bucket, id string, rec queueRec) error {
		rec.Leased = false
		rec.VisibleAt = now.Add(r.Delay)
		return putQueueRec(items, due, id, rec)
	})
	if err != nil {
		return fmt.Errorf("local: nack: %w", err)
	}
	return nil
}

// ListDead implements msh.DeadLetters; the cursor is the last sequence number, in hex.
func (q *Queue) ListDead(_ context.Context, r msh.DeadLetterRequest) (msh.DeadLetterPage, error) {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("local: list dead: %w", err)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = msh.DefaultListLimit
	}
	limit = min(limit, msh.MaxListLimit)
	after, err := parseCursor(r.Cursor)
	if err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("local: list dead: %w", err)
	}
	var page msh.DeadLetterPage
	err = q.db.View(func(tx *bolt.Tx) error {
		dead := bucket(tx, bucketQueue, []byte(r.Tenant), subDead)
		if dead == nil {
			return nil
		}
		c := dead.Cursor()
		var last uint64
		k, v := c.Seek(seqKey(after + 1))
		for ; k != nil; k, v = c.Next() {
			if len(page.Items) == limit {
				page.Next = formatCursor(last)
				return nil
			}
			last = binary.BigEndian.Uint64(k)
			var d deadRec
			if err := decodeRecord(v, &d); err != nil {
				return err
			}
			page.Items = append(page.Items, msh.DeadLetter{
				Item:     msh.QueueItem{Tenant: r.Tenant, ID: d.ID, Body: d.Body, NotBefore: d.NotBefore},
				Attempts: d.Attempts, DeadAt: d.DeadAt,
			})
		}
		return nil
	})
	if err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("local: list dead %s: %w", r.Tenant, err)
	}
	return page, nil
}
