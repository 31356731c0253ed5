package mshtest

import (
	"context"
	"io"
	"sync"

	"github.com/brevduva/brevduva/core/msh"
)

// Faults injects storage errors into the ports wrapped by its With… methods, for crash and
// fault tests of the engine (issue 9). An operation is named by its method ("PutInbound",
// "Lease", …). A fault either fails the call before it reaches the port (nothing written),
// or lets it through and then fails it (written, but the caller never learns it: a lost
// answer or a crash just after the write). The wrappers expose only the port itself, not
// optional abilities such as msh.PayloadDeleter.
type Faults struct {
	mu    sync.Mutex
	rules map[string][]fault
	calls map[string]int
	at    map[string]map[int]fault // op → call number → fault (FailAt)
}

type fault struct {
	after bool
	err   error
}

// NewFaults returns an injector with no faults armed.
func NewFaults() *Faults { return &Faults{rules: map[string][]fault{}, calls: map[string]int{}} }

// FailBefore makes the next call of op fail with err without reaching the port.
func (f *Faults) FailBefore(op string, err error) { f.arm(op, fault{err: err}) }

// FailAfter makes the next call of op reach the port and then return err.
func (f *Faults) FailAfter(op string, err error) { f.arm(op, fault{after: true, err: err}) }

// FailAt makes call number n of op (counting every call since NewFaults, from 1) fail
// with err: after the call reached the port when after is true, else before. It lets a
// test fail each step of a scenario in turn, by the call counts of a clean run.
func (f *Faults) FailAt(op string, n int, after bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at == nil {
		f.at = map[string]map[int]fault{}
	}
	if f.at[op] == nil {
		f.at[op] = map[int]fault{}
	}
	f.at[op][n] = fault{after: after, err: err}
}

// Counts returns the number of calls of every op so far.
func (f *Faults) Counts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

// Calls reports how many calls of op were made.
func (f *Faults) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *Faults) arm(op string, x fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules[op] = append(f.rules[op], x)
}

// take counts a call and pops its fault, if any.
func (f *Faults) take(op string) (fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	if x, ok := f.at[op][f.calls[op]]; ok {
		delete(f.at[op], f.calls[op])
		return x, true
	}
	rs := f.rules[op]
	if len(rs) == 0 {
		return fault{}, false
	}
	f.rules[op] = rs[1:]
	return rs[0], true
}

// run wraps one call.
func run[T any](f *Faults, op string, call func() (T, error)) (T, error) {
	x, ok := f.take(op)
	if ok && !x.after {
		var zero T
		return zero, x.err
	}
	v, err := call()
	if ok && err == nil {
		var zero T
		return zero, x.err
	}
	return v, err
}

