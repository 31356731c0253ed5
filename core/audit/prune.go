package audit

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PruneResult says what Prune did.
type PruneResult struct {
	Checkpoint Checkpoint // the new checkpoint (zero when nothing was due)
	Pruned     uint64     // entries deleted
}

// Prune removes tenant's entries older than the retention (RetentionMonths before now):
// the leading run of entries whose At is before the cutoff. It keeps the chain verifiable:
//
//  1. it appends a TypePruned entry naming the last entry to go ("seq:hash");
//  2. it stores that entry as the Checkpoint (only if newer than the stored one);
//  3. it deletes the entries up to it.
//
// A crash between the steps leaves a chain that verifies, and the next Prune finishes the
// work. The chain always keeps its pruned entry, newer than the cutoff, to continue from.
func (l *Log) Prune(ctx context.Context, tenant string) (PruneResult, error) {
	cutoff := l.o.Now().AddDate(0, -l.o.RetentionMonths, 0)
	from := uint64(1)
	cp, err := l.o.Store.Checkpoint(ctx, tenant)
	switch {
	case err == nil:
		from = cp.Seq + 1
		// An earlier prune may have stopped after storing its checkpoint: finish it.
		if err := l.o.Store.DeleteThrough(ctx, tenant, cp.Seq); err != nil {
			return PruneResult{}, fmt.Errorf("audit: prune %s: delete: %w", tenant, err)
		}
	case !errors.Is(err, ErrNotFound):
		return PruneResult{}, fmt.Errorf("audit: prune %s: %w", tenant, err)
	}
	last, found, err := l.lastBefore(ctx, tenant, from, cutoff)
	if err != nil || !found {
		return PruneResult{}, err
	}
	next := Checkpoint{Seq: last.Seq, Hash: last.Hash, At: last.At}
	if _, err := l.Append(ctx, Event{Tenant: tenant, Type: TypePruned, Checkpoint: next.String()}); err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune %s: %w", tenant, err)
	}
	// A conflict is a concurrent prune that stored a checkpoint at least as new: it covers ours.
	if err := l.o.Store.PutCheckpoint(ctx, tenant, next); err != nil && !errors.Is(err, ErrConflict) {
		return PruneResult{}, fmt.Errorf("audit: prune %s: checkpoint: %w", tenant, err)
	}
	if err := l.o.Store.DeleteThrough(ctx, tenant, next.Seq); err != nil {
		return PruneResult{}, fmt.Errorf("audit: prune %s: delete: %w", tenant, err)
	}
	l.o.Logger.InfoContext(ctx, "audit pruned", "tenant", tenant, "checkpoint", next.String(), "entries", next.Seq-from+1)
	return PruneResult{Checkpoint: next, Pruned: next.Seq - from + 1}, nil
}

// lastBefore finds the last entry of the leading run, from seq from, whose At is before
// cutoff.
func (l *Log) lastBefore(ctx context.Context, tenant string, from uint64, cutoff time.Time) (Entry, bool, error) {
	var last Entry
	found := false
	for {
		recs, err := l.o.Store.Scan(ctx, tenant, from, MaxScan)
		if err != nil {
			return Entry{}, false, fmt.Errorf("audit: prune %s: %w", tenant, err)
		}
		for _, r := range recs {
			e, err := Decode(r.Data)
			if err != nil {
				return Entry{}, false, fmt.Errorf("audit: prune %s #%d: %w", tenant, r.Seq, err)
			}
			if !e.At.Before(cutoff) {
				return last, found, nil
			}
			last, found = e, true
		}
		if len(recs) < MaxScan {
			return last, found, nil
		}
		from = recs[len(recs)-1].Seq + 1
	}
}
