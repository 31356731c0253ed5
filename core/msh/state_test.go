package msh_test

import (
	"slices"
	"testing"

	"github.com/brevduva/brevduva/core/msh"
)

var outboxStates = []msh.State{
	msh.StateNew, msh.StateScheduled, msh.StateSubmitted, msh.StateScheduledForResend,
	msh.StateWaitingForReceipt, msh.StateMessageExchangeError, msh.StateAccepted,
	msh.StateRejected, msh.StateError,
}

// The whole table, written out independently of state.go: any edit there must be made here too.
func TestTransitionTable(t *testing.T) {
	want := map[[2]msh.State]bool{}
	allow := func(from msh.State, to ...msh.State) {
		for _, s := range to {
			want[[2]msh.State{from, s}] = true
		}
	}
	allow(msh.StateNew, msh.StateScheduled, msh.StateError)
	allow(msh.StateScheduled, msh.StateSubmitted, msh.StateError)
	allow(msh.StateSubmitted, msh.StateWaitingForReceipt, msh.StateScheduledForResend, msh.StateMessageExchangeError, msh.StateError, msh.StateAccepted, msh.StateRejected)
	allow(msh.StateScheduledForResend, msh.StateSubmitted, msh.StateMessageExchangeError, msh.StateAccepted, msh.StateRejected)
	allow(msh.StateWaitingForReceipt, msh.StateMessageExchangeError, msh.StateAccepted, msh.StateRejected)
	allow(msh.StateMessageExchangeError, msh.StateAccepted, msh.StateRejected)
	all := append(slices.Clone(outboxStates), msh.StateAcknowledge, msh.StateRetrieved, msh.StateReceiptSent, "")
	for _, from := range all {
		for _, to := range all {
			if got := msh.Allowed(from, to); got != want[[2]msh.State{from, to}] {
				t.Errorf("Allowed(%q, %q) = %v", from, to, got)
			}
		}
	}
}

func TestStatesFollowDIGG(t *testing.T) {
	// spec-facts §i: the twelve messageStatus values, verbatim.
	digg := []string{"SCHEDULED", "SUBMITTED", "SCHEDULED_FOR_RESEND", "ACKNOWLEDGE", "WAITING_FOR_RECEIPT",
		"MESSAGE_EXCHANGE_ERROR", "ACCEPTED", "REJECTED", "RETRIEVED", "RECEIPT_SENT", "NEW", "ERROR"}
	ours := []msh.State{msh.StateScheduled, msh.StateSubmitted, msh.StateScheduledForResend, msh.StateAcknowledge,
		msh.StateWaitingForReceipt, msh.StateMessageExchangeError, msh.StateAccepted, msh.StateRejected,
		msh.StateRetrieved, msh.StateReceiptSent, msh.StateNew, msh.StateError}
	for i := range digg {
		if string(ours[i]) != digg[i] {
			t.Errorf("state %d = %q, want %q", i, ours[i], digg[i])
		}
	}
}

// Every outbox state can reach a terminal state, and only ACCEPTED, REJECTED and ERROR are
// terminal: no message can be stuck by the table.
func TestEveryStateReachesAnEnd(t *testing.T) {
	for _, s := range outboxStates {
		seen := map[msh.State]bool{s: true}
		queue := []msh.State{s}
		reached := false
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			if msh.Terminal(cur) {
				reached = true
			}
			for _, n := range msh.Transitions(cur) {
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		if !reached {
			t.Errorf("%s reaches no terminal state", s)
		}
	}
	var terminal []msh.State
	for _, s := range outboxStates {
		if msh.Terminal(s) {
			terminal = append(terminal, s)
		}
	}
	if !slices.Equal(terminal, []msh.State{msh.StateAccepted, msh.StateRejected, msh.StateError}) {
		t.Errorf("terminal states = %v", terminal)
	}
	if msh.Terminal(msh.StateRetrieved) {
		t.Error("RETRIEVED is not an outbox state and cannot be terminal for it")
	}
}

func TestTransitionsReturnsCopy(t *testing.T) {
	ts := msh.Transitions(msh.StateNew)
	ts[0] = msh.StateAccepted
	if msh.Allowed(msh.StateNew, msh.StateAccepted) {
		t.Fatal("Transitions exposes the table")
	}
}
