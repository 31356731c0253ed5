package faults

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/discovery"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/smp"
)

// ErrInjected is the storage error a Fail action returns (wrapped with the point).
var ErrInjected = errors.New("faults: injected storage error")

// Phase says when a fault strikes: Before the call reaches the adapter (nothing happens),
// or After the adapter returned success (the call took effect; its answer is lost).
type Phase string

// Phases.
const (
	Before Phase = "before"
	After  Phase = "after"
)

// Point names one port call of one tenant's engine: with Before, the N-th call of Op;
// with After, the N-th call of Op that succeeded (so that Lease #N is the N-th item
// leased, not the N-th poll of an empty queue).
type Point struct {
	Tenant string `json:"tenant"`
	Op     string `json:"op"`
	Phase  Phase  `json:"phase"`
	N      int    `json:"n"`
}

func (p Point) String() string { return fmt.Sprintf("%s/%s#%d-%s", p.Tenant, p.Op, p.N, p.Phase) }

// Action is what an armed point does: its error is the call's result.
type Action func(p Point) error

// Fail returns ErrInjected: a storage (or network, or lookup) error.
func Fail(p Point) error { return fmt.Errorf("faults: %s: %w", p, ErrInjected) }

// Crash returns an action that writes "crash POINT" as a protocol line to w and then
// stops the calling goroutine for good: the parent process kills this one (SIGKILL)
// when it reads the line. Other goroutines run on until the kill, as in a real crash.
func Crash(w io.Writer) Action {
	var mu sync.Mutex
	return func(p Point) error {
		mu.Lock()
		fmt.Fprintf(w, "%s %s\n", lineCrash, p)
		mu.Unlock()
		for {
			time.Sleep(time.Hour)
		}
	}
}

// Count is how many calls of one op one tenant made, per phase.
type Count struct {
	Tenant string `json:"tenant"`
	Op     string `json:"op"`
	Phase  Phase  `json:"phase"`
	N      int    `json:"n"`
}

// Injector counts the port calls of every wrapped engine and strikes at its armed points.
type Injector struct {
	action Action
	mu     sync.Mutex
	counts map[Point]int // Point with N = 0 → calls
	armed  map[Point]bool
	fired  []Point
}

// NewInjector arms points with action (nil: Fail).
func NewInjector(action Action, points ...Point) *Injector {
	if action == nil {
		action = Fail
	}
	in := &Injector{action: action, counts: map[Point]int{}, armed: map[Point]bool{}}
	for _, p := range points {
		in.armed[p] = true
	}
	return in
}

// Counts returns the calls so far, sorted by tenant, op and phase.
func (in *Injector) Counts() []Count {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := make([]Count, 0, len(in.counts))
	for k, n := range in.counts {
		out = append(out, Count{k.Tenant, k.Op, k.Phase, n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Tenant != b.Tenant {
			return a.Tenant < b.Tenant
		}
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		return a.Phase > b.Phase // before, then after
	})
	return out
}

// Fired returns the armed points that were reached.
func (in *Injector) Fired() []Point {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Point(nil), in.fired...)
}

// hit counts one call of op at phase and runs the action if that call is armed.
func (in *Injector) hit(tenant, op string, ph Phase) error {
	in.mu.Lock()
	k := Point{Tenant: tenant, Op: op, Phase: ph}
	in.counts[k]++
	k.N = in.counts[k]
	armed := in.armed[k]
	if armed {
		delete(in.armed, k)
		in.fired = append(in.fired, k)
	}
	in.mu.Unlock()
	if !armed {
		return nil
	}
	return in.action(k)
}

// call runs one port call between its two phases.
func call[T any](in *Injector, tenant, op string, f func() (T, error)) (T, error) {
	var zero T
	if err := in.hit(tenant, op, Before); err != nil {
		return zero, err
	}
	v, err := f()
	if err != nil {
		return v, err
	}
	if err := in.hit(tenant, op, After); err != nil {
		return zero, err
	}
	return v, nil
}

func call0(in *Injector, tenant, op string, f func() error) error {
	_, err := call(in, tenant, op, func() (struct{}, error) { return struct{}{}, f() })
	return err
}

// Wrap replaces the ports of one tenant's engine options by injecting wrappers.
func (in *Injector) Wrap(tenant string, o *msh.EngineOptions) {
	o.Store = &messages{o.Store, in, tenant}
	o.Payloads = &payloads{o.Payloads, in, tenant}
	o.Guard = &guard{o.Guard, in, tenant}
	o.Queue = &queue{o.Queue, in, tenant}
	o.Mailbox = &mailbox{o.Mailbox, in, tenant}
	o.Transport = &transport{o.Transport, in, tenant}
	o.Discovery = &discoverer{o.Discovery, in, tenant}
	if o.Audit != nil { // optional: an engine without an auditor records nothing
		o.Audit = &auditor{o.Audit, in, tenant}
	}
}

