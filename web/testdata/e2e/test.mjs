// End-to-end test of the web client in headless Debian Chromium (playwright-core).
// web/browser_test.go starts `brevduva serve` on free ports and passes:
// BASE, SECRET_A, SECRET_B, PKI (demo pki folder), OUT (screenshots folder).
import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
import assert from 'node:assert/strict';

const { BASE, SECRET_A, SECRET_B, PKI, OUT } = process.env;
const flags = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-quic', '--no-first-run', '--disable-sync'];
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bv-chromium-')), {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: flags, viewport: { width: 1366, height: 900 } });
const shot = (page, name) => page.screenshot({ path: join(OUT, name + '.png'), fullPage: true });
const consoleErrors = [];
const subject = 'Bygglov Storgatan 7 – ärende ' + Date.now();
const bodyText = 'Hej! Här kommer underlaget för bygglovet på Storgatan 7. Mvh Åsa Öberg ' + Math.random().toString(36).slice(2);
const attachment = Buffer.from('%PDF-1.4 demo attachment ' + 'hemlig-bilaga-' + Math.random().toString(36).slice(2) + '\n%%EOF\n');
const attPath = join(OUT, 'underlag.pdf'); writeFileSync(attPath, attachment);
const keyA = join(PKI, 'org-a.key.pem'), certA = join(PKI, 'org-a.cert.pem'), keyB = join(PKI, 'org-b.key.pem');

async function signIn(page, id, secret) {
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(BASE + '/');
  await page.getByLabel('Klient-id').fill(id);
  await page.getByLabel('Klienthemlighet').fill(secret);
  await page.getByRole('button', { name: 'Logga in' }).click();
  await page.locator('#app').waitFor();
}
const alertText = (page) => page.locator('#alert').innerText();

