package msh_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logs carry ids, parties and outcomes, never content: not the label, the text or the
// file name of a delivered message, nor the violation texts of a rejected one.
func TestEngineLogsNoContent(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	var logs syncBuffer
	w.Configure = func(o *msh.EngineOptions) {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	w.Start(w.A)
	w.Start(w.B)
	submit(t, w, id(40), fnB)
	submit(t, w, id(41), "okand")
	w.MustPump()
	w.WantState(id(40), msh.StateAccepted)
	w.WantState(id(41), msh.StateRejected)
	out := logs.String()
	for _, want := range []string{id(40), partA, partB, `"msg":"message delivered"`, `"msg":"kvittens applied"`, "not-found"} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q", want)
		}
	}
	for _, secret := range []string{"Ansökan", "Se bifogad fil", "ansokan.pdf", "PDF-1.4"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs contain message content %q", secret)
		}
	}
}

// A message whose kvittens never comes ends MESSAGE_EXCHANGE_ERROR after ReceiptTimeout;
// a kvittens that does come in time wins.
func TestEngineKvittensTimeout(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Configure = func(o *msh.EngineOptions) { o.ReceiptTimeout = time.Hour }
	w.Start(w.A)
	w.Start(w.B)
	submit(t, w, id(50), fnB)
	// B receives (AS4 receipt) but its worker does not run: no kvittens yet.
	if _, err := w.A.Engine.RunOnce(context.Background(), w.A.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	w.WantState(id(50), msh.StateWaitingForReceipt)
	w.Clock.Advance(time.Hour - time.Second)
	if _, err := w.A.Engine.RunOnce(context.Background(), w.A.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	w.WantState(id(50), msh.StateWaitingForReceipt)
	w.Clock.Advance(time.Second)
	if _, err := w.A.Engine.RunOnce(context.Background(), w.A.Tenant.ID); err != nil {
		t.Fatal(err)
	}
	if o := w.WantState(id(50), msh.StateMessageExchangeError); o.Reason != "kvittens-timeout" {
		t.Fatalf("reason %q", o.Reason)
	}
	// A late kvittens still counts (proof of delivery, see msh.Transitions).
	w.MustPump()
	w.WantState(id(50), msh.StateAccepted)

	submit(t, w, id(51), fnB)
	w.MustPump()
	w.WantState(id(51), msh.StateAccepted)
	w.Clock.Advance(2 * time.Hour)
	w.MustPump()
	w.WantState(id(51), msh.StateAccepted)
}

// Run's workers process queued work until the context ends.
func TestEngineRun(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Configure = func(o *msh.EngineOptions) { o.PollInterval = time.Millisecond }
	w.Start(w.A)
	w.Start(w.B)
	submit(t, w, id(60), fnB)
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for _, a := range []*enginetest.AP{w.A, w.B} {
		go func() { errs <- a.Engine.Run(ctx) }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for w.Outbound(id(60)).State != msh.StateAccepted {
		if time.Now().After(deadline) {
			t.Fatalf("not accepted: %+v", w.Outbound(id(60)))
		}
		w.Clock.Advance(50 * time.Millisecond) // see TestEngineConcurrentNoLossNoDuplicate
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	for range 2 {
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("run: %v", err)
		}
	}
}

// Concurrent submissions with Run's workers on both sides: none lost, none duplicated.
func TestEngineConcurrentNoLossNoDuplicate(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Configure = func(o *msh.EngineOptions) { o.PollInterval = time.Millisecond; o.Workers = 3 }
	w.Start(w.A)
	w.Start(w.B)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, a := range []*enginetest.AP{w.A, w.B} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = a.Engine.Run(ctx) }()
	}
	const n = 12
	var sub sync.WaitGroup
	for i := range n {
		sub.Add(1)
		go func() {
			defer sub.Done()
			if _, err := w.Submit(id(200+i), fnB); err != nil {
				t.Error(err)
			}
		}()
	}
	sub.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; i < n; {
		if w.Outbound(id(200+i)).State == msh.StateAccepted {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %+v", id(200+i), w.Outbound(id(200+i)))
		}
		// Let the test clock move, as a wall clock would: a worker that leased a
		// delivery item before its record was written nacks it for a short delay
		// (core/msh doc, the grace period), which a frozen clock never ends.
		w.Clock.Advance(100 * time.Millisecond)
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	got := map[string]int{}
	for _, m := range w.Mail(fnB) {
		got[m.MessageID]++
	}
	if len(got) != n {
		t.Fatalf("%d distinct messages delivered, want %d", len(got), n)
	}
	for k, c := range got {
		if c != 1 {
			t.Fatalf("%s delivered %d times", k, c)
		}
	}
}
