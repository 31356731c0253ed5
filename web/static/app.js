// Brevduva web client: plain ES module. Seals in the browser (wasm) and sends sealedXhe.
import { load } from './brevduva.js';
import { tokenClaims, mountSignIn, finishSignIn, watchExpiry, mailboxes, authText } from './auth.js';

const T = {
  sv: { tagline:'Säker digital kommunikation', signin:'Logga in', clientId:'Klient-id', clientSecret:'Klienthemlighet', signinBtn:'Logga in',
    keyH:'Organisationens nyckel', keyHelp:'Välj organisationens O2O-nyckel och certifikat (PEM, eller PKCS#12 .p12/.pfx med lösenord). Nyckeln stannar i webbläsarens minne och skickas aldrig.',
    keyFile:'Nyckel och certifikat (PEM eller PKCS#12)', keyPassword:'Lösenord (PKCS#12)', keyMode:'Signera med', modeBrowser:'nyckel i webbläsaren', modeServer:'organisationens nyckel på servern',
    serverKey:'Servern signerar med organisationens nyckel; meddelandet förseglas ändå här i webbläsaren.', fromFA:'Från funktionsadress', compose:'Nytt meddelande', preview:'Förhandsvisning', mdHelp:'Markdown: # rubrik, **fet**, *kursiv*, - punktlista, 1. numrerad lista.', orgSearch:'Mottagande organisation (sök)', fa:'Mottagarens funktionsadress',
    subject:'Ärende', ref:'Diarienummer (valfritt)', refShort:'Diarienummer', body:'Meddelande', conf:'Innehåller sekretess', files:'Bilagor', pSeal:'Försegling', pUp:'Uppladdning',
    send:'Försegla och skicka', outbox:'Skickat', to:'Till', status:'Status', inbox:'Inkorg', mailbox:'Funktionsbrevlåda',
    lang:'English', langLabel:'Switch to English', signedIn:'Inloggad som', keyLoaded:'Nyckel laddad', validTo:'giltig till',
    noOrg:'Välj en mottagande organisation.', noKey:'Ladda organisationens nyckel innan du skickar.', sent:'Meddelandet är förseglat och skickat.',
    confidential:'SEKRETESS', sealed:'Förseglat meddelande (öppnas med organisationens nyckel)', from:'Från', reply:'Svara', attachments:'Bilagor', empty:'Inga meddelanden.', replyTo:'Svar på',
    loginFailed:'Inloggningen misslyckades: kontrollera klient-id och hemlighet.', noFA:'Organisationen har inga funktionsadresser.',
    SCHEDULED:'Schemalagt', SUBMITTED:'Inskickat', SCHEDULED_FOR_RESEND:'Skickas igen', ACKNOWLEDGE:'Kvitterat av accesspunkten', WAITING_FOR_RECEIPT:'Väntar på kvittens', MESSAGE_EXCHANGE_ERROR:'Kunde inte levereras', ACCEPTED:'Mottaget', REJECTED:'Avvisat', ERROR:'Fel', SENT:'Skickat',
    err: { 'key-mismatch':'Nyckeln hör inte till certifikatet. Välj organisationens rätta nyckel.', 'cert-expired':'Organisationens certifikat har gått ut eller är inte giltigt ännu.',
      'key-missing':'Filen innehåller ingen privat nyckel.', 'cert-missing':'Välj även organisationens certifikat (PEM).', 'key-encrypted':'Nyckeln är lösenordsskyddad. Exportera den utan lösenord (PKCS#8).',
      'key-unreadable':'Nyckeln kunde inte läsas.', 'pkcs12-password':'Lösenordet öppnar inte PKCS#12-filen. Kontrollera lösenordet.', 'pkcs12-unreadable':'PKCS#12-filen kunde inte läsas.',
      'remote-signer':'Servern kunde inte signera meddelandet:',
      'no-server-key':'Organisationens nyckel finns inte på servern. Välj ”nyckel i webbläsaren” och ladda nyckeln.', 'no-sign-scope':'Inloggningen får inte använda serverns signering (behörigheten urn:brevduva:api:sign saknas).', 'no-encryption-cert':'Mottagaren har inget krypteringscertifikat i CertPub. Meddelandet kan inte förseglas till den mottagaren.',
      'recipient-cert-expired':'Mottagarens krypteringscertifikat har gått ut. Meddelandet kan inte förseglas; kontakta mottagaren.',
      'smp-signature':'Mottagarens uppgifter i SMP kunde inte verifieras.', 'no-signing-cert':'Avsändaren har inget signeringscertifikat i CertPub; meddelandet kan inte verifieras.', 'rejected':'Meddelandet kunde inte öppnas eller verifieras:', 'no-key':'Ladda organisationens nyckel först.', 'invalid':'Meddelandet är inte giltigt:', 'kvittens':'Kvittensen kunde inte skickas:' } },
  en: { tagline:'Secure digital communication', signin:'Sign in', clientId:'Client id', clientSecret:'Client secret', signinBtn:'Sign in',
    keyH:"Organisation's key", keyHelp:"Choose the organisation's O2O key and certificate (PEM, or PKCS#12 .p12/.pfx with its password). The key stays in the browser's memory and is never sent.",
    keyFile:'Key and certificate (PEM or PKCS#12)', keyPassword:'Password (PKCS#12)', keyMode:'Sign with', modeBrowser:'key in the browser', modeServer:"the organisation's key on the server",
    serverKey:"The server signs with the organisation's key; the message is still sealed here in the browser.", fromFA:'From function address', compose:'New message', preview:'Preview', mdHelp:'Markdown: # heading, **bold**, *italic*, - bullet list, 1. numbered list.', orgSearch:'Recipient organisation (search)', fa:'Recipient function address',
    subject:'Subject', ref:'Reference (case) number, optional', refShort:'Reference number', body:'Message', conf:'Confidential content', files:'Attachments', pSeal:'Sealing', pUp:'Upload',
    send:'Seal and send', outbox:'Sent', to:'To', status:'Status', inbox:'Inbox', mailbox:'Function mailbox',
    lang:'Svenska', langLabel:'Byt till svenska', signedIn:'Signed in as', keyLoaded:'Key loaded', validTo:'valid to',
    noOrg:'Choose a recipient organisation.', noKey:"Load the organisation's key before sending.", sent:'The message was sealed and sent.',
    confidential:'CONFIDENTIAL', sealed:"Sealed message (opened with the organisation's key)", from:'From', reply:'Reply', attachments:'Attachments', empty:'No messages.', replyTo:'Reply to',
    loginFailed:'Sign-in failed: check the client id and secret.', noFA:'The organisation has no function addresses.',
    SCHEDULED:'Scheduled', SUBMITTED:'Submitted', SCHEDULED_FOR_RESEND:'Scheduled for resend', ACKNOWLEDGE:'Acknowledged by the access point', WAITING_FOR_RECEIPT:'Waiting for receipt', MESSAGE_EXCHANGE_ERROR:'Could not be delivered', ACCEPTED:'Accepted', REJECTED:'Rejected', ERROR:'Error', SENT:'Sent',
    err: { 'key-mismatch':"The key does not belong to the certificate. Choose the organisation's right key.", 'cert-expired':"The organisation's certificate has expired or is not yet valid.",
      'key-missing':'The file holds no private key.', 'cert-missing':"Choose the organisation's certificate (PEM) as well.", 'key-encrypted':'The key is password protected. Export it without a password (PKCS#8).',
      'key-unreadable':'The key could not be read.', 'pkcs12-password':'The password does not open the PKCS#12 file. Check the password.', 'pkcs12-unreadable':'The PKCS#12 file could not be read.',
      'remote-signer':'The server could not sign the message:',
      'no-server-key':"The organisation's key is not on the server. Choose “key in the browser” and load the key.", 'no-sign-scope':'This sign-in may not use the server signer (the scope urn:brevduva:api:sign is missing).', 'no-encryption-cert':'The recipient has no encryption certificate in CertPub. The message cannot be sealed for that recipient.',
      'recipient-cert-expired':"The recipient's encryption certificate has expired. The message cannot be sealed; contact the recipient.",
      'smp-signature':"The recipient's SMP data could not be verified.", 'no-signing-cert':'The sender publishes no CertPub signing certificate; the message cannot be verified.', 'rejected':'The message could not be opened or verified:', 'no-key':"Load the organisation's key first.", 'invalid':'The message is not valid:', 'kvittens':'The kvittens could not be sent:' } },
};
let lang = localStorage.getItem('brevduva.lang') || 'sv';
const t = (k) => T[lang][k] ?? k;
const $ = (s) => document.querySelector(s);
const el = (tag, props = {}, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

const state = { token: null, tenant: null, index: null, config: null, wasm: null, org: null, key: null, sent: JSON.parse(sessionStorage.getItem('brevduva.sent') || '{}'), reply: null };

function applyLang() {
  document.documentElement.lang = lang;
  for (const n of document.querySelectorAll('[data-t]')) n.textContent = t(n.dataset.t);
  $('#lang').textContent = t('lang'); $('#lang').setAttribute('aria-label', t('langLabel'));
  renderWho(); refreshOutbox(); refreshInbox();
  if (state.open) openMessage(...state.open);
}
function alertMsg(text, ok = false) { const a = $('#alert'); a.textContent = text; a.hidden = !text; a.classList.toggle('ok', ok); }
function errText(e) { return (e && e.code && T[lang].err[e.code]) ? T[lang].err[e.code] + (e.code === 'rejected' || e.code === 'remote-signer' || e.code === 'kvittens' ? ' ' + e.message : '') + ' (' + e.code + ')' : (e.message || String(e)); }
function renderWho() { if (state.tenant) $('#who').textContent = `${t('signedIn')} ${state.tenant.name} (${state.tenant.participant})`; }

async function api(path, opts = {}) {
  const r = await fetch(state.index.sdkApiBaseURL.replace(/^https?:\/\/[^/]+/, '') + path, { ...opts, headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/vnd.api+json', ...(opts.headers || {}) } });
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (r.status === 401 && state.config?.oidc) expired();
  if (!r.ok) throw Object.assign(new Error(problemText(body, r.status)), { status: r.status });
  return body;
}
function problemText(b, status) {
  if (b && typeof b === 'object') return [b.title, b.detail, ...(b.eventIssues || []).map((i) => i.description || i.detail || JSON.stringify(i))].filter(Boolean).join(' — ') || 'HTTP ' + status;
  return `HTTP ${status}: ${b}`;
}

$('#lang').addEventListener('click', () => { lang = lang === 'sv' ? 'en' : 'sv'; localStorage.setItem('brevduva.lang', lang); applyLang(); });

$('#signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault(); alertMsg('');
  const id = $('#client-id').value.trim(), secret = $('#client-secret').value;
  try {
    state.index = state.index || await (await fetch('/', { headers: { Accept: 'application/json' } })).json();
    state.config = state.config || await (await fetch('/web/config.json')).json();
    const r = await fetch(new URL(state.index.tokenURL).pathname, { method: 'POST', headers: { Authorization: 'Basic ' + btoa(id + ':' + secret), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    if (!r.ok) throw new Error(t('loginFailed'));
    const token = (await r.json()).access_token;
    state.creds = { id, secret };
    await enter({ token, claims: tokenClaims(token) }, id);
    setInterval(renewToken, 240000);
  } catch (e) { alertMsg(e.message); }
});
// enter shows the app for a session ({token, claims, expiresAt?}; auth.js): the tenant
// of the token, and only the mailboxes of the function addresses it may read.
async function enter(session, clientId) {
  state.index = state.index || await (await fetch('/', { headers: { Accept: 'application/json' } })).json();
  state.token = session.token;
  const oidc = state.config.oidc, tenantId = session.claims?.[oidc ? oidc.tenantClaim : 'tnt'];
  state.tenant = state.index.tenants.find((x) => x.id === tenantId) || state.index.tenants.find((x) => x.clientId === clientId) || state.index.tenants[0];
  $('#signin').hidden = true; $('#app').hidden = false; renderWho();
  const fas = mailboxes(state.tenant.functionAddresses, session.claims, oidc ? oidc.functionAddressesClaim : 'fas', !!oidc?.functionAddressesClaim);
  for (const sel of ['#mailbox', '#from']) $(sel).replaceChildren(...fas.map((f) => el('option', { value: f.id, textContent: f.name })));
  state.stopExpiry?.();
  if (session.expiresAt) state.stopExpiry = watchExpiry(session.expiresAt, expired);
  if (!state.wasm) {
    state.wasm = await load();
    setInterval(() => { refreshOutbox(); refreshInbox(); }, 1500);
  }
  refreshOutbox(); refreshInbox();
  $('#key-file').focus();
}
// expired: the token's lifetime is over (or the API refused it): sign in again. The
// loaded key stays in memory; the token is dropped.
function expired() {
  if (!state.token) return;
  state.token = null; state.stopExpiry?.();
  $('#app').hidden = true; $('#signin').hidden = false; $('#who').textContent = ''; alertMsg(authText('expired'));
}
async function renewToken() {
  const r = await fetch(new URL(state.index.tokenURL).pathname, { method: 'POST', headers: { Authorization: 'Basic ' + btoa(state.creds.id + ':' + state.creds.secret), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  if (r.ok) state.token = (await r.json()).access_token;
}

// The key is read here and handed to the wasm worker; it is never uploaded. A .p12/.pfx
// file is PKCS#12 (opened with the password field), anything else PEM text.
async function loadKeyFiles() {
  const files = [...$('#key-file').files];
  if (!files.length) return;
  alertMsg(''); $('#key-status').textContent = '';
  try {
    const p12 = files.find((f) => /\.(p12|pfx)$/i.test(f.name));
    state.key = p12 ? await state.wasm.loadPKCS12(new Uint8Array(await p12.arrayBuffer()), $('#key-password').value)
      : await state.wasm.loadKey((await Promise.all(files.map((f) => f.text()))).join('\n'));
    $('#key-status').textContent = `${t('keyLoaded')}: ${state.key.subject}, ${t('validTo')} ${state.key.notAfter.slice(0, 10)}`;
  } catch (e) { state.key = null; alertMsg(errText(e)); }
}
$('#key-file').addEventListener('change', loadKeyFiles);
$('#key-password').addEventListener('change', loadKeyFiles);
for (const r of document.querySelectorAll('input[name="key-mode"]')) r.addEventListener('change', keyMode);
function keyMode() {
  const server = $('#mode-server').checked;
  $('#browser-key').hidden = server; $('#server-key').hidden = !server;
}
const remote = () => $('#mode-server').checked;

// The remote signer: the server signs only the SignedInfo digest with the organisation's
// key (POST /sdk/signatures, core/sdkapi); it never sees the message.
const digestURIs = { 'SHA-256': 'http://www.w3.org/2001/04/xmlenc#sha256', 'SHA-512': 'http://www.w3.org/2001/04/xmlenc#sha512' };
// A refusal is remembered with its own code (signFailure): across the worker only its text
// survives.
let signFailure = null;
const serverSign = (messageId) => async (digest, hash) => {
  try {
    const r = await api('/sdk/signatures', { method: 'POST', headers: { 'Content-Type': 'application/vnd.api+json' },
      body: JSON.stringify({ data: { type: 'signatures', attributes: { messageId, digestAlgorithm: digestURIs[hash], digestValue: b64(digest) } } }) });
    return Uint8Array.from(atob(r.data.attributes.signatureValue), (c) => c.charCodeAt(0));
  } catch (e) {
    signFailure = e; if (e.status === 404) e.code = 'no-server-key'; else if (e.status === 403) e.code = 'no-sign-scope';
    throw e;
  }
};

// Address book search (the server folds å/ä/ö).
let searchTimer;
$('#org-search').addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(searchOrgs, 200); });
$('#org-search').addEventListener('keydown', (ev) => { if (ev.key === 'ArrowDown') { ev.preventDefault(); $('#org-results li')?.focus(); } });
async function searchOrgs() {
  const q = $('#org-search').value.trim(); const ul = $('#org-results');
  if (!q) { ul.replaceChildren(); return; }
  const r = await (await fetch('/addressbook/api/organizations?filter%5Bname%5D=' + encodeURIComponent(q))).json();
  ul.replaceChildren(...(r.data || []).map((o) => {
    const li = el('li', { tabIndex: 0, textContent: `${o.attributes.name} (${o.attributes.participantIdentifier})` });
    li.setAttribute('role', 'option');
    const pick = () => chooseOrg({ name: o.attributes.name, participant: o.attributes.participantIdentifier });
    li.addEventListener('click', pick);
    li.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); pick(); }
      if (ev.key === 'ArrowDown') { ev.preventDefault(); li.nextElementSibling?.focus(); }
      if (ev.key === 'ArrowUp') { ev.preventDefault(); (li.previousElementSibling || $('#org-search')).focus(); }
    });
    return li;
  }));
}
async function chooseOrg(org, fa) {
  state.org = org; $('#org-results').replaceChildren(); $('#org-search').value = org.name;
  $('#org-chosen').textContent = `${t('to')}: ${org.name} — ${org.participant}`;
  const r = await (await fetch('/addressbook/api/addresses?filter%5BparticipantIdentifier%5D=' + encodeURIComponent(org.participant))).json();
  const opts = (r.data || []).map((a) => el('option', { value: a.attributes.identifier, textContent: a.attributes.name }));
  $('#fa').replaceChildren(...opts);
  if (!opts.length) alertMsg(t('noFA'));
  if (fa) $('#fa').value = fa;
  $('#fa').focus();
}

async function recipientCert(participant, use) {
  const doc = 'busdox-docid-qns::urn:riv:infrastructure:messaging:MessageWithAttachments:3::messagePayload##3.0::tm-base-ext-sigenc';
  const u = state.config.smpPath + encodeURIComponent('iso6523-actorid-upis::' + participant) + '/services/' + encodeURIComponent(doc);
  const r = await fetch(u);
  if (!r.ok) { const e = new Error('SMP ' + r.status); e.code = 'no-encryption-cert'; throw e; }
  return await state.wasm.recipientCert(new Uint8Array(await r.arrayBuffer()), state.config.smpRootsPEM, use);
}

const b64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000)); return btoa(s); };

