package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/internal/awssys"
)

// worker has n due items per tenant; fail makes RunOnce fail.
type worker struct {
	due  map[string]int
	runs int
	fail bool
}

func (w *worker) RunOnce(_ context.Context, tenant string) (bool, error) {
	w.runs++
	if w.fail {
		return false, errors.New("dynamodb: throttled")
	}
	if w.due[tenant] == 0 {
		return false, nil
	}
	w.due[tenant]--
	return true, nil
}

func fixture(t *testing.T) events.SQSEvent {
	t.Helper()
	b, err := os.ReadFile("testdata/sqs-signals.json")
	if err != nil {
		t.Fatal(err)
	}
	var e events.SQSEvent
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func failures(r events.SQSEventResponse) []string {
	var ids []string
	for _, f := range r.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// The fixture holds a signal for this tenant, a body that is no signal, a signal for
// another tenant and a scheduled backstop signal without an id: the two bad ones are
// batch item failures, and the tenant's queue is drained once.
func TestSignalsDrainAndReportFailures(t *testing.T) {
	w := &worker{due: map[string]int{"kommun-a": 3, "kommun-b": 5}}
	resp, err := awssys.SQSSignals(w, "kommun-a", slog.New(slog.DiscardHandler))(context.Background(), fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	got := failures(resp)
	want := []string{"9d0c7e5b-2a1f-4c3d-8e6f-1a2b3c4d5e02", "e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a703"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("failures %v, want %v", got, want)
	}
	if w.due["kommun-a"] != 0 || w.due["kommun-b"] != 5 || w.runs != 4 {
		t.Fatalf("due %v after %d runs", w.due, w.runs)
	}
	// The JSON Lambda returns is the partial batch response SQS reads.
	b, _ := json.Marshal(resp)
	if want := `{"batchItemFailures":[{"itemIdentifier":"9d0c7e5b-2a1f-4c3d-8e6f-1a2b3c4d5e02"},{"itemIdentifier":"e4f5a6b7-c8d9-4e0f-a1b2-c3d4e5f6a703"}]}`; string(b) != want {
		t.Errorf("response %s", b)
	}
}

func TestStoreFailureFailsTenantSignals(t *testing.T) {
	w := &worker{fail: true}
	resp, err := awssys.SQSSignals(w, "kommun-a", slog.New(slog.DiscardHandler))(context.Background(), fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(resp.BatchItemFailures); n != 4 || w.runs != 1 {
		t.Fatalf("%d failures after %d runs, want 4 after 1", n, w.runs)
	}
}

func TestDrainIsBounded(t *testing.T) {
	w := &worker{due: map[string]int{"kommun-a": 1000}}
	e := fixture(t)
	e.Records = e.Records[:1]
	resp, _ := awssys.SQSSignals(w, "kommun-a", slog.New(slog.DiscardHandler))(context.Background(), e)
	if len(resp.BatchItemFailures) != 0 || w.runs != awssys.MaxItemsPerSignal {
		t.Fatalf("runs %d, failures %v", w.runs, failures(resp))
	}
}
