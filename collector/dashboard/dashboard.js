// The operator's dashboard: reads the collector's read APIs with the admin token (kept in this
// tab's sessionStorage; "#token=..." in the URL is taken once and removed), draws SVG charts and
// publishes rule sets. No data is in the page itself; no CDN.
import { barChart, columnChart, funnelChart, treeChart } from './charts.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 2000;        // live events poll
const SUMMARY_REFRESH_MS = 5000;
const LIVE_SLOTS = 30;          // 30 slots of 10 s: the last five minutes
const LIVE_SLOT_MS = 10000;
const LIVE_LIST = 30;

let token = sessionStorage.getItem('tp-admin-token') || '';
let lastEventId = null;
const liveTimes = [];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers || {}) } });
  const body = await res.json().catch(() => ({}));
  if (res.status === 401) throw Object.assign(new Error('the admin token was refused'), { status: 401 });
  return { status: res.status, body };
}

function showLogin(message = '') {
  $('board').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
}

// ---- live events

async function pollEvents() {
  const query = lastEventId === null ? 'limit=' + LIVE_LIST : `since_id=${lastEventId}&limit=500`;
  const { body } = await api(`/v1/events?${query}`);
  const list = $('live-events');
  for (const e of body.events || []) {
    lastEventId = Math.max(lastEventId ?? 0, e.id);
    liveTimes.push(Date.parse(e.receivedAt));
    const name = e.event || e.type;
    list.prepend(el('li', { 'data-event-id': e.id },
      el('time', { text: new Date(e.receivedAt).toLocaleTimeString() }),
      el('b', { text: name }),
      el('span', { class: 'who', text: e.userId || e.anonymousId || '' })));
  }
  while (list.children.length > LIVE_LIST) list.lastChild.remove();
  const now = Date.now();
  const slots = new Array(LIVE_SLOTS).fill(0);
  for (const t of liveTimes) {
    const slot = LIVE_SLOTS - 1 - Math.floor((now - t) / LIVE_SLOT_MS);
    if (slot >= 0 && slot < LIVE_SLOTS) slots[slot] += 1;
  }
  while (liveTimes.length && now - liveTimes[0] > LIVE_SLOTS * LIVE_SLOT_MS) liveTimes.shift();
  columnChart($('live-chart'), slots, { label: 'events per 10 s, last 5 min' });
}

// ---- summaries

function scoreCell(scores) {
  const entries = Object.entries(scores || {});
  if (!entries.length) return '—';
  return entries.map(([id, s]) => `${id} ${Math.round(s.value ?? 0)}${s.grade ? ' ' + s.grade : ''}`).join(', ');
}

function renderVisitors(visitors) {
  const rows = visitors.map((v) => {
    const who = el('td', { class: 'id', title: v.id, text: v.id });
    if (v.kind === 'user') who.append(el('span', { class: 'badge', text: 'user' }));
    if (v.verified === true) who.append(el('span', { class: 'badge ok', text: 'verified' }));
    const tags = el('td');
    for (const t of v.tags) tags.append(el('span', { class: 'chip', text: t }));
    if (!v.tags.length) tags.textContent = '—';
    const stage = Object.values(v.stages || {})[0] || '—';
    return el('tr', { 'data-visitor': v.id }, who, tags, el('td', { text: scoreCell(v.scores) }), el('td', { text: stage }), el('td', { text: v.events }));
  });
  $('visitor-table').tBodies[0].replaceChildren(...rows);
}

function sorted(counts, limit = 12) {
  return Object.entries(counts || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, limit);
}

function renderTouches(touches) {
  const box = $('touch-charts');
  box.replaceChildren();
  for (const dimension of ['channel', 'store', 'staff']) {
    box.append(el('h3', { text: `${dimension} — first touch | last touch` }));
    for (const side of ['first', 'last']) {
      const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      svg.setAttribute('class', 'chart');
      svg.setAttribute('data-touch', `${side}-${dimension}`);
      box.append(svg);
      barChart(svg, sorted(touches[side]?.[dimension]).map(([label, value]) => ({ label, value })), { width: 300, labelWidth: 110, color: side === 'first' ? '#8a5cd1' : '#2f6fde', empty: `no ${dimension} yet` });
    }
  }
}

function renderRules(rules) {
  const status = $('rules-status');
  const inForce = rules.in_force;
  status.className = inForce ? 'ok' : 'bad';
  status.textContent = !rules.configured ? 'No --rules file: nothing is served to devices.'
    : inForce ? `In force: version "${inForce.version}" (${inForce.etag})${rules.served && !rules.served.compiles ? ' — the file on disk does not compile; devices keep this one' : ''}`
      : 'No rule set that compiles has been read yet.';
  const editor = $('rules-editor');
  if (!editor.dataset.touched && rules.served) editor.value = JSON.stringify(rules.served.content, null, 2);
  $('rules-publish').disabled = !rules.publishing;
  const history = $('rules-history');
  history.replaceChildren(...(rules.history || []).map((h) => {
    const li = el('li', { 'data-history-id': h.id, text: `#${h.id} "${h.version}" ${new Date(h.published_at_ms).toLocaleString()} ${h.note}` });
    const back = el('button', { type: 'button', class: 'secondary', text: 'roll back to this' });
    back.addEventListener('click', () => rollback(h.id));
    li.append(back);
    return li;
  }));
}