$('#compose').addEventListener('submit', async (ev) => {
  ev.preventDefault(); alertMsg('');
  const pSeal = $('#p-seal'), pUp = $('#p-up'); pSeal.value = 0; pUp.value = 0;
  if (!state.org) return alertMsg(t('noOrg'));
  if (!state.key && !remote()) return alertMsg(t('noKey'));
  $('#send').disabled = true; signFailure = null;
  try {
    const files = [...$('#files').files];
    const bytes = [];
    for (const [i, f] of files.entries()) { bytes.push(new Uint8Array(await f.arrayBuffer())); pSeal.value = 5 + 25 * (i + 1) / files.length; }
    const rc = await recipientCert(state.org.participant); pSeal.value = 35;
    const fa = $('#fa').value, ref = $('#ref').value.trim();
    const msg = {
      MessageID: crypto.randomUUID(), ConversationID: state.reply?.conversationId || crypto.randomUUID(), RefToMessageID: state.reply?.messageId || '',
      Label: $('#subject').value, Confidentiality: $('#conf').checked,
      Sender: { ID: state.tenant.participant, Label: state.tenant.name, Attention: { FunctionAddress: $('#from').value } },
      Recipient: { ID: state.org.participant, Label: state.org.name, Attention: { FunctionAddress: fa, References: ref ? [{ ReferenceID: { Root: 'diarienummer', Extension: ref }, Label: 'Diarienummer' }] : null } },
      Documents: [{ DocumentID: crypto.randomUUID(), DocumentName: $('#subject').value, Index: '1', Texts: [$('#body').value],
        Files: files.map((f) => ({ FileName: f.name, ContentType: f.type || 'application/octet-stream' })) }],
    };
    const xml = await state.wasm.build(JSON.stringify(msg), bytes); pSeal.value = 50;
    const vs = await state.wasm.validate(xml); pSeal.value = 60;
    if (vs.length) { const e = new Error(T[lang].err.invalid + ' ' + vs.map((v) => `${v.rule} ${v.location}: ${v.text}`).join('; ')); throw e; }
    pSeal.removeAttribute('value'); // sealing runs in the worker: indeterminate until it is done
    const xhe = remote()
      ? await state.wasm.sealRemote(xml, (await recipientCert(state.tenant.participant, 'signing')).pem, rc.pem, fa, serverSign(msg.MessageID))
      : await state.wasm.seal(xml, rc.pem, fa);
    pSeal.value = 100;
    const body = JSON.stringify({ data: { type: 'messages', attributes: { sealedXhe: b64(xhe) } } });
    const res = await upload(state.index.sdkApiBaseURL.replace(/^https?:\/\/[^/]+/, '') + '/sdk/messages', body, (p) => { pUp.value = p; });
    const id = res.data?.id || res.data?.attributes?.messageId || msg.MessageID;
    state.sent[id] = { subject: msg.Label, to: `${state.org.name} / ${fa}` };
    sessionStorage.setItem('brevduva.sent', JSON.stringify(state.sent));
    alertMsg(t('sent'), true);
    state.reply = null; $('#reply-note').hidden = true;
    $('#subject').value = ''; $('#body').value = ''; $('#files').value = ''; $('#ref').value = ''; $('#conf').checked = false;
    refreshOutbox();
  } catch (e) {
    pSeal.value = 0; pUp.value = 0;
    alertMsg(errText(e.code === 'remote-signer' && signFailure?.code ? signFailure : e));
  } finally { $('#send').disabled = false; signFailure = null; }
});
function upload(url, body, progress) {
  return new Promise((ok, bad) => {
    const x = new XMLHttpRequest();
    x.open('POST', url); x.setRequestHeader('Authorization', 'Bearer ' + state.token);
    x.setRequestHeader('Content-Type', 'application/vnd.api+json'); x.setRequestHeader('Accept', 'application/vnd.api+json');
    x.upload.onprogress = (e) => { if (e.lengthComputable) progress(100 * e.loaded / e.total); };
    x.onload = () => { progress(100); let b; try { b = JSON.parse(x.responseText); } catch { b = x.responseText; } x.status < 300 ? ok(b) : bad(new Error(problemText(b, x.status))); };
    x.onerror = () => bad(new Error('network error'));
    x.send(body);
  });
}

