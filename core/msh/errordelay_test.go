package msh_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/msh/mshtest"
)

// A work item whose step failed on a store error comes back after EngineOptions.ErrorDelay
// (10 s when zero), not before.
func TestErrorDelay(t *testing.T) {
	for _, c := range []struct {
		set, want time.Duration
	}{{0, 10 * time.Second}, {300 * time.Millisecond, 300 * time.Millisecond}} {
		w := enginetest.NewWorld(t, nil)
		w.Configure = func(o *msh.EngineOptions) { o.ErrorDelay = c.set }
		w.A.Faults = mshtest.NewFaults()
		w.Start(w.A)
		if _, err := w.Submit(id(1), fnB); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("disk on fire")
		w.A.Faults.FailBefore("OpenPayload", boom) // the send step reads the sealed XHE
		ctx := context.Background()
		if _, err := w.A.Engine.RunOnce(ctx, w.A.Tenant.ID); !errors.Is(err, boom) {
			t.Fatalf("ErrorDelay %v: the step should fail with the store error, got %v", c.set, err)
		}
		w.Clock.Advance(c.want - time.Millisecond)
		if worked, err := w.A.Engine.RunOnce(ctx, w.A.Tenant.ID); worked || err != nil {
			t.Fatalf("ErrorDelay %v: item back after %v (err %v), want %v", c.set, c.want-time.Millisecond, err, c.want)
		}
		w.Clock.Advance(time.Millisecond)
		if worked, _ := w.A.Engine.RunOnce(ctx, w.A.Tenant.ID); !worked {
			t.Fatalf("ErrorDelay %v: item not back after %v", c.set, c.want)
		}
	}
}
