package localsys

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/infra/local"
)

// PathAudit is the audit API on the shared port (core/audit; scope urn:brevduva:api:audit,
// the token's tenant only).
const PathAudit = "/audit/v1"

// auditClient is a demo tenant's administrator client for the audit API: the audit scope
// only ("{tenant}-revisor" in config.json).
func auditClient(tenant string) Client {
	return Client{ID: tenant + "-revisor", Secret: randomHex(16), Scopes: []string{audit.ScopeAudit}}
}

// auditAnchorEvery: the log gets each tenant's chain head after every this many entries
// (an anchor outside the audit file, docs/design/audit.md).
const auditAnchorEvery = 100

// anchorKeys holds each tenant's AP key, which signs the anchors in the log; Start fills it
// as it loads the tenants.
type anchorKeys struct {
	mu   sync.Mutex
	keys map[string]crypto.Signer
}

func (k *anchorKeys) set(tenant string, key crypto.Signer) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.keys == nil {
		k.keys = map[string]crypto.Signer{}
	}
	k.keys[tenant] = key
}

func (k *anchorKeys) get(tenant string) crypto.Signer {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[tenant]
}

// auditConfig is what openAudit needs of the configuration.
type auditConfig struct {
	dataDir         string
	tenants         []string
	retentionMonths int // 0: audit.DefaultRetentionMonths
}

// openAudit opens the audit trail in DATA/audit.db, a file apart from brevduva.db: it
// holds no content and can be kept, copied and verified on its own (`brevduva audit
// --db`). Each tenant's chain is pruned to the retention at start. Anchors are logged
// every auditAnchorEvery entries, signed with the keys in keys.
func openAudit(ctx context.Context, cfg auditConfig, keys *anchorKeys, log *slog.Logger) (*audit.Log, *bolt.DB, error) {
	db, err := local.OpenDB(filepath.Join(cfg.dataDir, "audit.db"))
	if err != nil {
		return nil, nil, fmt.Errorf("localsys: audit: %w", err)
	}
	l, err := audit.NewLog(audit.Options{Store: local.NewAuditStore(db), Now: time.Now, Logger: log,
		AnchorEvery: auditAnchorEvery, AnchorKey: keys.get, RetentionMonths: cfg.retentionMonths})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("localsys: audit: %w", err)
	}
	for _, t := range cfg.tenants {
		if _, err := l.Prune(ctx, t); err != nil {
			db.Close()
			return nil, nil, fmt.Errorf("localsys: audit: %w", err)
		}
	}
	return l, db, nil
}