func run0(f *Faults, op string, call func() error) error {
	_, err := run(f, op, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

// WithMessages wraps a message store.
func (f *Faults) WithMessages(s msh.MessageStore) msh.MessageStore { return faultyMessages{s, f} }

// WithPayloads wraps a payload store.
func (f *Faults) WithPayloads(s msh.PayloadStore) msh.PayloadStore { return faultyPayloads{s, f} }

// WithGuard wraps a duplicate guard.
func (f *Faults) WithGuard(g msh.DuplicateGuard) msh.DuplicateGuard { return faultyGuard{g, f} }

// WithQueue wraps a queue.
func (f *Faults) WithQueue(q msh.OutboundQueue) msh.OutboundQueue { return faultyQueue{q, f} }

// WithMailbox wraps a mailbox.
func (f *Faults) WithMailbox(m msh.Mailbox) msh.Mailbox { return faultyMailbox{m, f} }

type faultyMessages struct {
	s msh.MessageStore
	f *Faults
}

func (w faultyMessages) PutInbound(ctx context.Context, m msh.InboundMessage) error {
	return run0(w.f, "PutInbound", func() error { return w.s.PutInbound(ctx, m) })
}

func (w faultyMessages) GetInbound(ctx context.Context, k msh.MessageKey) (msh.InboundMessage, error) {
	return run(w.f, "GetInbound", func() (msh.InboundMessage, error) { return w.s.GetInbound(ctx, k) })
}

func (w faultyMessages) CreateOutbound(ctx context.Context, m msh.OutboundMessage) error {
	return run0(w.f, "CreateOutbound", func() error { return w.s.CreateOutbound(ctx, m) })
}

func (w faultyMessages) GetOutbound(ctx context.Context, k msh.MessageKey) (msh.OutboundMessage, error) {
	return run(w.f, "GetOutbound", func() (msh.OutboundMessage, error) { return w.s.GetOutbound(ctx, k) })
}

func (w faultyMessages) SwapOutbound(ctx context.Context, r msh.SwapRequest) (msh.OutboundMessage, error) {
	return run(w.f, "SwapOutbound", func() (msh.OutboundMessage, error) { return w.s.SwapOutbound(ctx, r) })
}

type faultyPayloads struct {
	s msh.PayloadStore
	f *Faults
}

func (w faultyPayloads) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	return run(w.f, "PutPayload", func() (msh.PayloadInfo, error) { return w.s.PutPayload(ctx, r, body) })
}

func (w faultyPayloads) OpenPayload(ctx context.Context, k msh.PayloadKey) (io.ReadCloser, msh.PayloadInfo, error) {
	x, ok := w.f.take("OpenPayload")
	if ok && !x.after {
		return nil, msh.PayloadInfo{}, x.err
	}
	rc, info, err := w.s.OpenPayload(ctx, k)
	if ok && err == nil {
		rc.Close()
		return nil, msh.PayloadInfo{}, x.err
	}
	return rc, info, err
}

type faultyGuard struct {
	g msh.DuplicateGuard
	f *Faults
}

func (w faultyGuard) Register(ctx context.Context, r msh.GuardRequest) (bool, error) {
	return run(w.f, "Register", func() (bool, error) { return w.g.Register(ctx, r) })
}

type faultyQueue struct {
	q msh.OutboundQueue
	f *Faults
}

func (w faultyQueue) Enqueue(ctx context.Context, item msh.QueueItem) error {
	return run0(w.f, "Enqueue", func() error { return w.q.Enqueue(ctx, item) })
}

func (w faultyQueue) Lease(ctx context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	return run(w.f, "Lease", func() (msh.Lease, error) { return w.q.Lease(ctx, r) })
}

func (w faultyQueue) Ack(ctx context.Context, r msh.LeaseRef) error {
	return run0(w.f, "Ack", func() error { return w.q.Ack(ctx, r) })
}

func (w faultyQueue) Nack(ctx context.Context, r msh.NackRequest) error {
	return run0(w.f, "Nack", func() error { return w.q.Nack(ctx, r) })
}

type faultyMailbox struct {
	m msh.Mailbox
	f *Faults
}

func (w faultyMailbox) Deliver(ctx context.Context, m msh.MailItem) error {
	return run0(w.f, "Deliver", func() error { return w.m.Deliver(ctx, m) })
}

func (w faultyMailbox) GetMail(ctx context.Context, k msh.MailKey) (msh.MailItem, error) {
	return run(w.f, "GetMail", func() (msh.MailItem, error) { return w.m.GetMail(ctx, k) })
}

func (w faultyMailbox) ListMail(ctx context.Context, r msh.ListMailRequest) (msh.MailPage, error) {
	return run(w.f, "ListMail", func() (msh.MailPage, error) { return w.m.ListMail(ctx, r) })
}

func (w faultyMailbox) MarkRead(ctx context.Context, r msh.MarkReadRequest) (msh.MailItem, error) {
	return run(w.f, "MarkRead", func() (msh.MailItem, error) { return w.m.MarkRead(ctx, r) })
}