// unchanged reports whether node already shows data (in this language); polling then leaves
// the list alone, so focus, a pending click and the screen reader's place are kept.
function unchanged(node, data) {
  const key = lang + JSON.stringify(data);
  if (node.dataset.shown === key) return true;
  node.dataset.shown = key; return false;
}

async function refreshOutbox() {
  if (!state.token) return;
  try {
    const r = await api('/sdk/messages?page%5Bsize%5D=50');
    if (unchanged($('#outbox tbody'), r.data)) return;
    const rows = (r.data || []).map((m) => {
      const a = m.attributes, mine = state.sent[m.id] || state.sent[a.messageId] || {};
      const last = (a.events || []).at(-1) || {};
      const st = a.messageStatus || last.messageStatus;
      const reason = (a.events || []).map((e) => e.reason).filter(Boolean).at(-1);
      return el('tr', {}, el('td', { textContent: mine.subject || a.label || a.messageId }), el('td', { textContent: mine.to || a.recipient }),
        el('td', { className: 'st-' + st, textContent: t(st) + (reason ? ' — ' + reason : '') }));
    });
    $('#outbox tbody').replaceChildren(...rows);
  } catch (e) { /* polling: keep the last view */ }
}

async function refreshInbox() {
  if (!state.token) return;
  const fa = $('#mailbox').value; if (!fa) return;
  try {
    const r = await api(`/sdk/mailboxes/${encodeURIComponent(fa)}/messages`);
    if (unchanged($('#inbox'), [fa, r.data])) return;
    const items = (r.data || []).map((m) => {
      const a = m.attributes;
      const li = el('li', { tabIndex: 0, className: a.mailbox?.readDateTime ? '' : 'unread' });
      if (a.confidentiality) li.append(el('span', { className: 'conf', textContent: t('confidential') }));
      li.append(`${a.label || (a.mailbox?.sealed ? t('sealed') : '(—)')} — ${t('from')} ${a.sender}`);
      const openIt = () => openMessage(fa, m.id);
      li.addEventListener('click', openIt); li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') openIt(); });
      return li;
    });
    $('#inbox').replaceChildren(...(items.length ? items : [el('li', { textContent: t('empty') })]));
  } catch (e) { /* polling */ }
}
$('#mailbox').addEventListener('change', refreshInbox);