// --- Scenario sealed-inbox: B runs in end-to-end mode, so its page opens the XHE itself.
// A sends with the remote signer (A's key stays on the server, which signs the digest), so
// B's browser verifies a server-made signature against A's CertPub certificate.
if (process.env.SCENARIO === 'sealed-inbox') {
  const a = await browser.newPage();
  await signIn(a, 'kommun-a', SECRET_A);
  await a.getByLabel('organisationens nyckel på servern').check();
  await a.getByLabel('Mottagande organisation (sök)').fill('kommun b');
  await a.locator('#org-results li', { hasText: 'Kommun B' }).first().click();
  await a.getByLabel('Mottagarens funktionsadress').selectOption('registrator');
  await a.getByLabel('Ärende').fill(subject);
  await a.getByLabel('Meddelande', { exact: true }).fill(bodyText);
  await a.getByLabel('Bilagor').setInputFiles(attPath);
  await a.getByRole('button', { name: 'Försegla och skicka' }).click();
  await a.locator('#alert.ok').waitFor();
  const b = await browser.newPage();
  const kvittens = [], kvittensBodies = []; // B's kvittens posts: statuses, request bodies
  b.on('response', (r) => { if (r.request().method() === 'POST' && r.url().endsWith('/kvittens')) { kvittens.push(r.status()); kvittensBodies.push(r.request().postData()); } });
  await signIn(b, 'kommun-b', SECRET_B);
  await b.getByLabel('Funktionsbrevlåda').selectOption('registrator');
  const item = b.locator('#inbox li', { hasText: 'Förseglat meddelande' });
  await item.waitFor({ timeout: 30000 });
  await item.click();
  await b.locator('#alert', { hasText: 'Ladda organisationens nyckel' }).waitFor();
  await b.getByLabel('Nyckel och certifikat (PEM eller PKCS#12)').setInputFiles([keyB, join(PKI, 'org-b.cert.pem')]);
  await b.locator('#key-status').filter({ hasText: 'Nyckel laddad' }).waitFor();
  await item.click();
  await b.locator('#reader .md', { hasText: bodyText }).waitFor();
  assert.match(await b.locator('#reader h3').innerText(), new RegExp(subject));
  const [dl] = await Promise.all([b.waitForEvent('download'), b.locator('#reader a', { hasText: 'underlag.pdf' }).click()]);
  assert.ok(readFileSync(await dl.path()).equals(attachment), 'downloaded attachment equals the original');
  await shot(b, '10-sealed-inbox-opened-in-browser');
  // B has no O2O key on the server: B's page sealed the Meddelandekvittens (ACCEPTED) with
  // the loaded key when it opened the message and posted it to .../kvittens; B's access
  // point checked it and sent it to A, whose outbox shows ACCEPTED.
  assert.deepEqual(kvittens, [202], 'one kvittens posted on opening, queued');
  // Checked by a tool we did not write: xmlsec1 verifies the wasm-made kvittens XHE's
  // signature chained to the demo O2O CA.
  const kvFile = join(OUT, 'kvittens-from-browser.xml');
  writeFileSync(kvFile, Buffer.from(JSON.parse(kvittensBodies[0]).data.attributes.sealedXhe, 'base64'));
  assert.match(readFileSync(kvFile, 'utf8'), /<cbc:ResponseCode>ACCEPTED<\/cbc:ResponseCode>/);
  execFileSync('xmlsec1', ['--verify', '--trusted-pem', join(PKI, 'o2o-ca.ca.pem'), kvFile], { stdio: 'pipe' });
  await a.locator('#outbox tbody tr', { hasText: subject }).locator('.st-ACCEPTED').waitFor({ timeout: 60000 });
  await shot(a, '11-sealed-inbox-sender-gets-kvittens');
  // Opening again posts another kvittens, which the access point refuses (409: one per
  // message); the page shows the message without an error.
  const second = b.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/kvittens'));
  await item.click();
  await second;
  await b.locator('#reader .md', { hasText: bodyText }).waitFor();
  // 409: another kvittens than the one queued; 202 only when it is byte for byte the same
  // (opened again within the same second: same IssueTime, deterministic RSA signature).
  assert.ok(kvittens.length === 2 && [202, 409].includes(kvittens[1]), `the second kvittens: ${kvittens}`);
  assert.doesNotMatch(await b.locator('#alert').textContent(), /Kvittensen/, 'no kvittens error shown on re-opening');
  assert.ok(await a.locator('#outbox tbody tr', { hasText: subject }).locator('.st-ACCEPTED').isVisible(), 'A stays ACCEPTED');
  // B keeps no key on the server: choosing the remote signer there is refused in the page.
  await b.getByLabel('organisationens nyckel på servern').check();
  await b.getByLabel('Mottagande organisation (sök)').fill('kommun a');
  await b.locator('#org-results li', { hasText: 'Kommun A' }).first().click();
  await b.getByLabel('Ärende').fill('Svar'); await b.getByLabel('Meddelande', { exact: true }).fill('x');
  await b.getByRole('button', { name: 'Försegla och skicka' }).click();
  await b.locator('#alert').filter({ hasText: 'Organisationens nyckel finns inte på servern' }).waitFor();
  assert.equal(await b.locator('#p-seal').evaluate((p) => p.position), 0, 'the sealing bar is reset (not left indeterminate: position -1)');
  await shot(b, '12-remote-signer-without-key');
  await browser.close();
  console.log('ok: web client end to end (sealed inbox opened in the browser)');
  process.exit(0);
}

// --- Tenant A composes and sends, and the test records every request body.
const a = await browser.newPage();
const uploads = [];
a.on('request', (r) => { const d = r.postDataBuffer(); if (d) uploads.push({ url: r.url(), body: d }); });
await signIn(a, 'kommun-a', SECRET_A);
await shot(a, '01-signed-in');

// A wrong key: B's key with A's certificate.
await a.getByLabel('Nyckel och certifikat (PEM eller PKCS#12)').setInputFiles([keyB, certA]);
await a.locator('#alert').filter({ hasText: 'Nyckeln hör inte till certifikatet' }).waitFor();
await shot(a, '02-wrong-key');
// An expired certificate of one's own (the test bed's expired O2O key pair).
await a.getByLabel('Nyckel och certifikat (PEM eller PKCS#12)').setInputFiles([join(PKI, 'org-expired.key.pem'), join(PKI, 'org-expired.cert.pem')]);
await a.locator('#alert').filter({ hasText: 'Organisationens certifikat har gått ut' }).waitFor();
await shot(a, '02b-own-cert-expired');
// A's key as PKCS#12, written by Debian's openssl (OpenSSL 3: PBES2, AES-256-CBC): first
// the wrong password (a clear message), then the right one.
const p12 = join(OUT, 'org-a.p12');
execFileSync('openssl', ['pkcs12', '-export', '-inkey', keyA, '-in', certA, '-passout', 'pass:Kommun A lösen', '-out', p12]);
await a.getByLabel('Lösenord (PKCS#12)').fill('fel lösenord');
await a.getByLabel('Nyckel och certifikat (PEM eller PKCS#12)').setInputFiles(p12);
await a.locator('#alert').filter({ hasText: 'Lösenordet öppnar inte PKCS#12-filen' }).waitFor();
await shot(a, '02c-pkcs12-wrong-password');
await a.getByLabel('Lösenord (PKCS#12)').fill('Kommun A lösen');
await a.getByLabel('Lösenord (PKCS#12)').press('Enter'); // the file stays chosen; a new password reloads it
await a.locator('#key-status').filter({ hasText: 'Nyckel laddad' }).waitFor();
assert.equal(await a.locator('#alert').isVisible(), false);
assert.equal(uploads.filter((u) => u.body.indexOf(readFileSync(p12)) >= 0).length, 0, 'the PKCS#12 file is never uploaded');

