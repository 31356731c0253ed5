package msh

import "fmt"

// State is a messageStatus of DIGG's SDK API MT/MK (spec-facts §i), copied verbatim.
type State string

// The twelve messageStatus values of DIGG's SDK API MT/MK. The API marks NEW,
// WAITING_FOR_RECEIPT, MESSAGE_EXCHANGE_ERROR and ACCEPTED as mandatory.
const (
	StateNew                  State = "NEW"                    // created by the API, not yet queued
	StateScheduled            State = "SCHEDULED"              // queued for the AS4 send
	StateSubmitted            State = "SUBMITTED"              // an AS4 send attempt is in progress
	StateScheduledForResend   State = "SCHEDULED_FOR_RESEND"   // an attempt failed; the next is queued (reception awareness)
	StateWaitingForReceipt    State = "WAITING_FOR_RECEIPT"    // AS4 receipt verified; waiting for the Meddelandekvittens
	StateMessageExchangeError State = "MESSAGE_EXCHANGE_ERROR" // retries exhausted (EBMS:0301) or kvittens timeout (§k 17)
	StateAccepted             State = "ACCEPTED"               // kvittens ACCEPTED
	StateRejected             State = "REJECTED"               // kvittens REJECTED
	StateError                State = "ERROR"                  // failed before any exchange (e.g. recipient not found)
	StateAcknowledge          State = "ACKNOWLEDGE"            // inbound side (not used by the outbox)
	StateRetrieved            State = "RETRIEVED"              // inbound side: read from the mailbox
	StateReceiptSent          State = "RECEIPT_SENT"           // inbound side: kvittens sent back
)

// transitions is the outbox state table: from → allowed targets. A state missing from the
// map, or mapped to nothing, is terminal.
//
//   - NEW → SCHEDULED (queued) or ERROR.
//   - SCHEDULED → SUBMITTED (a worker starts the send) or ERROR (discovery failed).
//   - SUBMITTED → WAITING_FOR_RECEIPT (verified AS4 receipt), SCHEDULED_FOR_RESEND (attempt
//     failed, retries left), MESSAGE_EXCHANGE_ERROR (no retries left), ERROR (permanent failure).
//   - SCHEDULED_FOR_RESEND → SUBMITTED (next attempt) or MESSAGE_EXCHANGE_ERROR.
//   - WAITING_FOR_RECEIPT → MESSAGE_EXCHANGE_ERROR (kvittens timeout, §k 17).
//   - A Meddelandekvittens is proof of delivery whatever the sender believed, so ACCEPTED and
//     REJECTED are reachable from SUBMITTED, SCHEDULED_FOR_RESEND, WAITING_FOR_RECEIPT and
//     MESSAGE_EXCHANGE_ERROR (a crash after the AS4 receipt, or a late kvittens).
//   - ACCEPTED, REJECTED and ERROR are terminal.
var transitions = map[State][]State{
	StateNew:                  {StateScheduled, StateError},
	StateScheduled:            {StateSubmitted, StateError},
	StateSubmitted:            {StateWaitingForReceipt, StateScheduledForResend, StateMessageExchangeError, StateError, StateAccepted, StateRejected},
	StateScheduledForResend:   {StateSubmitted, StateMessageExchangeError, StateAccepted, StateRejected},
	StateWaitingForReceipt:    {StateMessageExchangeError, StateAccepted, StateRejected},
	StateMessageExchangeError: {StateAccepted, StateRejected},
}

// Transitions returns the outbox states reachable from s in one step (a fresh slice).
func Transitions(s State) []State { return append([]State(nil), transitions[s]...) }

// Allowed reports whether the outbox may move from one state to another.
func Allowed(from, to State) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Terminal reports whether s is an outbox state with no way out.
func Terminal(s State) bool { return IsOutboxState(s) && len(transitions[s]) == 0 }

// IsOutboxState reports whether s is one of the states an outbound message can be in.
func IsOutboxState(s State) bool {
	switch s {
	case StateNew, StateScheduled, StateSubmitted, StateScheduledForResend, StateWaitingForReceipt,
		StateMessageExchangeError, StateAccepted, StateRejected, StateError:
		return true
	}
	return false
}

// IsInitial reports whether an outbound message may be created in state s (NEW, or
// SCHEDULED when the API queues it at once).
func IsInitial(s State) bool { return s == StateNew || s == StateScheduled }

func checkState(s State) error {
	if !IsOutboxState(s) {
		return fmt.Errorf("msh: %q is not an outbox state: %w", s, ErrInvalid)
	}
	return nil
}