async function openMessage(fa, id) {
  state.open = [fa, id];
  try {
    const r = await api(`/sdk/mailboxes/${encodeURIComponent(fa)}/messages/${encodeURIComponent(id)}`);
    let a = r.data.attributes;
    const art = $('#reader');
    if (a.mailbox?.sealed) a = await openSealed(fa, id, a);
    art.replaceChildren();
    const h = el('h3', {});
    if (a.confidentiality) h.append(el('span', { className: 'conf', textContent: t('confidential') }));
    h.append(a.label || '');
    art.append(h, el('p', { textContent: `${t('from')}: ${a.sender}${a.senderAttention?.subOrganization ? ' / ' + a.senderAttention.subOrganization.extension : ''}` }));
    for (const ref of a.recipientAttention?.referenceId || []) art.append(el('p', { textContent: `${t('refShort')}: ${ref.extension}` }));
    for (const d of a.digitalDocument || []) {
      for (const tx of d.contentTextBody || []) { const div = el('div', { className: 'md' }); div.append(markdown(tx)); art.append(div); }
      if (d.contentFiles?.length) {
        art.append(el('h4', { textContent: t('attachments') }));
        const ul = el('ul');
        for (const f of d.contentFiles) {
          const bin = Uint8Array.from(atob(f.content), (c) => c.charCodeAt(0));
          const url = URL.createObjectURL(new Blob([bin], { type: f.contentType }));
          ul.append(el('li', {}, el('a', { href: url, download: f.fileName, textContent: `${f.fileName} (${bin.length} B)` })));
        }
        art.append(ul);
      }
    }
    const btn = el('button', { type: 'button', textContent: t('reply') });
    btn.addEventListener('click', () => startReply(a, fa));
    art.append(btn);
    art.hidden = false; art.focus();
    api(`/sdk/mailboxes/${encodeURIComponent(fa)}/messages/${encodeURIComponent(id)}/read`, { method: 'POST' }).catch(() => {});
  } catch (e) { alertMsg(errText(e)); }
}

