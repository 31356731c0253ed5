package sdkapi

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
)

// webAPI is the handler behind the real core/oauth token endpoint: a case worker of
// tenant a limited to the mailbox socialtjansten, one of a with every mailbox, one of b.
func webAPI(t *testing.T, now *time.Time, o Options) (*fake, http.Handler, func(client string) string) {
	t.Helper()
	srv, err := oauth.NewServer(oauth.ServerOptions{Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Issuer: "https://localhost/oauth2/token",
		Now: func() time.Time { return *now }, TTL: 30 * time.Second, Clients: []oauth.Client{
			{ID: "a-soc", Secret: "x", Tenant: "a", FunctionAddresses: []string{"socialtjansten"}},
			{ID: "a-all", Secret: "x", Tenant: "a"},
			{ID: "b-all", Secret: "x", Tenant: "b"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFake()
	for _, m := range []struct{ tenant, fa, id string }{{"a", "socialtjansten", "a-s"}, {"a", "registrator", "a-r"}, {"b", "socialtjansten", "b-s"}} {
		if f.mail[m.tenant][m.fa] == nil {
			f.mail[m.tenant][m.fa] = map[string]Mail{}
		}
		f.mail[m.tenant][m.fa][m.id] = Mail{MessageID: m.id, FunctionAddress: m.fa, Label: "l", DeliveredAt: t0, Body: []byte("<x/>"), ContentType: "text/xml", Sealed: true}
	}
	o.Service, o.Auth, o.BasePath, o.Now = f, srv.Verifier(), "/sdk-api/v1", func() time.Time { return *now }
	h, err := NewHandler(o)
	if err != nil {
		t.Fatal(err)
	}
	token := func(client string) string {
		r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader("grant_type=client_credentials"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(client, "x")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r)
		var tr struct {
			AccessToken string `json:"access_token"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil || tr.AccessToken == "" {
			t.Fatalf("token %s: %d %s", client, w.Code, w.Body)
		}
		return tr.AccessToken
	}
	return f, h, token
}

func ids(m map[string]any) []string {
	var out []string
	data, _ := m["data"].([]any)
	for _, d := range data {
		out = append(out, d.(map[string]any)["id"].(string))
	}
	return out
}

// TestMailboxesOfAuthorisedFunctionAddresses: a user authorised for socialtjansten
// lists and reads that mailbox of its own tenant only; registrator of the same tenant
// and anything of tenant b stay closed.
func TestMailboxesOfAuthorisedFunctionAddresses(t *testing.T) {
	now := t0
	_, h, token := webAPI(t, &now, Options{})
	soc, all := token("a-soc"), token("a-all")
	if w, m := do(t, h, "GET", "/sdk/mailboxes/socialtjansten/messages", soc, nil); w.Code != 200 || strings.Join(ids(m), ",") != "a-s" {
		t.Fatalf("own mailbox: %d %v", w.Code, ids(m))
	}
	if w, _ := do(t, h, "GET", "/sdk/mailboxes/socialtjansten/messages/a-s", soc, nil); w.Code != 200 {
		t.Fatalf("own message: %d", w.Code)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/sdk/mailboxes/registrator/messages"},
		{"GET", "/sdk/mailboxes/registrator/messages/a-r"},
		{"POST", "/sdk/mailboxes/registrator/messages/a-r/read"},
		{"GET", "/sdk/mailboxes/registrator/messages/m-1"}, // tenant b's message in b's registrator
	} {
		w, _ := do(t, h, c.method, c.path, soc, nil)
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), `"a-r"`) {
			t.Errorf("%s %s with a socialtjansten token: %d %s", c.method, c.path, w.Code, w.Body)
		}
		// The same request with a token of every mailbox of tenant a is let through,
		// so the refusal above is the function-address limit.
		if w, _ := do(t, h, c.method, c.path, all, nil); w.Code == http.StatusForbidden {
			t.Errorf("%s %s with an unlimited token: 403", c.method, c.path)
		}
	}
	// Tenant b's socialtjansten: same address, other tenant: invisible.
	if w, _ := do(t, h, "GET", "/sdk/mailboxes/socialtjansten/messages/b-s", soc, nil); w.Code != http.StatusNotFound {
		t.Errorf("tenant b's message: %d", w.Code)
	}
	if w, _ := do(t, h, "POST", "/sdk/mailboxes/socialtjansten/messages/b-s/read", soc, nil); w.Code != http.StatusNotFound {
		t.Errorf("mark tenant b's message read: %d", w.Code)
	}
}

// TestSessionExpires: a token lives TTL (30 s here); a minute later every endpoint
// answers 401 invalid_token, which the web page takes as "sign in again".
func TestSessionExpires(t *testing.T) {
	now := t0
	_, h, token := webAPI(t, &now, Options{})
	tok := token("a-soc")
	if w, _ := do(t, h, "GET", "/sdk/mailboxes/socialtjansten/messages", tok, nil); w.Code != 200 {
		t.Fatalf("fresh token: %d", w.Code)
	}
	now = now.Add(31 * time.Second)
	w, _ := do(t, h, "GET", "/sdk/mailboxes/socialtjansten/messages", tok, nil)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired token: %d %q", w.Code, w.Header().Get("WWW-Authenticate"))
	}
}

// TestNoCookieCredentials (CSRF): a valid token in a cookie, a form or the query is no
// credential, and no answer sets a cookie.
func TestNoCookieCredentials(t *testing.T) {
	now := t0
	_, h, token := webAPI(t, &now, Options{})
	tok := token("a-all")
	for _, c := range []struct{ method, path string }{
		{"GET", "/sdk/messages"}, {"POST", "/sdk/messages"}, {"GET", "/sdk/messages/x"}, {"DELETE", "/sdk/messages/x"},
		{"GET", "/sdk/mailboxes/socialtjansten/messages"}, {"GET", "/sdk/mailboxes/socialtjansten/messages/a-s"},
		{"POST", "/sdk/mailboxes/socialtjansten/messages/a-s/read"},
	} {
		r := httptest.NewRequest(c.method, "/sdk-api/v1"+c.path+"?access_token="+url.QueryEscape(tok), strings.NewReader(`{"data":{"type":"messages","attributes":{}}}`))
		r.Header.Set("Content-Type", MediaType)
		for _, name := range []string{"access_token", "session", "token", "Authorization"} {
			r.AddCookie(&http.Cookie{Name: name, Value: tok})
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s with cookies and no bearer: %d", c.method, c.path, w.Code)
		}
		r.Header.Set("Authorization", "Bearer "+tok)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusUnauthorized || len(w.Result().Cookies()) > 0 || w.Header().Get("Set-Cookie") != "" {
			t.Errorf("%s %s with a bearer: %d, Set-Cookie %q", c.method, c.path, w.Code, w.Header().Get("Set-Cookie"))
		}
	}
}

// TestCORS: only configured origins get Access-Control-Allow-Origin, preflights of
// others are refused, and credentials mode is never allowed.
func TestCORS(t *testing.T) {
	now := t0
	const page = "https://web.kommun-a.se"
	_, h, token := webAPI(t, &now, Options{AllowedOrigins: []string{page}})
	_, closed, _ := webAPI(t, &now, Options{})
	tok := token("a-all")
	preflight := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/sdk-api/v1/sdk/messages", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := preflight(h, page)
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != page ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") || w.Header().Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("allowed preflight: %d %v", w.Code, w.Header())
	}
	for name, w := range map[string]*httptest.ResponseRecorder{"foreign": preflight(h, "https://evil.example"), "none configured": preflight(closed, page),
		"null": preflight(h, "null"), "suffix": preflight(h, page+".evil.example")} {
		if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s preflight: %d %v", name, w.Code, w.Header())
		}
	}
	get := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/sdk-api/v1/sdk/messages", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := get("https://evil.example"); w.Header().Get("Access-Control-Allow-Origin") != "" || !strings.Contains(w.Header().Get("Vary"), "Origin") {
		t.Errorf("foreign origin's GET: %v", w.Header())
	}
	if w := get(page); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != page {
		t.Errorf("allowed origin's GET: %d %v", w.Code, w.Header())
	}
	for _, bad := range []string{"*", "https://x.se/path", "ftp://x.se", "x.se"} {
		if _, err := NewHandler(Options{Service: newFake(), Auth: auth, Now: time.Now, AllowedOrigins: []string{bad}}); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
}
