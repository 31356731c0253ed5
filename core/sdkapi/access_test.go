package sdkapi

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/sdkmsg"
	"github.com/brevduva/brevduva/core/xmldsig"
	"github.com/brevduva/brevduva/internal/demopki"
)

// accessRule is what a token of another tenant gets on the owner's resource.
type accessRule int

const (
	// crossNotFound: 404, and the same answer as for an id that does not exist (no
	// existence leak).
	crossNotFound accessRule = iota
	// crossForbidden: 403 (sending as another organisation), nothing reaches the service.
	crossForbidden
	// crossOwnOnly: 200 with only the caller's own data (list endpoints).
	crossOwnOnly
	// crossOwnKey: the remote signer signs with the token tenant's key only; the other
	// tenant has none on the server, so 404 and no signature.
	crossOwnKey
)

// accessRow is one operation of the access-control matrix (docs/conformance.md,
// "Access control"): its scope, a path to a resource of the owner (tenant b of the
// fake), the body, the owner's success status and the rule for another tenant.
type accessRow struct {
	method, pattern string
	scopes          []string
	path            string
	body            func(sender string) any
	ok              int
	cross           accessRule
}

// accessMatrix covers every route NewHandler registers; TestAccessMatrixCoversRoutes
// fails when a route or method has no row.
var accessMatrix = []accessRow{
	{"POST", "/sdk/messages", oauth.ScopeSend, "/sdk/messages", func(s string) any { return createBody(s) }, http.StatusCreated, crossForbidden},
	{"GET", "/sdk/messages", []string{oauth.ScopeGetMessageByFilter}, "/sdk/messages", nil, http.StatusOK, crossOwnOnly},
	{"GET", "/sdk/messages/{id}", []string{oauth.ScopeGetMessage}, "/sdk/messages/b-1", nil, http.StatusOK, crossNotFound},
	{"DELETE", "/sdk/messages/{id}", []string{oauth.ScopeDeleteMessage}, "/sdk/messages/b-1", nil, http.StatusAccepted, crossNotFound},
	{"GET", "/sdk/mailboxes/{address}/messages", []string{oauth.ScopeMailbox}, "/sdk/mailboxes/registrator/messages", nil, http.StatusOK, crossOwnOnly},
	{"GET", "/sdk/mailboxes/{address}/messages/{id}", []string{oauth.ScopeMailbox}, "/sdk/mailboxes/registrator/messages/m-1", nil, http.StatusOK, crossNotFound},
	{"POST", "/sdk/mailboxes/{address}/messages/{id}/read", []string{oauth.ScopeMailbox}, "/sdk/mailboxes/registrator/messages/m-1/read", nil, http.StatusOK, crossNotFound},
	{"POST", "/sdk/mailboxes/{address}/messages/{id}/kvittens", []string{oauth.ScopeMailbox}, "/sdk/mailboxes/registrator/messages/m-1/kvittens", func(string) any { return kvittensBody([]byte("<XHE/>")) }, http.StatusAccepted, crossNotFound},
	{"POST", "/sdk/signatures", []string{oauth.ScopeSign}, "/sdk/signatures", func(string) any { return signBody("m-1", xmldsig.SHA256, make([]byte, 32)) }, http.StatusOK, crossOwnKey},
}

// registeredPatterns reads the route patterns NewHandler registers from handler.go
// (every h.mux.HandleFunc/Handle call whose pattern is the base path plus a literal),
// so that a new route is found without anyone listing it.
func registeredPatterns(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "handler.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
			return true
		}
		bin, ok := call.Args[0].(*ast.BinaryExpr)
		if !ok {
			return true // the "/" catch-all
		}
		lit, ok := bin.Y.(*ast.BasicLit)
		if !ok {
			t.Fatalf("route pattern %T is not base+literal: extend registeredPatterns", bin.Y)
		}
		p, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
		return true
	})
	if len(out) == 0 {
		t.Fatal("no routes found in handler.go")
	}
	return out
}

