package msh

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RetryStrategy is the third field of a PMode reception-awareness retry value, as Domibus
// writes it (DIGG's sample p-mode.xml: receptionAwareness retry="12;4;CONSTANT").
type RetryStrategy string

// Retry strategies.
const (
	// RetryConstant spreads the retries evenly over the timeout: with "12;4;CONSTANT" the
	// retries start 3, 6, 9 and 12 minutes after the first send (spec-facts §k 18).
	RetryConstant RetryStrategy = "CONSTANT"
	// RetryProgressive doubles the gap after each retry and scales the gaps so that the last
	// retry starts at the timeout: with "12;4;PROGRESSIVE" the gaps are 0.8, 1.6, 3.2 and 6.4
	// minutes. This is Brevduva's reading; Domibus's own formula is not in the SDK documents.
	RetryProgressive RetryStrategy = "PROGRESSIVE"
)

// MaxRetries caps the retry count of a retry value.
const MaxRetries = 100

// RetryPolicy is a parsed retry value: Retries resends spread over Timeout after the first
// send. Retries 0 means send once.
type RetryPolicy struct {
	Timeout  time.Duration
	Retries  int
	Strategy RetryStrategy
}

// ParseRetry parses "TIMEOUT_MINUTES;RETRIES;STRATEGY" (whole minutes, STRATEGY CONSTANT or
// PROGRESSIVE). Every malformed value is ErrInvalid.
func ParseRetry(s string) (RetryPolicy, error) {
	f := strings.Split(s, ";")
	if len(f) != 3 {
		return RetryPolicy{}, fmt.Errorf("msh: retry %q: want TIMEOUT;RETRIES;STRATEGY: %w", s, ErrInvalid)
	}
	mins, err := strconv.Atoi(strings.TrimSpace(f[0]))
	if err != nil || mins < 0 || mins > 7*24*60 {
		return RetryPolicy{}, fmt.Errorf("msh: retry %q: timeout must be 0..10080 minutes: %w", s, ErrInvalid)
	}
	n, err := strconv.Atoi(strings.TrimSpace(f[1]))
	if err != nil || n < 0 || n > MaxRetries {
		return RetryPolicy{}, fmt.Errorf("msh: retry %q: retries must be 0..%d: %w", s, MaxRetries, ErrInvalid)
	}
	p := RetryPolicy{Timeout: time.Duration(mins) * time.Minute, Retries: n, Strategy: RetryStrategy(strings.TrimSpace(f[2]))}
	if err := p.Validate(); err != nil {
		return RetryPolicy{}, fmt.Errorf("msh: retry %q: %w", s, err)
	}
	return p, nil
}

// String formats p as a retry value; ParseRetry(p.String()) == p for whole minutes.
func (p RetryPolicy) String() string {
	return fmt.Sprintf("%d;%d;%s", int64(p.Timeout/time.Minute), p.Retries, p.Strategy)
}

// Validate checks the strategy and ranges (ErrInvalid).
func (p RetryPolicy) Validate() error {
	if p.Strategy != RetryConstant && p.Strategy != RetryProgressive {
		return fmt.Errorf("msh: retry strategy %q: want CONSTANT or PROGRESSIVE: %w", p.Strategy, ErrInvalid)
	}
	if p.Retries < 0 || p.Retries > MaxRetries || p.Timeout < 0 {
		return fmt.Errorf("msh: retry policy %v: %w", p, ErrInvalid)
	}
	if p.Retries > 0 && p.Timeout == 0 {
		return fmt.Errorf("msh: retry policy %v: retries need a timeout: %w", p, ErrInvalid)
	}
	return nil
}

// Offset returns when retry number k (1..Retries) starts, measured from the first send.
// ok is false when there is no such retry.
func (p RetryPolicy) Offset(k int) (d time.Duration, ok bool) {
	if k < 1 || k > p.Retries {
		return 0, false
	}
	switch p.Strategy {
	case RetryConstant:
		return time.Duration(int64(p.Timeout) * int64(k) / int64(p.Retries)), true // ≤ 6e14 ns × 100: no overflow
	case RetryProgressive:
		if k == p.Retries {
			return p.Timeout, true
		}
		// gaps g·1, g·2, …, g·2^(n-1) sum to g·(2^n - 1) = Timeout; retry k starts after
		// g·(2^k - 1). Computed in float to keep large n from overflowing.
		frac := (pow2(k) - 1) / (pow2(p.Retries) - 1)
		return time.Duration(float64(p.Timeout) * frac), true
	}
	return 0, false
}

func pow2(n int) float64 {
	f := 1.0
	for range n {
		f *= 2
	}
	return f
}

// Next returns when the next send is due after attempts sends (the first send counts as 1)
// that began at first. ok is false when the retries are spent: the message then goes to
// MESSAGE_EXCHANGE_ERROR with EBMS:0301 MissingReceipt.
func (p RetryPolicy) Next(first time.Time, attempts int) (time.Time, bool) {
	d, ok := p.Offset(attempts)
	if !ok {
		return time.Time{}, false
	}
	return first.Add(d), true
}

// AfterFailure is the outbox step after send attempt number attempts (the first send is 1),
// begun at first, failed without a receipt: SCHEDULED_FOR_RESEND with the time the next
// attempt is due, or MESSAGE_EXCHANGE_ERROR and the zero time when the retries are spent
// (the producer is then told EBMS:0301 MissingReceipt).
func (p RetryPolicy) AfterFailure(first time.Time, attempts int) (State, time.Time) {
	if next, ok := p.Next(first, attempts); ok {
		return StateScheduledForResend, next
	}
	return StateMessageExchangeError, time.Time{}
}
