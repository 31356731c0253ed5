package mshtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

func greq(tenant, id string, exp time.Time) msh.GuardRequest {
	return msh.GuardRequest{Tenant: tenant, MessageID: id, Expires: exp}
}

func register(t *testing.T, g msh.DuplicateGuard, r msh.GuardRequest, want bool) {
	t.Helper()
	seen, err := g.Register(context.Background(), r)
	noErr(t, "Register("+r.Tenant+", "+r.MessageID+")", err)
	if seen != want {
		t.Fatalf("Register(%s, %s) seen = %v, want %v", r.Tenant, r.MessageID, seen, want)
	}
}

// TestDuplicateGuard is the contract suite of msh.DuplicateGuard (and of msh.GuardSweeper
// when the adapter has it).
func TestDuplicateGuard(t *testing.T, opener Opener[msh.DuplicateGuard]) {
	ctx := context.Background()

	t.Run("RegisterThenSeen", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		exp := clk.Now().Add(24 * time.Hour)
		register(t, in.Port, greq("t1", "m1", exp), false)
		register(t, in.Port, greq("t1", "m1", exp), true)
		register(t, in.Port, greq("t1", "m1", exp), true)
		register(t, in.Port, greq("t1", "m2", exp), false)
	})

	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Hour)), false)
		clk.Advance(59 * time.Minute)
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(10*time.Hour)), true)
		// The seen call above did not extend the registration: it still expires at T0+1h.
		clk.Advance(time.Minute)
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Hour)), false)
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Hour)), true)
	})

	t.Run("ExpiryNotInFuture", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		for _, exp := range []time.Time{clk.Now(), clk.Now().Add(-time.Second), {}} {
			_, err := in.Port.Register(ctx, greq("t1", "m1", exp))
			isErr(t, fmt.Sprint("Register(expires ", exp, ")"), err, msh.ErrInvalid)
		}
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Second)), false)
	})

	t.Run("ConcurrentRegisterOneWins", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		exp := clk.Now().Add(time.Hour)
		for round := range 5 {
			id := fmt.Sprint("race-", round)
			var wg sync.WaitGroup
			var mu sync.Mutex
			first := 0
			for range concurrency {
				wg.Go(func() {
					seen, err := in.Port.Register(ctx, greq("t1", id, exp))
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						t.Error(err)
					} else if !seen {
						first++
					}
				})
			}
			wg.Wait()
			if first != 1 {
				t.Fatalf("%s: %d of %d concurrent registrations saw no duplicate, want exactly 1", id, first, concurrency)
			}
		}
	})

	t.Run("ConcurrentReRegisterAfterExpiryOneWins", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Minute)), false)
		clk.Advance(time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		first := 0
		for range concurrency {
			wg.Go(func() {
				seen, err := in.Port.Register(ctx, greq("t1", "m1", clk.Now().Add(time.Hour)))
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
				} else if !seen {
					first++
				}
			})
		}
		wg.Wait()
		if first != 1 {
			t.Fatalf("%d concurrent re-registrations of an expired id won, want exactly 1", first)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		exp := clk.Now().Add(time.Hour)
		register(t, in.Port, greq("tenant-a", "m1", exp), false)
		register(t, in.Port, greq("tenant-b", "m1", exp), false)
		register(t, in.Port, greq("tenant-a", "m1", exp), true)
		register(t, in.Port, greq("tenant-b", "m1", exp), true)
		register(t, in.Port, greq("tenant-a2", "m1", exp), false)
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		for _, k := range badKeys {
			_, err := in.Port.Register(ctx, greq(k.tenant, k.id, clk.Now().Add(time.Hour)))
			isErr(t, "Register("+k.name+")", err, msh.ErrInvalid)
		}
	})

	t.Run("Sweep", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		sw, ok := in.Port.(msh.GuardSweeper)
		if !ok {
			t.Skip("adapter has no GuardSweeper")
		}
		for i := range 5 {
			register(t, in.Port, greq("tenant-a", fmt.Sprint("short-", i), clk.Now().Add(time.Minute)), false)
		}
		register(t, in.Port, greq("tenant-a", "long", clk.Now().Add(48*time.Hour)), false)
		register(t, in.Port, greq("tenant-b", "short", clk.Now().Add(time.Minute)), false)
		clk.Advance(time.Hour)
		n, err := sw.SweepExpired(ctx, "tenant-a", 3)
		noErr(t, "SweepExpired", err)
		if n != 3 {
			t.Fatalf("SweepExpired(limit 3) = %d", n)
		}
		n, err = sw.SweepExpired(ctx, "tenant-a", 100)
		noErr(t, "SweepExpired", err)
		if n != 2 {
			t.Fatalf("second SweepExpired = %d, want the 2 left", n)
		}
		register(t, in.Port, greq("tenant-a", "long", clk.Now().Add(time.Hour)), true)
		n, err = sw.SweepExpired(ctx, "tenant-b", 100)
		noErr(t, "SweepExpired(B)", err)
		if n != 1 {
			t.Fatalf("SweepExpired(B) = %d, want 1 (A's sweep must not touch B)", n)
		}
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		register(t, in.Port, greq("t1", "m1", clk.Now().Add(time.Hour)), false)
		port := in.Reopen(t)
		register(t, port, greq("t1", "m1", clk.Now().Add(time.Hour)), true)
		clk.Advance(2 * time.Hour)
		register(t, port, greq("t1", "m1", clk.Now().Add(time.Hour)), false)
	})
}
