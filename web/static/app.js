// Brevduva web client: plain ES module. Seals in the browser (wasm) and sends sealedXhe.
import { load } from './brevduva.js';

const T = {
  sv: { tagline:'Säker digital kommunikation', signin:'Logga in', clientId:'Klient-id', clientSecret:'Klienthemlighet', signinBtn:'Logga in',
    keyH:'Organisationens nyckel', keyHelp:'Välj organisationens O2O-nyckel och certifikat (PEM). Nyckeln stannar i webbläsarens minne och skickas aldrig.',
    keyFile:'Nyckel och certifikat (PEM)', fromFA:'Från funktionsadress', compose:'Nytt meddelande', preview:'Förhandsvisning', mdHelp:'Markdown: # rubrik, **fet**, *kursiv*, - punktlista, 1. numrerad lista.', orgSearch:'Mottagande organisation (sök)', fa:'Mottagarens funktionsadress',
    subject:'Ärende', ref:'Diarienummer (valfritt)', refShort:'Diarienummer', body:'Meddelande', conf:'Innehåller sekretess', files:'Bilagor', pSeal:'Försegling', pUp:'Uppladdning',
    send:'Försegla och skicka', outbox:'Skickat', to:'Till', status:'Status', inbox:'Inkorg', mailbox:'Funktionsbrevlåda',
    lang:'English', langLabel:'Switch to English', signedIn:'Inloggad som', keyLoaded:'Nyckel laddad', validTo:'giltig till',
    noOrg:'Välj en mottagande organisation.', noKey:'Ladda organisationens nyckel innan du skickar.', sent:'Meddelandet är förseglat och skickat.',
    confidential:'SEKRETESS', sealed:'Förseglat meddelande (öppnas med organisationens nyckel)', from:'Från', reply:'Svara', attachments:'Bilagor', empty:'Inga meddelanden.', replyTo:'Svar på',
    loginFailed:'Inloggningen misslyckades: kontrollera klient-id och hemlighet.', noFA:'Organisationen har inga funktionsadresser.',
    SCHEDULED:'Schemalagt', SUBMITTED:'Inskickat', SCHEDULED_FOR_RESEND:'Skickas igen', ACKNOWLEDGE:'Kvitterat av accesspunkten', WAITING_FOR_RECEIPT:'Väntar på kvittens', MESSAGE_EXCHANGE_ERROR:'Kunde inte levereras', ACCEPTED:'Mottaget', REJECTED:'Avvisat', ERROR:'Fel', SENT:'Skickat',
    err: { 'key-mismatch':'Nyckeln hör inte till certifikatet. Välj organisationens rätta nyckel.', 'cert-expired':'Organisationens certifikat har gått ut eller är inte giltigt ännu.',
      'key-missing':'Filen innehåller ingen privat nyckel.', 'cert-missing':'Välj även organisationens certifikat (PEM).', 'key-encrypted':'Nyckeln är lösenordsskyddad. Exportera den utan lösenord (PKCS#8).',
      'key-unreadable':'Nyckeln kunde inte läsas.', 'no-encryption-cert':'Mottagaren har inget krypteringscertifikat i CertPub. Meddelandet kan inte förseglas till den mottagaren.',
      'recipient-cert-expired':'Mottagarens krypteringscertifikat har gått ut. Meddelandet kan inte förseglas; kontakta mottagaren.',
      'smp-signature':'Mottagarens uppgifter i SMP kunde inte verifieras.', 'no-signing-cert':'Avsändaren har inget signeringscertifikat i CertPub; meddelandet kan inte verifieras.', 'rejected':'Meddelandet kunde inte öppnas eller verifieras:', 'no-key':'Ladda organisationens nyckel först.', 'invalid':'Meddelandet är inte giltigt:' } },
  en: { tagline:'Secure digital communication', signin:'Sign in', clientId:'Client id', clientSecret:'Client secret', signinBtn:'Sign in',
    keyH:"Organisation's key", keyHelp:"Choose the organisation's O2O key and certificate (PEM). The key stays in the browser's memory and is never sent.",
    keyFile:'Key and certificate (PEM)', fromFA:'From function address', compose:'New message', preview:'Preview', mdHelp:'Markdown: # heading, **bold**, *italic*, - bullet list, 1. numbered list.', orgSearch:'Recipient organisation (search)', fa:'Recipient function address',
    subject:'Subject', ref:'Reference (case) number, optional', refShort:'Reference number', body:'Message', conf:'Confidential content', files:'Attachments', pSeal:'Sealing', pUp:'Upload',
    send:'Seal and send', outbox:'Sent', to:'To', status:'Status', inbox:'Inbox', mailbox:'Function mailbox',
    lang:'Svenska', langLabel:'Byt till svenska', signedIn:'Signed in as', keyLoaded:'Key loaded', validTo:'valid to',
    noOrg:'Choose a recipient organisation.', noKey:"Load the organisation's key before sending.", sent:'The message was sealed and sent.',
    confidential:'CONFIDENTIAL', sealed:"Sealed message (opened with the organisation's key)", from:'From', reply:'Reply', attachments:'Attachments', empty:'No messages.', replyTo:'Reply to',
    loginFailed:'Sign-in failed: check the client id and secret.', noFA:'The organisation has no function addresses.',
    SCHEDULED:'Scheduled', SUBMITTED:'Submitted', SCHEDULED_FOR_RESEND:'Scheduled for resend', ACKNOWLEDGE:'Acknowledged by the access point', WAITING_FOR_RECEIPT:'Waiting for receipt', MESSAGE_EXCHANGE_ERROR:'Could not be delivered', ACCEPTED:'Accepted', REJECTED:'Rejected', ERROR:'Error', SENT:'Sent',
    err: { 'key-mismatch':"The key does not belong to the certificate. Choose the organisation's right key.", 'cert-expired':"The organisation's certificate has expired or is not yet valid.",
      'key-missing':'The file holds no private key.', 'cert-missing':"Choose the organisation's certificate (PEM) as well.", 'key-encrypted':'The key is password protected. Export it without a password (PKCS#8).',
      'key-unreadable':'The key could not be read.', 'no-encryption-cert':'The recipient has no encryption certificate in CertPub. The message cannot be sealed for that recipient.',
      'recipient-cert-expired':"The recipient's encryption certificate has expired. The message cannot be sealed; contact the recipient.",
      'smp-signature':"The recipient's SMP data could not be verified.", 'no-signing-cert':'The sender publishes no CertPub signing certificate; the message cannot be verified.', 'rejected':'The message could not be opened or verified:', 'no-key':"Load the organisation's key first.", 'invalid':'The message is not valid:' } },
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
function errText(e) { return (e && e.code && T[lang].err[e.code]) ? T[lang].err[e.code] + (e.code === 'rejected' ? ' ' + e.message : '') + ' (' + e.code + ')' : (e.message || String(e)); }
function renderWho() { if (state.tenant) $('#who').textContent = `${t('signedIn')} ${state.tenant.name} (${state.tenant.participant})`; }

async function api(path, opts = {}) {
  const r = await fetch(state.index.sdkApiBaseURL.replace(/^https?:\/\/[^/]+/, '') + path, { ...opts, headers: { Authorization: 'Bearer ' + state.token, Accept: 'application/vnd.api+json', ...(opts.headers || {}) } });
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error(problemText(body, r.status));
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
    state.token = (await r.json()).access_token;
    state.tenant = state.index.tenants.find((x) => x.clientId === id) || state.index.tenants[0];
    state.creds = { id, secret };
    $('#signin').hidden = true; $('#app').hidden = false; renderWho();
    for (const sel of ['#mailbox', '#from']) $(sel).replaceChildren(...state.tenant.functionAddresses.map((f) => el('option', { value: f.id, textContent: f.name })));
    state.wasm = await load();
    refreshOutbox(); refreshInbox();
    setInterval(() => { refreshOutbox(); refreshInbox(); }, 1500);
    setInterval(renewToken, 240000);
    $('#key-file').focus();
  } catch (e) { alertMsg(e.message); }
});
async function renewToken() {
  const r = await fetch(new URL(state.index.tokenURL).pathname, { method: 'POST', headers: { Authorization: 'Basic ' + btoa(state.creds.id + ':' + state.creds.secret), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  if (r.ok) state.token = (await r.json()).access_token;
}

$('#key-file').addEventListener('change', async (ev) => {
  alertMsg(''); $('#key-status').textContent = '';
  try {
    const text = (await Promise.all([...ev.target.files].map((f) => f.text()))).join('\n');
    state.key = state.wasm.loadKey(text);
    $('#key-status').textContent = `${t('keyLoaded')}: ${state.key.subject}, ${t('validTo')} ${state.key.notAfter.slice(0, 10)}`;
  } catch (e) { state.key = null; alertMsg(errText(e)); }
});

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
  return state.wasm.recipientCert(new Uint8Array(await r.arrayBuffer()), state.config.smpRootsPEM, use);
}

const b64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000)); return btoa(s); };

