package awssys

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/internal/oidctest"
)

// TestVerifierFromEnv: the sdk-api function accepts tokens of an OpenID provider
// (mockoidc) configured by BREVDUVA_OIDC_*, core/oauth tokens, or both.
func TestVerifierFromEnv(t *testing.T) {
	p := oidctest.Start(t, oidctest.Options{})
	tokens := p.SignIn(t, oidctest.User{Subject: "anna", Tenant: "kommun-a", Scope: oauth.ScopeMailbox, FunctionAddresses: []string{"socialtjansten"}})
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	local, err := oauth.NewServer(oauth.ServerOptions{Key: key, Issuer: "https://ap.kommun-a.se/oauth2/token", Now: time.Now,
		Clients: []oauth.Client{{ID: "c", Secret: "s", Tenant: "kommun-a"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth("c", "s")
	w := httptest.NewRecorder()
	local.ServeHTTP(w, r)
	localTok := strings.Split(strings.Split(w.Body.String(), `"access_token":"`)[1], `"`)[0]

	oidcEnv := map[string]string{EnvOIDCIssuer: p.Issuer(), EnvOIDCAudience: p.ClientID, EnvOIDCTenantClaim: oidctest.ClaimTenant,
		EnvOIDCFunctionAddressesClaim: oidctest.ClaimFunctionAddresses}
	both := map[string]string{EnvOAuthIssuer: "https://ap.kommun-a.se/oauth2/token", EnvOAuthPublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	for k, v := range oidcEnv {
		both[k] = v
	}
	check := func(name string, env map[string]string, tok string, wantOK bool) oauth.Principal {
		t.Helper()
		a, err := Verifier(MapEnv(env))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		got, err := a.Authenticate(r)
		if (err == nil) != wantOK || (err != nil && !errors.Is(err, oauth.ErrInvalidToken)) {
			t.Errorf("%s: %+v %v", name, got, err)
		}
		return got
	}
	got := check("oidc only, ID token", oidcEnv, tokens.IDToken, true)
	if got.Tenant != "kommun-a" || !got.MayUseFunctionAddress("socialtjansten") || got.MayUseFunctionAddress("registrator") {
		t.Errorf("principal %+v", got)
	}
	check("oidc only, local token", oidcEnv, localTok, false)
	check("both, ID token", both, tokens.IDToken, true)
	check("both, local token", both, localTok, true)
	check("both, tampered", both, tokens.IDToken[:len(tokens.IDToken)-3]+"AAA", false)
	fixed := map[string]string{EnvOIDCIssuer: p.Issuer(), EnvOIDCAudience: p.ClientID, EnvTenant: "kommun-a"}
	if got := check("one tenant, access token", fixed, tokens.AccessToken, true); got.Tenant != "kommun-a" || !got.MayUseFunctionAddress("x") {
		t.Errorf("fixed tenant: %+v", got)
	}

	for name, env := range map[string]map[string]string{
		"no audience":           {EnvOIDCIssuer: p.Issuer(), EnvOIDCTenantClaim: "t"},
		"no tenant":             {EnvOIDCIssuer: p.Issuer(), EnvOIDCAudience: "a"},
		"plain http issuer":     {EnvOIDCIssuer: "http://idp.example", EnvOIDCAudience: "a", EnvTenant: "x"},
		"half of the local key": {EnvOIDCIssuer: p.Issuer(), EnvOIDCAudience: "a", EnvTenant: "x", EnvOAuthIssuer: "i"},
	} {
		if _, err := Verifier(MapEnv(env)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
