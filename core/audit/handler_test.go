package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/brevduva/brevduva/core/audit"
	"github.com/brevduva/brevduva/core/audit/audittest"
	"github.com/brevduva/brevduva/core/oauth"
)

// tokens is a fixed token table (the real verifier is core/oauth's; this tests the
// handler's use of the principal).
type tokens map[string]oauth.Principal

func (tk tokens) Authenticate(r *http.Request) (oauth.Principal, error) {
	tok, err := oauth.BearerToken(r)
	if err != nil {
		return oauth.Principal{}, err
	}
	p, ok := tk[tok]
	if !ok {
		return oauth.Principal{}, oauth.ErrInvalidToken
	}
	return p, nil
}

func apiServer(t *testing.T) (*httptest.Server, *audittest.Memory, *audit.Log) {
	mem := audittest.NewMemory()
	l, _ := audittest.NewLog(t, mem)
	for i := 1; i <= 4; i++ {
		if _, err := l.Append(context.Background(), audittest.Event("tenant-a", i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Append(context.Background(), audittest.Event("tenant-b", 1)); err != nil {
		t.Fatal(err)
	}
	h, err := audit.NewHandler(audit.HandlerOptions{Log: l, Base: "/audit/v1", Auth: tokens{
		"admin-a": {Tenant: "tenant-a", Scopes: []string{audit.ScopeAudit}},
		"admin-b": {Tenant: "tenant-b", Scopes: []string{audit.ScopeAudit}},
		"user-a":  {Tenant: "tenant-a", Scopes: []string{oauth.ScopeGetMessage}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, mem, l
}

func get(t *testing.T, srv *httptest.Server, path, token string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

type page struct {
	Entries []audit.View `json:"entries"`
	Next    string       `json:"next"`
}

func TestHandlerSearchIsTenantScoped(t *testing.T) {
	srv, _, _ := apiServer(t)
	var a, b page
	if st := get(t, srv, "/audit/v1/entries?messageId=m-1", "admin-a", &a); st != 200 || len(a.Entries) != 1 || a.Entries[0].MessageID != "m-1" || a.Entries[0].Seq != 1 {
		t.Fatalf("tenant a: %d %+v", st, a)
	}
	if st := get(t, srv, "/audit/v1/entries", "admin-b", &b); st != 200 || len(b.Entries) != 1 {
		t.Fatalf("tenant b sees %d entries (%d), want its own 1", len(b.Entries), st)
	}
	if st := get(t, srv, "/audit/v1/entries?limit=2", "admin-a", &a); st != 200 || len(a.Entries) != 2 || a.Next != "2" {
		t.Fatalf("page: %d %+v", st, a)
	}
	if st := get(t, srv, "/audit/v1/entries?after=2", "admin-a", &a); st != 200 || len(a.Entries) != 2 || a.Entries[0].Seq != 3 {
		t.Fatalf("next page: %d %+v", st, a)
	}
	for path, want := range map[string]int{
		"/audit/v1/entries?from=yesterday": 400,
		"/audit/v1/entries?limit=0":        400,
		"/audit/v1/entries?after=x":        400,
		"/audit/v1/verify?anchor=1:zz":     400,
	} {
		if st := get(t, srv, path, "admin-a", nil); st != want {
			t.Errorf("%s: %d, want %d", path, st, want)
		}
	}
}

func TestHandlerAuth(t *testing.T) {
	srv, _, _ := apiServer(t)
	for token, want := range map[string]int{"": 401, "forged": 401, "user-a": 403} {
		for _, p := range []string{"/audit/v1/entries", "/audit/v1/verify"} {
			if st := get(t, srv, p, token, nil); st != want {
				t.Errorf("%s with %q: %d, want %d", p, token, st, want)
			}
		}
	}
}

func TestHandlerVerify(t *testing.T) {
	srv, mem, _ := apiServer(t)
	var v audit.VerifyView
	if st := get(t, srv, "/audit/v1/verify", "admin-a", &v); st != 200 || !v.Valid || v.Entries != 4 || v.Head == "" {
		t.Fatalf("verify: %d %+v", st, v)
	}
	head := v.Head
	if err := mem.Remove("tenant-a", 4); err != nil {
		t.Fatal(err)
	}
	if st := get(t, srv, "/audit/v1/verify?anchor="+head, "admin-a", &v); st != 200 || v.Valid || v.BrokenAt != 4 {
		t.Fatalf("verify with the old head as anchor: %d %+v", st, v)
	}
	if err := mem.Overwrite("tenant-a", 2, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st := get(t, srv, "/audit/v1/verify", "admin-a", &v); st != 200 || v.Valid || v.BrokenAt != 2 {
		t.Fatalf("verify after tampering: %d %+v", st, v)
	}
	if st := get(t, srv, "/audit/v1/verify", "admin-b", &v); st != 200 || !v.Valid {
		t.Fatalf("tenant b: %d %+v", st, v)
	}
}

func TestNewHandlerNeedsLogAndAuth(t *testing.T) {
	if _, err := audit.NewHandler(audit.HandlerOptions{}); !errors.Is(err, audit.ErrInvalid) {
		t.Fatal(err)
	}
}
