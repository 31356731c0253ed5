package mshtest

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/brevduva/brevduva/core/msh"
)

var (
	_ msh.OutboxLister  = (*Messages)(nil)
	_ msh.OutboxDeleter = (*Messages)(nil)
)

// ListOutbound implements msh.OutboxLister: by message id, the cursor being the hex of
// the last id returned.
func (s *Messages) ListOutbound(_ context.Context, r msh.ListOutboundRequest) (msh.OutboundPage, error) {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return msh.OutboundPage{}, err
	}
	if r.Limit < 0 || r.Limit > msh.MaxListLimit {
		return msh.OutboundPage{}, fmt.Errorf("mshtest: list limit %d: %w", r.Limit, msh.ErrInvalid)
	}
	limit := r.Limit
	if limit == 0 {
		limit = msh.DefaultListLimit
	}
	after, err := hex.DecodeString(r.Cursor)
	if err != nil {
		return msh.OutboundPage{}, fmt.Errorf("mshtest: cursor: %w", msh.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	prefix := tkey(r.Tenant)
	var ids []string
	for k, m := range s.out {
		if strings.HasPrefix(k, prefix) && m.MessageID > string(after) && (r.State == "" || m.State == r.State) {
			ids = append(ids, m.MessageID)
		}
	}
	sort.Strings(ids)
	var p msh.OutboundPage
	for i, id := range ids {
		if i == limit {
			p.Next = hex.EncodeToString([]byte(ids[i-1]))
			break
		}
		p.Items = append(p.Items, cloneOutbound(s.out[tkey(r.Tenant, id)]))
	}
	return p, nil
}

// DeleteOutbound implements msh.OutboxDeleter.
func (s *Messages) DeleteOutbound(_ context.Context, k msh.MessageKey, expect int64) error {
	if err := k.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := tkey(k.Tenant, k.MessageID)
	cur, ok := s.out[key]
	if !ok {
		return fmt.Errorf("mshtest: delete outbound %q: %w", k.MessageID, msh.ErrNotFound)
	}
	if cur.Version != expect {
		return fmt.Errorf("mshtest: delete outbound %q: version %d, expected %d: %w", k.MessageID, cur.Version, expect, msh.ErrConflict)
	}
	delete(s.out, key)
	return nil
}
