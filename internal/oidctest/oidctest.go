// Package oidctest runs an OpenID Provider we did not write, mockoidc
// (github.com/oauth2-proxy/mockoidc), on 127.0.0.1 for tests of core/oidc and its
// wiring: the authorization code flow with PKCE (S256), users whose ID tokens carry
// Brevduva's claims, a key set the test can rotate, and counts of discovery and key
// set fetches, short token lifetimes and CORS for a page on another origin.
package oidctest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// Claim names the ID tokens of User carry.
const (
	ClaimTenant            = "tenant"
	ClaimScope             = "scope"
	ClaimFunctionAddresses = "function_addresses"
)

// Provider is a running mockoidc.
type Provider struct {
	*mockoidc.MockOIDC
	mu            sync.Mutex
	keys          []*mockoidc.Keypair
	JWKSFetches   atomic.Int32
	DiscoveryHits atomic.Int32
	cors          bool
}

// Options configure Start.
type Options struct {
	AccessTTL time.Duration // lifetime of ID and access tokens (0: mockoidc's 10 minutes)
	CORS      bool          // answer any page origin (a browser page signs in from elsewhere)
}

// Start runs a provider until the test ends.
func Start(t testing.TB, o Options) *Provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.AccessTTL > 0 {
		m.AccessTTL = o.AccessTTL
	}
	p := &Provider{MockOIDC: m, keys: []*mockoidc.Keypair{m.Keypair}, cors: o.CORS}
	if err := m.AddMiddleware(p.middleware); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// Publish adds kp to the key set the provider serves (key rotation).
func (p *Provider) Publish(kp *mockoidc.Keypair) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, kp)
}

// middleware serves the key set from p.keys (mockoidc's own JWK encoding of each key),
// counts fetches and answers CORS for the allowed origins.
func (p *Provider) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); p.cors && o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		}
		switch {
		case r.Method == http.MethodOptions:
			w.WriteHeader(http.StatusNoContent)
		case r.URL.Path == mockoidc.DiscoveryEndpoint:
			p.DiscoveryHits.Add(1)
			next.ServeHTTP(w, r)
		case r.URL.Path == mockoidc.JWKSEndpoint:
			p.JWKSFetches.Add(1)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(p.keySet())
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (p *Provider) keySet() any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	for _, kp := range p.keys {
		b, err := kp.JWKS()
		if err != nil {
			panic("oidctest: " + err.Error())
		}
		var one struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal(b, &one); err != nil {
			panic("oidctest: " + err.Error())
		}
		set.Keys = append(set.Keys, one.Keys...)
	}
	return set
}

// User is a mockoidc.User whose ID token carries Brevduva's claims.
type User struct {
	Subject, Tenant, Scope string
	FunctionAddresses      []string
}

// ID implements mockoidc.User.
func (u User) ID() string { return u.Subject }

// Userinfo implements mockoidc.User.
func (u User) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]string{"sub": u.Subject})
}

// Claims implements mockoidc.User.
func (u User) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return struct {
		*mockoidc.IDTokenClaims
		Tenant string   `json:"tenant,omitempty"`
		Scope  string   `json:"scope,omitempty"`
		FAs    []string `json:"function_addresses,omitempty"`
	}{base, u.Tenant, u.Scope, u.FunctionAddresses}, nil
}

// LocalConfig is the "oidc" block of a `brevduva serve` configuration
// (internal/localsys.OIDC) for this provider: the page signs in here and sends the ID
// token, whose claims are User's.
func (p *Provider) LocalConfig() map[string]any {
	return map[string]any{"issuer": p.Issuer(), "clientId": p.ClientID, "clientSecret": p.ClientSecret, "sendToken": "id_token",
		"tenantClaim": ClaimTenant, "functionAddressesClaim": ClaimFunctionAddresses}
}

// Tokens is the token response of a sign-in.
type Tokens struct {
	IDToken     string `json:"id_token"`
	AccessToken string `json:"access_token"`
}

// SignIn runs the authorization code flow with PKCE (S256) for u, as a browser and the
// page would, and returns the tokens.
func (p *Provider) SignIn(t testing.TB, u User) Tokens {
	t.Helper()
	p.QueueUser(u)
	const verifier = "a-verifier-of-at-least-43-characters-aaaaaaaaaaaaaa"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {p.ClientID}, "redirect_uri": {"http://127.0.0.1/cb"}, "response_type": {"code"}, "scope": {"openid"},
		"state": {"st"}, "nonce": {"n0"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(p.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
		t.Fatalf("oidctest: authorize: %d %q %v", resp.StatusCode, resp.Header.Get("Location"), err)
	}
	resp, err = c.PostForm(p.TokenEndpoint(), url.Values{"client_id": {p.ClientID}, "client_secret": {p.ClientSecret}, "grant_type": {"authorization_code"},
		"code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1/cb"}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr Tokens
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != 200 || tr.IDToken == "" {
		t.Fatalf("oidctest: token: %d %v", resp.StatusCode, err)
	}
	return tr
}
