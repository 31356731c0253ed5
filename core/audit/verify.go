package audit

import (
	"context"
	"errors"
	"fmt"
)

// BrokenError is a chain that does not hold: Seq is the first sequence number at which the
// stored chain departs from a valid one.
type BrokenError struct {
	Tenant string
	Seq    uint64
	Reason string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: chain of %s broken at #%d: %s", e.Tenant, e.Seq, e.Reason)
}

// Report is the result of a verification that found the chain whole.
type Report struct {
	Tenant     string
	Entries    uint64      // entries checked
	First      uint64      // first sequence number checked (after the checkpoint)
	Head       Anchor      // the last entry; zero when the chain is empty
	Checkpoint *Checkpoint // the retention checkpoint the chain starts from, if any
}

// verifier walks one chain in Seq order.
type verifier struct {
	tenant  string
	next    uint64   // the sequence number expected next
	prev    [32]byte // the hash the next entry must name
	cp      *Checkpoint
	cpNamed bool
	anchors map[uint64][32]byte
	n       uint64
}

// Verify checks tenant's chain from its checkpoint (or from #1) to its head, and each
// anchor. For each position, in order, it checks that the record exists and decodes with a
// matching hash (else the entry was modified), that it claims its position (else it was
// moved or one was inserted: the lower of the two positions is named), that it belongs to
// the tenant, and that it names the hash of the entry before (else that entry was
// modified). With a checkpoint, the chain must hold a pruned entry that names it. A broken
// chain is a *BrokenError; a store failure is any other error.
//
// Removing entries from the end leaves a shorter valid chain: only an anchor at or after
// the removed entries detects it.
func (l *Log) Verify(ctx context.Context, tenant string, anchors ...Anchor) (Report, error) {
	v := &verifier{tenant: tenant, next: 1, anchors: map[uint64][32]byte{}}
	for _, a := range anchors {
		v.anchors[a.Seq] = a.Hash
	}
	cp, err := l.o.Store.Checkpoint(ctx, tenant)
	switch {
	case err == nil:
		v.cp, v.next, v.prev = &cp, cp.Seq+1, cp.Hash
	case !errors.Is(err, ErrNotFound):
		return Report{}, fmt.Errorf("audit: verify %s: checkpoint: %w", tenant, err)
	}
	rep := Report{Tenant: tenant, First: v.next, Checkpoint: v.cp}
	for {
		page, err := l.o.Store.Scan(ctx, tenant, v.next, MaxScan)
		if err != nil {
			return Report{}, fmt.Errorf("audit: verify %s: %w", tenant, err)
		}
		for _, r := range page {
			if err := v.check(r); err != nil {
				return Report{}, err
			}
		}
		if len(page) < MaxScan {
			break
		}
	}
	if err := v.finish(); err != nil {
		return Report{}, err
	}
	rep.Entries = v.n
	if v.n > 0 {
		rep.Head = Anchor{Seq: v.next - 1, Hash: v.prev}
	}
	return rep, nil
}

func (v *verifier) broken(seq uint64, format string, args ...any) error {
	return &BrokenError{Tenant: v.tenant, Seq: seq, Reason: fmt.Sprintf(format, args...)}
}

func (v *verifier) check(r Record) error {
	if r.Seq != v.next {
		return v.broken(v.next, "entry missing (the next stored is #%d)", r.Seq)
	}
	e, err := Decode(r.Data)
	if err != nil {
		return v.broken(r.Seq, "entry modified: %v", err)
	}
	if e.Seq != r.Seq {
		return v.broken(min(e.Seq, r.Seq), "entry #%d stored at #%d (moved, or an entry inserted)", e.Seq, r.Seq)
	}
	if e.Tenant != v.tenant {
		return v.broken(r.Seq, "entry of another tenant")
	}
	if e.Prev != v.prev {
		if r.Seq == v.cpNext() {
			return v.broken(r.Seq, "entry does not follow the retention checkpoint")
		}
		return v.broken(r.Seq-1, "entry modified: #%d names another hash for it", r.Seq)
	}
	if h, ok := v.anchors[e.Seq]; ok && h != e.Hash {
		return v.broken(e.Seq, "entry differs from its anchor")
	}
	if v.cp != nil && e.Type == TypePruned && e.Checkpoint == v.cp.String() {
		v.cpNamed = true
	}
	v.prev, v.next, v.n = e.Hash, v.next+1, v.n+1
	return nil
}

// cpNext is the first sequence number after the checkpoint (1 without one).
func (v *verifier) cpNext() uint64 {
	if v.cp == nil {
		return 1
	}
	return v.cp.Seq + 1
}

func (v *verifier) finish() error {
	for seq, h := range v.anchors {
		switch {
		case seq >= v.next:
			return v.broken(v.next, "anchored entry #%d missing (entries removed from the end)", seq)
		case v.cp != nil && seq == v.cp.Seq && h != v.cp.Hash:
			return v.broken(seq, "retention checkpoint differs from its anchor")
		}
	}
	if v.cp != nil && !v.cpNamed {
		return v.broken(v.cp.Seq+1, "no pruned entry names the retention checkpoint %s", v.cp)
	}
	return nil
}
