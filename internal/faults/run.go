package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/internal/localsys"
)

// The demo tenants (localsys.InitDemo): messages go from A to B's function address Box,
// every second one to NoBox, which B does not have, so that B's MT rejects it (kvittens
// REJECTED, BV not-found) and the rejection path is struck too.
const (
	TenantA = "kommun-a"
	TenantB = "kommun-b"
	Box     = "registrator"
	NoBox   = "finns-inte"
)

// Rejected reports whether message i is addressed to NoBox.
func Rejected(i int) bool { return i%2 == 1 }

// address is the function address of message i.
func address(i int) string {
	if Rejected(i) {
		return NoBox
	}
	return Box
}

// kvittensPrefix is how core/msh names the Meddelandekvittens answering a message
// (receiptIDPrefix in core/msh/deliver.go). Check fails loudly if it changes.
const kvittensPrefix = "kvittens-"

// Protocol lines a run writes to its out (the parent of a child process reads them).
const (
	lineStarted = "faults: started"
	lineCrash   = "faults: crash"
	lineQuiet   = "faults: quiet"
	lineCounts  = "faults: counts"
)

// Timing of a run: short, so that a lease held by a killed process, a failed attempt and
// a failed work item come back within seconds of wall-clock time.
const (
	leaseTime  = 2 * time.Second
	errorDelay = 200 * time.Millisecond
	pollEvery  = 20 * time.Millisecond
	quietEvery = 50 * time.Millisecond
)

// retry resends every 150 ms for 15 s: a crashed or failed attempt is repeated soon —
// often before the kvittens of the first attempt is back, so that the receiver's duplicate
// detection is struck too — and no transient fault exhausts it.
var retry = msh.RetryPolicy{Timeout: 15 * time.Second, Retries: msh.MaxRetries, Strategy: msh.RetryConstant}

// Scenario is one run of the local system.
type Scenario struct {
	Config   string        `json:"config"`  // config.json of a demo folder (localsys.InitDemo, FreePorts)
	DataDir  string        `json:"dataDir"` // replaces the config's data folder
	Messages int           `json:"messages"`
	Points   []Point       `json:"points,omitempty"`
	Crash    bool          `json:"crash,omitempty"` // armed points Crash (else Fail)
	Timeout  time.Duration `json:"timeout"`         // until every message is finished
}

// MessageID is the id of the i-th message of every scenario (an SDK messageId is a UUID).
func MessageID(i int) string { return fmt.Sprintf("fa017000-0000-4000-8000-%012d", i) }

// SDKMessage is the i-th message: the same bytes in every run, so that a client that got
// no answer submits it again unchanged, and the checker can compare what was delivered.
func SDKMessage(i int) ([]byte, error) {
	id := MessageID(i)
	m := &sdkmsg.Message{
		CreationDateTime: sdkmsg.FormatTime(time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)),
		MessageID:        id,
		ConversationID:   "c0c0c0c0" + id[8:],
		Label:            fmt.Sprintf("Felinjektion %d", i),
		Recipient:        sdkmsg.Party{ID: localsys.DemoParticipantB, Attention: &sdkmsg.Attention{FunctionAddress: address(i)}},
		Sender:           sdkmsg.Party{ID: localsys.DemoParticipantA},
		Documents:        []sdkmsg.Document{{DocumentID: "d1", Texts: []string{fmt.Sprintf("Meddelande %d.", i)}}},
	}
	b, err := m.Bytes()
	if err != nil {
		return nil, fmt.Errorf("faults: sdk message %d: %w", i, err)
	}
	return b, nil
}

// Run starts the local system of sc with the injector wrapped around both engines,
// submits sc.Messages messages from A to B (retrying, as a client does, each that got an
// error; ErrDuplicate means an earlier try was stored), waits until every message is
// finished, writes the quiet line and the call counts to out, and shuts the system down.
// With sc.Crash an armed point stops the run for good (the parent kills the process).
func Run(ctx context.Context, sc Scenario, out io.Writer, log *slog.Logger) (*Injector, error) {
	cfg, err := localsys.LoadConfig(sc.Config)
	if err != nil {
		return nil, err
	}
	cfg.DataDir = sc.DataDir
	action := Action(Fail)
	if sc.Crash {
		action = Crash(out)
	}
	in := NewInjector(action, sc.Points...)
	var mu sync.Mutex
	var store msh.MessageStore // unwrapped: the run's own reads are not port calls under test
	s, err := localsys.Start(cfg, localsys.Options{Logger: log, PollInterval: pollEvery, Retry: &retry,
		Configure: func(tenant string, o *msh.EngineOptions) {
			o.Lease, o.ErrorDelay = leaseTime, errorDelay
			mu.Lock()
			store = o.Store
			mu.Unlock()
			in.Wrap(tenant, o)
		}})
	if err != nil {
		return nil, err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(c)
	}()
	fmt.Fprintln(out, lineStarted)
	ctx, cancel := context.WithTimeout(ctx, sc.Timeout)
	defer cancel()
	a := s.Engine(TenantA)
	for i := range sc.Messages {
		if err := submit(ctx, a, i); err != nil {
			return in, err
		}
	}
	if err := waitQuiet(ctx, store, sc.Messages); err != nil {
		return in, err
	}
	b, _ := json.Marshal(in.Counts())
	fmt.Fprintf(out, "%s\n%s %s\n", lineQuiet, lineCounts, b)
	return in, nil
}

// submit is a client that submits message i until it has an answer.
func submit(ctx context.Context, e *msh.Engine, i int) error {
	msg, err := SDKMessage(i)
	if err != nil {
		return err
	}
	for {
		_, err := e.Submit(ctx, TenantA, msh.Submission{Message: msg})
		if err == nil || errors.Is(err, msh.ErrDuplicate) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("faults: submit %s: %w (last: %w)", MessageID(i), ctx.Err(), err)
		case <-time.After(quietEvery):
		}
	}
}

// waitQuiet waits until every message is finished at A and every Meddelandekvittens B
// sent for them is finished too.
func waitQuiet(ctx context.Context, store msh.MessageStore, n int) error {
	for {
		q, why, err := quiet(ctx, store, n)
		if err != nil || q {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("faults: not finished: %s: %w", why, ctx.Err())
		case <-time.After(quietEvery):
		}
	}
}

func quiet(ctx context.Context, store msh.MessageStore, n int) (bool, string, error) {
	for i := range n {
		id := MessageID(i)
		m, err := store.GetOutbound(ctx, msh.MessageKey{Tenant: TenantA, MessageID: id})
		if errors.Is(err, msh.ErrNotFound) {
			return false, id + " not stored", nil
		}
		if err != nil {
			return false, "", err
		}
		if !finished(m.State) {
			return false, id + " " + string(m.State), nil
		}
		if m.State != msh.StateAccepted && m.State != msh.StateRejected {
			continue // no kvittens came back
		}
		k, err := store.GetOutbound(ctx, msh.MessageKey{Tenant: TenantB, MessageID: kvittensPrefix + id})
		if errors.Is(err, msh.ErrNotFound) {
			return false, "kvittens of " + id + " not stored", nil
		}
		if err != nil {
			return false, "", err
		}
		if !finished(k.State) {
			return false, "kvittens of " + id + " " + string(k.State), nil
		}
	}
	return true, "", nil
}

// finished: the outbox states with no further work (MESSAGE_EXCHANGE_ERROR may still
// become ACCEPTED if a late kvittens comes, but nothing is sent any more).
func finished(s msh.State) bool {
	return s == msh.StateAccepted || s == msh.StateRejected || s == msh.StateMessageExchangeError || s == msh.StateError
}
