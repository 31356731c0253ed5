package msh_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

var t0 = time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)

// racingStore changes the record behind the caller's back before each of the first n swaps,
// as a concurrent worker would.
type racingStore struct {
	*mshtest.Messages
	n     int
	races int
}

func (r *racingStore) SwapOutbound(ctx context.Context, req msh.SwapRequest) (msh.OutboundMessage, error) {
	if r.races < r.n {
		r.races++
		cur, err := r.Messages.GetOutbound(ctx, req.Next.MessageKey)
		if err != nil {
			return msh.OutboundMessage{}, err
		}
		cur.Attempts += 100
		if _, err := r.Messages.SwapOutbound(ctx, msh.SwapRequest{Expect: cur.Version, Next: cur}); err != nil {
			return msh.OutboundMessage{}, err
		}
	}
	return r.Messages.SwapOutbound(ctx, req)
}

func newOutbox(t *testing.T, s msh.OutboxStore, id string, st msh.State) msh.MessageKey {
	t.Helper()
	k := msh.MessageKey{Tenant: "t1", MessageID: id}
	if err := s.CreateOutbound(context.Background(), msh.NewOutbound(k, st, t0)); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTransitionRetriesOnConflict(t *testing.T) {
	ctx := context.Background()
	s := &racingStore{Messages: mshtest.NewMessages(), n: 3}
	k := newOutbox(t, s, "o1", msh.StateNew)
	got, err := msh.Transition(ctx, s, msh.TransitionRequest{MessageKey: k, To: msh.StateScheduled, At: t0,
		Mutate: func(m *msh.OutboundMessage) { m.Attempts++ }})
	if err != nil {
		t.Fatal(err)
	}
	// The racer's three updates are kept and ours is applied on top of them, once.
	if got.State != msh.StateScheduled || got.Attempts != 301 || got.Version != 5 {
		t.Fatalf("got %s attempts %d v%d, want SCHEDULED 301 v5", got.State, got.Attempts, got.Version)
	}
}

func TestTransitionGivesUpAfterEndlessConflicts(t *testing.T) {
	s := &racingStore{Messages: mshtest.NewMessages(), n: 1 << 30}
	k := newOutbox(t, s, "o1", msh.StateNew)
	_, err := msh.Transition(context.Background(), s, msh.TransitionRequest{MessageKey: k, To: msh.StateScheduled, At: t0})
	if !errors.Is(err, msh.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
}

func TestTransitionCanceledDuringConflicts(t *testing.T) {
	s := &racingStore{Messages: mshtest.NewMessages(), n: 1 << 30}
	k := newOutbox(t, s, "o1", msh.StateNew)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := msh.Transition(ctx, s, msh.TransitionRequest{MessageKey: k, To: msh.StateScheduled, At: t0})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestTransitionMutateCannotBreakInvariants(t *testing.T) {
	ctx := context.Background()
	s := mshtest.NewMessages()
	k := newOutbox(t, s, "o1", msh.StateNew)
	got, err := msh.Transition(ctx, s, msh.TransitionRequest{MessageKey: k, To: msh.StateScheduled, At: t0.Add(time.Minute), Reason: "queued",
		Mutate: func(m *msh.OutboundMessage) {
			m.State = msh.StateAccepted
			m.MessageID = "hijack"
			m.NextAttempt = t0.Add(time.Hour)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if got.State != msh.StateScheduled || got.MessageID != "o1" || !got.NextAttempt.Equal(t0.Add(time.Hour)) || got.Reason != "queued" {
		t.Fatalf("got %+v", got)
	}
	if _, err := s.GetOutbound(ctx, msh.MessageKey{Tenant: "t1", MessageID: "hijack"}); !errors.Is(err, msh.ErrNotFound) {
		t.Fatal("Mutate renamed the record")
	}
}

func TestTransitionRefusesBeforeReading(t *testing.T) {
	s := mshtest.NewMessages()
	k := msh.MessageKey{Tenant: "t1", MessageID: "absent"}
	_, err := msh.Transition(context.Background(), s, msh.TransitionRequest{MessageKey: k, From: msh.StateNew, To: msh.StateAccepted, At: t0})
	if !errors.Is(err, msh.ErrInvalidTransition) {
		t.Fatalf("From NEW to ACCEPTED: %v, want ErrInvalidTransition", err)
	}
	_, err = msh.Transition(context.Background(), s, msh.TransitionRequest{MessageKey: k, To: "DONE", At: t0})
	if !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("to an unknown state: %v, want ErrInvalid", err)
	}
	_, err = msh.Transition(context.Background(), s, msh.TransitionRequest{MessageKey: msh.MessageKey{Tenant: "", MessageID: "x"}, To: msh.StateScheduled, At: t0})
	if !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("empty tenant: %v, want ErrInvalid", err)
	}
}

func TestTransitionHistoryIsCapped(t *testing.T) {
	ctx := context.Background()
	s := mshtest.NewMessages()
	k := newOutbox(t, s, "o1", msh.StateNew)
	at := t0
	step := func(to msh.State) {
		t.Helper()
		at = at.Add(time.Second)
		if _, err := msh.Transition(ctx, s, msh.TransitionRequest{MessageKey: k, To: to, At: at, Reason: fmt.Sprint(at.Unix())}); err != nil {
			t.Fatal(err)
		}
	}
	step(msh.StateScheduled)
	step(msh.StateSubmitted)
	for range msh.MaxHistory {
		step(msh.StateScheduledForResend)
		step(msh.StateSubmitted)
	}
	got, err := s.GetOutbound(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != msh.MaxHistory {
		t.Fatalf("history has %d events, want %d", len(got.History), msh.MaxHistory)
	}
	if last := got.History[len(got.History)-1]; last.State != msh.StateSubmitted || !last.At.Equal(at) {
		t.Fatalf("last event %+v, want the newest", last)
	}
}
