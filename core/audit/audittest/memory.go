// Package audittest holds an in-memory audit.Store for unit tests and the contract suite
// (Run) that every audit.Store adapter runs: appends, conflicts, scans, checkpoints,
// retention, concurrent appenders, search, and tampering through the storage layer that
// Verify must name by sequence number.
package audittest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/brevduva/brevduva/core/audit"
)

// Memory is an in-memory audit.Store. Its Overwrite and Remove bypass the conditions, as
// an attacker with write access to the store would.
type Memory struct {
	mu   sync.Mutex
	recs map[string]map[uint64][]byte
	cps  map[string]audit.Checkpoint
}

var _ audit.Store = (*Memory)(nil)

// NewMemory returns an empty store.
func NewMemory() *Memory {
	return &Memory{recs: map[string]map[uint64][]byte{}, cps: map[string]audit.Checkpoint{}}
}

// Append implements audit.Store.
func (m *Memory) Append(_ context.Context, tenant string, r audit.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.recs[tenant][r.Seq]; ok {
		return fmt.Errorf("audittest: append %s #%d: %w", tenant, r.Seq, audit.ErrConflict)
	}
	m.put(tenant, r.Seq, r.Data)
	return nil
}

func (m *Memory) put(tenant string, seq uint64, data []byte) {
	if m.recs[tenant] == nil {
		m.recs[tenant] = map[uint64][]byte{}
	}
	m.recs[tenant][seq] = slices.Clone(data)
}

// Last implements audit.Store.
func (m *Memory) Last(_ context.Context, tenant string) (audit.Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	seqs := m.seqs(tenant)
	if len(seqs) == 0 {
		return audit.Record{}, fmt.Errorf("audittest: last %s: %w", tenant, audit.ErrEmpty)
	}
	s := seqs[len(seqs)-1]
	return audit.Record{Seq: s, Data: slices.Clone(m.recs[tenant][s])}, nil
}

func (m *Memory) seqs(tenant string) []uint64 {
	out := make([]uint64, 0, len(m.recs[tenant]))
	for s := range m.recs[tenant] {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Scan implements audit.Store.
func (m *Memory) Scan(_ context.Context, tenant string, from uint64, limit int) ([]audit.Record, error) {
	if limit < 1 || limit > audit.MaxScan {
		return nil, fmt.Errorf("audittest: scan limit %d: %w", limit, audit.ErrInvalid)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []audit.Record
	for _, s := range m.seqs(tenant) {
		if s >= from && len(out) < limit {
			out = append(out, audit.Record{Seq: s, Data: slices.Clone(m.recs[tenant][s])})
		}
	}
	return out, nil
}

// PutCheckpoint implements audit.Store.
func (m *Memory) PutCheckpoint(_ context.Context, tenant string, c audit.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.cps[tenant]; ok && old.Seq >= c.Seq {
		return fmt.Errorf("audittest: checkpoint %s #%d after #%d: %w", tenant, c.Seq, old.Seq, audit.ErrConflict)
	}
	m.cps[tenant] = c
	return nil
}

// Checkpoint implements audit.Store.
func (m *Memory) Checkpoint(_ context.Context, tenant string) (audit.Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.cps[tenant]
	if !ok {
		return audit.Checkpoint{}, fmt.Errorf("audittest: checkpoint %s: %w", tenant, audit.ErrNotFound)
	}
	return c, nil
}

// DeleteThrough implements audit.Store.
func (m *Memory) DeleteThrough(_ context.Context, tenant string, through uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for s := range m.recs[tenant] {
		if s <= through {
			delete(m.recs[tenant], s)
		}
	}
	return nil
}

// Overwrite stores data at seq unconditionally (Tamper).
func (m *Memory) Overwrite(tenant string, seq uint64, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.put(tenant, seq, data)
	return nil
}

// Remove deletes the record at seq (Tamper).
func (m *Memory) Remove(tenant string, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.recs[tenant], seq)
	return nil
}

// ForceCheckpoint stores c unconditionally (Tamper).
func (m *Memory) ForceCheckpoint(tenant string, c audit.Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cps[tenant] = c
	return nil
}