// errNoAbility is the answer of an optional ability the wrapped adapter lacks.
func errNoAbility(op string) error {
	return fmt.Errorf("faults: %s: the adapter lacks it: %w", op, msh.ErrNotImplemented)
}

type messages struct {
	s      msh.MessageStore
	in     *Injector
	tenant string
}

var (
	_ msh.MessageStore  = (*messages)(nil)
	_ msh.OutboxLister  = (*messages)(nil)
	_ msh.OutboxDeleter = (*messages)(nil)
)

func (w *messages) PutInbound(ctx context.Context, m msh.InboundMessage) error {
	return call0(w.in, w.tenant, "PutInbound", func() error { return w.s.PutInbound(ctx, m) })
}

func (w *messages) GetInbound(ctx context.Context, k msh.MessageKey) (msh.InboundMessage, error) {
	return call(w.in, w.tenant, "GetInbound", func() (msh.InboundMessage, error) { return w.s.GetInbound(ctx, k) })
}

func (w *messages) CreateOutbound(ctx context.Context, m msh.OutboundMessage) error {
	return call0(w.in, w.tenant, "CreateOutbound", func() error { return w.s.CreateOutbound(ctx, m) })
}

func (w *messages) GetOutbound(ctx context.Context, k msh.MessageKey) (msh.OutboundMessage, error) {
	return call(w.in, w.tenant, "GetOutbound", func() (msh.OutboundMessage, error) { return w.s.GetOutbound(ctx, k) })
}

func (w *messages) SwapOutbound(ctx context.Context, r msh.SwapRequest) (msh.OutboundMessage, error) {
	return call(w.in, w.tenant, "SwapOutbound", func() (msh.OutboundMessage, error) { return w.s.SwapOutbound(ctx, r) })
}

func (w *messages) ListOutbound(ctx context.Context, r msh.ListOutboundRequest) (msh.OutboundPage, error) {
	return call(w.in, w.tenant, "ListOutbound", func() (msh.OutboundPage, error) {
		l, ok := w.s.(msh.OutboxLister)
		if !ok {
			return msh.OutboundPage{}, errNoAbility("ListOutbound")
		}
		return l.ListOutbound(ctx, r)
	})
}

func (w *messages) DeleteOutbound(ctx context.Context, k msh.MessageKey, expect int64) error {
	return call0(w.in, w.tenant, "DeleteOutbound", func() error {
		d, ok := w.s.(msh.OutboxDeleter)
		if !ok {
			return errNoAbility("DeleteOutbound")
		}
		return d.DeleteOutbound(ctx, k, expect)
	})
}

type payloads struct {
	s      msh.PayloadStore
	in     *Injector
	tenant string
}

var (
	_ msh.PayloadStore   = (*payloads)(nil)
	_ msh.PayloadDeleter = (*payloads)(nil)
)

func (w *payloads) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	return call(w.in, w.tenant, "PutPayload", func() (msh.PayloadInfo, error) { return w.s.PutPayload(ctx, r, body) })
}

type opened struct {
	rc   io.ReadCloser
	info msh.PayloadInfo
}

func (w *payloads) OpenPayload(ctx context.Context, k msh.PayloadKey) (io.ReadCloser, msh.PayloadInfo, error) {
	var got opened
	_, err := call(w.in, w.tenant, "OpenPayload", func() (opened, error) {
		rc, info, err := w.s.OpenPayload(ctx, k)
		got = opened{rc, info}
		return got, err
	})
	if err != nil {
		if got.rc != nil { // opened, then struck After
			got.rc.Close()
		}
		return nil, msh.PayloadInfo{}, err
	}
	return got.rc, got.info, nil
}

func (w *payloads) DeletePayload(ctx context.Context, k msh.PayloadKey) error {
	return call0(w.in, w.tenant, "DeletePayload", func() error {
		d, ok := w.s.(msh.PayloadDeleter)
		if !ok {
			return errNoAbility("DeletePayload")
		}
		return d.DeletePayload(ctx, k)
	})
}

type guard struct {
	g      msh.DuplicateGuard
	in     *Injector
	tenant string
}

var (
	_ msh.DuplicateGuard = (*guard)(nil)
	_ msh.GuardSweeper   = (*guard)(nil)
)

func (w *guard) Register(ctx context.Context, r msh.GuardRequest) (bool, error) {
	return call(w.in, w.tenant, "Register", func() (bool, error) { return w.g.Register(ctx, r) })
}

