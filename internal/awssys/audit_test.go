package awssys_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/msh"
	"github.com/brevduva/brevduva/core/msh/enginetest"
	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/infra/aws/dynamo"
	"github.com/brevduva/brevduva/internal/awssys"
)

func token(t *testing.T, srv *oauth.Server, id string) string {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, "hemligt-hemligt")
	srv.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return tok.AccessToken
}

// The sdk-api function serves the tenant's audit trail, kept in DynamoDB (dynalite), to a
// token with the audit scope, and to no other.
func TestAuditAPIOnDynamoDB(t *testing.T) {
	api, table := awssys.AuditTable(t)
	w := enginetest.NewWorld(t, nil)
	l, err := audit.NewLog(audit.Options{Store: dynamo.NewAuditStore(api, table), Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	w.Configure = func(o *msh.EngineOptions) { o.Audit = l }
	w.Start(w.A)
	w.Start(w.B)
	mid := enginetest.ID(5)
	if _, err := w.Submit(mid, enginetest.FnB); err != nil {
		t.Fatal(err)
	}
	w.MustPump()

	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const issuer = "https://brevduva.test"
	srv, err := oauth.NewServer(oauth.ServerOptions{Key: priv, Issuer: issuer, Now: time.Now, Clients: []oauth.Client{
		{ID: "admin", Secret: "hemligt-hemligt", Tenant: w.A.Tenant.ID, Scopes: []string{audit.ScopeAudit}},
		{ID: "arende", Secret: "hemligt-hemligt", Tenant: w.A.Tenant.ID},
	}})
	if err != nil {
		t.Fatal(err)
	}
	env := awssys.MapEnv(map[string]string{awssys.EnvOAuthIssuer: issuer, awssys.EnvOAuthPublicKey: base64.StdEncoding.EncodeToString(pub)})
	auth, err := awssys.Verifier(env)
	if err != nil {
		t.Fatal(err)
	}
	h, err := awssys.NewSDKAPIHandler(env, &awssys.System{Engine: w.A.Engine, Tenant: w.A.Tenant, Audit: l}, auth)
	if err != nil {
		t.Fatal(err)
	}
	get := func(tok string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", awssys.AuditBasePath+"/entries?messageId="+mid, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		h.ServeHTTP(rec, req)
		return rec
	}
	rec := get(token(t, srv, "admin"))
	var p struct{ Entries []audit.View }
	// A's five: submitted, SUBMITTED, WAITING_FOR_RECEIPT, the kvittens received, ACCEPTED;
	// B's entries for the message (received, delivered, its kvittens) are not A's to read.
	if err := json.Unmarshal(rec.Body.Bytes(), &p); rec.Code != http.StatusOK || err != nil || len(p.Entries) != 5 {
		t.Fatalf("admin: %d %s", rec.Code, rec.Body)
	}
	if last := p.Entries[4]; last.State != string(msh.StateAccepted) || last.Receipt != "ACCEPTED" {
		t.Fatalf("last entry %+v", last)
	}
	if rec := get(token(t, srv, "arende")); rec.Code != http.StatusForbidden {
		t.Fatalf("case worker's token: %d, want 403", rec.Code)
	}
	for _, tid := range []string{w.A.Tenant.ID, w.B.Tenant.ID} {
		if _, err := l.Verify(context.Background(), tid); err != nil {
			t.Fatal(err)
		}
	}
}
