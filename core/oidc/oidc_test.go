package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/internal/oidctest"
)

var caseWorker = oidctest.User{Subject: "anna", Tenant: "kommun-a", Scope: oauth.ScopeMailbox + " " + oauth.ScopeGetMessage,
	FunctionAddresses: []string{"socialtjansten"}}

type provider struct{ *oidctest.Provider }

func startProvider(t *testing.T) provider { return provider{oidctest.Start(t, oidctest.Options{})} }

func (p provider) signIn(t *testing.T, u oidctest.User) (idToken, accessToken string) {
	tr := p.SignIn(t, u)
	return tr.IDToken, tr.AccessToken
}

func (p provider) options(now func() time.Time) Options {
	return Options{Issuer: p.Issuer(), Audience: p.ClientID, Fetch: HTTPFetcher(nil), Now: now,
		TenantClaim: oidctest.ClaimTenant, FunctionAddressesClaim: oidctest.ClaimFunctionAddresses}
}

func newVerifier(t *testing.T, o Options) *Verifier {
	t.Helper()
	v, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func shifted(d time.Duration) func() time.Time { return func() time.Time { return time.Now().Add(d) } }

func TestMockOIDCTokens(t *testing.T) {
	p := startProvider(t)
	idt, access := p.signIn(t, caseWorker)
	ctx := context.Background()

	v := newVerifier(t, p.options(time.Now))
	got, err := v.Verify(ctx, idt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Tenant != "kommun-a" || got.ClientID != "anna" || !got.HasAny(oauth.ScopeMailbox) || got.HasAny(oauth.ScopeSendMessage) ||
		!got.MayUseFunctionAddress("socialtjansten") || got.MayUseFunctionAddress("registrator") {
		t.Fatalf("principal %+v", got)
	}
	// mockoidc's access token is a JWT too, without Brevduva's claims: a deployment of
	// one tenant accepts it, and it opens no mailbox because the claim is configured.
	o := p.options(time.Now)
	o.TenantClaim, o.Tenant = "", "kommun-a"
	if got, err := newVerifier(t, o).Verify(ctx, access); err != nil || got.Tenant != "kommun-a" || got.MayUseFunctionAddress("socialtjansten") || len(got.Scopes) != 0 {
		t.Fatalf("access token: %+v %v", got, err)
	}
	if _, err := v.Verify(ctx, access); !errors.Is(err, oauth.ErrInvalidToken) || !strings.Contains(err.Error(), "tenant") {
		t.Fatalf("access token without tenant claim: %v", err)
	}

	refused := func(name string, v *Verifier, tok, why string) {
		t.Helper()
		_, err := v.Verify(ctx, tok)
		if !errors.Is(err, oauth.ErrInvalidToken) || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: got %v, want a refusal for %q", name, err, why)
		}
	}
	o = p.options(time.Now)
	o.Audience = "another-client"
	refused("wrong audience", newVerifier(t, o), idt, "audience")
	refused("expired", newVerifier(t, p.options(shifted(12*time.Minute))), idt, "expired")
	if _, err := newVerifier(t, p.options(shifted(10*time.Minute+30*time.Second))).Verify(ctx, idt); err != nil {
		t.Errorf("within the clock skew after exp: %v", err)
	}
	refused("not yet valid", newVerifier(t, p.options(shifted(-2*time.Minute))), idt, "not yet valid")

	// A token signed by the provider's own key but naming another issuer.
	forged, err := p.Keypair.SignJWT(jwt.MapClaims{"iss": "https://evil.example", "aud": p.ClientID, "sub": "x", "tenant": "kommun-a",
		"exp": time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	refused("wrong issuer", v, forged, "issuer")
	// A verifier configured for another issuer refuses the provider's discovery document.
	o = p.options(time.Now)
	o.Issuer = p.Addr() + "/other"
	o.Fetch = func(ctx context.Context, _ string) ([]byte, error) {
		return HTTPFetcher(nil)(ctx, p.DiscoveryEndpoint())
	}
	refused("discovery issuer", newVerifier(t, o), idt, "discovery document names issuer")

	parts := strings.Split(idt, ".")
	var claims map[string]any
	payload, _ := b64.DecodeString(parts[1])
	_ = json.Unmarshal(payload, &claims)
	claims["function_addresses"] = []string{"socialtjansten", "registrator"}
	edited, _ := json.Marshal(claims)
	refused("claims edited after signing", v, parts[0]+"."+b64.EncodeToString(edited)+"."+parts[2], "signature")
	sig, _ := b64.DecodeString(parts[2])
	sig[10] ^= 1
	refused("signature bit flipped", v, parts[0]+"."+parts[1]+"."+b64.EncodeToString(sig), "signature")

	none := b64.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	refused("alg none", v, none+"."+parts[1]+".", `alg "none"`)
	// HS256 keyed with the provider's public key (the RS/HS confusion of RFC 8725 §2.1).
	hs := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + parts[1]
	mac := hmac.New(sha256.New, p.Keypair.PublicKey.N.Bytes())
	mac.Write([]byte(hs))
	refused("alg HS256", v, hs+"."+b64.EncodeToString(mac.Sum(nil)), `alg "HS256"`)
	crit := b64.EncodeToString([]byte(`{"alg":"RS256","crit":["exp"],"exp":1}`))
	refused("crit header", v, crit+"."+parts[1]+"."+parts[2], "crit")
	refused("JWE shape", v, idt+".x.y", "compact")
}

// TestKeyRotation: a token with an unknown kid makes the verifier fetch the key set
// again, but not more than once per MinRefresh however many forged kids arrive.
func TestKeyRotation(t *testing.T) {
	p := startProvider(t)
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	o := p.options(clock)
	o.MinRefresh = time.Minute
	v := newVerifier(t, o)
	idt, _ := p.signIn(t, caseWorker)
	if _, err := v.Verify(ctx, idt); err != nil {
		t.Fatal(err)
	}
	if p.DiscoveryHits.Load() != 1 || p.JWKSFetches.Load() != 1 {
		t.Fatalf("first token: %d discovery, %d key set fetches", p.DiscoveryHits.Load(), p.JWKSFetches.Load())
	}
	key2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	kp2, err := mockoidc.NewKeypair(key2)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := kp2.SignJWT(jwt.MapClaims{"iss": p.Issuer(), "aud": p.ClientID, "sub": "anna", "tenant": "kommun-a",
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	// The provider has not published the new key yet: one refetch (the last fetch is
	// MinRefresh old), refused.
	now = now.Add(time.Minute)
	if _, err := v.Verify(ctx, rotated); !errors.Is(err, oauth.ErrInvalidToken) {
		t.Fatalf("unpublished key: %v", err)
	}
	if p.JWKSFetches.Load() != 2 {
		t.Fatalf("unknown kid: %d key set fetches, want 2", p.JWKSFetches.Load())
	}
	p.Publish(kp2)
	// Within MinRefresh nothing is fetched, however often an unknown kid comes.
	for range 5 {
		if _, err := v.Verify(ctx, rotated); !errors.Is(err, oauth.ErrInvalidToken) || !strings.Contains(err.Error(), "fetched less than") {
			t.Fatalf("rate limit: %v", err)
		}
	}
	if p.JWKSFetches.Load() != 2 {
		t.Fatalf("rate limit broken: %d key set fetches", p.JWKSFetches.Load())
	}
	now = now.Add(time.Minute)
	if got, err := v.Verify(ctx, rotated); err != nil || got.ClientID != "anna" {
		t.Fatalf("rotated key after MinRefresh: %+v %v", got, err)
	}
	if p.JWKSFetches.Load() != 3 || p.DiscoveryHits.Load() != 1 {
		t.Fatalf("after rotation: %d discovery, %d key set fetches", p.DiscoveryHits.Load(), p.JWKSFetches.Load())
	}
	// The old key is still published: its tokens verify without a fetch.
	if _, err := v.Verify(ctx, idt); err != nil || p.JWKSFetches.Load() != 3 {
		t.Fatalf("old key: %v (%d fetches)", err, p.JWKSFetches.Load())
	}
}

// TestES256GoJose verifies ES256 tokens and a JWK Set made by go-jose
// (github.com/go-jose/go-jose/v4, a JOSE library we did not write).
func TestES256GoJose(t *testing.T) {
	const iss = "https://idp.example/realms/kommun"
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "ec1", Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{iss + DiscoveryPath: `{"issuer":"` + iss + `","jwks_uri":"https://idp.example/keys"}`, "https://idp.example/keys": string(set)}
	fetch := func(_ context.Context, u string) ([]byte, error) {
		if d, ok := docs[u]; ok {
			return []byte(d), nil
		}
		return nil, errors.New("404 " + u)
	}
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(t, Options{Issuer: iss, Audience: "https://api.example/sdk", Fetch: fetch, Now: func() time.Time { return now },
		TenantClaim: "org", ScopeClaim: "scp"})
	sign := func(claims map[string]any) string {
		s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: priv}, (&jose.SignerOptions{}).WithType("at+jwt").WithHeader("kid", "ec1"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(claims)
		obj, err := s.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := obj.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	claims := map[string]any{"iss": iss, "aud": []string{"other", "https://api.example/sdk"}, "sub": "u1", "org": "kommun-b",
		"scp": []string{oauth.ScopeSendMessage}, "exp": now.Unix() + 60, "iat": now.Unix()}
	got, err := v.Verify(context.Background(), sign(claims))
	if err != nil || got.Tenant != "kommun-b" || !got.HasAny(oauth.ScopeSendMessage) || !got.MayUseFunctionAddress("any") {
		t.Fatalf("%+v %v", got, err)
	}
	claims["exp"] = "soon"
	if _, err := v.Verify(context.Background(), sign(claims)); !errors.Is(err, oauth.ErrInvalidToken) {
		t.Fatalf("exp as a string: %v", err)
	}
}

// TestProviderDown: an unreachable provider refuses tokens (fail closed) and is asked
// again only after MinRefresh.
func TestProviderDown(t *testing.T) {
	var calls int
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(t, Options{Issuer: "https://idp.example", Audience: "a", Now: func() time.Time { return now }, Tenant: "t",
		Fetch: func(context.Context, string) ([]byte, error) { calls++; return nil, errors.New("connection refused") }})
	tok := b64.EncodeToString([]byte(`{"alg":"RS256","kid":"k"}`)) + "." + b64.EncodeToString([]byte(`{}`)) + ".c2ln"
	for range 3 {
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, oauth.ErrInvalidToken) || !strings.Contains(err.Error(), "connection refused") {
			t.Fatalf("provider down: %v", err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d fetches within MinRefresh, want 1", calls)
	}
	now = now.Add(DefaultMinRefresh)
	_, _ = v.Verify(context.Background(), tok)
	if calls != 2 {
		t.Fatalf("%d fetches after MinRefresh, want 2", calls)
	}
}

func TestNewChecks(t *testing.T) {
	ok := Options{Issuer: "https://idp.example", Audience: "a", Fetch: HTTPFetcher(nil), Now: time.Now, TenantClaim: "t"}
	for name, edit := range map[string]func(*Options){
		"no audience":     func(o *Options) { o.Audience = "" },
		"both tenants":    func(o *Options) { o.Tenant = "x" },
		"no tenant":       func(o *Options) { o.TenantClaim = "" },
		"http issuer":     func(o *Options) { o.Issuer = "http://idp.example" },
		"issuer w/ query": func(o *Options) { o.Issuer = "https://idp.example/?a=b" },
	} {
		o := ok
		edit(&o)
		if _, err := New(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(ok); err != nil {
		t.Fatal(err)
	}
}

func FuzzVerify(f *testing.F) {
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &priv.PublicKey, KeyID: "k", Use: "sig"}}})
	fetch := func(_ context.Context, u string) ([]byte, error) {
		if strings.HasSuffix(u, DiscoveryPath) {
			return []byte(`{"issuer":"https://i.example","jwks_uri":"https://i.example/k"}`), nil
		}
		return set, nil
	}
	v, err := New(Options{Issuer: "https://i.example", Audience: "a", Fetch: fetch, Now: func() time.Time { return time.Unix(1e9, 0) }, Tenant: "t"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("eyJhbGciOiJFUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL2kuZXhhbXBsZSJ9.AAAA")
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, tok string) {
		if p, err := v.Verify(context.Background(), tok); err == nil {
			t.Fatalf("unsigned fuzz input accepted: %+v", p)
		}
	})
}

func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseKeySet(b)
		if err == nil && len(keys) > MaxKeys {
			t.Fatalf("%d keys", len(keys))
		}
	})
}
