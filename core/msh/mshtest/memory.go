package mshtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

// Compile-time conformance of the in-memory reference implementations.
var (
	_ msh.MessageStore   = (*Messages)(nil)
	_ msh.PayloadStore   = (*Payloads)(nil)
	_ msh.PayloadDeleter = (*Payloads)(nil)
	_ msh.DuplicateGuard = (*Guard)(nil)
	_ msh.GuardSweeper   = (*Guard)(nil)
	_ msh.OutboundQueue  = (*Queue)(nil)
	_ msh.DeadLetters    = (*Queue)(nil)
	_ msh.Mailbox        = (*Mailbox)(nil)
)

// tkey joins a tenant and an id; tenants cannot contain "\x00".
func tkey(tenant string, ids ...string) string {
	return tenant + "\x00" + strings.Join(ids, "\x00")
}

// Messages is an in-memory msh.MessageStore.
type Messages struct {
	mu  sync.Mutex
	in  map[string]msh.InboundMessage
	out map[string]msh.OutboundMessage
}

// NewMessages returns an empty in-memory message store.
func NewMessages() *Messages {
	return &Messages{in: map[string]msh.InboundMessage{}, out: map[string]msh.OutboundMessage{}}
}

// PutInbound implements msh.InboundStore.
func (s *Messages) PutInbound(_ context.Context, m msh.InboundMessage) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("memory: put inbound: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tkey(m.Tenant, m.MessageID)
	if _, ok := s.in[k]; ok {
		return fmt.Errorf("memory: put inbound %q: %w", m.MessageID, msh.ErrDuplicate)
	}
	s.in[k] = cloneInbound(m)
	return nil
}

