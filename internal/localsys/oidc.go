package localsys

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/oidc"
)

// OIDC is the optional sign-in at an external OpenID provider (config "oidc"): the SDK
// API accepts the provider's tokens (core/oidc) besides the local token endpoint's, and
// the web page signs in there with the authorization code flow and PKCE.
type OIDC struct {
	Issuer   string `json:"issuer"`
	ClientID string `json:"clientId"` // the web page's client at the provider
	// ClientSecret only for providers that demand one even of a browser client (test
	// providers such as mockoidc): it is served to the page, so it is no secret.
	ClientSecret string `json:"clientSecret,omitempty"`
	Audience     string `json:"audience,omitempty"`    // aud the API requires (default ClientID)
	Scope        string `json:"scope,omitempty"`       // requested scopes (default "openid")
	SendToken    string `json:"sendToken,omitempty"`   // "access_token" (default) or "id_token": what the page sends the API
	RedirectURI  string `json:"redirectUri,omitempty"` // default: the page's own URL
	// Claim names (core/oidc.Options): the tenant id (required: several tenants share
	// the API), the scopes (default "scope"), the function addresses (optional).
	TenantClaim            string `json:"tenantClaim"`
	ScopeClaim             string `json:"scopeClaim,omitempty"`
	FunctionAddressesClaim string `json:"functionAddressesClaim,omitempty"`
}

func (o *OIDC) validate() error {
	if o.Issuer == "" || o.ClientID == "" || o.TenantClaim == "" {
		return errors.New("oidc: issuer, clientId and tenantClaim are required")
	}
	if o.SendToken != "" && o.SendToken != "access_token" && o.SendToken != "id_token" {
		return fmt.Errorf("oidc: sendToken %q is neither access_token nor id_token", o.SendToken)
	}
	if _, err := o.origin(); err != nil {
		return err
	}
	return nil
}

// origin is the issuer's scheme://host[:port] (the page fetches its token endpoint).
func (o *OIDC) origin() (string, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("oidc: issuer %q is not an http(s) URL", o.Issuer)
	}
	return u.Scheme + "://" + u.Host, nil
}

// authenticator is the SDK API's token check: local tokens and, with o, the provider's.
func (o *OIDC) authenticator(local *oauth.Verifier) (oauth.Authenticator, error) {
	if o == nil {
		return local, nil
	}
	aud := o.Audience
	if aud == "" {
		aud = o.ClientID
	}
	v, err := oidc.New(oidc.Options{Issuer: o.Issuer, Audience: aud, Now: time.Now,
		Fetch:       oidc.HTTPFetcher(&http.Client{Timeout: 10 * time.Second}),
		TenantClaim: o.TenantClaim, ScopeClaim: o.ScopeClaim, FunctionAddressesClaim: o.FunctionAddressesClaim})
	if err != nil {
		return nil, fmt.Errorf("localsys: %w", err)
	}
	return oauth.FirstOf{local, v}, nil
}

// webConfig is the "oidc" member of /web/config.json (web/static/auth.js), and the
// origins the page's CSP lets it fetch from; nil without o.
func (o *OIDC) webConfig() (cfg map[string]string, connect []string) {
	if o == nil {
		return nil, nil
	}
	origin, _ := o.origin() // checked by validate
	cfg = map[string]string{"issuer": o.Issuer, "clientId": o.ClientID, "scope": o.Scope, "sendToken": o.SendToken,
		"redirectURI": o.RedirectURI, "tenantClaim": o.TenantClaim, "functionAddressesClaim": o.FunctionAddressesClaim}
	if o.ClientSecret != "" {
		cfg["clientSecret"] = o.ClientSecret
	}
	return cfg, []string{origin}
}
