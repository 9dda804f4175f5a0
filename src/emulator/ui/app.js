// The emulator's web inspector: plain JavaScript over the control API (GET /_emulator/world,
// /conversations, /timeline; POST /user/*, /inbox/*, /roles, /default_app, /clock/advance,
// /deliveries/redeliver). It polls for changes; every text it shows goes in as textContent.
'use strict';

const POLL_MS = 600;
const MAX_ENTRIES = 3000;
const state = {
  world: null, conversations: [], entries: [], lastSeq: 0,
  // Where the last conversations poll left off: the next one fetches only what changed.
  cursor: null,
  page: '', user: '', localUsers: {}, open: new Set(), listKey: '', chatKey: '', ownerKey: '',
  adminKey: '',
};
const PALETTE = ['#0866ff', '#7b3fe4', '#1a7f37', '#b35900', '#0e7490', '#be185d', '#4d7c0f'];
const INBOX_COLOR = '#e8590c';
const IDLE_COLOR = '#9aa0a6';

const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function clockText(ms) { return new Date(ms).toISOString().replace('T', ' ').slice(0, 19); }
function timeText(ms) { return new Date(ms).toISOString().slice(11, 23); }
function pretty(v) { return JSON.stringify(v, null, 2); }
function setStatus(text) { $('status').textContent = text || ''; }

// Bound beyond loopback, the emulator wants its run's token (printed where it was started).
function tokenHeaders() {
  const t = sessionStorage.getItem('emulatorToken');
  return t ? { 'X-Handover-Emulator-Token': t } : {};
}
function askForToken() {
  if (state.askedToken) return;
  state.askedToken = true;
  const t = window.prompt('This emulator listens beyond loopback. Paste the token it printed at start:');
  if (t) sessionStorage.setItem('emulatorToken', t.trim());
  state.askedToken = false;
}
async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store', headers: tokenHeaders() });
  if (r.status === 401) askForToken();
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}
async function post(path, body) {
  const r = await fetch(path, {
    method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, tokenHeaders()),
    body: JSON.stringify(body),
  });
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) {
    const why = (answer.error && answer.error.message) || ('HTTP ' + r.status);
    setStatus(path.replace('/_emulator/', '') + ': ' + why);
    throw new Error(why);
  }
  setStatus('');
  await refresh();
  return answer;
}

// --- names and colours -------------------------------------------------------------------------
function currentPage() { return state.world && state.world.pages.find((p) => p.id === state.page); }
function appName(id) {
  if (!id) return '';
  const page = currentPage();
  if (page && id === page.inbox_app_id) return 'Page Inbox';
  const app = state.world && state.world.apps.find((a) => a.id === id);
  return app ? app.name : 'app ' + id;
}
function ownerName(id) {
  if (id) return appName(id);
  const page = currentPage();
  return page && page.era === 'legacy' ? 'the Primary Receiver' : 'nobody (idle)';
}
function colorOf(id) {
  const page = currentPage();
  if (!id) return IDLE_COLOR;
  if (page && id === page.inbox_app_id) return INBOX_COLOR;
  const i = state.world ? state.world.apps.findIndex((a) => a.id === id) : -1;
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}
function conversation() {
  return state.conversations.find((c) => c.page_id === state.page && c.user_id === state.user);
}

// --- header: pages and the clock ----------------------------------------------------------------
function renderHeader() {
  const select = $('page-select');
  const pages = state.world.pages;
  if (select.options.length !== pages.length) {
    select.textContent = '';
    for (const p of pages) {
      const o = el('option', '', p.name + ' (' + p.platform + ', ' + p.id + ')');
      o.value = p.id;
      select.appendChild(o);
    }
  }
  if (!state.page) state.page = (pages.find((p) => p.era === 'routing') || pages[0] || {}).id || '';
  select.value = state.page;
  const page = currentPage();
  const era = { legacy: 'Handover Protocol (legacy)', routing: 'Conversation Routing', whatsapp: 'WhatsApp Conversation Routing' };
  $('page-era').textContent = page ? era[page.era] || page.era : '';
  // A WhatsApp number has no Page Inbox: its humans answer through a responder app.
  const whatsapp = !!page && page.platform === 'whatsapp';
  for (const id of ['inbox-form', 'move-main', 'move-done']) $(id).style.display = whatsapp ? 'none' : '';
  $('inbox-title').textContent = whatsapp ? 'The thread and its responders' : 'You are the Page Inbox agent';
  $('clock').textContent = clockText(state.world.now_ms);
}

