package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
)

// DiscoveryPath is appended to the issuer (OpenID Connect Discovery 1.0 §4).
const DiscoveryPath = "/.well-known/openid-configuration"

// Defaults of Options.
const (
	DefaultLeeway     = 60 * time.Second
	DefaultMinRefresh = 5 * time.Minute
	DefaultScopeClaim = "scope"
)

// Fetcher GETs a URL and returns its body (HTTPFetcher; tests pass their own).
type Fetcher func(ctx context.Context, url string) ([]byte, error)

// Options configure New.
type Options struct {
	Issuer   string // iss, exactly as the provider writes it
	Audience string // required member of aud (the API, or the client id for ID tokens)
	Fetch    Fetcher
	Now      func() time.Time
	// Leeway tolerates clock skew on exp, nbf and iat (0: DefaultLeeway).
	Leeway time.Duration
	// MinRefresh is the shortest time between two key set fetches (0: DefaultMinRefresh).
	MinRefresh time.Duration
	// TenantClaim names the claim with the tenant id; when empty every token is for Tenant.
	TenantClaim string
	Tenant      string
	// ScopeClaim names the claim with the scopes (string or array; "": DefaultScopeClaim).
	ScopeClaim string
	// FunctionAddressesClaim, when set, names the claim (array or space-separated string)
	// with the function addresses whose mailboxes the user may read; a token without it
	// opens none. Empty: every mailbox of the tenant.
	FunctionAddressesClaim string
}

// Verifier checks tokens of one provider; safe for concurrent use.
type Verifier struct {
	o Options

	mu        sync.Mutex
	jwksURI   string
	keys      []key
	lastFetch time.Time
	fetched   bool
	fetchErr  error // of the last fetch, reported until the next one
}

// New checks o and returns a Verifier. Nothing is fetched until the first token.
func New(o Options) (*Verifier, error) {
	switch {
	case o.Issuer == "" || o.Audience == "" || o.Fetch == nil || o.Now == nil:
		return nil, errors.New("oidc: Issuer, Audience, Fetch and Now are required")
	case (o.TenantClaim == "") == (o.Tenant == ""):
		return nil, errors.New("oidc: exactly one of TenantClaim and Tenant")
	}
	if err := checkURL(o.Issuer); err != nil {
		return nil, fmt.Errorf("oidc: issuer: %w", err)
	}
	if o.Leeway == 0 {
		o.Leeway = DefaultLeeway
	}
	if o.MinRefresh == 0 {
		o.MinRefresh = DefaultMinRefresh
	}
	if o.ScopeClaim == "" {
		o.ScopeClaim = DefaultScopeClaim
	}
	return &Verifier{o: o}, nil
}

// checkURL requires https, except on a loopback host (a local provider in tests).
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL without query", s)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q: https required", s)
}

// Authenticate reads the bearer token of r (oauth.BearerToken: the Authorization
// header only) and verifies it: oauth.ErrNoToken or oauth.ErrInvalidToken (wrapped).
func (v *Verifier) Authenticate(r *http.Request) (oauth.Principal, error) {
	tok, err := oauth.BearerToken(r)
	if err != nil {
		return oauth.Principal{}, err
	}
	return v.Verify(r.Context(), tok)
}

var _ oauth.Authenticator = (*Verifier)(nil)

// Verify checks token and returns its principal, or oauth.ErrInvalidToken (wrapped).
func (v *Verifier) Verify(ctx context.Context, token string) (oauth.Principal, error) {
	bad := func(err error) (oauth.Principal, error) {
		return oauth.Principal{}, fmt.Errorf("oidc: %w: %w", err, oauth.ErrInvalidToken)
	}
	c, err := parseCompact(token)
	if err != nil {
		return bad(err)
	}
	k, err := v.key(ctx, c.header.Kid, c.header.Alg)
	if err != nil {
		return bad(err)
	}
	if err := c.verify(k); err != nil {
		return bad(err)
	}
	p, err := v.claims(c.payload)
	if err != nil {
		return bad(err)
	}
	return p, nil
}

// key finds the verification key, fetching the key set on first use and again for an
// unknown kid when the last fetch is at least MinRefresh ago.
func (v *Verifier) key(ctx context.Context, kid, alg string) (key, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fetched {
		if k, ok := find(v.keys, kid, alg); ok {
			return k, nil
		}
		if v.o.Now().Sub(v.lastFetch) < v.o.MinRefresh {
			if v.fetchErr != nil {
				return key{}, fmt.Errorf("no key set (next fetch in at most %v): %w", v.o.MinRefresh, v.fetchErr)
			}
			return key{}, fmt.Errorf("no %s key %q (key set fetched less than %v ago)", alg, kid, v.o.MinRefresh)
		}
	}
	v.lastFetch, v.fetched = v.o.Now(), true
	if v.fetchErr = v.refresh(ctx); v.fetchErr != nil {
		return key{}, v.fetchErr
	}
	if k, ok := find(v.keys, kid, alg); ok {
		return k, nil
	}
	return key{}, fmt.Errorf("no %s key %q in the provider's key set", alg, kid)
}