async function refreshSummaries() {
  const [overview, visitors, funnel, dist, touches, referrals, rules] = await Promise.all([
    api('/v1/dashboard/overview'), api('/v1/dashboard/visitors?limit=50'), api('/v1/dashboard/funnel'),
    api('/v1/dashboard/distributions'), api('/v1/dashboard/touches'), api('/v1/dashboard/referrals'), api('/v1/dashboard/rules')]);
  const s = overview.body.stats || {};
  $('totals').replaceChildren(...[
    ['events', s.events], ['visitors', dist.body.profiles], ['users', s.userIds], ['batches', s.batches],
    ['duplicates', s.duplicates], ['rules', overview.body.rules?.in_force?.version || '—'],
    ['identity', overview.body.identity_verification ? 'verified (HMAC)' : 'not verified'],
  ].map(([k, v]) => el('div', {}, el('dt', { text: k }), el('dd', { text: v ?? 0, 'data-total': k }))));
  renderVisitors(visitors.body.visitors || []);
  funnelChart($('funnel-chart'), funnel.body.steps || []);
  barChart($('tag-chart'), sorted(dist.body.tags).map(([label, value]) => ({ label, value })), { empty: 'no tags yet' });
  const grades = [];
  for (const [score, counts] of Object.entries(dist.body.grades || {}))
    for (const [grade, value] of Object.entries(counts).sort()) grades.push({ label: `${score}: ${grade}`, value, color: '#e0912f' });
  barChart($('grade-chart'), grades, { empty: 'no scores yet' });
  renderTouches(touches.body);
  const tree = referrals.body;
  $('referral-summary').textContent = `${tree.nodes.length} visitors in ${tree.roots} share chain${tree.roots === 1 ? '' : 's'}, ${tree.max_level} level${tree.max_level === 1 ? '' : 's'} deep`;
  treeChart($('referral-tree'), tree.nodes);
  renderRules(rules.body);
}

// ---- rules

function showErrors(errors) {
  $('rules-errors').replaceChildren(...errors.map((e) => el('li', {}, el('code', { text: e.path || '(root)' }), ' ' + e.message)));
}

async function validateRules() {
  const { body } = await api('/v1/dashboard/rules/validate', { method: 'POST', body: $('rules-editor').value });
  showErrors(body.errors || []);
  $('rules-status').className = body.ok ? 'ok' : 'bad';
  $('rules-status').textContent = body.ok ? 'Valid: ready to publish.' : `${body.errors.length} error(s): nothing was published.`;
  return body.ok;
}

async function publishRules() {
  const { status, body } = await api('/v1/dashboard/rules', { method: 'POST', body: $('rules-editor').value });
  if (status !== 200) {
    showErrors(body.errors || [{ path: '', message: body.error?.message || `HTTP ${status}` }]);
    $('rules-status').className = 'bad';
    $('rules-status').textContent = `Not published: ${(body.errors || []).length} error(s).`;
    return;
  }
  showErrors([]);
  delete $('rules-editor').dataset.touched;
  await refreshSummaries();
  $('rules-status').textContent += ` — published as #${body.entry.id}; ${body.profiles_recomputed} profiles recomputed`;
}

async function rollback(id) {
  const { status, body } = await api('/v1/dashboard/rules/rollback', { method: 'POST', body: JSON.stringify({ id }) });
  if (status !== 200) { showErrors(body.errors || [{ path: '', message: body.error?.message || `HTTP ${status}` }]); return; }
  delete $('rules-editor').dataset.touched;
  await refreshSummaries();
}

// ---- start

async function start() {
  // Visible before the first drawing: text is measured to lay out the tree.
  $('login').hidden = true;
  $('board').hidden = false;
  try {
    await refreshSummaries();
    await pollEvents();
  } catch (e) {
    if (e.status === 401) { sessionStorage.removeItem('tp-admin-token'); showLogin('That token was refused.'); return; }
    throw e;
  }
  document.body.dataset.ready = 'true';
  const loop = (fn, ms) => setTimeout(async function tick() { try { await fn(); } catch { /* next round */ } setTimeout(tick, ms); }, ms);
  loop(pollEvents, REFRESH_MS);
  loop(refreshSummaries, SUMMARY_REFRESH_MS);
}

$('rules-editor').addEventListener('input', (e) => { e.target.dataset.touched = '1'; });
$('rules-validate').addEventListener('click', validateRules);
$('rules-publish').addEventListener('click', publishRules);
$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value.trim();
  sessionStorage.setItem('tp-admin-token', token);
  start();
});

const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash);
if (fromHash) {
  token = decodeURIComponent(fromHash[1]);
  sessionStorage.setItem('tp-admin-token', token);
  history.replaceState(null, '', location.pathname + location.search);
}
if (token) start(); else showLogin();