// End-to-end mode: the access point kept the sealed XHE; open it here with the loaded key,
// verifying the signature against the sender's CertPub signing certificate.
async function openSealed(fa, id, a) {
  if (!state.key) { const e = new Error('no key'); e.code = 'no-key'; throw e; }
  const r = await fetch(state.index.sdkApiBaseURL.replace(/^https?:\/\/[^/]+/, '') + `/sdk/mailboxes/${encodeURIComponent(fa)}/messages/${encodeURIComponent(id)}`,
    { headers: { Authorization: 'Bearer ' + state.token, Accept: 'text/xml' } });
  if (!r.ok) throw new Error('HTTP ' + r.status);
  const sc = await recipientCert(a.sender, 'signing');
  const o = await state.wasm.openWithKvittens(new Uint8Array(await r.arrayBuffer()), sc.pem);
  await sendKvittens(fa, id, o.kvittens);
  if (!o.opened) throw Object.assign(new Error(o.error.message), { code: o.error.code });
  const m = JSON.parse(o.message);
  return { ...a, label: m.Label, confidentiality: m.Confidentiality, conversationId: m.ConversationID, messageId: m.MessageID,
    senderAttention: m.Sender?.Attention?.FunctionAddress ? { subOrganization: { extension: m.Sender.Attention.FunctionAddress } } : undefined,
    recipientAttention: { referenceId: (m.Recipient?.Attention?.References || []).map((x) => ({ extension: x.ReferenceID.Extension })) },
    digitalDocument: (m.Documents || []).map((d) => ({ contentTextBody: d.Texts || [], contentFiles: (d.Files || []).map((f) => ({ fileName: f.FileName, contentType: f.ContentType, content: f.Content })) })) };
}

