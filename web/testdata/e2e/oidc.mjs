// OIDC sign-in of the web client in headless Debian Chromium (playwright-core):
// web/browser_oidc_test.go runs `brevduva serve` with mockoidc as the "oidc" issuer and
// passes BASE, OUT, CHROMIUM, MAILBOX (the user's one function address), MAILBOXES (how
// many the tenant has) and TTL_MS (token lifetime).
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const { BASE, OUT, MAILBOX, MAILBOXES, TTL_MS } = process.env;
const flags = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-quic', '--no-first-run', '--disable-sync'];
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bv-chromium-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: flags, viewport: { width: 1366, height: 900 } });
const shot = (page, name) => page.screenshot({ path: join(OUT, name + '.png'), fullPage: true });
const page = await browser.newPage();
const cspErrors = [];
page.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text()); });
const apiAuth = [];
page.on('request', (r) => { if (r.url().includes('/sdk-api/')) apiAuth.push({ auth: r.headers().authorization || '', cookie: r.headers().cookie || '' }); });

// A forged return from the provider (no sign-in started here) is refused.
await page.goto(BASE + '/?code=stolen&state=forged');
await page.locator('#alert').filter({ hasText: 'state eller nonce' }).waitFor({ timeout: 15000 });
assert.ok(await page.locator('#app').isHidden(), 'forged state must not sign in');
assert.ok(!page.url().includes('code='), 'the code must leave the address bar');

// Sign in at the provider and come back.
await page.goto(BASE + '/');
const btn = page.getByRole('button', { name: 'Logga in med organisationens inloggning' });
await btn.waitFor();
assert.ok(await page.locator('#signin-form').isHidden(), 'OIDC mode hides the client-credentials form');
const signedInAt = Date.now();
await btn.click();
await page.locator('#app').waitFor({ timeout: 30000 });
await page.locator('#who').filter({ hasText: 'Inloggad som' }).waitFor();
assert.ok(!page.url().includes('code=') && !page.url().includes('state='), 'code and state removed from the URL: ' + page.url());
const boxes = await page.locator('#mailbox option').evaluateAll((os) => os.map((o) => o.value));
assert.deepEqual(boxes, [MAILBOX], `only the authorised mailbox is offered (tenant has ${MAILBOXES})`);
assert.ok(Number(MAILBOXES) > 1, 'the tenant must have other mailboxes for this check to mean anything');
await page.waitForFunction(() => document.querySelector('#inbox li') !== null, null, { timeout: 15000 });
const stored = await page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
assert.ok(!/eyJ[\w-]+\.eyJ/.test(stored), 'no token in localStorage, sessionStorage or cookies: ' + stored);
assert.equal(await page.evaluate(() => document.cookie), '', 'no cookies');
assert.ok(apiAuth.length > 0 && apiAuth.every((a) => a.auth.startsWith('Bearer eyJ') && a.cookie === ''), 'API calls carry the bearer token, never a cookie');
await shot(page, 'oidc-01-signed-in');

// The token lives TTL_MS: the page notices and asks to sign in again.
const wait = Number(TTL_MS) - (Date.now() - signedInAt) + 15000;
await page.locator('#alert').filter({ hasText: 'Sessionen har gått ut' }).waitFor({ timeout: Math.max(wait, 5000) });
assert.ok(await page.locator('#app').isHidden(), 'the app is hidden after expiry');
assert.ok(await btn.isVisible(), 'the sign-in button is back');
await shot(page, 'oidc-02-expired');
await btn.click();
await page.locator('#app').waitFor({ timeout: 30000 });
assert.deepEqual(cspErrors, [], 'no CSP violations');
await browser.close();
console.log('ok: oidc sign-in, mailbox limit, storage, forged state, expiry');
