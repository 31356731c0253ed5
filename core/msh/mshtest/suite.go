package mshtest

import (
	"errors"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

// Env is what a suite gives the adapter it opens.
type Env struct {
	// Clock is the only time source the adapter may use. The suite moves it.
	Clock msh.Clock
	// MaxAttempts is the number of leases after which a queue dead-letters an item.
	MaxAttempts int
}

// Instance is an opened adapter.
type Instance[P any] struct {
	Port P
	// Reopen, if not nil, closes the adapter and opens it again on the same storage with
	// the same Env, as a restarted process would. Durability checks run only when it is set.
	Reopen func(t *testing.T) P
}

// Opener opens a fresh, empty adapter for one subtest and registers its cleanup with t.
type Opener[P any] func(t *testing.T, env Env) Instance[P]

// T0 is the suites' starting time, years away from the wall clock, so that an adapter that
// reads time.Now instead of Env.Clock fails the expiry and visibility checks.
var T0 = time.Date(2030, 6, 15, 10, 0, 0, 0, time.UTC)

// SuiteMaxAttempts is the Env.MaxAttempts the queue suite uses.
const SuiteMaxAttempts = 3

// concurrency is the number of goroutines in the race tests.
const concurrency = 16

func open[P any](t *testing.T, o Opener[P]) (Instance[P], *Clock) {
	t.Helper()
	clk := NewClock(T0)
	return o(t, Env{Clock: clk, MaxAttempts: SuiteMaxAttempts}), clk
}

func isErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func noErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// badKeys are tenant/id pairs every port must refuse with msh.ErrInvalid.
var badKeys = []struct{ name, tenant, id string }{
	{"empty tenant", "", "m1"},
	{"tenant with slash", "a/b", "m1"},
	{"tenant dot-dot", "..", "m1"},
	{"tenant too long", string(make([]byte, msh.MaxTenantBytes+1)), "m1"},
	{"empty id", "t1", ""},
	{"id with newline", "t1", "a\nb"},
	{"id not utf-8", "t1", "a\xffb"},
	{"id too long", "t1", string(make([]byte, msh.MaxIDBytes+1))},
}

// All holds an opener per port; nil ones are skipped.
type All struct {
	InboundStore   Opener[msh.InboundStore]
	OutboxStore    Opener[msh.OutboxStore]
	PayloadStore   Opener[msh.PayloadStore]
	DuplicateGuard Opener[msh.DuplicateGuard]
	OutboundQueue  Opener[msh.OutboundQueue]
	Mailbox        Opener[msh.Mailbox]
}

// Run runs the suite of every port that has an opener, each as a subtest.
func (a All) Run(t *testing.T) {
	if a.InboundStore != nil {
		t.Run("InboundStore", func(t *testing.T) { t.Parallel(); TestInboundStore(t, a.InboundStore) })
	}
	if a.OutboxStore != nil {
		t.Run("OutboxStore", func(t *testing.T) { t.Parallel(); TestOutboxStore(t, a.OutboxStore) })
	}
	if a.PayloadStore != nil {
		t.Run("PayloadStore", func(t *testing.T) { t.Parallel(); TestPayloadStore(t, a.PayloadStore) })
	}
	if a.DuplicateGuard != nil {
		t.Run("DuplicateGuard", func(t *testing.T) { t.Parallel(); TestDuplicateGuard(t, a.DuplicateGuard) })
	}
	if a.OutboundQueue != nil {
		t.Run("OutboundQueue", func(t *testing.T) { t.Parallel(); TestOutboundQueue(t, a.OutboundQueue) })
	}
	if a.Mailbox != nil {
		t.Run("Mailbox", func(t *testing.T) { t.Parallel(); TestMailbox(t, a.Mailbox) })
	}
}