// The Meddelandekvittens the worker sealed on opening (ACCEPTED, or REJECTED with the
// reason): the access point checks and sends it to the sender (wasm/README.md). Opening
// again makes another one; the access point answers 409 (one kvittens per message), which
// means it was sent already.
async function sendKvittens(fa, id, xhe) {
  const body = JSON.stringify({ data: { type: 'messages', attributes: { sealedXhe: b64(xhe) } } });
  try {
    await api(`/sdk/mailboxes/${encodeURIComponent(fa)}/messages/${encodeURIComponent(id)}/kvittens`, { method: 'POST', headers: { 'Content-Type': 'application/vnd.api+json' }, body });
  } catch (e) {
    if (e.status !== 409) throw Object.assign(new Error(e.message), { code: 'kvittens' });
  }
}

async function startReply(a, fa) {
  state.reply = { conversationId: a.conversationId, messageId: a.messageId };
  $('#from').value = fa;
  const r = await (await fetch('/addressbook/api/organizations?filter%5BparticipantIdentifier%5D=' + encodeURIComponent(a.sender))).json().catch(() => ({}));
  const name = r.data?.[0]?.attributes?.name || a.sender;
  await chooseOrg({ name, participant: a.sender }, a.senderAttention?.subOrganization?.extension);
  $('#subject').value = (a.label?.startsWith('Sv:') ? '' : 'Sv: ') + (a.label || '');
  const note = $('#reply-note'); note.textContent = `${t('replyTo')} ${a.messageId}`; note.hidden = false;
  $('#body').focus();
}

