package localsys

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// Health is what GET /healthz answers: per tenant, that its engine runs and how many
// audit events its Auditor refused since the system started (msh.Engine.AuditFailures).
// It names tenants and counts, never message ids, content or secrets. Status is "ok"
// with 200, or "degraded" with 503 once any tenant's audit trail has lost an event: the
// trail is the operator's record of what was sent and received (docs/design/audit.md),
// so a gap wants attention even though no message was lost. The counters live in
// memory: a restart, after the audit store is repaired, clears the state.
type Health struct {
	Status  string         `json:"status"`
	Tenants []TenantHealth `json:"tenants"`
}

// TenantHealth is one tenant's line of Health.
type TenantHealth struct {
	Tenant        string `json:"tenant"`
	Engine        string `json:"engine"`
	AuditFailures uint64 `json:"auditFailures"`
}

// Health statuses.
const (
	HealthOK       = "ok"
	HealthDegraded = "degraded"
)

// health reports the engines' state, tenants in id order.
func (s *System) health() Health {
	h := Health{Status: HealthOK, Tenants: []TenantHealth{}}
	for _, id := range slices.Sorted(maps.Keys(s.engines)) {
		n := s.engines[id].AuditFailures()
		h.Tenants = append(h.Tenants, TenantHealth{Tenant: id, Engine: HealthOK, AuditFailures: n})
		if n > 0 {
			h.Status = HealthDegraded
		}
	}
	return h
}

// serveHealth answers GET /healthz with health as JSON (503 when degraded).
func (s *System) serveHealth(w http.ResponseWriter, _ *http.Request) {
	h := s.health()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if h.Status != HealthOK {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(h)
}
