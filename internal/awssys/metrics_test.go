package awssys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/infra/aws/sqsqueue"
)

type refusingAuditor struct{}

func (refusingAuditor) Record(context.Context, audit.Event) error {
	return errors.New("audit store down")
}

// TestSQSSignalsLogsAuditFailureEMF runs as4-send's handler on a real engine whose audit
// trail refuses every event: the invocation that met refused events logs one EMF line
// with exactly the new failures, and an invocation without new ones logs none.
// The line is checked against the EMF specification's rules (checkEMF).
func TestSQSSignalsLogsAuditFailureEMF(t *testing.T) {
	w := enginetest.NewWorld(t, nil)
	w.Configure = func(o *msh.EngineOptions) { o.Audit = refusingAuditor{} }
	w.Start(w.A)
	var logs bytes.Buffer
	h := SQSSignals(w.A.Engine, w.A.Tenant.ID, slog.New(slog.NewJSONHandler(&logs, nil)))
	if _, err := w.Submit(enginetest.ID(1), enginetest.FnB); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(sqsqueue.Signal{Tenant: w.A.Tenant.ID, ID: "x"})
	event := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body)}}}
	invoke := func() []map[string]any {
		logs.Reset()
		if resp, err := h(context.Background(), event); err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("invocation: %+v %v", resp, err)
		}
		return emfLines(t, logs.String())
	}
	lines := invoke() // the submission and the send attempt, both refused by the trail
	total := w.A.Engine.AuditFailures()
	if total < 2 || len(lines) != 1 || lines[0][MetricAuditFailures] != float64(total) || lines[0][MetricDimTenant] != w.A.Tenant.ID {
		t.Fatalf("engine counted %d failures; EMF lines %v", total, lines)
	}
	lines = invoke() // nothing due: at most a poll, only its new failures count
	switch n := w.A.Engine.AuditFailures() - total; {
	case n == 0 && len(lines) != 0:
		t.Fatalf("an invocation without new audit failures logged %v", lines)
	case n > 0 && (len(lines) != 1 || lines[0][MetricAuditFailures] != float64(n)):
		t.Fatalf("%d new failures; EMF lines %v", n, lines)
	}
}

// emfLines returns the log lines that carry an EMF directive, each checked against the
// EMF specification: "_aws" with an integer Timestamp and CloudWatchMetrics directives,
// each with a Namespace, Dimensions naming root string members and Metrics naming root
// numeric members.
func emfLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(logs) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if _, ok := m["_aws"]; ok {
			checkEMF(t, line)
			out = append(out, m)
		}
	}
	return out
}

type emfDoc struct {
	AWS struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

func checkEMF(t *testing.T, line string) {
	t.Helper()
	var d emfDoc
	var root map[string]any
	if err := json.Unmarshal([]byte(line), &d); err != nil || json.Unmarshal([]byte(line), &root) != nil {
		t.Fatalf("EMF %q: %v", line, err)
	}
	if d.AWS.Timestamp == nil || *d.AWS.Timestamp <= 0 || len(d.AWS.CloudWatchMetrics) == 0 {
		t.Fatalf("EMF %q: no Timestamp or CloudWatchMetrics", line)
	}
	for _, dir := range d.AWS.CloudWatchMetrics {
		if dir.Namespace == "" || len(dir.Metrics) == 0 {
			t.Fatalf("EMF %q: directive without namespace or metrics", line)
		}
		for _, set := range dir.Dimensions {
			for _, k := range set {
				if _, ok := root[k].(string); !ok {
					t.Fatalf("EMF %q: dimension %q is not a root string member", line, k)
				}
			}
		}
		for _, m := range dir.Metrics {
			if _, ok := root[m.Name].(float64); !ok || m.Unit != "Count" {
				t.Fatalf("EMF %q: metric %q is not a root number in Count", line, m.Name)
			}
		}
	}
}

// countingAuditor is an audit counter that a request handler bumps.
type countingAuditor struct{ n uint64 }

func (c *countingAuditor) AuditFailures() uint64 { return c.n }

// TestHTTPAuditMetric: the HTTP functions (as4-receive, sdk-api) log the EMF line after
// a request that met refused audit events, and none after one that did not.
func TestHTTPAuditMetric(t *testing.T) {
	c := &countingAuditor{n: 4} // before the handler was built: not this container's news
	var logs bytes.Buffer
	bump := 0
	h := withAuditMetric(newAuditMeter(c, "kommun-a", slog.New(slog.NewJSONHandler(&logs, nil))),
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { c.n += uint64(bump) }))
	for _, b := range []int{3, 0} {
		logs.Reset()
		bump = b
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/kommun-a/as4", nil))
		lines := emfLines(t, logs.String())
		if b == 0 && len(lines) != 0 || b > 0 && (len(lines) != 1 || lines[0][MetricAuditFailures] != float64(b) || lines[0][MetricDimTenant] != "kommun-a") {
			t.Fatalf("%d new failures: EMF lines %v", b, lines)
		}
	}
}
