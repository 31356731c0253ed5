package msh_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/kvittens"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
)

// TestSubmitKvittensRaceSendsTheWinner posts two different kvittens for the same message
// at the same moment, many times: exactly one is recorded, the other gets ErrDuplicate
// (409 at the SDK API), the outbound record names the winner's bytes, and the one AS4
// send carries them: A sees ACCEPTED when the accepting kvittens won and REJECTED (SIG)
// when the rejecting one did. Each put gets its own payload name (putPayload appends a
// fresh id), so the loser's bytes can never replace the winner's. putBarrier holds both
// puts until both are stored, so every iteration runs the interleaving in which a shared
// payload name would let the later put overwrite the bytes of the earlier record.
func TestSubmitKvittensRaceSendsTheWinner(t *testing.T) {
	won := map[bool]int{}
	for i := range 12 {
		mid := id(500 + i)
		w := e2eWorld(t, mid)
		w.MustPump()
		w.B.Ports.Payloads = newPutBarrier(w.B.Ports.Payloads)
		w.Start(w.B) // restarted on the same stores, its kvittens puts held at the barrier
		accept := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, nil)
		reject := clientKvittens(t, w, "org-b", mid, partB, partA, fnB, &kvittens.Rejection{Reason: kvittens.SIG, Detail: kvittens.DetailSecurity})
		errs := raceKvittens(w.B.Engine, w.B.Tenant.ID, mid, accept, reject)
		winner, acceptWon := oneWinner(t, errs, accept, reject)
		won[acceptWon]++
		if got := storedKvittens(t, w.B.Ports, w.B.Tenant.ID, mid); !bytes.Equal(got, winner) {
			t.Fatalf("iteration %d: the outbound record names other bytes than the winner's", i)
		}
		w.MustPump()
		if acceptWon {
			w.WantState(mid, msh.StateAccepted)
		} else if o := w.WantState(mid, msh.StateRejected); o.Reason != string(kvittens.SIG) {
			t.Fatalf("iteration %d: reason %q, want SIG", i, o.Reason)
		}
		if n := w.Net.Posts(w.A.URL); n != 1 {
			t.Fatalf("iteration %d: %d posts to A, want the one kvittens", i, n)
		}
	}
	t.Logf("accepting kvittens won %d times, rejecting %d", won[true], won[false])
}

// putBarrier lets no outbound kvittens put return before two have been tried.
type putBarrier struct {
	msh.PayloadStore
	mu   sync.Mutex
	n    int
	both chan struct{} // closed by the second put
}

func newPutBarrier(p msh.PayloadStore) *putBarrier {
	return &putBarrier{PayloadStore: p, both: make(chan struct{})}
}

func (b *putBarrier) PutPayload(ctx context.Context, r msh.PutPayloadRequest, body io.Reader) (msh.PayloadInfo, error) {
	info, err := b.PayloadStore.PutPayload(ctx, r, body)
	if !strings.HasPrefix(r.Name, "out/kvittens-") {
		return info, err
	}
	b.mu.Lock()
	if b.n++; b.n == 2 {
		close(b.both)
	}
	b.mu.Unlock()
	select {
	case <-b.both:
		return info, err
	case <-time.After(time.Minute): // a safety net: the peer never came
		return info, errors.New("put barrier: only one kvittens put")
	}
}

// raceKvittens submits both kvittens from two goroutines released together.
func raceKvittens(e *msh.Engine, tid, mid string, xs ...[]byte) []error {
	errs := make([]error, len(xs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Go(func() {
			<-start
			_, errs[i] = e.SubmitKvittens(context.Background(), tid, fnB, mid, x)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks exactly one submission succeeded and the other is ErrDuplicate, and
// returns the winner's bytes and whether it is the accepting kvittens.
func oneWinner(t *testing.T, errs []error, accept, reject []byte) ([]byte, bool) {
	t.Helper()
	switch {
	case errs[0] == nil && errors.Is(errs[1], msh.ErrDuplicate):
		return accept, true
	case errs[1] == nil && errors.Is(errs[0], msh.ErrDuplicate):
		return reject, false
	}
	t.Fatalf("want one success and one ErrDuplicate, got %v / %v", errs[0], errs[1])
	return nil, false
}

// storedKvittens reads the payload that B's outbound kvittens record names.
func storedKvittens(t *testing.T, p enginetest.Ports, tid, mid string) []byte {
	t.Helper()
	m, err := p.Store.GetOutbound(context.Background(), msh.MessageKey{Tenant: tid, MessageID: "kvittens-" + mid})
	if err != nil || len(m.PayloadNames) != 1 {
		t.Fatalf("outbound kvittens: %+v %v", m, err)
	}
	rc, _, err := p.Payloads.OpenPayload(context.Background(), msh.PayloadKey{Tenant: tid, Name: m.PayloadNames[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
