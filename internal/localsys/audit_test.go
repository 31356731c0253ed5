package localsys

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
)

// The local system records both tenants' trails in DATA/audit.db over real AS4 and serves
// them at /audit/v1 to a tenant administrator's client (scope urn:brevduva:api:audit).
func TestAuditTrail(t *testing.T) {
	dir := demoCopy(t)
	cfg, err := LoadConfig(filepath.Join(dir, DemoConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	admin := cfg.Tenants[0].Clients[1] // the demo's audit client, "kommun-a-revisor"
	if admin.ID != "kommun-a-revisor" || len(admin.Scopes) != 1 || admin.Scopes[0] != audit.ScopeAudit {
		t.Fatalf("demo audit client %+v", admin)
	}
	s, err := Start(cfg, Options{PollInterval: 20 * time.Millisecond, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdown(t, s) })
	d := s.Description()
	ta := cfg.Tenants[0].ID
	mid := enginetest.ID(300)
	msg := enginetest.SDKMessage(t, mid, DemoParticipantA, DemoParticipantB, "registrator")
	if _, err := s.Engine(ta).Submit(context.Background(), ta, msh.Submission{Message: msg}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		o, err := s.Engine(ta).Outbound(context.Background(), ta, mid)
		if err == nil && o.State == msh.StateAccepted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ACCEPTED: %+v %v", o, err)
		}
	}
	base := strings.TrimSuffix(d.SDKAPIBaseURL, PathSDKAPI) + PathAudit
	adminDesc := Description{Tenants: []TenantInfo{{TokenURL: d.TokenURL, ClientID: admin.ID, ClientSecret: admin.Secret}}}
	adminTok := token(t, adminDesc, 0)
	code, b := call(t, "GET", base+"/entries?"+url.Values{"messageId": {mid}}.Encode(), adminTok, "", nil)
	var p struct{ Entries []audit.View }
	if code != 200 || json.Unmarshal(b, &p) != nil || len(p.Entries) != 5 || p.Entries[4].Receipt != "ACCEPTED" {
		t.Fatalf("audit entries: %d %s", code, b)
	}
	if p.Entries[2].ToAP == "" || p.Entries[2].APCert == "" {
		t.Errorf("WAITING_FOR_RECEIPT without the receiving AP: %+v", p.Entries[2])
	}
	code, b = call(t, "GET", base+"/verify", adminTok, "", nil)
	if code != 200 || !strings.Contains(string(b), `"valid":true`) {
		t.Fatalf("verify: %d %s", code, b)
	}
	if code, _ := call(t, "GET", base+"/entries", token(t, d, 0), "", nil); code != http.StatusForbidden {
		t.Errorf("a case worker's token: %d, want 403", code)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "audit.db")); err != nil {
		t.Error(err)
	}
}
