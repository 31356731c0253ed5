package audittest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
)

// Tamper writes a store the way an attacker with write access would: around the
// conditions of audit.Store.
type Tamper interface {
	Overwrite(tenant string, seq uint64, data []byte) error
	Remove(tenant string, seq uint64) error
	ForceCheckpoint(tenant string, c audit.Checkpoint) error
}

// Factory returns a fresh, empty store and its tamper access.
type Factory func(t *testing.T) (audit.Store, Tamper)

// Clock is a settable clock for tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time and moves it on by a millisecond, so entries differ in At.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Millisecond)
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// T0 is the suite's start time.
var T0 = time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)

// Run runs the contract suite against the stores f makes.
func Run(t *testing.T, f Factory) {
	t.Run("store", func(t *testing.T) { testStore(t, f) })
	t.Run("verify-intact", func(t *testing.T) { testIntact(t, f) })
	t.Run("tamper", func(t *testing.T) { testTamper(t, f) })
	t.Run("anchor", func(t *testing.T) { testAnchor(t, f) })
	t.Run("prune", func(t *testing.T) { testPrune(t, f) })
	t.Run("prune-interrupted", func(t *testing.T) { testPruneInterrupted(t, f) })
	t.Run("prune-concurrent", func(t *testing.T) { testPruneConcurrent(t, f) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, f) })
	t.Run("search", func(t *testing.T) { testSearch(t, f) })
}

