package msh_test

import (
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

var errCrash = errors.New("injected crash")

// readOnly are the port calls that write nothing.
var readOnly = map[string]bool{"GetInbound": true, "GetOutbound": true, "OpenPayload": true, "GetMail": true, "ListMail": true}

// faultWorld is a two-AP world whose ports are wrapped by fault injectors.
func faultWorld(t *testing.T) *enginetest.World {
	w := enginetest.NewWorld(t, nil)
	for _, a := range []*enginetest.AP{w.A, w.B} {
		a.Faults = mshtest.NewFaults()
		w.Start(a)
	}
	return w
}

// crashScenario submits one message from A to B and runs both APs until everything is
// settled. Whenever a call fails (a crash at that step), both engines are "restarted":
// new engines on the same stores, the failed request's client retrying.
func crashScenario(t *testing.T, w *enginetest.World, mid string) {
	t.Helper()
	restart := func() {
		w.Start(w.A)
		w.Start(w.B)
	}
	if _, err := w.Submit(mid, fnB); err != nil {
		restart()
		// The API client got an error and submits again; a duplicate means the first
		// submission was stored after all.
		if _, err := w.Submit(mid, fnB); err != nil && !errors.Is(err, msh.ErrDuplicate) {
			t.Fatalf("resubmit: %v", err)
		}
	}
	for range 30 { // 30 minutes: past the retry window (12) and a lease (5)
		if errs := w.Pump(); len(errs) > 0 {
			restart()
		}
		w.Clock.Advance(time.Minute)
	}
}

// checkOutcome: the message reached B's mailbox exactly once, A's outbox is ACCEPTED
// (through ACCEPTED once), and B's kvittens was finished.
func checkOutcome(t *testing.T, w *enginetest.World, mid string) {
	t.Helper()
	mails := w.Mail(fnB)
	if len(mails) != 1 || mails[0].MessageID != mid {
		t.Fatalf("mailbox has %d items, want the one message", len(mails))
	}
	o := w.Outbound(mid)
	accepted := 0
	for _, e := range o.History {
		if e.State == msh.StateAccepted {
			accepted++
		}
	}
	if o.State != msh.StateAccepted || accepted != 1 {
		t.Fatalf("outbox %s (reason %q %q), ACCEPTED %d times; history %+v", o.State, o.Reason, o.Detail, accepted, o.History)
	}
}

// TestEngineCrashAtEveryStep fails, in turn, every port call the send, receive and
// deliver paths make in a clean run (before the call reaches the store, and after it
// was written but its answer was lost), restarts, and checks that the message is
// delivered exactly once and accepted.
func TestEngineCrashAtEveryStep(t *testing.T) {
	clean := faultWorld(t)
	crashScenario(t, clean, id(100))
	counts := map[string]map[string]int{"a": clean.A.Faults.Counts(), "b": clean.B.Faults.Counts()}
	checkOutcome(t, clean, id(100))
	type step struct {
		ap string
		op string
		n  int
	}
	var steps []step
	for _, a := range []*enginetest.AP{clean.A, clean.B} {
		counts := counts[a.Name]
		ops := make([]string, 0, len(counts))
		for op := range counts {
			ops = append(ops, op)
		}
		sort.Strings(ops)
		for _, op := range ops {
			last := counts[op]
			switch {
			case op == "Lease":
				last = min(last, 4) // the later leases of a clean run find the queue empty
			case readOnly[op]:
				last = min(last, 1) // a failed read is an error return wherever it happens
			}
			for n := 1; n <= last; n++ {
				steps = append(steps, step{a.Name, op, n})
			}
		}
	}
	if len(steps) < 20 {
		t.Fatalf("only %d port calls in a clean run", len(steps))
	}
	ops := map[string]bool{}
	for _, s := range steps {
		ops[s.op] = true
	}
	for _, want := range []string{"Register", "PutInbound", "CreateOutbound", "SwapOutbound", "PutPayload", "Enqueue", "Lease", "Ack", "Deliver"} {
		if !ops[want] {
			t.Errorf("the clean run never calls %s", want)
		}
	}
	for _, s := range steps {
		modes := []bool{false, true}
		switch {
		case readOnly[s.op]:
			modes = modes[:1] // a read fails the same way before and after
		case s.op == "Lease":
			modes = modes[1:] // leased, but the worker never learned it: hidden until the lease expires
		}
		for _, after := range modes {
			name := fmt.Sprintf("%s-%s#%d-after=%v", s.ap, s.op, s.n, after)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				w := faultWorld(t)
				ap := w.A
				if s.ap == "b" {
					ap = w.B
				}
				ap.Faults.FailAt(s.op, s.n, after, errCrash)
				crashScenario(t, w, id(100))
				checkOutcome(t, w, id(100))
				if got := ap.Faults.Calls(s.op); got < s.n {
					t.Fatalf("the fault never fired: %d calls of %s", got, s.op)
				}
			})
		}
	}
}
