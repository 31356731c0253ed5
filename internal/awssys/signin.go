package awssys

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/brevduva/brevduva/core/oauth"
	"github.com/brevduva/brevduva/core/oidc"
)

// Variables of sdk-api's sign-in (docs/design/functions.md).
const (
	EnvOIDCIssuer                 = "BREVDUVA_OIDC_ISSUER"
	EnvOIDCAudience               = "BREVDUVA_OIDC_AUDIENCE"
	EnvOIDCTenantClaim            = "BREVDUVA_OIDC_TENANT_CLAIM"
	EnvOIDCScopeClaim             = "BREVDUVA_OIDC_SCOPE_CLAIM"
	EnvOIDCFunctionAddressesClaim = "BREVDUVA_OIDC_FUNCTION_ADDRESSES_CLAIM"
	EnvCORSOrigins                = "BREVDUVA_CORS_ORIGINS"
)

// oidcFetchTimeout bounds one discovery or key set fetch.
const oidcFetchTimeout = 10 * time.Second

// Verifier is the access-token check of the SDK API from the environment:
//   - core/oauth tokens (EdDSA JWTs with iss = BREVDUVA_OAUTH_ISSUER, signed by the key
//     whose public half is BREVDUVA_OAUTH_PUBLIC_KEY, standard base64 of 32 bytes);
//   - tokens of an OpenID provider (core/oidc) when BREVDUVA_OIDC_ISSUER is set, with aud
//     BREVDUVA_OIDC_AUDIENCE and the tenant from the claim BREVDUVA_OIDC_TENANT_CLAIM or,
//     without it, BREVDUVA_TENANT;
//
// either or both (a token is then tried against each).
func Verifier(env Env) (oauth.Authenticator, error) {
	var auths oauth.FirstOf
	if env.get(EnvOAuthIssuer) != "" || env.get(EnvOAuthPublicKey) != "" || env.get(EnvOIDCIssuer) == "" {
		v, err := localVerifier(env)
		if err != nil {
			return nil, err
		}
		auths = append(auths, v)
	}
	if env.get(EnvOIDCIssuer) != "" {
		v, err := oidcVerifier(env)
		if err != nil {
			return nil, err
		}
		auths = append(auths, v)
	}
	if len(auths) == 1 {
		return auths[0], nil
	}
	return auths, nil
}

func localVerifier(env Env) (*oauth.Verifier, error) {
	var errs []error
	v := env.need(&errs, EnvOAuthIssuer, EnvOAuthPublicKey)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%w (or %s)", err, EnvOIDCIssuer)
	}
	k, err := base64.StdEncoding.DecodeString(v[EnvOAuthPublicKey])
	if err != nil || len(k) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("awssys: %s: want base64 of a %d-byte Ed25519 public key", EnvOAuthPublicKey, ed25519.PublicKeySize)
	}
	return &oauth.Verifier{Key: ed25519.PublicKey(k), Issuer: v[EnvOAuthIssuer], Now: time.Now, Leeway: 30 * time.Second}, nil
}

func oidcVerifier(env Env) (*oidc.Verifier, error) {
	var errs []error
	v := env.need(&errs, EnvOIDCIssuer, EnvOIDCAudience)
	o := oidc.Options{Issuer: v[EnvOIDCIssuer], Audience: v[EnvOIDCAudience], Now: time.Now,
		Fetch:       oidc.HTTPFetcher(&http.Client{Timeout: oidcFetchTimeout}),
		TenantClaim: env.get(EnvOIDCTenantClaim), ScopeClaim: env.get(EnvOIDCScopeClaim),
		FunctionAddressesClaim: env.get(EnvOIDCFunctionAddressesClaim)}
	if o.TenantClaim == "" {
		o.Tenant = env.need(&errs, EnvTenant)[EnvTenant]
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	ov, err := oidc.New(o)
	if err != nil {
		return nil, fmt.Errorf("awssys: %w", err)
	}
	return ov, nil
}