// refresh fetches the discovery document (once) and the key set; v.mu is held.
func (v *Verifier) refresh(ctx context.Context) error {
	if v.jwksURI == "" {
		uri, err := v.discover(ctx)
		if err != nil {
			return err
		}
		v.jwksURI = uri
	}
	b, err := v.o.Fetch(ctx, v.jwksURI)
	if err != nil {
		return fmt.Errorf("fetch key set: %w", err)
	}
	keys, err := parseKeySet(b)
	if err != nil {
		return err
	}
	v.keys = keys
	return nil
}

// discover reads the provider metadata (Discovery §3) and returns jwks_uri.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	b, err := v.o.Fetch(ctx, strings.TrimSuffix(v.o.Issuer, "/")+DiscoveryPath)
	if err != nil {
		return "", fmt.Errorf("fetch discovery document: %w", err)
	}
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if len(b) > MaxDocumentBytes {
		return "", errors.New("discovery document too large")
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return "", fmt.Errorf("discovery document: %w", err)
	}
	if meta.Issuer != v.o.Issuer { // Discovery §4.3: MUST be identical
		return "", fmt.Errorf("discovery document names issuer %q", meta.Issuer)
	}
	if err := checkURL(meta.JWKSURI); err != nil {
		return "", fmt.Errorf("jwks_uri: %w", err)
	}
	return meta.JWKSURI, nil
}

// claims checks the registered claims and maps the rest to a principal.
func (v *Verifier) claims(payload []byte) (oauth.Principal, error) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return oauth.Principal{}, errors.New("claims are not a JSON object")
	}
	var iss, sub string
	if !str(m, "iss", &iss) || iss != v.o.Issuer {
		return oauth.Principal{}, fmt.Errorf("issuer %q", iss)
	}
	if aud, ok := strs(m, "aud"); !ok || !contains(aud, v.o.Audience) {
		return oauth.Principal{}, fmt.Errorf("audience %q", aud)
	}
	if err := v.times(m); err != nil {
		return oauth.Principal{}, err
	}
	if !str(m, "sub", &sub) || sub == "" {
		return oauth.Principal{}, errors.New("no sub")
	}
	p := oauth.Principal{ClientID: sub, Tenant: v.o.Tenant}
	if v.o.TenantClaim != "" && (!str(m, v.o.TenantClaim, &p.Tenant) || p.Tenant == "") {
		return oauth.Principal{}, fmt.Errorf("no tenant claim %q", v.o.TenantClaim)
	}
	p.Scopes, _ = strs(m, v.o.ScopeClaim)
	if v.o.FunctionAddressesClaim != "" {
		p.LimitFunctionAddresses = true
		p.FunctionAddresses, _ = strs(m, v.o.FunctionAddressesClaim)
	}
	return p, nil
}

// times checks exp (required), nbf and iat against Now with Leeway.
func (v *Verifier) times(m map[string]json.RawMessage) error {
	now := float64(v.o.Now().UnixNano()) / 1e9
	skew := v.o.Leeway.Seconds()
	exp, hasExp, err1 := num(m, "exp")
	nbf, hasNbf, err2 := num(m, "nbf")
	iat, hasIat, err3 := num(m, "iat")
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return errors.Join(err1, err2, err3)
	case !hasExp:
		return errors.New("no exp")
	case now >= exp+skew: // RFC 7519 §4.1.4
		return errors.New("expired")
	case hasNbf && now+skew < nbf: // §4.1.5
		return errors.New("not yet valid")
	case hasIat && iat > now+skew: // §4.1.6
		return errors.New("issued in the future")
	}
	return nil
}

func str(m map[string]json.RawMessage, name string, out *string) bool {
	raw, ok := m[name]
	return ok && json.Unmarshal(raw, out) == nil
}

// strs reads a claim that is a string (space separated for scopes, RFC 8693 §4.2; one
// value for aud, RFC 7519 §4.1.3) or an array of strings.
func strs(m map[string]json.RawMessage, name string) ([]string, bool) {
	raw, ok := m[name]
	if !ok {
		return nil, false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if name == "aud" {
			return []string{s}, true
		}
		return strings.Fields(s), true
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, true
	}
	return nil, false
}

// num reads a NumericDate claim (RFC 7519 §2): absent, a finite number, or an error.
func num(m map[string]json.RawMessage, name string) (float64, bool, error) {
	raw, ok := m[name]
	if !ok {
		return 0, false, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false, fmt.Errorf("%s is not a number", name)
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false, fmt.Errorf("%s is not a finite number", name)
	}
	return f, true, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