// allowedMethods asks the handler itself which methods a route takes: an unsupported
// method is answered 405 with Allow, before authentication.
func allowedMethods(t *testing.T, h http.Handler, pattern string) []string {
	t.Helper()
	path := strings.NewReplacer("{id}", "x-1", "{address}", "registrator").Replace(pattern)
	r := httptest.NewRequest("PATCH", "/sdk-api/v1"+path, nil)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("PATCH %s: %d, want 405 with Allow", pattern, w.Code)
	}
	var ms []string
	for _, m := range strings.Split(w.Header().Get("Allow"), ",") {
		ms = append(ms, strings.TrimSpace(m))
	}
	return ms
}

func TestAccessMatrixCoversRoutes(t *testing.T) {
	_, h := newAPI(t)
	var routes []string
	for _, p := range registeredPatterns(t) {
		for _, m := range allowedMethods(t, h, p) {
			routes = append(routes, m+" "+p)
		}
	}
	var rows []string
	for _, r := range accessMatrix {
		rows = append(rows, r.method+" "+r.pattern)
	}
	slices.Sort(routes)
	slices.Sort(rows)
	if !slices.Equal(routes, rows) {
		t.Fatalf("the access matrix does not match the handler's routes:\nroutes %q\nrows   %q", routes, rows)
	}
}

// tokens is a real token endpoint (core/oauth) with an injected clock, its clients
// "owner" (tenant b) and "other" (tenant a), and a second installation's endpoint with
// the same issuer but another key.
type tokens struct {
	now     time.Time
	srv     *oauth.Server
	foreign *oauth.Server
}

func newTokens(t *testing.T) *tokens {
	t.Helper()
	tk := &tokens{now: t0}
	clock := func() time.Time { return tk.now }
	all := without(nil)
	clients := []oauth.Client{{ID: "owner", Secret: "s-owner", Tenant: "b", Scopes: all}, {ID: "other", Secret: "s-other", Tenant: "a", Scopes: all}}
	var err error
	if tk.srv, err = oauth.NewServer(oauth.ServerOptions{Key: ed25519.NewKeyFromSeed(make([]byte, 32)), Issuer: "urn:test", Now: clock, Clients: clients}); err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(append(make([]byte, 31), 7))
	if tk.foreign, err = oauth.NewServer(oauth.ServerOptions{Key: other, Issuer: "urn:test", Now: clock, Clients: clients}); err != nil {
		t.Fatal(err)
	}
	return tk
}

// issue gets a token from s for client with the given scopes (nil: all the client's).
func issue(t *testing.T, s *oauth.Server, client string, scopes []string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if scopes != nil {
		form.Set("scope", strings.Join(scopes, " "))
	}
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(client, "s-"+client)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var m struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || m.AccessToken == "" {
		t.Fatalf("token for %s: %d %s", client, w.Code, w.Body)
	}
	return m.AccessToken
}

