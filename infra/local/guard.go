package local

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.DuplicateGuard = (*Guard)(nil)
	_ msh.GuardSweeper   = (*Guard)(nil)
)

var (
	subIDs = []byte("ids")
	subExp = []byte("exp")
)

// Guard is the bbolt msh.DuplicateGuard with an expiry index for SweepExpired.
type Guard struct {
	db    *bolt.DB
	clock msh.Clock
}

// NewGuard returns the duplicate guard on db, reading time from clock.
func NewGuard(db *bolt.DB, clock msh.Clock) *Guard { return &Guard{db: db, clock: clock} }

// Register implements msh.DuplicateGuard: check and register in one transaction.
func (g *Guard) Register(ctx context.Context, r msh.GuardRequest) (bool, error) {
	if err := r.Validate(); err != nil {
		return false, fmt.Errorf("local: register: %w", err)
	}
	now := g.clock.Now()
	if !r.Expires.After(now) {
		return false, fmt.Errorf("local: register %q: expiry %v not after now %v: %w", r.MessageID, r.Expires, now, msh.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("local: register %q: %w", r.MessageID, err)
	}
	seen := false
	err := g.db.Update(func(tx *bolt.Tx) error {
		ids, err := mkbucket(tx, bucketGuard, []byte(r.Tenant), subIDs)
		if err != nil {
			return err
		}
		exp, err := mkbucket(tx, bucketGuard, []byte(r.Tenant), subExp)
		if err != nil {
			return err
		}
		id := []byte(r.MessageID)
		if old := ids.Get(id); old != nil {
			if len(old) != 8 {
				return fmt.Errorf("%w: guard entry of %d bytes", errCorrupt, len(old))
			}
			if timeFromKey(old).After(now) {
				seen = true
				return nil
			}
			if err := exp.Delete(compose(old, r.MessageID)); err != nil {
				return err
			}
		}
		k := timeKey(r.Expires)
		if err := ids.Put(id, k); err != nil {
			return err
		}
		return exp.Put(compose(k, r.MessageID), nil)
	})
	if err != nil {
		return false, fmt.Errorf("local: register %q: %w", r.MessageID, err)
	}
	return seen, nil
}

// SweepExpired implements msh.GuardSweeper: deletes up to limit expired registrations of
// tenant, oldest first, in one transaction.
func (g *Guard) SweepExpired(ctx context.Context, tenant string, limit int) (int, error) {
	if err := msh.ValidateTenant(tenant); err != nil {
		return 0, fmt.Errorf("local: sweep: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("local: sweep %s: %w", tenant, err)
	}
	nowKey := timeKey(g.clock.Now())
	n := 0
	err := g.db.Update(func(tx *bolt.Tx) error {
		ids := bucket(tx, bucketGuard, []byte(tenant), subIDs)
		exp := bucket(tx, bucketGuard, []byte(tenant), subExp)
		if ids == nil || exp == nil {
			return nil
		}
		for n < limit {
			k, _ := exp.Cursor().First()
			k = bytes.Clone(k)
			if len(k) < 8 || bytes.Compare(k[:8], nowKey) > 0 {
				return nil
			}
			id := k[8:]
			if cur := ids.Get(id); cur != nil && bytes.Equal(cur, k[:8]) {
				if err := ids.Delete(id); err != nil {
					return err
				}
			}
			if err := exp.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("local: sweep %s: %w", tenant, err)
	}
	return n, nil
}
