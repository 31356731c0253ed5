package localsys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/infra/local"
)

// openAudit keeps the trail in DATA/audit.db, prunes every tenant to the retention when it
// opens, and signs the anchors with the tenant's key once it is known.
func TestOpenAudit(t *testing.T) {
	dir := t.TempDir()
	db, err := local.OpenDB(filepath.Join(dir, "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().AddDate(0, -5, 0)
	past, err := audit.NewLog(audit.Options{Store: local.NewAuditStore(db), Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"kommun-a", "kommun-a", "kommun-b"} {
		if _, err := past.Append(context.Background(), audit.Event{Tenant: tenant, Type: audit.TypeState, MessageID: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	keys := &anchorKeys{}
	l, adb, err := openAudit(context.Background(), auditConfig{dataDir: dir, tenants: []string{"kommun-a", "kommun-b"}, retentionMonths: 3}, keys, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	for tenant, pruned := range map[string]uint64{"kommun-a": 2, "kommun-b": 1} {
		rep, err := l.Verify(context.Background(), tenant)
		if err != nil || rep.Checkpoint == nil || rep.Checkpoint.Seq != pruned {
			t.Fatalf("%s: %+v, %v", tenant, rep, err)
		}
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys.set("kommun-a", k)
	if got := keys.get("kommun-a"); got != crypto.Signer(k) || keys.get("kommun-b") != nil {
		t.Fatal("anchor keys by tenant")
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.db")); err != nil {
		t.Fatal(err)
	}
}
