package msh

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TransitionRequest asks Transition to move one outbound message to another state.
type TransitionRequest struct {
	MessageKey
	// From, if set, is the state the caller believes the message is in; a message found in
	// another state (other than To) gives ErrConflict. Leave it empty to accept any state
	// from which the table allows To.
	From State
	To   State
	At   time.Time
	// Reason is stored as OutboundMessage.Reason and in the history (no message content).
	Reason string
	// Mutate, if set, changes other fields of the record in the same write (Attempts,
	// NextAttempt …). It must not change the key, State, Version or History and must not
	// fail; it may run more than once when the swap is retried.
	Mutate func(*OutboundMessage)
}

// maxSwapRetries bounds Transition's compare-and-swap loop.
const maxSwapRetries = 16

// Transition applies one state change to an outbound message with optimistic concurrency:
// read, check the table, SwapOutbound on the version read, and on ErrConflict read again.
//
// It is idempotent: a message already in r.To is returned as it is, without a write, so a
// retried call (after a crash or a lost answer) succeeds once the first one took effect.
// A move the table forbids is ErrInvalidTransition; a message in a state other than r.From
// (when set) is ErrConflict; a missing message ErrNotFound.
func Transition(ctx context.Context, s OutboxStore, r TransitionRequest) (OutboundMessage, error) {
	if err := r.MessageKey.Validate(); err != nil {
		return OutboundMessage{}, fmt.Errorf("msh: transition: %w", err)
	}
	if err := checkState(r.To); err != nil {
		return OutboundMessage{}, fmt.Errorf("msh: transition: %w", err)
	}
	if r.From != "" && !Allowed(r.From, r.To) {
		return OutboundMessage{}, fmt.Errorf("msh: transition %s %s → %s: %w", r.MessageID, r.From, r.To, ErrInvalidTransition)
	}
	for range maxSwapRetries {
		cur, err := s.GetOutbound(ctx, r.MessageKey)
		if err != nil {
			return OutboundMessage{}, fmt.Errorf("msh: transition %s: %w", r.MessageID, err)
		}
		if cur.State == r.To {
			return cur, nil
		}
		if r.From != "" && cur.State != r.From {
			return OutboundMessage{}, fmt.Errorf("msh: transition %s: in %s, expected %s: %w", r.MessageID, cur.State, r.From, ErrConflict)
		}
		if !Allowed(cur.State, r.To) {
			return OutboundMessage{}, fmt.Errorf("msh: transition %s %s → %s: %w", r.MessageID, cur.State, r.To, ErrInvalidTransition)
		}
		next := cur
		next.PayloadNames = append([]string(nil), cur.PayloadNames...)
		next.Meta = cloneMeta(cur.Meta)
		if r.Mutate != nil {
			r.Mutate(&next)
		}
		next.MessageKey = cur.MessageKey
		next.State = r.To
		next.UpdatedAt = r.At
		next.Reason = r.Reason
		next.History = appendHistory(cur.History, Event{State: r.To, At: r.At, Reason: r.Reason})
		stored, err := s.SwapOutbound(ctx, SwapRequest{Expect: cur.Version, Next: next})
		if errors.Is(err, ErrConflict) {
			if ctx.Err() != nil {
				return OutboundMessage{}, fmt.Errorf("msh: transition %s: %w", r.MessageID, ctx.Err())
			}
			continue
		}
		if err != nil {
			return OutboundMessage{}, fmt.Errorf("msh: transition %s %s → %s: %w", r.MessageID, cur.State, r.To, err)
		}
		return stored, nil
	}
	return OutboundMessage{}, fmt.Errorf("msh: transition %s: %d concurrent changes in a row: %w", r.MessageID, maxSwapRetries, ErrConflict)
}

// NewOutbound returns an outbound message ready for CreateOutbound: in state (NEW or
// SCHEDULED), created at now, with the creation in its history.
func NewOutbound(k MessageKey, state State, now time.Time) OutboundMessage {
	return OutboundMessage{
		MessageKey: k,
		State:      state,
		CreatedAt:  now,
		UpdatedAt:  now,
		History:    []Event{{State: state, At: now}},
	}
}

func appendHistory(h []Event, e Event) []Event {
	out := make([]Event, 0, min(len(h)+1, MaxHistory))
	if drop := len(h) + 1 - MaxHistory; drop > 0 {
		h = h[drop:]
	}
	out = append(out, h...)
	return append(out, e)
}

func cloneMeta(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
