package mshtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
)

func qitem(tenant, id string, notBefore time.Time) msh.QueueItem {
	return msh.QueueItem{Tenant: tenant, ID: id, Body: []byte(`{"send":"` + id + `"}`), NotBefore: notBefore}
}

func lease(t *testing.T, q msh.OutboundQueue, tenant string, vis time.Duration) msh.Lease {
	t.Helper()
	l, err := q.Lease(context.Background(), msh.LeaseRequest{Tenant: tenant, Visibility: vis})
	noErr(t, "Lease("+tenant+")", err)
	return l
}

func empty(t *testing.T, q msh.OutboundQueue, tenant string) {
	t.Helper()
	l, err := q.Lease(context.Background(), msh.LeaseRequest{Tenant: tenant, Visibility: time.Minute})
	if !errors.Is(err, msh.ErrEmpty) {
		t.Fatalf("Lease(%s) = %+v, %v; want ErrEmpty", tenant, l, err)
	}
}

// TestOutboundQueue is the contract suite of msh.OutboundQueue (and of msh.DeadLetters
// when the adapter has it). It opens queues with Env.MaxAttempts = SuiteMaxAttempts.
func TestOutboundQueue(t *testing.T, opener Opener[msh.OutboundQueue]) {
	ctx := context.Background()

	t.Run("EnqueueLeaseAck", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		it := qitem("t1", "job-1", time.Time{})
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, it))
		l := lease(t, in.Port, "t1", time.Minute)
		if l.Item.ID != it.ID || string(l.Item.Body) != string(it.Body) || l.Item.Tenant != "t1" || l.Attempt != 1 || !l.Until.Equal(clk.Now().Add(time.Minute)) || l.Handle == "" {
			t.Fatalf("Lease = %+v", l)
		}
		empty(t, in.Port, "t1")
		noErr(t, "Ack", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l.Handle}))
		clk.Advance(time.Hour)
		empty(t, in.Port, "t1")
		isErr(t, "second Ack", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l.Handle}), msh.ErrLeaseLost)
		isErr(t, "Nack after Ack", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: l.Handle}}), msh.ErrLeaseLost)
		isErr(t, "Ack(bogus handle)", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: "no such handle"}), msh.ErrLeaseLost)
	})

	t.Run("NotBefore", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "later", clk.Now().Add(10*time.Minute))))
		empty(t, in.Port, "t1")
		clk.Advance(10*time.Minute - time.Second)
		empty(t, in.Port, "t1")
		clk.Advance(time.Second)
		if l := lease(t, in.Port, "t1", time.Minute); l.Item.ID != "later" {
			t.Fatalf("leased %q", l.Item.ID)
		}
	})

	t.Run("ExpiredLeaseIsDueAgain", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})))
		first := lease(t, in.Port, "t1", time.Minute)
		clk.Advance(59 * time.Second)
		empty(t, in.Port, "t1")
		clk.Advance(time.Second)
		second := lease(t, in.Port, "t1", time.Minute)
		if second.Item.ID != "job" || second.Attempt != 2 || second.Handle == first.Handle {
			t.Fatalf("re-lease = %+v (first %+v)", second, first)
		}
		isErr(t, "Ack with the expired, re-leased handle", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: first.Handle}), msh.ErrLeaseLost)
		isErr(t, "Nack with the expired, re-leased handle", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: first.Handle}}), msh.ErrLeaseLost)
		empty(t, in.Port, "t1")
		noErr(t, "Ack with the current handle", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: second.Handle}))
		clk.Advance(time.Hour)
		empty(t, in.Port, "t1")
	})

	t.Run("Nack", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})))
		l1 := lease(t, in.Port, "t1", time.Hour)
		noErr(t, "Nack", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: l1.Handle}, Delay: 5 * time.Minute}))
		empty(t, in.Port, "t1")
		isErr(t, "Nack again", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: l1.Handle}}), msh.ErrLeaseLost)
		isErr(t, "Ack after Nack", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l1.Handle}), msh.ErrLeaseLost)
		clk.Advance(5 * time.Minute)
		l2 := lease(t, in.Port, "t1", time.Hour)
		if l2.Attempt != 2 {
			t.Fatalf("attempt after a nack = %d, want 2", l2.Attempt)
		}
		noErr(t, "Nack(0)", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: l2.Handle}}))
		if l3 := lease(t, in.Port, "t1", time.Hour); l3.Attempt != 3 {
			t.Fatalf("attempt = %d, want 3", l3.Attempt)
		}
	})

	t.Run("DeadLetterAfterMaxAttempts", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "poison", time.Time{})))
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "healthy", clk.Now().Add(time.Hour))))
		for i := 1; i <= SuiteMaxAttempts; i++ {
			l := lease(t, in.Port, "t1", time.Minute)
			if l.Item.ID != "poison" || l.Attempt != i {
				t.Fatalf("lease %d = %s attempt %d", i, l.Item.ID, l.Attempt)
			}
			if i%2 == 0 {
				noErr(t, "Nack", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: l.Handle}}))
			} else {
				clk.Advance(time.Minute) // the worker "crashed": the lease runs out
			}
		}
		clk.Advance(time.Minute)
		empty(t, in.Port, "t1") // poison is dead, healthy not due yet
		clk.Advance(time.Hour)
		if l := lease(t, in.Port, "t1", time.Minute); l.Item.ID != "healthy" {
			t.Fatalf("leased %q, want healthy", l.Item.ID)
		}
		if d, ok := in.Port.(msh.DeadLetters); ok {
			page, err := d.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t1"})
			noErr(t, "ListDead", err)
			if len(page.Items) != 1 || page.Items[0].Item.ID != "poison" || page.Items[0].Attempts != SuiteMaxAttempts || string(page.Items[0].Item.Body) != `{"send":"poison"}` {
				t.Fatalf("ListDead = %+v", page)
			}
			other, err := d.ListDead(ctx, msh.DeadLetterRequest{Tenant: "t2"})
			noErr(t, "ListDead(other tenant)", err)
			if len(other.Items) != 0 {
				t.Fatalf("another tenant sees dead letters: %+v", other)
			}
		}
		// A dead item's id is free again.
		noErr(t, "Enqueue(poison again)", in.Port.Enqueue(ctx, qitem("t1", "poison", time.Time{})))
	})

	t.Run("DuplicatePendingID", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})))
		isErr(t, "Enqueue(pending id)", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})), msh.ErrDuplicate)
		l := lease(t, in.Port, "t1", time.Minute)
		isErr(t, "Enqueue(leased id)", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})), msh.ErrDuplicate)
		noErr(t, "Ack", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l.Handle}))
		noErr(t, "Enqueue(acked id)", in.Port.Enqueue(ctx, qitem("t1", "job", time.Time{})))
		if l := lease(t, in.Port, "t1", time.Minute); l.Attempt != 1 {
			t.Fatalf("re-enqueued item starts at attempt %d, want 1", l.Attempt)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		noErr(t, "Enqueue(A)", in.Port.Enqueue(ctx, qitem("tenant-a", "job", time.Time{})))
		empty(t, in.Port, "tenant-b")
		la := lease(t, in.Port, "tenant-a", time.Minute)
		isErr(t, "B acks A's lease", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "tenant-b", Handle: la.Handle}), msh.ErrLeaseLost)
		isErr(t, "B nacks A's lease", in.Port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "tenant-b", Handle: la.Handle}}), msh.ErrLeaseLost)
		noErr(t, "Enqueue(B, same id)", in.Port.Enqueue(ctx, qitem("tenant-b", "job", time.Time{})))
		lb := lease(t, in.Port, "tenant-b", time.Minute)
		if lb.Item.Tenant != "tenant-b" {
			t.Fatalf("B leased %+v", lb.Item)
		}
		noErr(t, "A acks its lease", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "tenant-a", Handle: la.Handle}))
		noErr(t, "B acks its lease", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "tenant-b", Handle: lb.Handle}))
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		for _, k := range badKeys {
			isErr(t, "Enqueue("+k.name+")", in.Port.Enqueue(ctx, qitem(k.tenant, k.id, time.Time{})), msh.ErrInvalid)
		}
		for _, vis := range []time.Duration{0, -time.Second, msh.MaxVisibility + time.Second} {
			_, err := in.Port.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: vis})
			isErr(t, fmt.Sprint("Lease(visibility ", vis, ")"), err, msh.ErrInvalid)
		}
		big := qitem("t1", "big", time.Time{})
		big.Body = make([]byte, msh.MaxQueueBody+1)
		isErr(t, "Enqueue(oversize body)", in.Port.Enqueue(ctx, big), msh.ErrTooLarge)
		empty(t, in.Port, "t1")
	})

	t.Run("ConcurrentWorkersEachItemOnce", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		const items = 120
		for i := range items {
			noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", fmt.Sprintf("job-%03d", i), time.Time{})))
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			got  = map[string]int{}
			dups []string
		)
		for range 8 {
			wg.Go(func() {
				for {
					l, err := in.Port.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Hour})
					if errors.Is(err, msh.ErrEmpty) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					got[l.Item.ID]++
					if got[l.Item.ID] > 1 {
						dups = append(dups, l.Item.ID)
					}
					mu.Unlock()
					if err := in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: l.Handle}); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(got) != items || len(dups) > 0 {
			t.Fatalf("%d distinct items leased of %d; leased more than once: %v", len(got), items, dups)
		}
	})

	t.Run("ConcurrentNackOneHolderAtATime", func(t *testing.T) {
		t.Parallel()
		in, _ := open(t, opener)
		const items = 40
		for i := range items {
			noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", fmt.Sprintf("job-%03d", i), time.Time{})))
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			holder  = map[string]bool{}
			leases  = map[string]int{}
			acked   = map[string]bool{}
			overlap []string
		)
		for range 8 {
			wg.Go(func() {
				for {
					l, err := in.Port.Lease(ctx, msh.LeaseRequest{Tenant: "t1", Visibility: time.Hour})
					if errors.Is(err, msh.ErrEmpty) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					id := l.Item.ID
					mu.Lock()
					if holder[id] {
						overlap = append(overlap, id)
					}
					holder[id] = true
					leases[id]++
					n := leases[id]
					delete(holder, id) // released before the call that makes it due again
					mu.Unlock()
					ref := msh.LeaseRef{Tenant: "t1", Handle: l.Handle}
					if n == 1 {
						err = in.Port.Nack(ctx, msh.NackRequest{LeaseRef: ref})
					} else {
						err = in.Port.Ack(ctx, ref)
						mu.Lock()
						acked[id] = true
						mu.Unlock()
					}
					if err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if len(overlap) > 0 || len(acked) != items {
			t.Fatalf("items held by two workers at once: %v; acked %d of %d", overlap, len(acked), items)
		}
		for id, n := range leases {
			if n != 2 {
				t.Fatalf("%s leased %d times, want 2 (one nack, one ack)", id, n)
			}
		}
	})

	t.Run("Durable", func(t *testing.T) {
		t.Parallel()
		in, clk := open(t, opener)
		if in.Reopen == nil {
			t.Skip("adapter has no Reopen")
		}
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "a", time.Time{})))
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "b", time.Time{})))
		noErr(t, "Enqueue", in.Port.Enqueue(ctx, qitem("t1", "c", clk.Now().Add(time.Hour))))
		la := lease(t, in.Port, "t1", time.Minute)
		lb := lease(t, in.Port, "t1", time.Minute)
		noErr(t, "Ack", in.Port.Ack(ctx, msh.LeaseRef{Tenant: "t1", Handle: lb.Handle}))
		port := in.Reopen(t)
		empty(t, port, "t1") // a is leased, b acked, c not due
		noErr(t, "Nack with a handle from before the restart", port.Nack(ctx, msh.NackRequest{LeaseRef: msh.LeaseRef{Tenant: "t1", Handle: la.Handle}}))
		l := lease(t, port, "t1", time.Minute)
		if l.Item.ID != la.Item.ID || l.Attempt != 2 {
			t.Fatalf("after reopen leased %s attempt %d, want %s attempt 2", l.Item.ID, l.Attempt, la.Item.ID)
		}
		clk.Advance(time.Hour)
		port = in.Reopen(t)
		seen := map[string]bool{}
		for range 2 {
			seen[lease(t, port, "t1", time.Minute).Item.ID] = true
		}
		empty(t, port, "t1")
		if !seen[la.Item.ID] || !seen["c"] || seen[lb.Item.ID] {
			t.Fatalf("after the lease ran out and a reopen, leased %v; want %s and c", seen, la.Item.ID)
		}
	})
}