async function chooseRecipient(query, name) {
  await a.getByLabel('Mottagande organisation (sök)').fill(query);
  await a.locator('#org-results li', { hasText: name }).first().click();
}
// Recipient with an expired CertPub encryption certificate (test bed), searched with å.
await chooseRecipient('utgånget', 'utgånget O2O');
await a.getByLabel('Ärende').fill('test'); await a.getByLabel('Meddelande', { exact: true }).fill('test');
await a.getByRole('button', { name: 'Försegla och skicka' }).click();
await a.locator('#alert').filter({ hasText: 'krypteringscertifikat har gått ut' }).waitFor();
await shot(a, '03-expired-recipient-cert');

// Recipient without a CertPub encryption certificate: the test bed participant whose signed
// SMP entry has no CertPub certificate (web/browser_test.go adds it).
await chooseRecipient('utan kryptering', 'utan krypteringscertifikat');
await a.getByRole('button', { name: 'Försegla och skicka' }).click();
await a.locator('#alert').filter({ hasText: 'inget krypteringscertifikat' }).waitFor();
await shot(a, '04-no-encryption-cert');
await chooseRecipient('kommun b', 'Kommun B');

// The real message.
await a.getByLabel('Från funktionsadress').selectOption('registrator');
await a.getByLabel('Mottagarens funktionsadress').selectOption('byggnadsnamnden');
await a.getByLabel('Ärende').fill(subject);
await a.getByLabel('Diarienummer (valfritt)').fill('BN 2026/1234');
await a.getByLabel('Meddelande', { exact: true }).fill(bodyText);
await a.locator('#preview-box summary').click();
await a.getByLabel('Meddelande', { exact: true }).fill(bodyText + '\n\n**Viktigt:** svara *senast* fredag\n- ritning\n- <b>intyg</b>');
await a.locator('#preview strong', { hasText: 'Viktigt:' }).waitFor();
assert.equal(await a.locator('#preview li').count(), 2);
assert.equal(await a.locator('#preview b').count(), 0, 'markup in the text is not rendered');
await a.getByLabel('Innehåller sekretess').check();
await a.getByLabel('Bilagor').setInputFiles(attPath);
await shot(a, '05-compose');
const t0 = Date.now();
await a.getByRole('button', { name: 'Försegla och skicka' }).click();
await a.locator('#alert.ok').waitFor();
assert.equal(await a.locator('#p-seal').evaluate((p) => p.value), 100);
assert.equal(await a.locator('#p-up').evaluate((p) => p.value), 100);
await a.locator('#outbox tbody tr', { hasText: subject }).locator('.st-ACCEPTED').waitFor({ timeout: 60000 });
console.log(`sent → ACCEPTED in ${Date.now() - t0} ms`);
await shot(a, '06-outbox-accepted');

// A recipient whose access point is not trusted: the outbox says so, with the reason (the
// engine retries first, SCHEDULED_FOR_RESEND, then MESSAGE_EXCHANGE_ERROR after its window).
await chooseRecipient('fel AS4', 'fel AS4');
await a.getByLabel('Ärende').fill('Till fel AP'); await a.getByLabel('Meddelande', { exact: true }).fill('x');
await a.getByRole('button', { name: 'Försegla och skicka' }).click();
await a.locator('#alert.ok').waitFor();
const bad = a.locator('#outbox tbody tr', { hasText: 'Till fel AP' }).locator('.st-SCHEDULED_FOR_RESEND, .st-MESSAGE_EXCHANGE_ERROR, .st-ERROR, .st-REJECTED', { hasText: ' — ' });
await bad.waitFor({ timeout: 30000 });
console.log('failed delivery shown as: ' + await bad.innerText());
await shot(a, '06b-outbox-error');