// --- the user's chat ----------------------------------------------------------------------------
function usersOfPage() {
  const users = state.conversations.filter((c) => c.page_id === state.page).map((c) => c.user_id);
  for (const u of state.localUsers[state.page] || []) if (!users.includes(u)) users.push(u);
  return users;
}
function renderUsers() {
  const users = usersOfPage();
  if (!state.user || !users.includes(state.user)) {
    if (users.length === 0) {
      state.localUsers[state.page] = [newUserId()];
      return renderUsers();
    }
    state.user = users[0];
  }
  const select = $('user-select');
  const key = users.join(',');
  if (select.dataset.key !== key) {
    select.textContent = '';
    for (const u of users) {
      const o = el('option', '', 'user ' + u);
      o.value = u;
      select.appendChild(o);
    }
    select.dataset.key = key;
  }
  select.value = state.user;
}
function newUserId() {
  let id = '7';
  for (let i = 0; i < 15; i++) id += Math.floor(Math.random() * 10);
  return id;
}
function renderChat() {
  const c = conversation();
  const chat = c ? c.chat : [];
  const dropped = c ? c.chat_dropped : 0;
  const key = state.page + '/' + state.user + '/' + chat.length + '/' + dropped;
  if (key === state.chatKey) return;
  state.chatKey = key;
  const log = $('chat-log');
  log.textContent = '';
  const page = currentPage();
  if (dropped > 0) {
    log.appendChild(el('li', 'msg dropped', dropped + ' older message' + (dropped === 1 ? '' : 's') +
                        ' not kept (the emulator keeps the newest ' + chat.length + ')'));
  }
  for (const m of chat) {
    const fromUser = m.from === 'user';
    const fromInbox = page && m.from === page.inbox_app_id;
    const li = el('li', 'msg' + (fromUser ? ' from-user' : '') + (fromInbox ? ' from-inbox' : ''));
    li.dataset.from = m.from;
    let who = fromUser ? 'You' : appName(m.from);
    if (m.persona_name) who = m.persona_name + ' (persona of ' + appName(m.from) + ')';
    if (fromInbox) who = 'Page Inbox (a human)';
    li.appendChild(el('span', 'who', who + ' · ' + timeText(m.time_ms)));
    let text = m.text;
    if (m.kind === 'postback') text = '[tapped] ' + m.text;
    if (m.kind === 'attachment' && !text) text = '[' + ((m.attachment && m.attachment.type) || 'attachment') + ']';
    li.appendChild(el('span', 'bubble', text));
    log.appendChild(li);
  }
  log.scrollTop = log.scrollHeight;
  renderChoices(chat);
}
// Quick replies and postback buttons of the app's last message, as the person can tap them.
function renderChoices(chat) {
  const box = $('quick-replies');
  box.textContent = '';
  const last = chat[chat.length - 1];
  if (!last || last.from === 'user') return;
  for (const q of Array.isArray(last.quick_replies) ? last.quick_replies : []) {
    if (q.content_type !== 'text' || !q.title) continue;
    const b = el('button', 'quick-reply', q.title);
    b.type = 'button';
    b.addEventListener('click', () => userSays(q.title, q.payload || ''));
    box.appendChild(b);
  }
  const buttons = last.attachment && last.attachment.payload && last.attachment.payload.buttons;
  for (const btn of Array.isArray(buttons) ? buttons : []) {
    if (btn.type !== 'postback') continue;
    const b = el('button', 'postback', btn.title);
    b.type = 'button';
    b.addEventListener('click', () => post('/_emulator/user/postback', {
      page_id: state.page, user_id: state.user, title: btn.title, payload: btn.payload || '',
    }).catch(() => {}));
    box.appendChild(b);
  }
}
function userSays(text, payload) {
  const body = { page_id: state.page, user_id: state.user, text };
  if (payload) body.quick_reply_payload = payload;
  return post('/_emulator/user/message', body).catch(() => {});
}

