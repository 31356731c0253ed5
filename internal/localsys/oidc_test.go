package localsys

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/internal/oidctest"
)

// TestOIDCSignIn: with an "oidc" block the system accepts the tokens of an OpenID
// provider we did not write (mockoidc) besides its own, limits a user to the mailboxes
// of the token's function addresses, tells the page where to sign in and lets its CSP
// reach the provider; CORS answers only the configured page origin.
func TestOIDCSignIn(t *testing.T) {
	const page = "https://web.kommun-a.example"
	p := oidctest.Start(t, oidctest.Options{})
	dir := demoCopy(t)
	path := filepath.Join(dir, DemoConfigFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["oidc"] = p.LocalConfig()
	doc["corsOrigins"] = []string{page}
	raw, _ = json.Marshal(doc)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	d := start(t, dir).Description()
	a := d.Tenants[0]
	mine, other := a.FunctionAddresses[0].ID, a.FunctionAddresses[1].ID
	user := p.SignIn(t, oidctest.User{Subject: "anna", Tenant: a.ID, Scope: oauth.ScopeMailbox, FunctionAddresses: []string{mine}})
	box := func(fa string) string { return d.SDKAPIBaseURL + "/sdk/mailboxes/" + fa + "/messages" }
	if code, b := call(t, "GET", box(mine), user.IDToken, "", nil); code != 200 {
		t.Fatalf("own mailbox with the provider's token: %d %s", code, b)
	}
	if code, _ := call(t, "GET", box(other), user.IDToken, "", nil); code != http.StatusForbidden {
		t.Errorf("other mailbox: %d, want 403", code)
	}
	if code, _ := call(t, "GET", d.SDKAPIBaseURL+"/sdk/messages", user.IDToken, "", nil); code != http.StatusForbidden {
		t.Errorf("outbox without its scope: %d, want 403", code)
	}
	if code, _ := call(t, "GET", box(mine), token(t, d, 0), "", nil); code != 200 {
		t.Errorf("local client token: %d", code)
	}
	if code, _ := call(t, "GET", box(mine), user.IDToken[:len(user.IDToken)-4]+"AAAA", "", nil); code != http.StatusUnauthorized {
		t.Errorf("tampered token: %d", code)
	}

	get := func(u string, hdr map[string]string, method string) (*http.Response, string) {
		req, _ := http.NewRequest(method, u, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := apiClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if _, b := get(strings.TrimSuffix(d.WebURL, "/")+"/web/config.json", nil, "GET"); !strings.Contains(b, `"issuer":"`+p.Issuer()+`"`) || !strings.Contains(b, `"clientId":"`+p.ClientID) {
		t.Errorf("config.json: %s", b)
	}
	resp, _ := get(d.WebURL, map[string]string{"Accept": "text/html"}, "GET")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' "+p.Addr()) || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("page CSP: %q", csp)
	}
	pre := func(origin string) *http.Response {
		r, _ := get(d.SDKAPIBaseURL+"/sdk/messages", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}, "OPTIONS")
		return r
	}
	if r := pre(page); r.StatusCode != http.StatusNoContent || r.Header.Get("Access-Control-Allow-Origin") != page {
		t.Errorf("configured origin's preflight: %d %v", r.StatusCode, r.Header)
	}
	// The read-only address book keeps its documented CORS "*".
	if r, _ := get(d.AddressBookURL, map[string]string{"Origin": "https://evil.example"}, "GET"); r.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("address book CORS: %v", r.Header)
	}
	if r := pre("https://evil.example"); r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("foreign preflight: %d %v", r.StatusCode, r.Header)
	}
}