// Remote signer ("organisationens nyckel på servern"): the page holds no key; it seals for B
// and the server signs only the SignedInfo digest with A's O2O key (POST /sdk/signatures).
// B's access point verifies the signature and accepts, and B reads the message.
const remoteSubject = 'Fjärrsignerat ärende ' + Date.now();
const remoteBody = 'Signerat av servern, förseglat i webbläsaren ' + Math.random().toString(36).slice(2);
await a.evaluate(async () => { const { load } = await import('/web/brevduva.js'); await (await load()).forgetKey(); });
await a.getByLabel('organisationens nyckel på servern').check();
await chooseRecipient('kommun b', 'Kommun B');
await a.getByLabel('Mottagarens funktionsadress').selectOption('registrator');
await a.getByLabel('Ärende').fill(remoteSubject); await a.getByLabel('Meddelande', { exact: true }).fill(remoteBody);
await a.getByRole('button', { name: 'Försegla och skicka' }).click();
await a.locator('#alert.ok').waitFor();
await a.locator('#outbox tbody tr', { hasText: remoteSubject }).locator('.st-ACCEPTED').waitFor({ timeout: 60000 });
await shot(a, '06c-remote-signer-accepted');
const signs = uploads.filter((u) => u.url.includes('/sdk/signatures'));
assert.equal(signs.length, 1, 'one digest sent to the remote signer');
const signReq = JSON.parse(signs[0].body.toString()).data.attributes;
assert.deepEqual(Object.keys(signReq).sort(), ['digestAlgorithm', 'digestValue', 'messageId']);
assert.equal(Buffer.from(signReq.digestValue, 'base64').length, 32);
await a.getByLabel('nyckel i webbläsaren').check();
console.log('remote signer: sealed in the page, digest signed by the server with A\'s key, ACCEPTED by B');

// The server never saw the plaintext.

const send = uploads.filter((u) => u.url.includes('/sdk/messages') );
assert.ok(send.length >= 1, 'a sendMessage upload was captured');
for (const u of uploads) {
  const s = u.body.toString('latin1');
  const dec = (() => { try { return Buffer.from(JSON.parse(u.body.toString()).data.attributes.sealedXhe, 'base64'); } catch { return Buffer.alloc(0); } })();
  for (const hay of [u.body, dec]) {
    for (const secret of [Buffer.from(subject), Buffer.from(bodyText), attachment, Buffer.from(attachment.toString('base64')), Buffer.from('BN 2026/1234'),
      Buffer.from(remoteSubject), Buffer.from(remoteBody)]) {
      assert.equal(hay.indexOf(secret), -1, `plaintext in upload to ${u.url}`);
    }
  }
  assert.ok(!s.includes(subject));
}
const xhe = Buffer.from(JSON.parse(send[0].body.toString()).data.attributes.sealedXhe, 'base64').toString();
assert.match(xhe, /EncryptedData/); assert.match(xhe, /SignatureValue/);
assert.deepEqual(Object.keys(JSON.parse(send[0].body.toString()).data.attributes), ['sealedXhe']);

// --- Tenant B reads it in the byggnadsnamnden mailbox.
const b = await browser.newPage();
await signIn(b, 'kommun-b', SECRET_B);
await b.getByLabel('Funktionsbrevlåda').selectOption('byggnadsnamnden');
const item = b.locator('#inbox li', { hasText: subject });
await item.waitFor({ timeout: 30000 });
assert.match(await item.innerText(), /SEKRETESS/);
await item.click();
await b.locator('#reader .md', { hasText: bodyText }).waitFor();
await b.locator('#reader .md strong', { hasText: 'Viktigt:' }).waitFor();
assert.match(await b.locator('#reader').innerText(), /BN 2026\/1234/);
const [dl] = await Promise.all([b.waitForEvent('download'), b.locator('#reader a', { hasText: 'underlag.pdf' }).click()]);
const got = readFileSync(await dl.path());
assert.ok(got.equals(attachment), 'downloaded attachment equals the original');
await shot(b, '07-inbox-b');
await b.getByLabel('Funktionsbrevlåda').selectOption('registrator');
await b.locator('#inbox li', { hasText: remoteSubject }).click();
await b.locator('#reader .md', { hasText: remoteBody }).waitFor();
await b.getByLabel('Funktionsbrevlåda').selectOption('byggnadsnamnden');
await item.click();
await b.locator('#reader .md', { hasText: bodyText }).waitFor();

// Accessibility: axe-core (WCAG 2.1 A/AA rules, contrast included) finds nothing serious.
await b.evaluate(axeSource); // through CDP: the page's CSP allows no inline script
const axe = await b.evaluate(async () => (await globalThis.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })).violations
  .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })));