$('#compose').addEventListener('submit', async (ev) => {
  ev.preventDefault(); alertMsg('');
  const pSeal = $('#p-seal'), pUp = $('#p-up'); pSeal.value = 0; pUp.value = 0;
  if (!state.org) return alertMsg(t('noOrg'));
  if (!state.key) return alertMsg(t('noKey'));
  $('#send').disabled = true;
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
    await tick();
    const xml = state.wasm.build(JSON.stringify(msg), bytes); pSeal.value = 50;
    const vs = state.wasm.validate(xml);
    if (vs.length) { const e = new Error(T[lang].err.invalid + ' ' + vs.map((v) => `${v.rule} ${v.location}: ${v.text}`).join('; ')); throw e; }
    await tick();
    const xhe = state.wasm.seal(xml, rc.pem, fa); pSeal.value = 100;
    await tick();
    const body = JSON.stringify({ data: { type: 'messages', attributes: { sealedXhe: b64(xhe) } } });
    const res = await upload(state.index.sdkApiBaseURL.replace(/^https?:\/\/[^/]+/, '') + '/sdk/messages', body, (p) => { pUp.value = p; });
    const id = res.data?.id || res.data?.attributes?.messageId || msg.MessageID;
    state.sent[id] = { subject: msg.Label, to: `${state.org.name} / ${fa}` };
    sessionStorage.setItem('brevduva.sent', JSON.stringify(state.sent));
    alertMsg(t('sent'), true);
    state.reply = null; $('#reply-note').hidden = true;
    $('#subject').value = ''; $('#body').value = ''; $('#files').value = ''; $('#ref').value = ''; $('#conf').checked = false;
    refreshOutbox();
  } catch (e) { alertMsg(errText(e)); } finally { $('#send').disabled = false; }
});
const tick = () => new Promise((r) => setTimeout(r, 0));
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

async function refreshOutbox() {
  if (!state.token) return;
  try {
    const r = await api('/sdk/messages?page%5Bsize%5D=50');
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
  const o = state.wasm.open(new Uint8Array(await r.arrayBuffer()), sc.pem);
  const m = JSON.parse(o.message);
  return { ...a, label: m.Label, confidentiality: m.Confidentiality, conversationId: m.ConversationID, messageId: m.MessageID,
    senderAttention: m.Sender?.Attention?.FunctionAddress ? { subOrganization: { extension: m.Sender.Attention.FunctionAddress } } : undefined,
    recipientAttention: { referenceId: (m.Recipient?.Attention?.References || []).map((x) => ({ extension: x.ReferenceID.Extension })) },
    digitalDocument: (m.Documents || []).map((d) => ({ contentTextBody: d.Texts || [], contentFiles: (d.Files || []).map((f) => ({ fileName: f.FileName, contentType: f.ContentType, content: f.Content })) })) };
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
