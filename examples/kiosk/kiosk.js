// An in-store product browser on a screen shared by many customers (docs/kiosk.md): kiosk mode
// names the screen and the store in every event, ends a visit after idleResetMs without a touch
// (or on "I'm done"), and the next customer is a new visitor. The sign-up form identifies the
// customer. Screen and store come from the URL: ?device=screen-07&store=SH-01&idle=60000.
import touchpoint from '../../dist/touchpoint.mjs';

const PRODUCTS = [
  { sku: 'K-101', name: '益生菌 Probiotics', category: 'health', price: 129 },
  { sku: 'K-102', name: '维生素 C Vitamin C', category: 'health', price: 59 },
  { sku: 'K-201', name: '燕麦 Oat flakes', category: 'food', price: 35 },
  { sku: 'K-301', name: '按摩枕 Neck pillow', category: 'home', price: 199 },
];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const kiosk = { deviceId: params.get('device') || 'screen-01', storeId: params.get('store') || 'SH-01',
  idleResetMs: Number(params.get('idle')) || 60000 };
let visitors = 1;
let deliveredEvents = 0;

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 40) $('log').lastChild.remove();
}

function refreshPanel() {
  $('anon').textContent = touchpoint.anonymousId() || '…';
  $('user').textContent = touchpoint.userId() || '—';
  $('visitors').textContent = String(visitors);
  $('queued').textContent = String(touchpoint.queueStats().queued ?? 0);
  $('delivered').textContent = `${deliveredEvents} events`;
}

function showDetail(p) {
  const d = $('detail');
  d.hidden = false;
  d.textContent = '';
  const h = document.createElement('h2');
  h.textContent = `${p.name} — ¥${p.price}`;
  const add = document.createElement('button');
  add.type = 'button';
  add.textContent = '到店取货 Reserve for pick-up';
  add.addEventListener('click', () => { touchpoint.track('reserve_in_store', { sku: p.sku, price: p.price }); log(`reserved ${p.sku}`); });
  d.append(h, add);
  touchpoint.track('product_view', { sku: p.sku, category: p.category, price: p.price });
  log(`product_view ${p.sku}`);
}

function renderProducts() {
  const grid = $('products');
  for (const p of PRODUCTS) {
    const card = document.createElement('div');
    card.className = 'card';
    card.dataset.sku = p.sku;
    const b = document.createElement('b');
    b.textContent = p.name;
    card.append(b, `¥${p.price}`);
    card.addEventListener('click', () => showDetail(p));
    grid.append(card);
  }
}

// Back to the welcome screen for the next customer: nothing of the last one stays on screen.
function welcomeNext() {
  $('detail').hidden = true;
  $('signup').reset();
  $('joined').hidden = true;
  window.scrollTo(0, 0);
}

$('signup').addEventListener('submit', (e) => {
  e.preventDefault();
  const phone = $('phone').value.trim();
  const name = $('name').value.trim();
  // A real store hashes or maps the phone on its backend; the demo uses it as the member id.
  touchpoint.identify(`member-${phone}`, { name: name || undefined, joined_at_store: kiosk.storeId });
  touchpoint.track('member_signup', { store: kiosk.storeId });
  $('member').textContent = name || phone;
  $('joined').hidden = false;
  log(`identify member-${phone}`);
  refreshPanel();
});
$('done').addEventListener('click', () => touchpoint.endVisit());

touchpoint.on('visit_end', ({ reason, previousAnonymousId }) => {
  visitors += 1;
  log(`visit of ${previousAnonymousId} ended (${reason}); next customer`);
  welcomeNext();
  refreshPanel();
});
touchpoint.on('delivery', ({ events, status }) => { if (status >= 200 && status < 300) deliveredEvents += events; refreshPanel(); });
touchpoint.on('error', (e) => log(`error ${e.code}: ${e.message}`));

renderProducts();
$('where').textContent = `${kiosk.storeId} · ${kiosk.deviceId}`;
$('idle').textContent = String(Math.round(kiosk.idleResetMs / 1000));
touchpoint.init({ writeKey: 'demo-shop', endpoint: location.origin, kiosk, debug: params.has('debug') })
  .then(() => { log(`ready as ${touchpoint.anonymousId()}`); refreshPanel(); }, (e) => log(`init failed: ${e.message}`));
