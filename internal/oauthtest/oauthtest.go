// Package oauthtest mints real SDK API bearer tokens for tests: core/oauth's token
// endpoint (RFC 6749 §4.4, client credentials grant), for handlers that must accept them
// (the sdk-api function) or refuse them (the admin APIs, issue 9 access control).
package oauthtest

import (
	"crypto/ed25519"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
)

// Token is an access token for tenant with every scope, issued by a core/oauth server
// with a key made for this call (issuer "urn:brevduva:test").
func Token(t testing.TB, tenant string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Issue(t, priv, "urn:brevduva:test", tenant)
}

// Issue is an access token for tenant with every scope from a core/oauth server that
// signs with key as issuer (for tests whose verifier knows the public key).
func Issue(t testing.TB, key ed25519.PrivateKey, issuer, tenant string) string {
	t.Helper()
	srv, err := oauth.NewServer(oauth.ServerOptions{Key: key, Issuer: issuer, Now: time.Now,
		Clients: []oauth.Client{{ID: "arende", Secret: "hemligt-hemligt", Tenant: tenant}}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("arende", "hemligt-hemligt")
	srv.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("oauthtest: token: %d %s", rec.Code, rec.Body)
	}
	return tok.AccessToken
}