func (w *guard) SweepExpired(ctx context.Context, tenant string, limit int) (int, error) {
	return call(w.in, w.tenant, "SweepExpired", func() (int, error) {
		s, ok := w.g.(msh.GuardSweeper)
		if !ok {
			return 0, errNoAbility("SweepExpired")
		}
		return s.SweepExpired(ctx, tenant, limit)
	})
}

type queue struct {
	q      msh.OutboundQueue
	in     *Injector
	tenant string
}

var (
	_ msh.OutboundQueue = (*queue)(nil)
	_ msh.DeadLetters   = (*queue)(nil)
)

func (w *queue) Enqueue(ctx context.Context, item msh.QueueItem) error {
	return call0(w.in, w.tenant, "Enqueue", func() error { return w.q.Enqueue(ctx, item) })
}

func (w *queue) Lease(ctx context.Context, r msh.LeaseRequest) (msh.Lease, error) {
	return call(w.in, w.tenant, "Lease", func() (msh.Lease, error) { return w.q.Lease(ctx, r) })
}

func (w *queue) Ack(ctx context.Context, r msh.LeaseRef) error {
	return call0(w.in, w.tenant, "Ack", func() error { return w.q.Ack(ctx, r) })
}

func (w *queue) Nack(ctx context.Context, r msh.NackRequest) error {
	return call0(w.in, w.tenant, "Nack", func() error { return w.q.Nack(ctx, r) })
}

func (w *queue) ListDead(ctx context.Context, r msh.DeadLetterRequest) (msh.DeadLetterPage, error) {
	return call(w.in, w.tenant, "ListDead", func() (msh.DeadLetterPage, error) {
		d, ok := w.q.(msh.DeadLetters)
		if !ok {
			return msh.DeadLetterPage{}, errNoAbility("ListDead")
		}
		return d.ListDead(ctx, r)
	})
}

type mailbox struct {
	m      msh.Mailbox
	in     *Injector
	tenant string
}

var _ msh.Mailbox = (*mailbox)(nil)

func (w *mailbox) Deliver(ctx context.Context, m msh.MailItem) error {
	return call0(w.in, w.tenant, "Deliver", func() error { return w.m.Deliver(ctx, m) })
}

func (w *mailbox) GetMail(ctx context.Context, k msh.MailKey) (msh.MailItem, error) {
	return call(w.in, w.tenant, "GetMail", func() (msh.MailItem, error) { return w.m.GetMail(ctx, k) })
}

func (w *mailbox) ListMail(ctx context.Context, r msh.ListMailRequest) (msh.MailPage, error) {
	return call(w.in, w.tenant, "ListMail", func() (msh.MailPage, error) { return w.m.ListMail(ctx, r) })
}

func (w *mailbox) MarkRead(ctx context.Context, r msh.MarkReadRequest) (msh.MailItem, error) {
	return call(w.in, w.tenant, "MarkRead", func() (msh.MailItem, error) { return w.m.MarkRead(ctx, r) })
}

// transport: Before, the request is never sent; After, the peer answered and the answer
// is lost (the peer may have stored the message: the resend must be a duplicate).
type transport struct {
	t      msh.Transport
	in     *Injector
	tenant string
}

var _ msh.Transport = (*transport)(nil)

type answer struct {
	ct   string
	body []byte
}

func (w *transport) Post(ctx context.Context, endpointURL, contentType string, body io.Reader) (string, []byte, error) {
	a, err := call(w.in, w.tenant, "Post", func() (answer, error) {
		ct, b, err := w.t.Post(ctx, endpointURL, contentType, body)
		return answer{ct, b}, err
	})
	return a.ct, a.body, err
}

// discoverer: a failing lookup (DNS, SMP) is a transient error like a store's.
type discoverer struct {
	d      msh.Discoverer
	in     *Injector
	tenant string
}

var _ msh.Discoverer = (*discoverer)(nil)

func (w *discoverer) Lookup(ctx context.Context, participant, document smp.Identifier) (*discovery.Result, error) {
	return call(w.in, w.tenant, "Lookup", func() (*discovery.Result, error) { return w.d.Lookup(ctx, participant, document) })
}

// auditor: a failing audit trail must change nothing about the messages (core/msh
// Auditor).
type auditor struct {
	a      msh.Auditor
	in     *Injector
	tenant string
}

var _ msh.Auditor = (*auditor)(nil)

func (w *auditor) Record(ctx context.Context, ev audit.Event) error {
	return call0(w.in, w.tenant, "Record", func() error { return w.a.Record(ctx, ev) })
}
