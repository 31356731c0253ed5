package msh_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

func offsets(p msh.RetryPolicy) []time.Duration {
	var out []time.Duration
	for k := 1; ; k++ {
		d, ok := p.Offset(k)
		if !ok {
			return out
		}
		out = append(out, d)
	}
}

func TestRetryDIGGSample(t *testing.T) {
	// sdk-docs p-mode.xml: receptionAwareness retry="12;4;CONSTANT" (spec-facts §k 18).
	p, err := msh.ParseRetry("12;4;CONSTANT")
	if err != nil {
		t.Fatal(err)
	}
	if p != (msh.RetryPolicy{Timeout: 12 * time.Minute, Retries: 4, Strategy: msh.RetryConstant}) {
		t.Fatalf("ParseRetry = %+v", p)
	}
	want := []time.Duration{3 * time.Minute, 6 * time.Minute, 9 * time.Minute, 12 * time.Minute}
	if got := offsets(p); !slices.Equal(got, want) {
		t.Fatalf("offsets = %v, want %v", got, want)
	}
	first := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for attempts, w := range want {
		next, ok := p.Next(first, attempts+1)
		if !ok || !next.Equal(first.Add(w)) {
			t.Errorf("Next(first, %d) = %v %v, want %v", attempts+1, next, ok, first.Add(w))
		}
	}
	if _, ok := p.Next(first, 5); ok {
		t.Error("a sixth send after 4 retries")
	}
	if _, ok := p.Next(first, 0); ok {
		t.Error("Next before the first send")
	}
}

func TestRetryProgressive(t *testing.T) {
	p, err := msh.ParseRetry("12;4;PROGRESSIVE")
	if err != nil {
		t.Fatal(err)
	}
	got := offsets(p)
	want := []time.Duration{48 * time.Second, 144 * time.Second, 336 * time.Second, 12 * time.Minute}
	if !slices.Equal(got, want) {
		t.Fatalf("offsets = %v, want %v", got, want)
	}
	for i := 2; i < len(got); i++ { // gaps double
		if g1, g0 := got[i]-got[i-1], got[i-1]-got[i-2]; g1 != 2*g0 && i > 1 {
			t.Errorf("gap %d = %v, previous %v", i, g1, g0)
		}
	}
	one, _ := msh.ParseRetry("5;1;PROGRESSIVE")
	if got := offsets(one); !slices.Equal(got, []time.Duration{5 * time.Minute}) {
		t.Fatalf("one progressive retry: %v", got)
	}
}

func TestRetryNoRetries(t *testing.T) {
	p, err := msh.ParseRetry("0;0;CONSTANT")
	if err != nil {
		t.Fatal(err)
	}
	if got := offsets(p); len(got) != 0 {
		t.Fatalf("offsets = %v", got)
	}
}

func TestParseRetryRejects(t *testing.T) {
	for _, s := range []string{"", "12;4", "12;4;CONSTANT;1", "x;4;CONSTANT", "12;x;CONSTANT", "-1;4;CONSTANT",
		"12;-1;CONSTANT", "12;4;constant", "12;4;LINEAR", "0;4;CONSTANT", "12;101;CONSTANT", "10081;1;CONSTANT"} {
		if _, err := msh.ParseRetry(s); !errors.Is(err, msh.ErrInvalid) {
			t.Errorf("ParseRetry(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

func FuzzParseRetry(f *testing.F) {
	for _, s := range []string{"12;4;CONSTANT", "12;4;PROGRESSIVE", "0;0;CONSTANT", "10080;100;PROGRESSIVE", " 1 ; 2 ;CONSTANT", "1;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := msh.ParseRetry(s)
		if err != nil {
			if !errors.Is(err, msh.ErrInvalid) {
				t.Fatalf("ParseRetry(%q) error %v does not wrap ErrInvalid", s, err)
			}
			return
		}
		again, err := msh.ParseRetry(p.String())
		if err != nil || again != p {
			t.Fatalf("ParseRetry(%q) = %+v; re-parse of %q = %+v, %v", s, p, p.String(), again, err)
		}
		prev := time.Duration(0)
		for k := 1; k <= p.Retries; k++ {
			d, ok := p.Offset(k)
			if !ok || d < prev || d > p.Timeout || (p.Strategy == msh.RetryConstant && d == prev) {
				t.Fatalf("%v: offset %d = %v (previous %v)", p, k, d, prev)
			}
			prev = d
		}
		if p.Retries > 0 && prev != p.Timeout {
			t.Fatalf("%v: last retry at %v, want the timeout", p, prev)
		}
	})
}

func TestAfterFailure(t *testing.T) {
	p, _ := msh.ParseRetry("12;4;CONSTANT")
	first := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for attempts := 1; attempts <= 4; attempts++ {
		st, at := p.AfterFailure(first, attempts)
		if st != msh.StateScheduledForResend || !at.Equal(first.Add(time.Duration(attempts)*3*time.Minute)) {
			t.Errorf("after attempt %d: %s at %v", attempts, st, at)
		}
		if !msh.Allowed(msh.StateSubmitted, st) {
			t.Errorf("SUBMITTED → %s is not in the table", st)
		}
	}
	if st, at := p.AfterFailure(first, 5); st != msh.StateMessageExchangeError || !at.IsZero() {
		t.Errorf("after the fifth send: %s at %v, want MESSAGE_EXCHANGE_ERROR", st, at)
	}
	once, _ := msh.ParseRetry("0;0;CONSTANT")
	if st, _ := once.AfterFailure(first, 1); st != msh.StateMessageExchangeError {
		t.Errorf("no retries: %s", st)
	}
}
