package mshtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

func sampleInbound(tenant, id string) msh.InboundMessage {
	return msh.InboundMessage{
		MessageKey:     msh.MessageKey{Tenant: tenant, MessageID: id},
		ConversationID: "conv-" + id,
		RefToMessageID: "ref-" + id,
		FromParty:      "ap-a.example.se",
		ToParty:        "ap-b.example.se",
		OriginalSender: "0203:kommun-a.se",
		FinalRecipient: "0203:kommun-b.se",
		Service:        "bdx:noprocess",
		Action:         "busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3",
		ReceivedAt:     T0.Add(1500 * time.Millisecond),
		PayloadNames:   []string{id + "/part-1", id + "/part-2"},
		Receipt:        []byte("<S12:Envelope>receipt for " + id + "</S12:Envelope>"),
		Meta:           map[string]string{"trackingIdentifier": "trk-" + id, "åäö": "ÅÄÖ"},
	}
}

// sameInbound compares with time.Time.Equal for the time fields.
func sameInbound(a, b msh.InboundMessage) bool {
	if !a.ReceivedAt.Equal(b.ReceivedAt) {
		return false
	}
	a.ReceivedAt, b.ReceivedAt = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// TestInboundStore is the contract suite of msh.InboundStore.
func TestInboundStore(t *testing.T, opener Opener[msh.InboundStore]) {
	ctx := context.Background()

	t.Run("PutGetRoundTrip", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, id := range []string{"m1", "urn:uuid:6f1c2d3e-0000-4000-8000-000000000001@ap-a.example.se", "åäö ≠ ascii <&>"} {
			m := sampleInbound("t1", id)
			noErr(t, "PutInbound", in.Port.PutInbound(ctx, m))
			got, err := in.Port.GetInbound(ctx, m.MessageKey)
			noErr(t, "GetInbound", err)
			if !sameInbound(got, m) {
				t.Fatalf("GetInbound = %+v, want %+v", got, m)
			}
		}
	})

	t.Run("MinimalRecord", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := msh.InboundMessage{MessageKey: msh.MessageKey{Tenant: "t1", MessageID: "bare"}}
		noErr(t, "PutInbound", in.Port.PutInbound(ctx, m))
		got, err := in.Port.GetInbound(ctx, m.MessageKey)
		noErr(t, "GetInbound", err)
		if got.MessageKey != m.MessageKey || len(got.Receipt) != 0 || len(got.PayloadNames) != 0 || !got.ReceivedAt.IsZero() {
			t.Fatalf("GetInbound = %+v, want the bare record", got)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		got, err := in.Port.GetInbound(ctx, msh.MessageKey{Tenant: "t1", MessageID: "missing"})
		isErr(t, "GetInbound(missing)", err, msh.ErrNotFound)
		if got.MessageID != "" {
			t.Fatalf("GetInbound(missing) returned a record: %+v", got)
		}
	})

	t.Run("DuplicateKeepsFirst", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		first := sampleInbound("t1", "m1")
		noErr(t, "PutInbound", in.Port.PutInbound(ctx, first))
		second := sampleInbound("t1", "m1")
		second.Receipt = []byte("another receipt")
		second.ConversationID = "other"
		isErr(t, "PutInbound(same key)", in.Port.PutInbound(ctx, second), msh.ErrDuplicate)
		got, err := in.Port.GetInbound(ctx, first.MessageKey)
		noErr(t, "GetInbound", err)
		if !sameInbound(got, first) {
			t.Fatalf("after a duplicate put GetInbound = %+v, want the first %+v", got, first)
		}
	})

	t.Run("ConcurrentPutOneWins", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			winner = -1
			wins   int
		)
		for i := range concurrency {
			wg.Go(func() {
				m := sampleInbound("t1", "race")
				m.ConversationID = fmt.Sprint("writer-", i)
				err := in.Port.PutInbound(ctx, m)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
					winner = i
				case !errorsIs(err, msh.ErrDuplicate):
					t.Errorf("writer %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d writers won, want exactly 1", wins)
		}
		got, err := in.Port.GetInbound(ctx, msh.MessageKey{Tenant: "t1", MessageID: "race"})
		noErr(t, "GetInbound", err)
		if want := fmt.Sprint("writer-", winner); got.ConversationID != want {
			t.Fatalf("stored ConversationID %q, want the winner's %q", got.ConversationID, want)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		a := sampleInbound("tenant-a", "shared-id")
		noErr(t, "PutInbound(A)", in.Port.PutInbound(ctx, a))
		_, err := in.Port.GetInbound(ctx, msh.MessageKey{Tenant: "tenant-b", MessageID: "shared-id"})
		isErr(t, "B reads A's message", err, msh.ErrNotFound)
		_, err = in.Port.GetInbound(ctx, msh.MessageKey{Tenant: "tenant-a2", MessageID: "shared-id"})
		isErr(t, "tenant-a2 (prefix of nothing, A is its prefix) reads A's message", err, msh.ErrNotFound)
		b := sampleInbound("tenant-b", "shared-id")
		b.Receipt = []byte("B's own receipt")
		noErr(t, "PutInbound(B, same id)", in.Port.PutInbound(ctx, b))
		gotA, err := in.Port.GetInbound(ctx, a.MessageKey)
		noErr(t, "GetInbound(A)", err)
		gotB, err := in.Port.GetInbound(ctx, b.MessageKey)
		noErr(t, "GetInbound(B)", err)
		if !sameInbound(gotA, a) || !sameInbound(gotB, b) {
			t.Fatalf("tenants' records mixed: A=%+v B=%+v", gotA, gotB)
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, k := range badKeys {
			m := sampleInbound(k.tenant, k.id)
			isErr(t, "PutInbound("+k.name+")", in.Port.PutInbound(ctx, m), msh.ErrInvalid)
			_, err := in.Port.GetInbound(ctx, m.MessageKey)
			isErr(t, "GetInbound("+k.name+")", err, msh.ErrInvalid)
		}
	})

	t.Run("TooLarge", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleInbound("t1", "big")
		m.Receipt = make([]byte, msh.MaxRecordBytes)
		isErr(t, "PutInbound(oversize)", in.Port.PutInbound(ctx, m), msh.ErrTooLarge)
		_, err := in.Port.GetInbound(ctx, m.MessageKey)
		isErr(t, "GetInbound after refused put", err, msh.ErrNotFound)
		m.Receipt = make([]byte, msh.MaxRecordBytes/2) // fits
		noErr(t, "PutInbound(half the limit)", in.Port.PutInbound(ctx, m))
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		m := sampleInbound("t1", "durable")
		noErr(t, "PutInbound", in.Port.PutInbound(ctx, m))
		port := in.Reopen(t)
		got, err := port.GetInbound(ctx, m.MessageKey)
		noErr(t, "GetInbound after reopen", err)
		if !sameInbound(got, m) {
			t.Fatalf("after reopen GetInbound = %+v, want %+v", got, m)
		}
		isErr(t, "PutInbound after reopen", port.PutInbound(ctx, m), msh.ErrDuplicate)
	})
}