// NewLog is a Log on s with a Clock at T0.
func NewLog(t testing.TB, s audit.Store) (*audit.Log, *Clock) {
	t.Helper()
	c := NewClock(T0)
	l, err := audit.NewLog(audit.Options{Store: s, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

// Event is a sample event of tenant number i (no content, only ids).
func Event(tenant string, i int) audit.Event {
	return audit.Event{
		Tenant: tenant, Type: audit.TypeState, MessageID: fmt.Sprintf("m-%d", i), ConversationID: fmt.Sprintf("c-%d", i%3),
		Sender: "0203:kommun-a.se", Recipient: "0203:kommun-b.se", RecipientFunction: "registrator",
		FromAP: "ap-a", ToAP: "ap-b", State: "SUBMITTED",
	}
}

func fill(t *testing.T, l *audit.Log, tenant string, n int) []audit.Entry {
	t.Helper()
	out := make([]audit.Entry, 0, n)
	for i := 1; i <= n; i++ {
		e, err := l.Append(context.Background(), Event(tenant, i))
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		if e.Seq != uint64(i) {
			t.Fatalf("append %d got seq %d", i, e.Seq)
		}
		out = append(out, e)
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testStore(t *testing.T, f Factory) {
	ctx := context.Background()
	s, _ := f(t)
	if _, err := s.Last(ctx, "t1"); !errors.Is(err, audit.ErrEmpty) {
		t.Fatalf("last of empty: %v", err)
	}
	if _, err := s.Checkpoint(ctx, "t1"); !errors.Is(err, audit.ErrNotFound) {
		t.Fatalf("checkpoint of empty: %v", err)
	}
	for i := uint64(1); i <= 5; i++ {
		must(t, s.Append(ctx, "t1", audit.Record{Seq: i, Data: []byte{byte(i)}}))
	}
	if err := s.Append(ctx, "t1", audit.Record{Seq: 3, Data: []byte("x")}); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("append on a taken seq: %v", err)
	}
	must(t, s.Append(ctx, "t2", audit.Record{Seq: 1, Data: []byte("other")}))
	last, err := s.Last(ctx, "t1")
	if err != nil || last.Seq != 5 || string(last.Data) != "\x05" {
		t.Fatalf("last = %+v, %v", last, err)
	}
	recs, err := s.Scan(ctx, "t1", 2, 2)
	if err != nil || len(recs) != 2 || recs[0].Seq != 2 || recs[1].Seq != 3 || string(recs[0].Data) != "\x02" {
		t.Fatalf("scan = %+v, %v", recs, err)
	}
	must(t, s.PutCheckpoint(ctx, "t1", audit.Checkpoint{Seq: 2, Hash: [32]byte{9}, At: T0}))
	if err := s.PutCheckpoint(ctx, "t1", audit.Checkpoint{Seq: 2}); !errors.Is(err, audit.ErrConflict) {
		t.Fatalf("checkpoint not newer: %v", err)
	}
	cp, err := s.Checkpoint(ctx, "t1")
	if err != nil || cp.Seq != 2 || cp.Hash != [32]byte{9} || !cp.At.Equal(T0) {
		t.Fatalf("checkpoint = %+v, %v", cp, err)
	}
	must(t, s.DeleteThrough(ctx, "t1", 3))
	recs, err = s.Scan(ctx, "t1", 1, audit.MaxScan)
	if err != nil || len(recs) != 2 || recs[0].Seq != 4 {
		t.Fatalf("after delete: %+v, %v", recs, err)
	}
	if recs, err := s.Scan(ctx, "t2", 1, audit.MaxScan); err != nil || len(recs) != 1 || string(recs[0].Data) != "other" {
		t.Fatalf("tenant t2 touched: %+v, %v", recs, err)
	}
}

func testIntact(t *testing.T, f Factory) {
	s, _ := f(t)
	l, _ := NewLog(t, s)
	es := fill(t, l, "t1", 10)
	fill(t, l, "t2", 3)
	rep, err := l.Verify(context.Background(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Entries != 10 || rep.First != 1 || rep.Head.Seq != 10 || rep.Head.Hash != es[9].Hash {
		t.Fatalf("report %+v", rep)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Prev != es[i-1].Hash {
			t.Fatalf("entry %d does not name its predecessor", i+1)
		}
	}
}

// tamperCase damages a chain of 8 entries; Verify must name want.
type tamperCase struct {
	name   string
	damage func(t *testing.T, tm Tamper, es []audit.Entry, raw [][]byte)
	want   uint64
}

func reencode(t *testing.T, e audit.Entry) []byte {
	t.Helper()
	b, err := audit.Encode(&e)
	must(t, err)
	return b
}

var tamperCases = []tamperCase{
	{"byte flipped", func(t *testing.T, tm Tamper, _ []audit.Entry, raw [][]byte) {
		b := append([]byte(nil), raw[2]...)
		b[len(b)/2] ^= 0x01
		must(t, tm.Overwrite("t1", 3, b))
	}, 3},
	{"field changed and hash recomputed", func(t *testing.T, tm Tamper, es []audit.Entry, _ [][]byte) {
		e := es[2]
		e.State = "ACCEPTED"
		must(t, tm.Overwrite("t1", 3, reencode(t, e)))
	}, 3},
	{"removed", func(t *testing.T, tm Tamper, _ []audit.Entry, _ [][]byte) {
		must(t, tm.Remove("t1", 3))
	}, 3},
	{"reordered", func(t *testing.T, tm Tamper, _ []audit.Entry, raw [][]byte) {
		must(t, tm.Overwrite("t1", 3, raw[3]))
		must(t, tm.Overwrite("t1", 4, raw[2]))
	}, 3},
	{"inserted", func(t *testing.T, tm Tamper, es []audit.Entry, raw [][]byte) {
		for i := len(raw); i >= 3; i-- { // shift #3..#8 to #4..#9
			must(t, tm.Overwrite("t1", uint64(i+1), raw[i-1]))
		}
		forged := audit.Entry{Event: Event("t1", 99), Seq: 3, Prev: es[1].Hash}
		forged.At = es[1].At.Add(time.Millisecond)
		must(t, tm.Overwrite("t1", 3, reencode(t, forged)))
	}, 3},
	{"another tenant's entry", func(t *testing.T, tm Tamper, es []audit.Entry, _ [][]byte) {
		e := es[4]
		e.Tenant = "t2"
		must(t, tm.Overwrite("t1", 5, reencode(t, e)))
	}, 5},
	{"garbage", func(t *testing.T, tm Tamper, _ []audit.Entry, _ [][]byte) {
		must(t, tm.Overwrite("t1", 6, []byte("not an entry")))
	}, 6},
}

func testTamper(t *testing.T, f Factory) {
	for _, c := range tamperCases {
		t.Run(c.name, func(t *testing.T) {
			s, tm := f(t)
			l, _ := NewLog(t, s)
			es := fill(t, l, "t1", 8)
			fill(t, l, "t2", 2)
			recs, err := s.Scan(context.Background(), "t1", 1, audit.MaxScan)
			must(t, err)
			raw := make([][]byte, len(recs))
			for i, r := range recs {
				raw[i] = r.Data
			}
			c.damage(t, tm, es, raw)
			_, err = l.Verify(context.Background(), "t1")
			var be *audit.BrokenError
			if !errors.As(err, &be) {
				t.Fatalf("verify after damage: %v, want a BrokenError", err)
			}
			if be.Seq != c.want {
				t.Fatalf("verify names #%d (%v), want #%d", be.Seq, be, c.want)
			}
			if _, err := l.Verify(context.Background(), "t2"); err != nil {
				t.Fatalf("tenant t2: %v", err)
			}
		})
	}
}

// testAnchor: removing the tail, or rewriting it consistently, is only visible against an
// anchor kept outside the store.
func testAnchor(t *testing.T, f Factory) {
	ctx := context.Background()
	s, tm := f(t)
	l, _ := NewLog(t, s)
	es := fill(t, l, "t1", 8)
	head := audit.Anchor{Seq: 8, Hash: es[7].Hash}
	mid := audit.Anchor{Seq: 6, Hash: es[5].Hash}
	must(t, tm.Remove("t1", 8))
	if _, err := l.Verify(ctx, "t1"); err != nil {
		t.Fatalf("a truncated chain without anchors is valid (documented limit), got %v", err)
	}
	assertBroken(t, l, "t1", 8, head)
	// Rewrite #5..#7 consistently (the attacker recomputes every hash).
	prev := es[3].Hash
	for i := 4; i < 7; i++ {
		e := es[i]
		e.Prev, e.Detail = prev, "rewritten"
		b, err := audit.Encode(&e)
		must(t, err)
		must(t, tm.Overwrite("t1", e.Seq, b))
		prev = e.Hash
	}
	if _, err := l.Verify(ctx, "t1"); err != nil {
		t.Fatalf("a consistently rewritten tail without anchors is valid (documented limit), got %v", err)
	}
	assertBroken(t, l, "t1", 6, mid)
}

func assertBroken(t *testing.T, l *audit.Log, tenant string, want uint64, anchors ...audit.Anchor) {
	t.Helper()
	_, err := l.Verify(context.Background(), tenant, anchors...)
	var be *audit.BrokenError
	if !errors.As(err, &be) || be.Seq != want {
		t.Fatalf("verify = %v, want broken at #%d", err, want)
	}
}

func testPrune(t *testing.T, f Factory) {
	ctx := context.Background()
	s, tm := f(t)
	l, c := NewLog(t, s)
	for i := range 5 { // #1..#5, one month apart
		c.Set(T0.AddDate(0, i, 0))
		_, err := l.Append(ctx, Event("t1", i))
		must(t, err)
	}
	c.Set(T0.AddDate(0, 14, 1)) // cutoff 12 months back: after #3, before #4
	res, err := l.Prune(ctx, "t1")
	must(t, err)
	if res.Checkpoint.Seq != 3 || res.Pruned != 3 {
		t.Fatalf("prune = %+v", res)
	}
	if recs, err := s.Scan(ctx, "t1", 1, audit.MaxScan); err != nil || len(recs) != 3 || recs[0].Seq != 4 {
		t.Fatalf("after prune: %d records from #%d, %v", len(recs), recs[0].Seq, err)
	}
	_, err = l.Append(ctx, Event("t1", 9))
	must(t, err)
	rep, err := l.Verify(ctx, "t1")
	must(t, err)
	if rep.First != 4 || rep.Entries != 4 || rep.Checkpoint == nil || rep.Checkpoint.Seq != 3 {
		t.Fatalf("report %+v", rep)
	}
	if again, err := l.Prune(ctx, "t1"); err != nil || again.Pruned != 0 {
		t.Fatalf("second prune: %+v, %v", again, err)
	}
	// The attacker prunes #4 too: moves the checkpoint and removes the entry.
	recs, err := s.Scan(ctx, "t1", 4, 1)
	must(t, err)
	e4, err := audit.Decode(recs[0].Data)
	must(t, err)
	must(t, tm.ForceCheckpoint("t1", audit.Checkpoint{Seq: 4, Hash: e4.Hash, At: e4.At}))
	must(t, tm.Remove("t1", 4))
	assertBroken(t, l, "t1", 5)
}

// testPruneInterrupted: a prune that stopped after its checkpoint (before deleting) leaves
// a chain that verifies, and the next prune deletes what is left.
func testPruneInterrupted(t *testing.T, f Factory) {
	ctx := context.Background()
	s, _ := f(t)
	l, _ := NewLog(t, s)
	es := fill(t, l, "t1", 5)
	cp := audit.Checkpoint{Seq: 3, Hash: es[2].Hash, At: es[2].At}
	_, err := l.Append(ctx, audit.Event{Tenant: "t1", Type: audit.TypePruned, Checkpoint: cp.String()})
	must(t, err)
	must(t, s.PutCheckpoint(ctx, "t1", cp))
	if rep, err := l.Verify(ctx, "t1"); err != nil || rep.First != 4 || rep.Entries != 3 {
		t.Fatalf("after an interrupted prune: %+v, %v", rep, err)
	}
	if res, err := l.Prune(ctx, "t1"); err != nil || res.Pruned != 0 { // nothing is older than the retention
		t.Fatalf("prune: %+v, %v", res, err)
	}
	if recs, err := s.Scan(ctx, "t1", 1, audit.MaxScan); err != nil || len(recs) != 3 || recs[0].Seq != 4 {
		t.Fatalf("the next prune left %d records, %v", len(recs), err)
	}
	if _, err := l.Verify(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
}

// testPruneConcurrent: two processes prune the same chain at once (Lambdas at cold start):
// neither fails, and the chain verifies from the checkpoint.
func testPruneConcurrent(t *testing.T, f Factory) {
	ctx := context.Background()
	s, _ := f(t)
	l1, c1 := NewLog(t, s)
	l2, c2 := NewLog(t, s)
	for i := range 5 {
		c1.Set(T0.AddDate(0, i, 0))
		_, err := l1.Append(ctx, Event("t1", i))
		must(t, err)
	}
	c1.Set(T0.AddDate(0, 14, 1))
	c2.Set(T0.AddDate(0, 14, 1))
	errs := make(chan error, 2)
	for _, l := range []*audit.Log{l1, l2} {
		go func() {
			_, err := l.Prune(ctx, "t1")
			errs <- err
		}()
	}
	for range 2 {
		must(t, <-errs)
	}
	rep, err := l1.Verify(ctx, "t1")
	must(t, err)
	if rep.First != 4 || rep.Checkpoint == nil || rep.Checkpoint.Seq != 3 {
		t.Fatalf("report %+v", rep)
	}
	if recs, err := s.Scan(ctx, "t1", 1, 1); err != nil || recs[0].Seq != 4 {
		t.Fatalf("first record #%d, %v", recs[0].Seq, err)
	}
}

func testConcurrent(t *testing.T, f Factory) {
	const logs, each = 4, 15
	s, _ := f(t)
	var wg sync.WaitGroup
	errs := make(chan error, logs)
	for w := range logs {
		l, _ := NewLog(t, s) // one Log per appender, as separate processes would have
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := l.Append(context.Background(), Event("t1", w*100+i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	l, _ := NewLog(t, s)
	rep, err := l.Verify(context.Background(), "t1")
	must(t, err)
	if rep.Entries != logs*each || rep.Head.Seq != logs*each {
		t.Fatalf("report %+v, want %d entries", rep, logs*each)
	}
}

func testSearch(t *testing.T, f Factory) {
	ctx := context.Background()
	s, _ := f(t)
	l, c := NewLog(t, s)
	add := func(at time.Time, e audit.Event) {
		c.Set(at)
		_, err := l.Append(ctx, e)
		must(t, err)
	}
	base := audit.Event{Tenant: "t1", Type: audit.TypeState, Sender: "0203:kommun-a.se", Recipient: "0203:kommun-b.se"}
	m1, m2, kv := base, base, base
	m1.MessageID, m1.ConversationID = "m1", "c1"
	m2.MessageID, m2.ConversationID, m2.Recipient = "m2", "c2", "0203:region-c.se"
	kv.MessageID, kv.RefToMessageID, kv.ConversationID, kv.Type = "kvittens-m1", "m1", "c1", audit.TypeSubmitted
	add(T0, m1)
	add(T0.Add(time.Hour), m2)
	add(T0.Add(2*time.Hour), kv)
	add(T0.Add(3*time.Hour), m1)
	other := m1
	other.Tenant = "t2"
	add(T0, other)
	cases := []struct {
		name string
		f    audit.Filter
		want []uint64
	}{
		{"message id and refTo", audit.Filter{MessageID: "m1"}, []uint64{1, 3, 4}},
		{"conversation", audit.Filter{ConversationID: "c2"}, []uint64{2}},
		{"party, case-insensitive", audit.Filter{Party: "0203:REGION-C.se"}, []uint64{2}},
		{"time range", audit.Filter{From: T0.Add(time.Hour), To: T0.Add(3 * time.Hour)}, []uint64{2, 3}},
		{"all", audit.Filter{}, []uint64{1, 2, 3, 4}},
		{"none", audit.Filter{MessageID: "nope"}, nil},
	}
	for _, tc := range cases {
		p, err := l.Search(ctx, "t1", tc.f)
		must(t, err)
		if got := seqs(p.Entries); fmt.Sprint(got) != fmt.Sprint(tc.want) || p.Next != 0 {
			t.Errorf("%s: got %v next %d, want %v", tc.name, got, p.Next, tc.want)
		}
	}
	p, err := l.Search(ctx, "t1", audit.Filter{MessageID: "m1", Limit: 2})
	must(t, err)
	if fmt.Sprint(seqs(p.Entries)) != "[1 3]" || p.Next != 3 {
		t.Fatalf("page 1: %v next %d", seqs(p.Entries), p.Next)
	}
	p, err = l.Search(ctx, "t1", audit.Filter{MessageID: "m1", Limit: 2, After: p.Next})
	must(t, err)
	if fmt.Sprint(seqs(p.Entries)) != "[4]" || p.Next != 0 {
		t.Fatalf("page 2: %v next %d", seqs(p.Entries), p.Next)
	}
}

func seqs(es []audit.Entry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}
