package awssys

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
)

// AuditBasePath is where the sdk-api function serves the tenant's audit API (core/audit,
// scope urn:brevduva:api:audit) beside the SDK API.
const AuditBasePath = "/audit/v1"

// auditAnchorEvery: every function writes the tenant's chain head to its log (CloudWatch,
// outside the table) after every this many entries it appends (docs/design/audit.md).
const auditAnchorEvery = 100

// EnvAuditRetentionMonths is how long the tenant's audit trail keeps entries (months;
// default 12, ⚠U spec-facts §k 25).
const EnvAuditRetentionMonths = "BREVDUVA_AUDIT_RETENTION_MONTHS"

// newAudit is the tenant's audit trail in the adapters' table; every function appends to
// the same chain (conditional puts on the sequence number keep it one chain). It prunes
// the chain to the retention at every cold start (three small requests when nothing is
// due; concurrent prunes are safe). A failed prune is logged, not fatal. The anchors it
// logs are signed with the AP key apKey (one KMS signature per anchor).
func newAudit(ctx context.Context, env Env, c *Clients, table, tenant string, apKey crypto.Signer, log *slog.Logger) (*audit.Log, error) {
	months := 0
	if s := env.get(EnvAuditRetentionMonths); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("awssys: %s=%q: want a whole number of months ≥ 1", EnvAuditRetentionMonths, s)
		}
		months = n
	}
	l, err := audit.NewLog(audit.Options{Store: dynamo.NewAuditStore(c.DynamoDB, table), Now: time.Now, Logger: log,
		AnchorEvery: auditAnchorEvery, RetentionMonths: months, AnchorKey: func(string) crypto.Signer { return apKey }})
	if err != nil {
		return nil, fmt.Errorf("awssys: audit: %w", err)
	}
	if _, err := l.Prune(ctx, tenant); err != nil {
		log.Warn("audit prune failed", "tenant", tenant, "err", err.Error())
	}
	return l, nil
}

// withAudit serves the audit API at AuditBasePath and everything else with h; a System
// without an audit trail (built without New) serves h alone.
func withAudit(sys *System, auth oauth.Authenticator, h http.Handler) (http.Handler, error) {
	if sys.Audit == nil {
		return h, nil
	}
	ah, err := audit.NewHandler(audit.HandlerOptions{Log: sys.Audit, Auth: auth, Base: AuditBasePath, Logger: sys.Logger})
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle(AuditBasePath+"/", ah)
	mux.Handle("/", h)
	return mux, nil
}