// --- ownership strip -----------------------------------------------------------------------------
function renderOwnership() {
  const c = conversation();
  const now = state.world.now_ms;
  const key = JSON.stringify([state.page, state.user, c && c.history.length, c && c.history_dropped,
    c && c.owner, c && c.expiration_ms, Math.floor(now / 60000)]);
  if (key === state.ownerKey) return;
  state.ownerKey = key;
  $('owner-now').textContent = c ? ownerName(c.owner) : ownerName('');
  $('owner-now').dataset.owner = c ? c.owner : '';
  $('owner-until').textContent = c && c.expiration_ms ? 'until ' + clockText(c.expiration_ms) : '';
  const strip = $('owner-strip');
  strip.textContent = '';
  const history = c ? c.history : [];
  const start = Math.min(c && c.chat.length ? c.chat[0].time_ms : now,
    history.length ? history[0].time_ms : now);
  const points = [{ time_ms: start, owner: null }].concat(history);
  // Control lapses without an event: draw it from the moment the last control expired.
  const last = history[history.length - 1];
  if (c && last && last.expiration_ms && last.expiration_ms <= now && c.owner !== last.owner) {
    points.push({ time_ms: last.expiration_ms, owner: c.owner, cause: 'expired' });
  }
  const total = Math.max(1, now - start);
  const used = new Set();
  for (let i = 0; i < points.length; i++) {
    const from = points[i].time_ms;
    const to = i + 1 < points.length ? points[i + 1].time_ms : now;
    let owner = points[i].owner;
    if (owner === null) {
      // Before the first change: idle (legacy: the Primary Receiver), or the owner now if none.
      owner = history.length ? '' : (c ? c.owner : '');
      if (history.length && to <= from) continue;
    }
    const seg = el('div', 'segment', ownerName(owner));
    seg.dataset.owner = owner;
    seg.style.background = colorOf(owner);
    seg.style.flexGrow = String(Math.max(to - from, total * 0.06));
    seg.title = ownerName(owner) + ' from ' + clockText(from) + (points[i].cause ? ' (' + points[i].cause + ')' : '');
    strip.appendChild(seg);
    used.add(owner);
  }
  const legend = $('owner-legend');
  legend.textContent = '';
  for (const owner of used) {
    const item = el('span');
    const swatch = el('i');
    swatch.style.background = colorOf(owner);
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(ownerName(owner)));
    legend.appendChild(item);
  }
  const changes = $('owner-changes');
  changes.textContent = '';
  for (const h of history.slice().reverse()) {
    changes.appendChild(el('li', '', clockText(h.time_ms) + '  ' + h.cause + ' → ' + ownerName(h.owner) +
      (h.expiration_ms ? ' (until ' + clockText(h.expiration_ms) + ')' : '')));
  }
  if (c && c.history_dropped > 0) {
    changes.appendChild(el('li', 'dropped', c.history_dropped + ' older change' +
      (c.history_dropped === 1 ? '' : 's') + ' not kept'));
  }
}

// --- admin ---------------------------------------------------------------------------------------
function renderAdmin() {
  const page = currentPage();
  if (!page) return;
  const key = JSON.stringify([page, state.world.apps]);
  if (key === state.adminKey) return;
  state.adminKey = key;
  const roles = $('roles');
  roles.textContent = '';
  if (page.platform === 'whatsapp') {
    renderResponders(page, roles);
    return;
  }
  for (const app of state.world.apps) {
    if (!(app.id in page.roles)) continue;
    const row = el('div', 'row');
    const label = el('label', '', app.name + ' (' + app.id + ')' + (app.webhook ? '' : ', no webhook'));
    const select = el('select');
    select.dataset.app = app.id;
    for (const r of ['primary', 'secondary', 'none']) {
      const o = el('option', '', r);
      o.value = r;
      select.appendChild(o);
    }
    select.value = page.roles[app.id];
    select.addEventListener('change', () => post('/_emulator/roles', {
      page_id: page.id, app_id: app.id, role: select.value,
    }).catch(() => {}));
    row.appendChild(label);
    row.appendChild(select);
    roles.appendChild(row);
  }
  const def = $('default-app');
  $('default-app-label').style.display = page.era === 'routing' ? '' : 'none';
  def.textContent = '';
  const none = el('option', '', 'none');
  none.value = '';
  def.appendChild(none);
  for (const app of state.world.apps.filter((a) => a.id in page.roles).concat([{ id: page.inbox_app_id, name: 'Page Inbox' }])) {
    const o = el('option', '', app.name);
    o.value = app.id;
    def.appendChild(o);
  }
  def.value = page.default_app_id;
}

