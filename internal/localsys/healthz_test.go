package localsys

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
)

// brokenAuditStore is an audit store that refuses every event, as a full disk would.
type brokenAuditStore struct{}

func (brokenAuditStore) Record(context.Context, audit.Event) error {
	return errors.New("audit store down")
}

// TestHealthzCountsAuditFailures breaks tenant A's audit trail (Options.Configure) and
// reads /healthz: ok and zero before, then 503 "degraded" with A's failures counted once
// a message was submitted (at most the engine's count, read after), B still at zero.
func TestHealthzCountsAuditFailures(t *testing.T) {
	dir := demoCopy(t)
	cfg, err := LoadConfig(filepath.Join(dir, DemoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	tenantA, tenantB := cfg.Tenants[0].ID, cfg.Tenants[1].ID
	s := startWith(t, dir, Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t),
		Configure: func(tenant string, o *msh.EngineOptions) {
			if tenant == tenantA {
				o.Audit = brokenAuditStore{}
			}
		}})
	d := s.Description()
	if code, h := getHealth(t, d.HealthURL); code != http.StatusOK || h.Status != HealthOK ||
		h.failures(tenantA) != 0 || h.failures(tenantB) != 0 {
		t.Fatalf("healthz before any message: %d %+v", code, h)
	}
	// The submission's audit event is recorded (here: refused) before the API answers.
	submitText(t, d, token(t, d, 0), false, "hälsa", "audit store down")
	code, h := getHealth(t, d.HealthURL)
	if code != http.StatusServiceUnavailable || h.Status != HealthDegraded || len(h.Tenants) != 2 {
		t.Fatalf("healthz after a refused audit event: %d %+v", code, h)
	}
	if n := h.failures(tenantA); n == 0 || n > s.Engine(tenantA).AuditFailures() {
		t.Fatalf("tenant A audit failures %d (engine %d)", n, s.Engine(tenantA).AuditFailures())
	}
	if h.failures(tenantB) != 0 {
		t.Fatalf("tenant B audit failures %d, its trail works", h.failures(tenantB))
	}
}

// failures is tenant's AuditFailures in h; it fails the lookup loudly with MaxUint64.
func (h Health) failures(tenant string) uint64 {
	for _, th := range h.Tenants {
		if th.Tenant == tenant && th.Engine == HealthOK {
			return th.AuditFailures
		}
	}
	return math.MaxUint64
}

// getHealth reads /healthz.
func getHealth(t *testing.T, u string) (int, Health) {
	t.Helper()
	resp, err := apiClient.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h Health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("healthz content type %q", ct)
	}
	return resp.StatusCode, h
}
