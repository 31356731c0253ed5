package awssys

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// The audit health metric (issue 9): a Lambda cannot answer a health endpoint between
// invocations, so each invocation in which the tenant's Auditor refused events logs one
// CloudWatch Embedded Metric Format line (EMF specification: a root "_aws" member with
// Timestamp in epoch milliseconds and CloudWatchMetrics[{Namespace, Dimensions,
// Metrics[{Name, Unit}]}], the metric and dimension values as root members). CloudWatch
// Logs turns it into the metric Brevduva/AuditFailures{Tenant} that the tenant module's
// audit_failures alarm watches (terraform/modules/tenant/alarms.tf). The line carries
// counts and the tenant id only.
const (
	MetricNamespace     = "Brevduva"
	MetricAuditFailures = "AuditFailures"
	MetricDimTenant     = "Tenant"
)

// auditCounter is the engine's audit failure counter (*msh.Engine fits).
type auditCounter interface{ AuditFailures() uint64 }

// auditMeter logs the audit failures that appeared since its last report.
type auditMeter struct {
	c      auditCounter
	tenant string
	log    *slog.Logger
	now    func() time.Time
	mu     sync.Mutex
	seen   uint64
}

// newAuditMeter meters v's audit failures when v counts them (else nil: nothing to meter).
func newAuditMeter(v any, tenant string, log *slog.Logger) *auditMeter {
	c, ok := v.(auditCounter)
	if !ok {
		return nil
	}
	return &auditMeter{c: c, tenant: tenant, log: log, now: time.Now, seen: c.AuditFailures()}
}

// report logs the failures since the previous report as one EMF line, when there are any.
// The engine's counter runs for the life of the Lambda container; each line carries only
// the new ones, so the metric's Sum over a period counts every refused event once.
func (m *auditMeter) report(ctx context.Context) {
	if m == nil {
		return
	}
	m.mu.Lock()
	total := m.c.AuditFailures()
	n := total - m.seen
	m.seen = total
	m.mu.Unlock()
	if n == 0 {
		return
	}
	m.log.LogAttrs(ctx, slog.LevelWarn, "audit events refused", emfAttrs(m.now(), m.tenant, n)...)
}

// emfAttrs are the root members of an EMF line for n audit failures of tenant.
func emfAttrs(at time.Time, tenant string, n uint64) []slog.Attr {
	directive := map[string]any{
		"Namespace":  MetricNamespace,
		"Dimensions": [][]string{{MetricDimTenant}},
		"Metrics":    []map[string]string{{"Name": MetricAuditFailures, "Unit": "Count"}},
	}
	return []slog.Attr{
		slog.Any("_aws", map[string]any{"Timestamp": at.UnixMilli(), "CloudWatchMetrics": []any{directive}}),
		slog.String(MetricDimTenant, tenant),
		slog.Uint64(MetricAuditFailures, n),
	}
}

// withAuditMetric reports m after each request (an invocation of a buffered Lambda).
func withAuditMetric(m *auditMeter, h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer m.report(r.Context())
		h.ServeHTTP(w, r)
	})
}
