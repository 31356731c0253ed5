// Package oauth is the OAuth 2.0 client credentials grant (RFC 6749 §4.4) that DIGG's
// SDK API MT/MK is protected with (spec-facts §i): a local token endpoint for `brevduva
// serve`, short-lived signed access tokens that carry the client's tenant and scopes,
// and the bearer token check (RFC 6750) the API handlers call.
//
// Tokens are compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037), signed with a
// key of the installation; the claims are iss, sub (the client id), tnt (the tenant),
// scope (space separated, RFC 8693 §4.2), iat, exp and jti. A token is only ever read
// by the installation that issued it, so no key discovery is offered.
//
// DIGG's scopes are constants copied from the API description; the description names
// sendMessage's scope both urn:sdk.api:sendMessage and urn:sdk.api:sendMessages, and
// both are accepted (ScopeSend).
package oauth