// GetInbound implements msh.InboundStore.
func (s *Messages) GetInbound(_ context.Context, k msh.MessageKey) (msh.InboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.InboundMessage{}, fmt.Errorf("memory: get inbound: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.in[tkey(k.Tenant, k.MessageID)]
	if !ok {
		return msh.InboundMessage{}, fmt.Errorf("memory: get inbound %q: %w", k.MessageID, msh.ErrNotFound)
	}
	return cloneInbound(m), nil
}

// CreateOutbound implements msh.OutboxStore.
func (s *Messages) CreateOutbound(_ context.Context, m msh.OutboundMessage) error {
	if err := m.ValidateNew(); err != nil {
		return fmt.Errorf("memory: create outbound: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tkey(m.Tenant, m.MessageID)
	if _, ok := s.out[k]; ok {
		return fmt.Errorf("memory: create outbound %q: %w", m.MessageID, msh.ErrDuplicate)
	}
	m = cloneOutbound(m)
	m.Version = 1
	s.out[k] = m
	return nil
}

// GetOutbound implements msh.OutboxStore.
func (s *Messages) GetOutbound(_ context.Context, k msh.MessageKey) (msh.OutboundMessage, error) {
	if err := k.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("memory: get outbound: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.out[tkey(k.Tenant, k.MessageID)]
	if !ok {
		return msh.OutboundMessage{}, fmt.Errorf("memory: get outbound %q: %w", k.MessageID, msh.ErrNotFound)
	}
	return cloneOutbound(m), nil
}

// SwapOutbound implements msh.OutboxStore.
func (s *Messages) SwapOutbound(_ context.Context, r msh.SwapRequest) (msh.OutboundMessage, error) {
	if err := r.Next.Validate(); err != nil {
		return msh.OutboundMessage{}, fmt.Errorf("memory: swap outbound: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tkey(r.Next.Tenant, r.Next.MessageID)
	cur, ok := s.out[k]
	if !ok {
		return msh.OutboundMessage{}, fmt.Errorf("memory: swap outbound %q: %w", r.Next.MessageID, msh.ErrNotFound)
	}
	if cur.Version != r.Expect {
		return msh.OutboundMessage{}, fmt.Errorf("memory: swap outbound %q: version %d, expected %d: %w", r.Next.MessageID, cur.Version, r.Expect, msh.ErrConflict)
	}
	next := cloneOutbound(r.Next)
	next.Version = r.Expect + 1
	s.out[k] = next
	return cloneOutbound(next), nil
}

// Payloads is an in-memory msh.PayloadStore.
type Payloads struct {
	mu sync.Mutex
	m  map[string][]byte
}

// NewPayloads returns an empty in-memory payload store.
func NewPayloads() *Payloads { return &Payloads{m: map[string][]byte{}} }

// PutPayload implements msh.PayloadStore.
func (s *Payloads) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	if err := r.Validate(); err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("memory: put payload: %w", err)
	}
	limit := r.EffectiveLimit()
	b, err := io.ReadAll(io.LimitReader(body, limit+1))
	if err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("memory: put payload %q: %w", r.Name, err)
	}
	if int64(len(b)) > limit {
		return msh.PayloadInfo{}, fmt.Errorf("memory: put payload %q: more than %d bytes: %w", r.Name, limit, msh.ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return msh.PayloadInfo{}, fmt.Errorf("memory: put payload %q: %w", r.Name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tkey(r.Tenant, r.Name)
	if _, ok := s.m[k]; ok {
		return msh.PayloadInfo{}, fmt.Errorf("memory: put payload %q: %w", r.Name, msh.ErrDuplicate)
	}
	s.m[k] = b
	return msh.PayloadInfo{Size: int64(len(b)), SHA256: sha256.Sum256(b)}, nil
}

// OpenPayload implements msh.PayloadStore.
func (s *Payloads) OpenPayload(_ context.Context, k msh.PayloadKey) (io.ReadCloser, msh.PayloadInfo, error) {
	if err := k.Validate(); err != nil {
		return nil, msh.PayloadInfo{}, fmt.Errorf("memory: open payload: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.m[tkey(k.Tenant, k.Name)]
	if !ok {
		return nil, msh.PayloadInfo{}, fmt.Errorf("memory: open payload %q: %w", k.Name, msh.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), msh.PayloadInfo{Size: int64(len(b))}, nil
}

// DeletePayload implements msh.PayloadDeleter.
func (s *Payloads) DeletePayload(_ context.Context, k msh.PayloadKey) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("memory: delete payload: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := tkey(k.Tenant, k.Name)
	if _, ok := s.m[key]; !ok {
		return fmt.Errorf("memory: delete payload %q: %w", k.Name, msh.ErrNotFound)
	}
	delete(s.m, key)
	return nil
}

// Guard is an in-memory msh.DuplicateGuard.
type Guard struct {
	clock msh.Clock
	mu    sync.Mutex
	m     map[string]time.Time
}

// NewGuard returns an empty in-memory duplicate guard reading time from clock.
func NewGuard(clock msh.Clock) *Guard { return &Guard{clock: clock, m: map[string]time.Time{}} }

// Register implements msh.DuplicateGuard.
func (g *Guard) Register(_ context.Context, r msh.GuardRequest) (bool, error) {
	if err := r.Validate(); err != nil {
		return false, fmt.Errorf("memory: register: %w", err)
	}
	now := g.clock.Now()
	if !r.Expires.After(now) {
		return false, fmt.Errorf("memory: register %q: expiry %v not after now %v: %w", r.MessageID, r.Expires, now, msh.ErrInvalid)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	k := tkey(r.Tenant, r.MessageID)
	if exp, ok := g.m[k]; ok && exp.After(now) {
		return true, nil
	}
	g.m[k] = r.Expires
	return false, nil
}

// SweepExpired implements msh.GuardSweeper.
func (g *Guard) SweepExpired(_ context.Context, tenant string, limit int) (int, error) {
	if err := msh.ValidateTenant(tenant); err != nil {
		return 0, fmt.Errorf("memory: sweep: %w", err)
	}
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	n := 0
	for k, exp := range g.m {
		if n >= limit {
			break
		}
		if strings.HasPrefix(k, tenant+"\x00") && !exp.After(now) {
			delete(g.m, k)
			n++
		}
	}
	return n, nil
}

type qentry struct {
	item      msh.QueueItem
	visibleAt time.Time
	attempts  int
	leased    bool
}

// Queue is an in-memory msh.OutboundQueue.
type Queue struct {
	clock       msh.Clock
	maxAttempts int
	mu          sync.Mutex
	items       map[string]*qentry
	dead        map[string][]msh.DeadLetter // by tenant, in order of death
}

// NewQueue returns an empty in-memory queue that dead-letters an item after maxAttempts
// leases.
func NewQueue(clock msh.Clock, maxAttempts int) *Queue {
	return &Queue{clock: clock, maxAttempts: maxAttempts, items: map[string]*qentry{}, dead: map[string][]msh.DeadLetter{}}
}

// Enqueue implements msh.OutboundQueue.
func (q *Queue) Enqueue(_ context.Context, item msh.QueueItem) error {
	if err := item.Validate(); err != nil {
		return fmt.Errorf("memory: enqueue: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	k := tkey(item.Tenant, item.ID)
	if _, ok := q.items[k]; ok {
		return fmt.Errorf("memory: enqueue %q: %w", item.ID, msh.ErrDuplicate)
	}
	item.Body = slices.Clone(item.Body)
	q.items[k] = &qentry{item: item, visibleAt: item.NotBefore}
	return nil
}

// Lease implements msh.OutboundQueue.
func (q *Queue) Lease(_ context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	if err := r.Validate(); err != nil {
		return msh.Lease{}, fmt.Errorf("memory: lease: %w", err)
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		var best *qentry
		for _, e := range q.items {
			if e.item.Tenant != r.Tenant || e.visibleAt.After(now) {
				continue
			}
			if best == nil || e.visibleAt.Before(best.visibleAt) || (e.visibleAt.Equal(best.visibleAt) && e.item.ID < best.item.ID) {
				best = e
			}
		}
		if best == nil {
			return msh.Lease{}, fmt.Errorf("memory: lease %s: %w", r.Tenant, msh.ErrEmpty)
		}
		if best.attempts >= q.maxAttempts {
			delete(q.items, tkey(best.item.Tenant, best.item.ID))
			q.dead[r.Tenant] = append(q.dead[r.Tenant], msh.DeadLetter{Item: best.item, Attempts: best.attempts, DeadAt: now})
			continue
		}
		best.attempts++
		best.leased = true
		best.visibleAt = now.Add(r.Visibility)
		it := best.item
		it.Body = slices.Clone(it.Body)
		return msh.Lease{Item: it, Handle: strconv.Itoa(best.attempts) + ":" + it.ID, Attempt: best.attempts, Until: best.visibleAt}, nil
	}
}

func (q *Queue) current(ref msh.LeaseRef) (*qentry, error) {
	if err := msh.ValidateTenant(ref.Tenant); err != nil {
		return nil, err
	}
	n, id, ok := strings.Cut(ref.Handle, ":")
	attempt, err := strconv.Atoi(n)
	if !ok || err != nil {
		return nil, fmt.Errorf("handle %q: %w", ref.Handle, msh.ErrLeaseLost)
	}
	e, ok := q.items[tkey(ref.Tenant, id)]
	if !ok || !e.leased || e.attempts != attempt {
		return nil, fmt.Errorf("handle %q: %w", ref.Handle, msh.ErrLeaseLost)
	}
	return e, nil
}

// Ack implements msh.OutboundQueue.
func (q *Queue) Ack(_ context.Context, r msh.LeaseRef) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	e, err := q.current(r)
	if err != nil {
		return fmt.Errorf("memory: ack: %w", err)
	}
	delete(q.items, tkey(e.item.Tenant, e.item.ID))
	return nil
}

// Nack implements msh.OutboundQueue.
func (q *Queue) Nack(_ context.Context, r msh.NackRequest) error {
	if r.Delay < 0 {
		return fmt.Errorf("memory: nack: negative delay: %w", msh.ErrInvalid)
	}
	now := q.clock.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	e, err := q.current(r.LeaseRef)
	if err != nil {
		return fmt.Errorf("memory: nack: %w", err)
	}
	e.leased = false
	e.visibleAt = now.Add(r.Delay)
	return nil
}

// ListDead implements msh.DeadLetters; the cursor is an index.
func (q *Queue) ListDead(_ context.Context, r msh.DeadLetterRequest) (msh.DeadLetterPage, error) {
	if err := msh.ValidateTenant(r.Tenant); err != nil {
		return msh.DeadLetterPage{}, fmt.Errorf("memory: list dead: %w", err)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = msh.DefaultListLimit
	}
	start := 0
	if r.Cursor != "" {
		n, err := strconv.Atoi(r.Cursor)
		if err != nil || n < 0 {
			return msh.DeadLetterPage{}, fmt.Errorf("memory: list dead: cursor %q: %w", r.Cursor, msh.ErrInvalid)
		}
		start = n
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	all := q.dead[r.Tenant]
	if start > len(all) {
		start = len(all)
	}
	end := min(start+limit, len(all))
	page := msh.DeadLetterPage{Items: slices.Clone(all[start:end])}
	if end < len(all) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

type mbox struct {
	items map[string]msh.MailItem
	order []string // message ids in delivery order
}

// Mailbox is an in-memory msh.Mailbox.
type Mailbox struct {
	mu sync.Mutex
	m  map[string]*mbox
}

// NewMailbox returns an empty in-memory mailbox store.
func NewMailbox() *Mailbox { return &Mailbox{m: map[string]*mbox{}} }

// Deliver implements msh.Mailbox.
func (s *Mailbox) Deliver(_ context.Context, m msh.MailItem) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("memory: deliver: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := tkey(m.Tenant, m.Address)
	b := s.m[k]
	if b == nil {
		b = &mbox{items: map[string]msh.MailItem{}}
		s.m[k] = b
	}
	if _, ok := b.items[m.MessageID]; ok {
		return fmt.Errorf("memory: deliver %q: %w", m.MessageID, msh.ErrDuplicate)
	}
	b.items[m.MessageID] = cloneMail(m)
	b.order = append(b.order, m.MessageID)
	return nil
}

// GetMail implements msh.Mailbox.
func (s *Mailbox) GetMail(_ context.Context, k msh.MailKey) (msh.MailItem, error) {
	if err := k.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("memory: get mail: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.m[tkey(k.Tenant, k.Address)]; b != nil {
		if m, ok := b.items[k.MessageID]; ok {
			return cloneMail(m), nil
		}
	}
	return msh.MailItem{}, fmt.Errorf("memory: get mail %q: %w", k.MessageID, msh.ErrNotFound)
}

// ListMail implements msh.Mailbox; the cursor is a position in delivery order.
func (s *Mailbox) ListMail(_ context.Context, r msh.ListMailRequest) (msh.MailPage, error) {
	if err := r.Validate(); err != nil {
		return msh.MailPage{}, fmt.Errorf("memory: list mail: %w", err)
	}
	start := 0
	if r.Cursor != "" {
		n, err := strconv.Atoi(r.Cursor)
		if err != nil || n < 0 {
			return msh.MailPage{}, fmt.Errorf("memory: list mail: cursor %q: %w", r.Cursor, msh.ErrInvalid)
		}
		start = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var page msh.MailPage
	b := s.m[tkey(r.Tenant, r.Address)]
	if b == nil {
		return page, nil
	}
	start = min(start, len(b.order))
	end := min(start+r.EffectiveLimit(), len(b.order))
	for _, id := range b.order[start:end] {
		page.Items = append(page.Items, cloneMail(b.items[id]))
	}
	if end < len(b.order) {
		page.Next = strconv.Itoa(end)
	}
	return page, nil
}

// MarkRead implements msh.Mailbox.
func (s *Mailbox) MarkRead(_ context.Context, r msh.MarkReadRequest) (msh.MailItem, error) {
	if err := r.Validate(); err != nil {
		return msh.MailItem{}, fmt.Errorf("memory: mark read: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[tkey(r.Tenant, r.Address)]
	if b == nil {
		return msh.MailItem{}, fmt.Errorf("memory: mark read %q: %w", r.MessageID, msh.ErrNotFound)
	}
	m, ok := b.items[r.MessageID]
	if !ok {
		return msh.MailItem{}, fmt.Errorf("memory: mark read %q: %w", r.MessageID, msh.ErrNotFound)
	}
	if m.ReadAt.IsZero() {
		m.ReadAt = r.At
		b.items[r.MessageID] = m
	}
	return cloneMail(m), nil
}

func cloneInbound(m msh.InboundMessage) msh.InboundMessage {
	m.PayloadNames = slices.Clone(m.PayloadNames)
	m.Receipt = slices.Clone(m.Receipt)
	m.Meta = cloneMap(m.Meta)
	return m
}

func cloneOutbound(m msh.OutboundMessage) msh.OutboundMessage {
	m.PayloadNames = slices.Clone(m.PayloadNames)
	m.History = slices.Clone(m.History)
	m.Meta = cloneMap(m.Meta)
	return m
}

func cloneMail(m msh.MailItem) msh.MailItem {
	m.PayloadNames = slices.Clone(m.PayloadNames)
	m.Meta = cloneMap(m.Meta)
	return m
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
