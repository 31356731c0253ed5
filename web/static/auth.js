// auth.js: sign-in of the web client.
//
// Local mode (no "oidc" in /web/config.json): app.js posts the client credentials to the
// local token endpoint (core/oauth).
// OIDC mode ("oidc": {issuer, clientId, scope, sendToken, clientSecret?, redirectURI?}):
// the OpenID Connect authorization code flow with PKCE (RFC 7636, S256) at the issuer,
// back to this page; state (RFC 6749 §10.12) and the ID token's nonce, iss and aud are
// checked (OpenID Connect Core §3.1.3.7; the signature is checked by the server, which
// is the only party that trusts the token). Tokens are kept in memory only: what
// survives the redirect in sessionStorage is the one-time state, nonce and PKCE
// verifier, removed when the page comes back.
// Expiry: watchExpiry calls back at the token's exp; the page then asks to sign in again.

const PENDING = 'brevduva.oidc.pending';
const L = {
  sv: { oidcBtn: 'Logga in med organisationens inloggning', expired: 'Sessionen har gått ut. Logga in igen.',
    state: 'Inloggningen kunde inte slutföras (state eller nonce stämmer inte). Försök igen.', failed: 'Inloggningen misslyckades:' },
  en: { oidcBtn: "Sign in with the organisation's sign-in", expired: 'The session has expired. Please sign in again.',
    state: 'The sign-in could not be completed (state or nonce mismatch). Please try again.', failed: 'Sign-in failed:' },
};
export const authText = (k) => (L[document.documentElement.lang] || L.sv)[k];

const b64url = (u8) => btoa(String.fromCharCode(...u8)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));

// tokenClaims decodes a JWT's payload (no verification: for display, expiry and the
// mailboxes to offer; the API decides what the token may do).
export function tokenClaims(jwt) {
  try {
    const p = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(p + '='.repeat((4 - p.length % 4) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch { return null; }
}

function authError(code, detail) {
  const e = new Error(authText(code) + (detail ? ' ' + detail : '')); e.code = 'auth-' + code; return e;
}

async function discover(issuer) {
  const r = await fetch(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!r.ok) throw authError('failed', 'discovery HTTP ' + r.status);
  const meta = await r.json();
  if (meta.issuer !== issuer) throw authError('failed', 'issuer ' + meta.issuer); // Discovery §4.3
  return meta;
}

const redirectURI = (oidc) => oidc.redirectURI || location.origin + location.pathname;

// startSignIn sends the browser to the provider's authorization endpoint.
export async function startSignIn(oidc) {
  const meta = await discover(oidc.issuer);
  const verifier = random(32), state = random(16), nonce = random(16);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING, JSON.stringify({ state, nonce, verifier, redirect: redirectURI(oidc) }));
  const q = new URLSearchParams({ response_type: 'code', client_id: oidc.clientId, redirect_uri: redirectURI(oidc), scope: oidc.scope || 'openid',
    state, nonce, code_challenge: challenge, code_challenge_method: 'S256' });
  location.assign(meta.authorization_endpoint + '?' + q);
}

// finishSignIn completes a sign-in when the page is the redirect back (?code&state):
// null when it is not, else {token, claims, expiresAt}; throws on a mismatch.
export async function finishSignIn(oidc) {
  const u = new URL(location.href);
  const code = u.searchParams.get('code'), state = u.searchParams.get('state'), error = u.searchParams.get('error');
  if (!code && !error) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', u.pathname); // the code leaves the address bar and the history
  if (error) throw authError('failed', error);
  if (!pending || !state || pending.state !== state) throw authError('state');
  const meta = await discover(oidc.issuer);
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: pending.redirect, client_id: oidc.clientId, code_verifier: pending.verifier });
  if (oidc.clientSecret) form.set('client_secret', oidc.clientSecret);
  const r = await fetch(meta.token_endpoint, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  if (!r.ok) throw authError('failed', 'HTTP ' + r.status);
  const tr = await r.json();
  const id = tokenClaims(tr.id_token || '');
  if (!id || id.nonce !== pending.nonce || id.iss !== oidc.issuer || ![].concat(id.aud).includes(oidc.clientId)) throw authError('state');
  const token = oidc.sendToken === 'id_token' ? tr.id_token : tr.access_token;
  const claims = tokenClaims(token) || id;
  return { token, claims, expiresAt: (claims.exp || id.exp) * 1000 };
}

// watchExpiry calls onExpired when the token's lifetime ends; it returns a cancel function.
export function watchExpiry(expiresAt, onExpired) {
  const id = setTimeout(onExpired, Math.min(Math.max(0, expiresAt - Date.now()), 0x7fffffff));
  return () => clearTimeout(id);
}

// mountSignIn replaces the client-credentials form with the OIDC button (OIDC mode).
export function mountSignIn(oidc, onError) {
  const form = document.querySelector('#signin-form');
  form.hidden = true;
  const btn = Object.assign(document.createElement('button'), { type: 'button', id: 'oidc-signin', textContent: authText('oidcBtn') });
  btn.addEventListener('click', () => startSignIn(oidc).catch(onError));
  form.after(btn);
  new MutationObserver(() => { btn.textContent = authText('oidcBtn'); }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
}

// mailboxes filters the tenant's function addresses by the token's claim; without the
// claim: all, or none when strict (a configured OIDC claim, as the server decides).
export function mailboxes(all, claims, claim, strict = false) {
  const allowed = claim && claims ? claims[claim] : undefined;
  if (allowed === undefined) return strict ? [] : all;
  const list = Array.isArray(allowed) ? allowed : String(allowed).split(/\s+/);
  return all.filter((f) => list.includes(f.id));
}