// A WhatsApp number's responders, read-only: each entry point's primary and role holders, and
// the escalation partner (the only one that may take).
function renderResponders(page, roles) {
  $('default-app-label').style.display = 'none';
  for (const ep of page.responders) {
    const parts = ['primary ' + appName(ep.primary)];
    for (const [role, app] of Object.entries(ep.roles)) parts.push(role + ' ' + appName(app));
    roles.appendChild(el('div', 'row responder', 'entry point ' + ep.entry_point + ': ' + parts.join(', ')));
  }
  if (page.escalation_partner) {
    roles.appendChild(el('div', 'row responder', 'escalation partner: ' + appName(page.escalation_partner)));
  }
}

// --- inspector -----------------------------------------------------------------------------------
function entryOk(e) {
  if (e.kind === 'graph' || e.kind === 'delivery') return e.status >= 200 && e.status < 300;
  if (e.kind === 'control') return e.ok !== false;
  if (e.kind === 'subscription') return e.result === 'verified';
  return e.kind !== 'warning';
}
function renderFilters() {
  const select = $('filter-app');
  const key = state.world.apps.map((a) => a.id).join(',');
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const keep = select.value;
  while (select.options.length > 1) select.remove(1);
  for (const a of state.world.apps) {
    const o = el('option', '', a.name);
    o.value = a.id;
    select.appendChild(o);
  }
  select.value = keep;
}
function describe(e) {
  switch (e.kind) {
    case 'graph': return e.method + ' ' + e.path;
    case 'delivery': return e.outcome + ', attempt ' + e.attempt + ', ' + e.events + ' event(s)' + (e.error ? ', ' + e.error : '');
    case 'control': return e.action + (e.user_id ? ' ' + e.user_id : '') + (e.error ? ': ' + e.error : '');
    case 'subscription': return 'webhook verification ' + e.result + (e.error ? ': ' + e.error : '');
    default: return e.message || '';
  }
}
function detailOf(e) {
  const box = el('div', 'detail');
  const add = (title, value) => {
    box.appendChild(el('div', 'k', title));
    box.appendChild(el('pre', '', typeof value === 'string' ? value : pretty(value)));
  };
  if (e.kind === 'graph') {
    add('latency', e.latency_ms + ' ms');
    if (e.request) add('request', e.request);
    add('response', e.response);
  } else if (e.kind === 'delivery') {
    add('to', e.url + ' — ' + (e.status ? 'HTTP ' + e.status : 'no answer') + ' in ' + e.latency_ms + ' ms');
    add('X-Hub-Signature-256', e.signature || '');
    if (e.body) add('body', e.body);
    const again = el('button', 'redeliver', 'Redeliver');
    again.type = 'button';
    again.addEventListener('click', (ev) => {
      ev.stopPropagation();
      post('/_emulator/deliveries/redeliver', { seq: e.seq }).catch(() => {});
    });
    box.appendChild(again);
  } else {
    add('entry', e);
  }
  return box;
}
function renderInspector() {
  const kind = $('filter-kind').value;
  const app = $('filter-app').value;
  const status = $('filter-status').value;
  const shown = state.entries.filter((e) => (!kind || e.kind === kind) && (!app || e.app_id === app) &&
    (!status || (status === 'ok') === entryOk(e)));
  const key = [kind, app, status, state.lastSeq, shown.length].join('|');
  if (key === state.listKey) return;
  state.listKey = key;
  const list = $('inspector-list');
  list.textContent = '';
  for (const e of shown.slice().reverse()) {
    const li = el('li', 'entry' + (state.open.has(e.seq) ? ' open' : ''));
    li.dataset.kind = e.kind;
    li.dataset.seq = String(e.seq);
    if (e.app_id) li.dataset.app = e.app_id;
    const line = el('div', 'line');
    line.appendChild(el('span', 't', timeText(e.time)));
    line.appendChild(el('span', 'kind', e.kind));
    const st = e.kind === 'graph' || e.kind === 'delivery' || e.kind === 'subscription'
      ? String(e.status || '—') : (e.ok === false ? 'fail' : '');
    line.appendChild(el('span', 'st ' + (entryOk(e) ? 'ok' : 'bad'), st));
    line.appendChild(el('span', 'app', appName(e.app_id)));
    line.appendChild(el('span', 'what', describe(e)));
    li.appendChild(line);
    li.appendChild(detailOf(e));
    li.addEventListener('click', () => {
      if (state.open.has(e.seq)) state.open.delete(e.seq); else state.open.add(e.seq);
      li.classList.toggle('open');
    });
    list.appendChild(li);
  }
}

