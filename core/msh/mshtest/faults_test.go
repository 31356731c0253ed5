package mshtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

// With no fault armed the wrappers are transparent: they pass the contract suites.
func TestFaultWrappersTransparent(t *testing.T) {
	f := mshtest.NewFaults()
	mshtest.All{
		InboundStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.InboundStore] {
			return mshtest.Instance[msh.InboundStore]{Port: f.WithMessages(mshtest.NewMessages())}
		},
		OutboxStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.OutboxStore] {
			return mshtest.Instance[msh.OutboxStore]{Port: f.WithMessages(mshtest.NewMessages())}
		},
		PayloadStore: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.PayloadStore] {
			return mshtest.Instance[msh.PayloadStore]{Port: f.WithPayloads(mshtest.NewPayloads())}
		},
		DuplicateGuard: func(t *testing.T, env mshtest.Env) mshtest.Instance[msh.DuplicateGuard] {
			return mshtest.Instance[msh.DuplicateGuard]{Port: f.WithGuard(mshtest.NewGuard(env.Clock))}
		},
		OutboundQueue: func(t *testing.T, env mshtest.Env) mshtest.Instance[msh.OutboundQueue] {
			return mshtest.Instance[msh.OutboundQueue]{Port: f.WithQueue(mshtest.NewQueue(env.Clock, env.MaxAttempts))}
		},
		Mailbox: func(t *testing.T, _ mshtest.Env) mshtest.Instance[msh.Mailbox] {
			return mshtest.Instance[msh.Mailbox]{Port: f.WithMailbox(mshtest.NewMailbox())}
		},
	}.Run(t)
}

func TestFaultBeforeAndAfter(t *testing.T) {
	ctx := context.Background()
	f := mshtest.NewFaults()
	g := f.WithGuard(mshtest.NewGuard(mshtest.NewClock(mshtest.T0)))
	boom := errors.New("disk on fire")
	r := msh.GuardRequest{Tenant: "t1", MessageID: "m1", Expires: mshtest.T0.Add(time.Hour)}

	f.FailBefore("Register", boom)
	if _, err := g.Register(ctx, r); !errors.Is(err, boom) {
		t.Fatalf("FailBefore: %v", err)
	}
	if seen, err := g.Register(ctx, r); err != nil || seen {
		t.Fatalf("after FailBefore nothing was written, yet seen=%v err=%v", seen, err)
	}
	f.FailAfter("Register", boom)
	if _, err := g.Register(ctx, msh.GuardRequest{Tenant: "t1", MessageID: "m2", Expires: r.Expires}); !errors.Is(err, boom) {
		t.Fatalf("FailAfter: %v", err)
	}
	if seen, err := g.Register(ctx, msh.GuardRequest{Tenant: "t1", MessageID: "m2", Expires: r.Expires}); err != nil || !seen {
		t.Fatalf("FailAfter should have let the write through: seen=%v err=%v", seen, err)
	}
	if n := f.Calls("Register"); n != 4 {
		t.Fatalf("Calls = %d, want 4", n)
	}
}

// A transition whose answer is lost (the write happened, the caller saw an error) is
// retried by the engine; the retry is a no-op that reports the state: idempotent.
func TestTransitionRetryAfterLostAnswer(t *testing.T) {
	ctx := context.Background()
	f := mshtest.NewFaults()
	s := f.WithMessages(mshtest.NewMessages())
	k := msh.MessageKey{Tenant: "t1", MessageID: "o1"}
	if err := s.CreateOutbound(ctx, msh.NewOutbound(k, msh.StateSubmitted, mshtest.T0)); !errors.Is(err, msh.ErrInvalid) {
		t.Fatalf("create in SUBMITTED: %v", err)
	}
	if err := s.CreateOutbound(ctx, msh.NewOutbound(k, msh.StateScheduled, mshtest.T0)); err != nil {
		t.Fatal(err)
	}
	lost := errors.New("connection reset after write")
	f.FailAfter("SwapOutbound", lost)
	req := msh.TransitionRequest{MessageKey: k, From: msh.StateScheduled, To: msh.StateSubmitted, At: mshtest.T0,
		Mutate: func(m *msh.OutboundMessage) { m.Attempts++ }}
	if _, err := msh.Transition(ctx, s, req); !errors.Is(err, lost) {
		t.Fatalf("first try: %v", err)
	}
	got, err := msh.Transition(ctx, s, req)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got.State != msh.StateSubmitted || got.Version != 2 || got.Attempts != 1 {
		t.Fatalf("after the retry: %s v%d attempts %d; want SUBMITTED v2 attempts 1 (applied once)", got.State, got.Version, got.Attempts)
	}
}