// without returns every scope of the matrix but those of except.
func without(except []string) []string {
	var out []string
	for _, row := range accessMatrix {
		for _, s := range row.scopes {
			if !slices.Contains(except, s) && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// algNone re-labels a valid token's payload as an unsigned JWS.
func algNone(tok string) string {
	parts := strings.Split(tok, ".")
	return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"at+jwt"}`)) + "." + parts[1] + "."
}

// TestAccessMatrix runs every row of the matrix through the handler with tokens of a
// real token endpoint: no token, expired, foreign key and alg none → 401; a token without
// the operation's scope → 403; the owner's token → the success status; another tenant's
// token → the row's rule.
func TestAccessMatrix(t *testing.T) {
	for _, row := range accessMatrix {
		t.Run(row.method+" "+row.pattern, func(t *testing.T) {
			tk := newTokens(t)
			f := newFake()
			delivered(t, f)
			org := demopki.ForTest(t).Leaf("org-b")
			h, err := NewHandler(Options{Service: f, Auth: tk.srv.Verifier(), BasePath: "/sdk-api/v1", Now: func() time.Time { return tk.now },
				Signer: KeyMap{"b": {Key: org.Key, Chain: []*x509.Certificate{org.Cert}}}})
			if err != nil {
				t.Fatal(err)
			}
			body := func(sender string) any {
				if row.body == nil {
					return nil
				}
				return row.body(sender)
			}
			owner := issue(t, tk.srv, "owner", nil)
			for name, tok := range map[string]string{
				"no token":    "",
				"foreign key": issue(t, tk.foreign, "owner", nil),
				"alg none":    algNone(owner),
				"malformed":   "not.a.token",
			} {
				if w, _ := do(t, h, row.method, row.path, tok, body(f.participants["b"])); w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s: %d %q, want 401 with a Bearer challenge", name, w.Code, w.Header().Get("WWW-Authenticate"))
				}
			}
			wrong := issue(t, tk.srv, "owner", without(row.scopes))
			if w, _ := do(t, h, row.method, row.path, wrong, body(f.participants["b"])); w.Code != http.StatusForbidden ||
				!strings.Contains(w.Header().Get("WWW-Authenticate"), "insufficient_scope") {
				t.Errorf("without scope %v: %d, want 403 insufficient_scope", row.scopes, w.Code)
			}
			checkCross(t, h, f, row, issue(t, tk.srv, "other", nil), body)
			if len(f.submissions) != 0 {
				t.Fatalf("a refused request reached the service: %d submissions", len(f.submissions))
			}
			if w, _ := do(t, h, row.method, row.path, owner, body(f.participants["b"])); w.Code != row.ok {
				t.Errorf("owner: %d %s, want %d", w.Code, w.Body, row.ok)
			}
			tk.now = tk.now.Add(oauth.DefaultTTL)
			if w, _ := do(t, h, row.method, row.path, owner, body(f.participants["b"])); w.Code != http.StatusUnauthorized {
				t.Errorf("expired token: %d, want 401", w.Code)
			}
		})
	}
}

// checkCross: tenant a's token on tenant b's resource.
func checkCross(t *testing.T, h http.Handler, f *fake, row accessRow, other string, body func(string) any) {
	t.Helper()
	w, _ := do(t, h, row.method, row.path, other, body(f.participants["b"]))
	switch row.cross {
	case crossForbidden:
		if w.Code != http.StatusForbidden {
			t.Errorf("other tenant sending as the owner: %d %s, want 403", w.Code, w.Body)
		}
	case crossNotFound:
		ghost := strings.NewReplacer("b-1", "zz-9", "m-1", "zz-9").Replace(row.path)
		g, _ := do(t, h, row.method, ghost, other, body(f.participants["b"]))
		same := strings.ReplaceAll(g.Body.String(), "zz-9", strings.TrimPrefix(strings.TrimSuffix(strings.TrimSuffix(row.path, "/read"), "/kvittens"), ghost[:strings.LastIndex(ghost, "zz-9")]))
		if w.Code != http.StatusNotFound || g.Code != w.Code || same != w.Body.String() {
			t.Errorf("other tenant: %d %s; for a missing id: %d %s (want the same 404)", w.Code, w.Body, g.Code, g.Body)
		}
		if _, ok := f.sent["b"]["b-1"]; !ok || !f.mail["b"]["registrator"]["m-1"].ReadAt.IsZero() {
			t.Error("the other tenant changed the owner's data")
		}
	case crossOwnKey:
		if w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "signatureValue") {
			t.Errorf("other tenant got a signature: %d %s", w.Code, w.Body)
		}
	case crossOwnOnly:
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "b-1") || strings.Contains(w.Body.String(), "m-1") {
			t.Errorf("other tenant's list: %d %s", w.Code, w.Body)
		}
	}
}

// delivered gives the owner's mail m-1 a valid SDK message as its body.
func delivered(t *testing.T, f *fake) {
	t.Helper()
	var doc createDocument
	b, _ := json.Marshal(createBody("0203:kommun-a.se"))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	a := &doc.Data.Attributes
	a.MessageID, a.ConversationID, a.CreationDateTime = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000a", sdkmsg.FormatTime(t0)
	body, err := ToMessage(a).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := f.mail["b"]["registrator"]["m-1"]
	m.Body = body
	f.mail["b"]["registrator"]["m-1"] = m
}
