// Package oidc verifies JWT access and ID tokens issued by an external OpenID Provider
// (OpenID Connect Core 1.0 §2 and §3.1.3.7, OpenID Connect Discovery 1.0 §3–§4, RFC 7519
// JWT, RFC 7515 JWS, RFC 7517 JWK, RFC 7518 §3.3 RS256 and §3.4 ES256, RFC 9068 §4) and
// maps their claims to the oauth.Principal the SDK API authorises with: the SDK API of an
// AWS deployment accepts tokens of the organisation's own sign-in service.
//
// The provider's keys come from its discovery document
// (ISSUER/.well-known/openid-configuration → jwks_uri), fetched through an injected
// Fetcher. A token whose kid is unknown makes the verifier fetch the key set again, at
// most once per MinRefresh (key rotation without a restart, and no fetch storm from
// forged kids).
//
// Checks, each refusing with oauth.ErrInvalidToken (wrapped with the reason):
//
//   - compact JWS with alg RS256 (RSA ≥ 2048 bits) or ES256 (P-256); "none", HS256 and
//     every other alg are refused before any key is looked up (RFC 8725 §3.1);
//     a "crit" header is refused (RFC 7515 §4.1.11: no extension is understood);
//   - iss equals the configured issuer exactly (Core §3.1.3.7 item 2; Discovery §4.3 for
//     the discovery document's issuer);
//   - aud contains the configured audience (Core §3.1.3.7 item 3; RFC 9068 §4);
//   - exp is required and in the future, nbf and iat not in the future, each with
//     Leeway for clock skew (RFC 7519 §4.1.4, §4.1.5, §4.1.6);
//   - sub is present (Core §2) and the tenant is known.
//
// Claim mapping (names configurable, Options): the tenant (a claim, or one fixed tenant
// for a deployment that serves one organisation), the scopes (a space-separated string
// or an array) and, when a claim name is configured, the function addresses whose
// mailboxes the user may read — a token without that claim then opens no mailbox.
package oidc
