package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/infra/local"
)

// auditFile writes n sample entries of tenant t1 into a fresh audit file.
func auditFile(t *testing.T, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "audit.db")
	db, err := local.OpenDB(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, _ := audittest.NewLog(t, local.NewAuditStore(db))
	for i := 1; i <= n; i++ {
		if _, err := l.Append(context.Background(), audittest.Event("t1", i)); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditCLIFile(t *testing.T) {
	p := auditFile(t, 5)
	code, out, errs := runCLI("audit", "search", "--db", p, "--tenant", "t1", "--message-id", "m-2")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"messageId":"m-2"`) {
		t.Fatalf("search: %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI("audit", "search", "--db", p, "--tenant", "t1", "--party", "0203:KOMMUN-B.se")
	if code != 0 || strings.Count(out, "\n") != 5 {
		t.Fatalf("search by party: %d %q", code, out)
	}
	code, out, errs = runCLI("audit", "verify", "--db", p, "--tenant", "t1")
	var v audit.VerifyView
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || !v.Valid || v.Entries != 5 {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	head := v.Head
	// The attacker edits entry 3 in the file and drops the last one.
	db, err := bolt.Open(p, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit")).Bucket([]byte("t1")).Bucket([]byte("entries"))
		k3 := binary.BigEndian.AppendUint64(nil, 3)
		v3 := bytes.Clone(b.Get(k3))
		v3[len(v3)-40] ^= 1
		if err := b.Put(k3, v3); err != nil {
			return err
		}
		return b.Delete(binary.BigEndian.AppendUint64(nil, 5))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI("audit", "verify", "--db", p, "--tenant", "t1", "--anchor", head)
	if code != 1 || json.Unmarshal([]byte(out), &v) != nil || v.Valid || v.BrokenAt != 3 || !strings.Contains(errs, "#3") {
		t.Fatalf("verify after tampering: %d %q %q", code, out, errs)
	}
}

func TestAuditCLIUsage(t *testing.T) {
	for _, args := range [][]string{
		{"audit"}, {"audit", "nope"}, {"audit", "search", "--tenant", "t1"},
		{"audit", "verify", "--db", "x", "--url", "y"}, {"audit", "prune", "--db", "x"},
		{"audit", "search", "--db", "missing.db", "--tenant", "t1"},
		{"audit", "search", "--db", "x", "--tenant", "t1", "--from", "yesterday"},
	} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
}

type cliTokens map[string]oauth.Principal

func (tk cliTokens) Authenticate(r *http.Request) (oauth.Principal, error) {
	tok, err := oauth.BearerToken(r)
	if p, ok := tk[tok]; ok && err == nil {
		return p, nil
	}
	return oauth.Principal{}, oauth.ErrInvalidToken
}

// The --url mode reads the same through the HTTP API, following the cursor.
func TestAuditCLIURL(t *testing.T) {
	mem := audittest.NewMemory()
	l, _ := audittest.NewLog(t, mem)
	for i := 1; i <= 150; i++ { // more than one page (DefaultSearchLimit)
		if _, err := l.Append(context.Background(), audittest.Event("t1", i)); err != nil {
			t.Fatal(err)
		}
	}
	h, err := audit.NewHandler(audit.HandlerOptions{Log: l, Base: "/audit/v1",
		Auth: cliTokens{"tok": {Tenant: "t1", Scopes: []string{audit.ScopeAudit}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, out, errs := runCLI("audit", "search", "--url", srv.URL+"/audit/v1", "--token", "tok")
	if code != 0 || strings.Count(out, "\n") != 150 {
		t.Fatalf("search: %d, %d lines, %q", code, strings.Count(out, "\n"), errs)
	}
	code, out, _ = runCLI("audit", "verify", "--url", srv.URL+"/audit/v1", "--token", "tok")
	if code != 0 || !strings.Contains(out, `"valid":true`) {
		t.Fatalf("verify: %d %q", code, out)
	}
	if code, _, errs := runCLI("audit", "verify", "--url", srv.URL+"/audit/v1", "--token", "wrong"); code != 2 || !strings.Contains(errs, "401") {
		t.Fatalf("wrong token: %d %q", code, errs)
	}
}

func TestAuditCLIPrune(t *testing.T) {
	p := auditFile(t, 3) // written at audittest.T0, 2026-01-15
	if code, out, _ := runCLI("audit", "prune", "--db", p, "--tenant", "t1", "--at", "2026-02-01T00:00:00Z", "--retention-months", "1"); code != 0 || !strings.Contains(out, `"pruned":0`) {
		t.Fatalf("prune within the retention: %d %q", code, out)
	}
	code, out, errs := runCLI("audit", "prune", "--db", p, "--tenant", "t1", "--at", "2026-03-01T00:00:00Z", "--retention-months", "1")
	if code != 0 || !strings.Contains(out, `"pruned":3`) {
		t.Fatalf("prune: %d %q %q", code, out, errs)
	}
	if code, out, _ := runCLI("audit", "verify", "--db", p, "--tenant", "t1"); code != 0 || !strings.Contains(out, `"checkpoint":"3:`) {
		t.Fatalf("verify after prune: %d %q", code, out)
	}
}