func sampleOutbound(tenant, id string) msh.OutboundMessage {
	m := msh.NewOutbound(msh.MessageKey{Tenant: tenant, MessageID: id}, msh.StateNew, T0)
	m.ConversationID = "conv-" + id
	m.Sender = "0203:kommun-a.se"
	m.Recipient = "0203:kommun-b.se"
	m.PayloadNames = []string{id + "/xhe"}
	m.Meta = map[string]string{"label": "Bygglov"}
	return m
}

func sameOutbound(a, b msh.OutboundMessage) bool {
	norm := func(m msh.OutboundMessage) msh.OutboundMessage {
		m.NextAttempt, m.CreatedAt, m.UpdatedAt = m.NextAttempt.UTC(), m.CreatedAt.UTC(), m.UpdatedAt.UTC()
		h := make([]msh.Event, len(m.History))
		for i, e := range m.History {
			e.At = e.At.UTC()
			h[i] = e
		}
		m.History = h
		return m
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// TestOutboxStore is the contract suite of msh.OutboxStore, including msh.Transition
// running on top of it.
func TestOutboxStore(t *testing.T, opener Opener[msh.OutboxStore]) {
	ctx := context.Background()

	t.Run("CreateGet", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		m.Version = 42 // ignored: the store sets 1
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		m.Version = 1
		if !sameOutbound(got, m) {
			t.Fatalf("GetOutbound = %+v, want %+v", got, m)
		}
		s := sampleOutbound("t1", "o2")
		s.State = msh.StateScheduled
		noErr(t, "CreateOutbound(SCHEDULED)", in.Port.CreateOutbound(ctx, s))
	})

	t.Run("CreateRefusesNonInitialState", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, st := range []msh.State{msh.StateSubmitted, msh.StateAccepted, msh.StateRetrieved, "BOGUS", ""} {
			m := sampleOutbound("t1", "o-"+string(st))
			m.State = st
			isErr(t, "CreateOutbound in "+string(st), in.Port.CreateOutbound(ctx, m), msh.ErrInvalid)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		_, err := in.Port.GetOutbound(ctx, msh.MessageKey{Tenant: "t1", MessageID: "nope"})
		isErr(t, "GetOutbound(missing)", err, msh.ErrNotFound)
		_, err = in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: sampleOutbound("t1", "nope")})
		isErr(t, "SwapOutbound(missing)", err, msh.ErrNotFound)
		_, err = msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: msh.MessageKey{Tenant: "t1", MessageID: "nope"}, To: msh.StateScheduled, At: T0})
		isErr(t, "Transition(missing)", err, msh.ErrNotFound)
		_, err = in.Port.GetOutbound(ctx, msh.MessageKey{Tenant: "t1", MessageID: "nope"})
		isErr(t, "SwapOutbound created a record", err, msh.ErrNotFound)
	})

	t.Run("DuplicateKeepsFirst", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		_, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: msh.StateScheduled, At: T0})
		noErr(t, "Transition", err)
		again := sampleOutbound("t1", "o1")
		isErr(t, "CreateOutbound(same key)", in.Port.CreateOutbound(ctx, again), msh.ErrDuplicate)
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if got.State != msh.StateScheduled || got.Version != 2 {
			t.Fatalf("a duplicate create reset the record: %s v%d", got.State, got.Version)
		}
	})

	t.Run("SwapCompareAndSwap", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		next := m
		next.Attempts = 7
		next.Version = 99 // ignored
		stored, err := in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: next})
		noErr(t, "SwapOutbound(v1)", err)
		if stored.Version != 2 || stored.Attempts != 7 {
			t.Fatalf("SwapOutbound returned v%d attempts %d, want v2 attempts 7", stored.Version, stored.Attempts)
		}
		next.Attempts = 8
		_, err = in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: next})
		isErr(t, "SwapOutbound(stale v1)", err, msh.ErrConflict)
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if got.Version != 2 || got.Attempts != 7 {
			t.Fatalf("a stale swap changed the record: v%d attempts %d", got.Version, got.Attempts)
		}
	})

	t.Run("TransitionLifecycle", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		path := []msh.State{msh.StateScheduled, msh.StateSubmitted, msh.StateScheduledForResend, msh.StateSubmitted, msh.StateWaitingForReceipt, msh.StateAccepted}
		for i, to := range path {
			clk.Advance(time.Minute)
			got, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{
				MessageKey: m.MessageKey, To: to, At: clk.Now(), Reason: "step " + fmt.Sprint(i),
				Mutate: func(o *msh.OutboundMessage) {
					if to == msh.StateSubmitted {
						o.Attempts++
					}
				},
			})
			noErr(t, "Transition to "+string(to), err)
			if got.State != to || got.Version != int64(i+2) || !got.UpdatedAt.Equal(clk.Now()) {
				t.Fatalf("after → %s: state %s v%d updated %v", to, got.State, got.Version, got.UpdatedAt)
			}
		}
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if got.Attempts != 2 || len(got.History) != len(path)+1 || got.History[len(path)].State != msh.StateAccepted || got.Reason != "step 5" {
			t.Fatalf("final record: attempts %d history %+v reason %q", got.Attempts, got.History, got.Reason)
		}
		// Idempotent: the same request again is a no-op.
		again, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: msh.StateAccepted, At: clk.Now().Add(time.Hour)})
		noErr(t, "repeated Transition", err)
		if again.Version != got.Version || !again.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("repeated transition wrote: v%d → v%d", got.Version, again.Version)
		}
		// Terminal.
		for _, to := range []msh.State{msh.StateSubmitted, msh.StateRejected, msh.StateNew, msh.StateMessageExchangeError} {
			_, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: to, At: clk.Now()})
			isErr(t, "ACCEPTED → "+string(to), err, msh.ErrInvalidTransition)
		}
		final, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if final.Version != got.Version || final.State != msh.StateAccepted {
			t.Fatalf("refused transitions wrote: %s v%d", final.State, final.Version)
		}
	})

	t.Run("TransitionFromMismatch", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		_, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, From: msh.StateSubmitted, To: msh.StateWaitingForReceipt, At: T0})
		isErr(t, "Transition with wrong From", err, msh.ErrConflict)
		_, err = msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: msh.StateAccepted, At: T0})
		isErr(t, "NEW → ACCEPTED", err, msh.ErrInvalidTransition)
	})

	t.Run("ConcurrentSwapOneWins", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for i := range concurrency {
			wg.Go(func() {
				next := m
				next.Attempts = i + 1
				_, err := in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: next})
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					wins++
				} else if !errorsIs(err, msh.ErrConflict) {
					t.Errorf("swap %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if wins != 1 {
			t.Fatalf("%d swaps on version 1 won, want exactly 1", wins)
		}
	})

	t.Run("ConcurrentTransitionsExactlyOneState", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		for _, to := range []msh.State{msh.StateScheduled, msh.StateSubmitted} {
			_, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: to, At: T0})
			noErr(t, "Transition", err)
		}
		targets := []msh.State{msh.StateWaitingForReceipt, msh.StateScheduledForResend, msh.StateMessageExchangeError, msh.StateAccepted}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[msh.State]int{}
		for i := range concurrency {
			to := targets[i%len(targets)]
			wg.Go(func() {
				got, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, From: msh.StateSubmitted, To: to, At: T0})
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					if got.State != to {
						t.Errorf("Transition to %s returned state %s", to, got.State)
					}
					won[to]++
				case !errorsIs(err, msh.ErrConflict):
					t.Errorf("Transition to %s: %v", to, err)
				}
			})
		}
		wg.Wait()
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if len(won) != 1 || won[got.State] == 0 || got.Version != 4 {
			t.Fatalf("racing transitions from SUBMITTED: winners %v, final %s v%d; want one target, version 4", won, got.State, got.Version)
		}
	})

	t.Run("ConcurrentUpdatesNoneLost", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		var wg sync.WaitGroup
		for range concurrency {
			wg.Go(func() {
				for {
					cur, err := in.Port.GetOutbound(ctx, m.MessageKey)
					if err != nil {
						t.Error(err)
						return
					}
					cur.Attempts++
					if _, err = in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: cur.Version, Next: cur}); err == nil {
						return
					} else if !errorsIs(err, msh.ErrConflict) {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		got, err := in.Port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound", err)
		if got.Attempts != concurrency || got.Version != concurrency+1 {
			t.Fatalf("after %d read-modify-swap loops: attempts %d v%d (an update was lost)", concurrency, got.Attempts, got.Version)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		a := sampleOutbound("tenant-a", "o1")
		noErr(t, "CreateOutbound(A)", in.Port.CreateOutbound(ctx, a))
		kb := msh.MessageKey{Tenant: "tenant-b", MessageID: "o1"}
		_, err := in.Port.GetOutbound(ctx, kb)
		isErr(t, "B reads A's outbound", err, msh.ErrNotFound)
		nb := a
		nb.MessageKey = kb
		_, err = in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: nb})
		isErr(t, "B swaps A's outbound", err, msh.ErrNotFound)
		_, err = msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: kb, To: msh.StateScheduled, At: T0})
		isErr(t, "B transitions A's outbound", err, msh.ErrNotFound)
		got, err := in.Port.GetOutbound(ctx, a.MessageKey)
		noErr(t, "GetOutbound(A)", err)
		if got.Version != 1 || got.State != msh.StateNew {
			t.Fatalf("A's record changed through B: %s v%d", got.State, got.Version)
		}
		noErr(t, "CreateOutbound(B, same id)", in.Port.CreateOutbound(ctx, nb))
	})

	t.Run("InvalidAndTooLarge", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, k := range badKeys {
			m := sampleOutbound(k.tenant, k.id)
			isErr(t, "CreateOutbound("+k.name+")", in.Port.CreateOutbound(ctx, m), msh.ErrInvalid)
			_, err := in.Port.GetOutbound(ctx, m.MessageKey)
			isErr(t, "GetOutbound("+k.name+")", err, msh.ErrInvalid)
		}
		m := sampleOutbound("t1", "big")
		m.Meta = map[string]string{"x": strings.Repeat("x", msh.MaxRecordBytes)}
		isErr(t, "CreateOutbound(oversize)", in.Port.CreateOutbound(ctx, m), msh.ErrTooLarge)
		small := sampleOutbound("t1", "small")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, small))
		big := small
		big.Meta = m.Meta
		_, err := in.Port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: big})
		isErr(t, "SwapOutbound(oversize)", err, msh.ErrTooLarge)
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		m := sampleOutbound("t1", "o1")
		noErr(t, "CreateOutbound", in.Port.CreateOutbound(ctx, m))
		want, err := msh.Transition(ctx, in.Port, msh.TransitionRequest{MessageKey: m.MessageKey, To: msh.StateScheduled, At: T0, Reason: "queued"})
		noErr(t, "Transition", err)
		port := in.Reopen(t)
		got, err := port.GetOutbound(ctx, m.MessageKey)
		noErr(t, "GetOutbound after reopen", err)
		if !sameOutbound(got, want) {
			t.Fatalf("after reopen %+v, want %+v", got, want)
		}
		_, err = port.SwapOutbound(ctx, msh.SwapRequest{Expect: 1, Next: got})
		isErr(t, "stale swap after reopen", err, msh.ErrConflict)
	})
}