// Preview of the Markdown subset: headings, paragraphs, bullet and numbered lists, bold and
// italic. Built with DOM nodes only (never innerHTML), so the text cannot inject markup.
function inline(text) {
  const out = []; const re = /(\*\*[^*]+\*\*|\*[^*]+\*)/g; let last = 0, m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[0].startsWith('**') ? el('strong', { textContent: m[0].slice(2, -2) }) : el('em', { textContent: m[0].slice(1, -1) }));
    last = re.lastIndex;
  }
  out.push(text.slice(last)); return out;
}
function markdown(src) {
  const root = document.createDocumentFragment(); let list = null, para = null;
  for (const line of src.split(/\r?\n/)) {
    let m;
    if (!line.trim()) { list = para = null; continue; }
    if ((m = /^(#{1,3})\s+(.*)$/.exec(line))) { list = para = null; root.append(el('h' + (m[1].length + 3), {}, ...inline(m[2]))); continue; }
    if ((m = /^\s*(?:([-*])|(\d+)\.)\s+(.*)$/.exec(line))) {
      const tag = m[1] ? 'ul' : 'ol';
      if (!list || list.tagName.toLowerCase() !== tag) { list = el(tag); root.append(list); }
      para = null; list.append(el('li', {}, ...inline(m[3]))); continue;
    }
    list = null;
    if (!para) { para = el('p'); root.append(para); } else para.append(el('br'));
    para.append(...inline(line));
  }
  return root;
}
$('#body').addEventListener('input', () => $('#preview').replaceChildren(markdown($('#body').value)));

applyLang();
// OIDC mode (config.json "oidc"): the provider's sign-in instead of client credentials;
// a return from the provider completes here (auth.js).
(async () => {
  state.config = state.config || await (await fetch('/web/config.json')).json();
  if (!state.config.oidc) return;
  mountSignIn(state.config.oidc, (e) => alertMsg(e.message));
  const session = await finishSignIn(state.config.oidc);
  if (session) await enter(session);
})().catch((e) => alertMsg(e.message));