// --- polling -------------------------------------------------------------------------------------
async function refresh() {
  const cursor = state.cursor || { version: 0, now_ms: 0 };
  const [world, changed, entries] = await Promise.all([
    getJson('/_emulator/world'),
    getJson('/_emulator/conversations?since=' + cursor.version + '&since_ms=' + cursor.now_ms),
    getJson('/_emulator/timeline?since=' + state.lastSeq),
  ]);
  state.world = world;
  mergeConversations(changed);
  for (const e of entries) {
    state.entries.push(e);
    state.lastSeq = Math.max(state.lastSeq, e.seq);
  }
  if (state.entries.length > MAX_ENTRIES) state.entries.splice(0, state.entries.length - MAX_ENTRIES);
  render();
}
function mergeConversations(changed) {
  for (const c of changed.conversations) {
    const i = state.conversations.findIndex((o) => o.page_id === c.page_id && o.user_id === c.user_id);
    if (i < 0) state.conversations.push(c); else state.conversations[i] = c;
  }
  state.cursor = { version: changed.version, now_ms: changed.now_ms };
}
function render() {
  renderHeader();
  renderUsers();
  renderChat();
  renderOwnership();
  renderAdmin();
  renderFilters();
  renderInspector();
}
async function loop() {
  try {
    await refresh();
  } catch (err) {
    setStatus('emulator unreachable: ' + err.message);
  }
  setTimeout(loop, POLL_MS);
}

function wire() {
  $('page-select').addEventListener('change', (e) => { state.page = e.target.value; state.user = ''; render(); });
  $('user-select').addEventListener('change', (e) => { state.user = e.target.value; render(); });
  $('new-user').addEventListener('click', () => {
    const id = newUserId();
    (state.localUsers[state.page] = state.localUsers[state.page] || []).push(id);
    state.user = id;
    render();
  });
  $('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('chat-input').value.trim();
    if (!text) return;
    $('chat-input').value = '';
    userSays(text, '');
  });
  $('inbox-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('inbox-input').value.trim();
    if (!text) return;
    $('inbox-input').value = '';
    post('/_emulator/inbox/reply', { page_id: state.page, user_id: state.user, text }).catch(() => {});
  });
  for (const [id, folder] of [['move-main', 'main'], ['move-done', 'done']]) {
    $(id).addEventListener('click', () => post('/_emulator/inbox/move', {
      page_id: state.page, user_id: state.user, folder,
    }).catch(() => {}));
  }
  $('default-app').addEventListener('change', (e) => post('/_emulator/default_app', {
    page_id: state.page, app_id: e.target.value,
  }).catch(() => {}));
  $('advance-btn').addEventListener('click', () => post('/_emulator/clock/advance', {
    seconds: Number($('advance-select').value),
  }).catch(() => {}));
  for (const id of ['filter-kind', 'filter-app', 'filter-status']) $(id).addEventListener('change', renderInspector);
}

wire();
loop();