console.log('axe violations: ' + JSON.stringify(axe));
assert.deepEqual(axe.filter((v) => v.impact === 'serious' || v.impact === 'critical'), [], 'no serious accessibility violations');

// English switch.
await b.getByRole('button', { name: 'Switch to English' }).click();
await b.getByRole('heading', { name: 'Inbox' }).waitFor();
await b.locator('#inbox li', { hasText: 'CONFIDENTIAL' }).waitFor();
await shot(b, '08-english');

// Reply keeps the conversation.
await b.getByRole('button', { name: 'Reply' }).click();
await b.waitForFunction(() => document.querySelector('#fa').value === 'registrator' && document.querySelector('#from').value === 'byggnadsnamnden');
assert.match(await b.locator('#reply-note').innerText(), /Reply to/);
await shot(b, '09-reply');

// Keyboard: the sign-in form is reachable and usable by Tab/Enter only.
const k = await browser.newPage();
await k.goto(BASE + '/');
await k.keyboard.press('Tab'); await k.keyboard.press('Tab');
await k.keyboard.type('kommun-a'); await k.keyboard.press('Tab'); await k.keyboard.type(SECRET_A); await k.keyboard.press('Enter');
await k.locator('#app').waitFor();

// bigMessage (in B's page, through the page's worker): B's key loaded and an SDK message to B
// with one random attachment of raw bytes, the shape of core/o2o's BenchmarkSeal/BenchmarkOpen.
const pemB = readFileSync(keyB, 'utf8') + readFileSync(join(PKI, 'org-b.cert.pem'), 'utf8');
await b.evaluate(({ pemB }) => {
  globalThis.bigMessage = async (raw) => {
    const { load } = await import('/web/brevduva.js');
    const w = await load(); // every call crosses postMessage, as the page's do
    const kb = await w.loadKey(pemB);
    const big = new Uint8Array(raw); for (let i = 0; i < raw; i += 65536) crypto.getRandomValues(big.subarray(i, Math.min(raw, i + 65536)));
    const msg = { MessageID: crypto.randomUUID(), ConversationID: crypto.randomUUID(), Label: 'bench', Sender: { ID: '0203:kommun-b.brevduva.localhost', Label: 'B' },
      Recipient: { ID: '0203:kommun-b.brevduva.localhost', Label: 'B', Attention: { FunctionAddress: 'registrator' } },
      Documents: [{ DocumentID: 'd1', Index: '1', Files: [{ FileName: 'a.pdf', ContentType: 'application/pdf' }] }] };
    return { w, cert: kb.pem, xml: await w.build(JSON.stringify(msg), [big]) };
  };
}, { pemB });

// Off the main thread: while the worker seals a 3 MB message the page keeps running
// tasks (a seal on the main thread would block them all until it returned).
const ticks = await b.evaluate(async () => {
  const { w, cert, xml } = await globalThis.bigMessage(3_000_000);
  let ticks = 0, done = false;
  const sealed = w.seal(xml, cert, 'registrator').then(() => { done = true; });
  while (!done) { await new Promise((r) => setTimeout(r, 0)); ticks++; }
  await sealed;
  return ticks;
});
console.log(`main-thread tasks while the worker sealed 3 MB: ${ticks}`);
assert.ok(ticks > 1, 'the page ran tasks while sealing');

// Benchmark (BENCH=1): seal and open SDK messages of about 1 MB and 30 MB (one random
// attachment, the shape of core/o2o's BenchmarkSeal/BenchmarkOpen) in Chromium, with B's key.
if (process.env.BENCH) {
  for (const [name, raw, n] of [['1MB', 747_000, 5], ['30MB', 22_497_000, 1]]) {
    const r = await b.evaluate(async ({ raw, n }) => {
      const { w, cert, xml } = await globalThis.bigMessage(raw);
      const times = async (f) => { await f(); const t = performance.now(); for (let i = 0; i < n; i++) await f(); return (performance.now() - t) / n; };
      let xhe;
      const seal = await times(async () => { xhe = await w.seal(xml, cert, 'registrator'); });
      const open = await times(() => w.open(xhe, cert));
      return { seal, open, xml: xml.length, xhe: xhe.length };
    }, { raw, n });
    console.log('BENCH ' + name + ' ' + JSON.stringify(r));
  }
}

assert.deepEqual(consoleErrors.filter((e) => !/Failed to load resource/.test(e)), [], 'no console errors');
await browser.close();
console.log('ok: web client end to end in Chromium, screenshots in ' + OUT);
