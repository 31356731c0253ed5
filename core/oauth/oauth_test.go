package oauth

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newServer(t *testing.T, now *time.Time) *Server {
	t.Helper()
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	s, err := NewServer(ServerOptions{Key: key, Issuer: "https://localhost/oauth2/token", Now: func() time.Time { return *now },
		Clients: []Client{
			{ID: "kommun-a", Secret: "s3cret a", Tenant: "a"},
			{ID: "reader-b", Secret: "secret-b", Tenant: "b", Scopes: []string{ScopeGetMessage}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func post(t *testing.T, h http.Handler, form url.Values, user, pass string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w, m
}

func TestClientCredentials(t *testing.T) {
	now := t0
	s := newServer(t, &now)
	// client_secret_basic, every scope of the client.
	w, m := post(t, s, url.Values{"grant_type": {"client_credentials"}}, "kommun-a", "s3cret a")
	if w.Code != 200 || m["token_type"] != "Bearer" || m["expires_in"] != float64(300) || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("%d %v", w.Code, m)
	}
	tok := m["access_token"].(string)
	p, err := s.Verifier().Verify(tok)
	if err != nil || p.Tenant != "a" || p.ClientID != "kommun-a" || !p.HasAny(ScopeSendMessage) || !p.HasAny(ScopeMailbox) {
		t.Fatalf("%+v %v", p, err)
	}
	// client_secret_post with a narrower scope; DIGG's other spelling of send is refused
	// when the client was not given it.
	w, m = post(t, s, url.Values{"grant_type": {"client_credentials"}, "client_id": {"kommun-a"}, "client_secret": {"s3cret a"},
		"scope": {ScopeGetMessage}}, "", "")
	if w.Code != 200 || m["scope"] != ScopeGetMessage {
		t.Fatalf("%d %v", w.Code, m)
	}
	p, _ = s.Verifier().Verify(m["access_token"].(string))
	if p.HasAny(ScopeSend...) {
		t.Fatal("narrowed token can send")
	}
	w, m = post(t, s, url.Values{"grant_type": {"client_credentials"}, "scope": {ScopeSendMessage}}, "reader-b", "secret-b")
	if w.Code != 400 || m["error"] != "invalid_scope" {
		t.Fatalf("%d %v", w.Code, m)
	}
	// Expiry.
	now = now.Add(DefaultTTL - time.Second)
	if _, err := s.Verifier().Verify(tok); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	now = now.Add(time.Second)
	if _, err := s.Verifier().Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired token: %v", err)
	}
}

func TestTokenErrors(t *testing.T) {
	now := t0
	s := newServer(t, &now)
	cases := []struct {
		name       string
		form       url.Values
		user, pass string
		code       int
		err        string
	}{
		{"wrong secret", url.Values{"grant_type": {"client_credentials"}}, "kommun-a", "nope", 401, "invalid_client"},
		{"unknown client", url.Values{"grant_type": {"client_credentials"}, "client_id": {"x"}, "client_secret": {"y"}}, "", "", 401, "invalid_client"},
		{"no client", url.Values{"grant_type": {"client_credentials"}}, "", "", 401, "invalid_client"},
		{"password grant", url.Values{"grant_type": {"password"}}, "kommun-a", "s3cret a", 400, "unsupported_grant_type"},
		{"two methods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"s3cret a"}}, "kommun-a", "s3cret a", 400, "invalid_request"},
	}
	for _, c := range cases {
		w, m := post(t, s, c.form, c.user, c.pass)
		if w.Code != c.code || m["error"] != c.err {
			t.Errorf("%s: %d %v", c.name, w.Code, m)
		}
	}
	r := httptest.NewRequest("GET", "/oauth2/token", nil)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 405 {
		t.Fatalf("GET: %d", w.Code)
	}
}

func TestVerifyRejects(t *testing.T) {
	now := t0
	s := newServer(t, &now)
	_, m := post(t, s, url.Values{"grant_type": {"client_credentials"}}, "kommun-a", "s3cret a")
	tok := m["access_token"].(string)
	parts := strings.Split(tok, ".")
	other := ed25519.NewKeyFromSeed(append(make([]byte, 31), 1))
	forged, _ := sign(other, claims{Issuer: "https://localhost/oauth2/token", Subject: "kommun-a", Tenant: "b", Scope: ScopeSendMessage, IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()})
	wrongIss, _ := sign(s.o.Key, claims{Issuer: "https://elsewhere/", Subject: "kommun-a", Tenant: "a", IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()})
	future, _ := sign(s.o.Key, claims{Issuer: "https://localhost/oauth2/token", Subject: "kommun-a", Tenant: "a", IssuedAt: now.Add(time.Hour).Unix(), Expires: now.Add(2 * time.Hour).Unix()})
	for name, bad := range map[string]string{
		"other key":       forged,
		"swapped payload": parts[0] + "." + strings.Split(forged, ".")[1] + "." + parts[2],
		"alg none":        b64.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
		"two parts":       parts[0] + "." + parts[1],
		"issuer":          wrongIss,
		"future":          future,
		"long":            strings.Repeat("a", MaxTokenBytes+1),
	} {
		if _, err := s.Verifier().Verify(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: %v", name, err)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	if _, err := s.Verifier().Authenticate(r); !errors.Is(err, ErrNoToken) {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "bearer "+tok)
	if p, err := s.Verifier().Authenticate(r); err != nil || p.Tenant != "a" {
		t.Fatal(p, err)
	}
}

func TestNewServerChecks(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	now := func() time.Time { return t0 }
	for _, cl := range [][]Client{{{ID: "a", Secret: "s"}}, {{ID: "a:b", Secret: "s", Tenant: "t"}}, {{ID: "a", Secret: "s", Tenant: "t"}, {ID: "a", Secret: "s", Tenant: "t"}}} {
		if _, err := NewServer(ServerOptions{Key: key, Issuer: "x", Now: now, Clients: cl}); err == nil {
			t.Errorf("%v accepted", cl)
		}
	}
}

// FuzzVerify: no input panics, and nothing but a token signed with the key verifies.
func FuzzVerify(f *testing.F) {
	now := t0
	s, _ := NewServer(ServerOptions{Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Issuer: "i", Now: func() time.Time { return now },
		Clients: []Client{{ID: "c", Secret: "s", Tenant: "t"}}})
	good, _ := sign(s.o.Key, claims{Issuer: "i", Subject: "c", Tenant: "t", IssuedAt: now.Unix(), Expires: now.Add(time.Minute).Unix()})
	f.Add(good)
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := s.Verifier().Verify(tok)
		if err == nil && (tok != good || p.Tenant != "t") {
			t.Fatalf("verified %q", tok)
		}
	})
}

func TestFunctionAddressClaim(t *testing.T) {
	now := t0
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	s, err := NewServer(ServerOptions{Key: key, Issuer: "iss", Now: func() time.Time { return now }, Clients: []Client{
		{ID: "all", Secret: "x", Tenant: "a"},
		{ID: "soc", Secret: "x", Tenant: "a", FunctionAddresses: []string{"socialtjansten"}},
		{ID: "none", Secret: "x", Tenant: "a", FunctionAddresses: []string{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id             string
		soc, registrar bool
	}{{"all", true, true}, {"soc", true, false}, {"none", false, false}} {
		w, m := post(t, s, url.Values{"grant_type": {"client_credentials"}}, c.id, "x")
		if w.Code != 200 {
			t.Fatalf("%s: %d", c.id, w.Code)
		}
		p, err := s.Verifier().Verify(m["access_token"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if p.MayUseFunctionAddress("socialtjansten") != c.soc || p.MayUseFunctionAddress("registrator") != c.registrar {
			t.Errorf("%s: %+v", c.id, p)
		}
	}
}

type fixedAuth struct {
	p   Principal
	err error
}

func (f fixedAuth) Authenticate(*http.Request) (Principal, error) { return f.p, f.err }

func TestFirstOfAndBearerOnly(t *testing.T) {
	refuse := fixedAuth{err: errors.New("no: " + ErrInvalidToken.Error())}
	accept := fixedAuth{p: Principal{Tenant: "a"}}
	r := httptest.NewRequest("GET", "/", nil)
	// A cookie (or a form/query token) is never a credential: CSRF needs one.
	r.AddCookie(&http.Cookie{Name: "access_token", Value: "x"})
	r.URL.RawQuery = "access_token=x"
	if _, err := (FirstOf{accept}).Authenticate(r); !errors.Is(err, ErrNoToken) {
		t.Fatalf("cookie/query token accepted: %v", err)
	}
	r.Header.Set("Authorization", "Bearer abc")
	if p, err := (FirstOf{refuse, accept}).Authenticate(r); err != nil || p.Tenant != "a" {
		t.Fatalf("second authenticator: %+v %v", p, err)
	}
	if _, err := (FirstOf{accept, refuse}[1:]).Authenticate(r); err == nil {
		t.Fatal("refused token accepted")
	}
	if _, err := (FirstOf{}).Authenticate(r); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("empty chain: %v", err)
	}
}
