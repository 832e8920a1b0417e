// The demo shop: a hash-routed SPA (list → product → cart → order done) that tracks what a
// private-domain operator wants to see, and shows what the SDK sent.
import touchpoint from '../../dist/touchpoint.mjs';
import { PRODUCTS } from './products.js';

const $ = (id) => document.getElementById(id);
const cart = JSON.parse(sessionStorage.getItem('demo-cart') || '[]');
let delivered = { events: 0, batches: 0 };

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 50) $('log').lastChild.remove();
}

function refreshPanel() {
  $('anon').textContent = touchpoint.anonymousId() || '…';
  $('user').textContent = touchpoint.userId() || '—';
  $('queued').textContent = String(touchpoint.queueStats().queued ?? 0);
  $('delivered').textContent = `${delivered.events} events in ${delivered.batches} batches`;
  $('tags').textContent = touchpoint.tags().join(', ') || '—';
  $('cart-count').textContent = String(cart.length);
}

function track(event, props) {
  touchpoint.track(event, props);
  log(`track ${event} ${JSON.stringify(props)}`);
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

const routes = {
  list() {
    const grid = el('div', { class: 'grid' });
    for (const p of PRODUCTS) {
      grid.append(el('div', { class: 'card' }, el('a', { href: `#/p/${p.sku}` }, p.name), el('p', { class: 'price' }, `¥${p.price}`)));
    }
    return { title: '商品列表 Products', node: el('section', {}, el('h1', {}, '商品列表 Products'), grid) };
  },
  product(sku) {
    const p = PRODUCTS.find((x) => x.sku === sku);
    if (!p) return routes.list();
    track('product_view', { sku: p.sku, category: p.category, price: p.price, tags: p.tags, page: location.hash });
    const add = el('button', { id: 'add-to-cart', type: 'button' }, '加入购物车 Add to cart');
    add.addEventListener('click', () => {
      cart.push(p.sku);
      sessionStorage.setItem('demo-cart', JSON.stringify(cart));
      track('add_to_cart', { sku: p.sku, category: p.category, price: p.price, quantity: 1 });
      refreshPanel();
    });
    const node = el('section', {}, el('h1', {}, p.name), el('p', { class: 'price' }, `¥${p.price}`),
      el('p', {}, `Category: ${p.category}`), add);
    if (touchpoint.tags().includes('interest:health') && p.category === 'health') {
      node.append(el('div', { class: 'coupon', id: 'coupon' }, '健康达人专享券：满199减30 — a coupon because you love health products'));
    }
    return { title: p.name, node };
  },
  cart() {
    const items = cart.map((sku) => PRODUCTS.find((p) => p.sku === sku)).filter(Boolean);
    const total = items.reduce((s, p) => s + p.price, 0);
    const buy = el('button', { id: 'buy', type: 'button' }, `下单 Buy ¥${total.toFixed(2)}`);
    buy.addEventListener('click', () => {
      if (!items.length) return;
      const orderId = `O-${Date.now().toString(36)}`;
      track('order_completed', { order_id: orderId, total: Math.round(total * 100) / 100, currency: 'CNY',
        products: items.map((p) => ({ sku: p.sku, price: p.price, category: p.category })) });
      cart.length = 0;
      sessionStorage.setItem('demo-cart', '[]');
      location.hash = '#/done';
    });
    const list = el('ul', {});
    for (const p of items) list.append(el('li', {}, `${p.name} ¥${p.price}`));
    return { title: '购物车 Cart', node: el('section', {}, el('h1', {}, '购物车 Cart'), list, buy) };
  },
  done() {
    return { title: '下单成功 Thank you', node: el('section', {}, el('h1', {}, '下单成功 Thank you!'), el('a', { href: '#/' }, 'Back to the shop')) };
  },
};

function render() {
  const h = location.hash.replace(/^#/, '') || '/';
  let view;
  if (h.startsWith('/p/')) view = routes.product(decodeURIComponent(h.slice(3)));
  else if (h === '/cart') view = routes.cart();
  else if (h === '/done') view = routes.done();
  else view = routes.list();
  document.title = `${view.title} — Touchpoint Shop`;
  $('view').replaceChildren(view.node);
  touchpoint.page(view.title, { route: h });
  log(`page ${view.title}`);
  refreshPanel();
}

touchpoint.on('delivery', (d) => {
  if (d.status >= 200 && d.status < 300) { delivered.events += d.events; delivered.batches += 1; }
  log(`batch ${d.batch}: ${d.events} events → HTTP ${d.status || 'network error'}`);
  refreshPanel();
});
touchpoint.on('tags', (t) => { log(`tags now: ${t.tags.join(', ')}`); refreshPanel(); });
touchpoint.on('error', (e) => log(`error ${e.code}: ${e.message}`));

$('login').addEventListener('click', () => {
  touchpoint.identify('demo-user-1', { name: '张三', plan: 'vip' });
  log('identify demo-user-1');
  setTimeout(refreshPanel, 0);
});
$('logout').addEventListener('click', () => { touchpoint.reset(); log('reset'); setTimeout(refreshPanel, 0); });
window.addEventListener('hashchange', render);

// Tests and the bench reach the SDK through this (the shop itself imports it as a module).
window.touchpoint = touchpoint;
const params = new URLSearchParams(location.search);
window.touchpointReady = touchpoint.init({
  writeKey: 'demo-shop',
  endpoint: location.origin,
  debug: params.has('debug'),
  flushInterval: params.has('flushInterval') ? Number(params.get('flushInterval')) : undefined,
}).then(() => { render(); refreshPanel(); return true; }, (err) => { log(`init failed: ${err.message}`); return false; });
