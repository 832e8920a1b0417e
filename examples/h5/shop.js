// The demo shop: an SPA (list → product → cart → order done on hash routes, plus a "join the
// member group" page on a pushState route, ?view=join) that tracks what a private-domain operator
// wants to see, and shows what the SDK sent. Page views, scroll depth, exposure of the
// data-tp-expose banners, data-tp-event clicks, form submits and page_leave come from autotrack;
// the shop itself only tracks its commerce events.
import touchpoint from '../../dist/touchpoint.mjs';
import { DETAIL_SECTIONS, FEED_POSTS, PRODUCTS } from './products.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const cart = JSON.parse(sessionStorage.getItem('demo-cart') || '[]');
const delivered = { events: 0, batches: 0 };

function log(text) {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $('log').prepend(li);
  while ($('log').children.length > 50) $('log').lastChild.remove();
}

// Demo panel only: log every track()/page() call made on this instance, autotrack's included
// (it calls touchpoint.track/page). An app does not need this.
for (const method of ['track', 'page']) {
  const original = touchpoint[method].bind(touchpoint);
  touchpoint[method] = (name, props) => {
    log(`${method} ${name ?? ''} ${JSON.stringify(props ?? {})}`);
    return original(name, props);
  };
}

function refreshPanel() {
  $('anon').textContent = touchpoint.anonymousId() || '…';
  $('user').textContent = touchpoint.userId() || '—';
  $('queued').textContent = String(touchpoint.queueStats().queued ?? 0);
  $('delivered').textContent = `${delivered.events} events in ${delivered.batches} batches`;
  $('tags').textContent = touchpoint.tags().join(', ') || '—';
  $('cart-count').textContent = String(cart.length);
  // Session, attribution (first/last touch) and referral chain, as the core sees them.
  const v = touchpoint.visit();
  $('session').textContent = v.session ? `#${v.session.number} ${v.session.id}` : '—';
  const touch = (t) => (t ? [t.source, t.medium, t.name, t.store_id && `store ${t.store_id}`, t.staff_id && `staff ${t.staff_id}`]
    .filter(Boolean).join(' / ') || t.referrer_host || 'direct' : '—');
  $('campaign').textContent = `last: ${touch(v.campaign)} · first: ${touch(v.first_touch)}`;
  $('referral').textContent = v.referral ? `invited by ${v.referral.referrer_id} (depth ${v.referral.depth}${v.referral.channel ? `, ${v.referral.channel}` : ''})` : '—';
  const st = touchpoint.stage('lifecycle');
  const lead = touchpoint.scores().lead;
  $('stage').textContent = `${st || '—'}${lead ? ` · lead ${lead.value.toFixed(1)} (${lead.grade || 'no grade'})` : ''}`;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// Shown on health products once the visitor has the interest:health tag (rules from the backend).
function couponBanner() {
  const code = 'HEALTH-199-30';
  return el('div', { class: 'coupon', id: 'coupon', 'data-tp-expose': 'coupon_banner', 'data-tp-coupon': code },
    '健康达人专享券：满199减30 — a coupon because you love health products ',
    el('button', { type: 'button', 'data-tp-event': 'coupon_claim', 'data-tp-coupon': code }, '领取 Claim'));
}

function updateCoupon() {
  const slot = $('coupon-slot');
  if (!slot) return;
  const want = touchpoint.tags().includes('interest:health') && slot.dataset.category === 'health';
  if (want && !slot.firstChild) slot.append(couponBanner());
  if (!want) slot.replaceChildren();
}

const routes = {
  list() {
    const banner = el('a', { href: '?view=join', 'data-nav': '', class: 'join-banner', id: 'join-banner',
      'data-tp-expose': 'join_banner', 'data-tp-position': 'list_top' }, '加入会员群，领 30 元新人券 → Join the member group');
    const grid = el('div', { class: 'grid' });
    for (const p of PRODUCTS) {
      grid.append(el('div', { class: 'card' }, el('a', { href: `#/p/${p.sku}` }, p.name), el('p', { class: 'price' }, `¥${p.price}`)));
    }
    return { title: '商品列表 Products', node: el('section', {}, banner, el('h1', {}, '商品列表 Products'), grid) };
  },
  product(sku) {
    const p = PRODUCTS.find((x) => x.sku === sku);
    if (!p) return routes.list();
    touchpoint.track('product_view', { sku: p.sku, category: p.category, price: p.price, tags: p.tags, page: location.hash });
    const add = el('button', { id: 'add-to-cart', type: 'button' }, '加入购物车 Add to cart');
    add.addEventListener('click', () => {
      cart.push(p.sku);
      sessionStorage.setItem('demo-cart', JSON.stringify(cart));
      touchpoint.track('add_to_cart', { sku: p.sku, category: p.category, price: p.price, quantity: 1 });
      refreshPanel();
    });
    // Declarative click tracking: no code, the data-tp-* attributes are the properties.
    const share = el('button', { id: 'share', type: 'button', 'data-tp-event': 'share_click', 'data-tp-sku': p.sku,
      'data-tp-channel': 'wechat_friend' }, el('span', { class: 'icon', 'aria-hidden': 'true' }, '↗ '), '分享给好友 Share');
    share.addEventListener('click', () => {
      // The link carries this visitor's share ids: whoever lands on it is credited to them.
      const link = touchpoint.shareUrl(location.href, { channel: 'wechat_friend' });
      $('share-link').textContent = link;
      log(`share link: ${link}`);
      refreshPanel();
    });
    const other = PRODUCTS.find((x) => x.category === p.category && x.sku !== p.sku) || PRODUCTS[0];
    const related = el('a', { href: `#/p/${other.sku}`, id: 'related-link' },
      `相关推荐   Related:\n   ${other.name} — 同类热销好物，群内专享价，点击查看详情、规格参数和真实用户评价 (limited-time group price)`);
    const details = DETAIL_SECTIONS.map(([h, t]) => el('section', { class: 'detail' }, el('h2', {}, h), el('p', {}, t)));
    // At the bottom of a long page: exposed only once the visitor scrolls down to it.
    const qr = el('div', { class: 'qr-banner', id: 'group-qr', 'data-tp-expose': 'group_qr_banner', 'data-tp-sku': p.sku,
      'data-tp-position': 'product_bottom' },
    el('div', { class: 'qr', 'aria-hidden': 'true' }),
    el('p', {}, '扫码加入「健康好物」会员群，领新人券 Scan to join the member group'),
    el('button', { type: 'button', id: 'save-qr', 'data-tp-event': 'group_qr_click', 'data-tp-sku': p.sku }, '保存二维码 Save QR'));
    const node = el('section', {}, el('h1', {}, p.name), el('p', { class: 'price' }, `¥${p.price}`),
      el('p', {}, `Category: ${p.category}`), el('div', { id: 'coupon-slot', 'data-category': p.category }), add, share,
      ...details, el('p', {}, related), qr);
    return { title: p.name, node };
  },
  cart() {
    const items = cart.map((sku) => PRODUCTS.find((p) => p.sku === sku)).filter(Boolean);
    const total = items.reduce((s, p) => s + p.price, 0);
    const buy = el('button', { id: 'buy', type: 'button' }, `下单 Buy ¥${total.toFixed(2)}`);
    buy.addEventListener('click', () => {
      if (!items.length) return;
      const orderId = `O-${Date.now().toString(36)}`;
      touchpoint.track('order_completed', { order_id: orderId, total: Math.round(total * 100) / 100, currency: 'CNY',
        products: items.map((p) => ({ sku: p.sku, price: p.price, category: p.category })) });
      cart.length = 0;
      sessionStorage.setItem('demo-cart', '[]');
      location.hash = '#/done';
    });
    const list = el('ul', {});
    for (const p of items) list.append(el('li', {}, `${p.name} ¥${p.price}`));
    return { title: '购物车 Cart', node: el('section', {}, el('h1', {}, '购物车 Cart'), list, buy) };
  },
  // An app-shell view: the document stays put and an inner <div> scrolls (full-height shells,
  // mini-program web-views). data-tp-scroll-root tells autotrack what to measure; with
  // ?noScrollRoot it finds the main scroller on its own. The spring banner is marked without a
  // name (as operators do for Sensors/GrowingIO): autotrack names it after its CSS path.
  feed() {
    const scroller = el('div', { class: 'feed', id: 'feed' });
    if (!params.has('noScrollRoot')) scroller.setAttribute('data-tp-scroll-root', '');
    const posts = FEED_POSTS.map(([title, text], i) => el('article', { class: 'post' }, el('h2', {}, title), el('p', {}, text),
      el('a', { href: `#/p/${PRODUCTS[i % PRODUCTS.length].sku}` }, `→ ${PRODUCTS[i % PRODUCTS.length].name}`)));
    const spring = el('div', { class: 'spring-banner', 'data-tp-expose': '', 'data-tp-banner': 'spring' },
      '春季焕新：会员群专享 8 折 Spring refresh: 20 % off in the member group');
    const like = el('button', { type: 'button', id: 'feed-like', 'data-tp-event': '', 'data-tp-topic': 'spring' }, '👍 喜欢 Like');
    scroller.append(el('h1', {}, '种草 Feed'), ...posts.slice(0, 4), spring, like, ...posts.slice(4));
    return { title: '种草 Feed', node: scroller };
  },
  done() {
    return { title: '下单成功 Thank you', node: el('section', {}, el('h1', {}, '下单成功 Thank you!'), el('a', { href: '#/' }, 'Back to the shop')) };
  },
  // A pushState route. Autotrack records form_submit with the form's id, name, action, method and
  // field count; the values typed here never leave the page.
  join() {
    const form = el('form', { id: 'join-form', name: 'join', action: 'join', method: 'post', 'data-tp-group': 'health_vip' },
      el('label', {}, '称呼 Name ', el('input', { name: 'name', id: 'join-name', autocomplete: 'name', required: '' })),
      el('label', {}, '手机号 Phone ', el('input', { name: 'phone', id: 'join-phone', type: 'tel', autocomplete: 'tel',
        required: '', pattern: '1[0-9]{10}', placeholder: '13800000000' })),
      el('input', { type: 'hidden', name: 'join_src_hidden', value: 'h5-shop-join-src' }),
      el('button', { type: 'submit', id: 'join-submit' }, '加入会员群 Join'));
    form.addEventListener('submit', (e) => {
      e.preventDefault(); // the demo posts nothing
      form.replaceWith(el('p', { id: 'join-done', class: 'coupon' }, '已提交，群主会尽快加你 Thanks — the group owner will add you soon.'));
    });
    return { title: '加入会员群 Join the group', node: el('section', {}, el('h1', {}, '加入会员群 Join the member group'),
      el('p', {}, '每周群内秒杀、新品试用和一对一健康顾问。Weekly flash sales, new-product trials and a personal adviser.'),
      form, el('p', {}, el('a', { href: '#/', id: 'back-to-shop' }, '← 返回商城 Back to the shop'))) };
  },
};

// Hash routes win (they keep working from any query); otherwise ?view=join; otherwise the list.
let shown = null;
function render() {
  const key = location.search + location.hash;
  if (key === shown) return; // popstate and hashchange both fire for one hash navigation
  shown = key;
  const h = location.hash.replace(/^#/, '');
  let view;
  if (h.startsWith('/p/')) view = routes.product(decodeURIComponent(h.slice(3)));
  else if (h === '/cart') view = routes.cart();
  else if (h === '/done') view = routes.done();
  else if (h === '/feed') view = routes.feed();
  else if (!h && new URLSearchParams(location.search).get('view') === 'join') view = routes.join();
  else view = routes.list();
  document.title = view.title; // autotrack names the page view after the title
  $('view').replaceChildren(view.node);
  window.scrollTo(0, 0);
  updateCoupon();
  refreshPanel();
}

// Links marked data-nav change the route with history.pushState (no reload, no hashchange).
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[data-nav]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  e.preventDefault();
  history.pushState(null, '', a.href);
  render();
});
window.addEventListener('popstate', render);
window.addEventListener('hashchange', render);

touchpoint.on('delivery', (d) => {
  if (d.status >= 200 && d.status < 300) { delivered.events += d.events; delivered.batches += 1; }
  log(`batch ${d.batch}: ${d.events} events → HTTP ${d.status || 'network error'}`);
  refreshPanel();
});
touchpoint.on('tags', (t) => { log(`tags now: ${t.tags.join(', ')}`); updateCoupon(); refreshPanel(); });
touchpoint.on('error', (e) => log(`error ${e.code}: ${e.message}`));

$('login').addEventListener('click', () => {
  touchpoint.identify('demo-user-1', { name: '张三', plan: 'vip' });
  log('identify demo-user-1');
  setTimeout(refreshPanel, 0);
});
$('logout').addEventListener('click', () => { touchpoint.reset(); log('reset'); setTimeout(refreshPanel, 0); });

// The first view renders at once (calls made before init() resolves are buffered); its title is
// in place when autotrack records the first page view.
render();

// Tests and the bench reach the SDK through this (the shop itself imports it as a module).
window.touchpoint = touchpoint;
window.touchpointReady = touchpoint.init({
  writeKey: 'demo-shop',
  endpoint: location.origin,
  debug: params.has('debug'),
  flushInterval: params.has('flushInterval') ? Number(params.get('flushInterval')) : undefined,
  // ?midnight: a session ends at local midnight, so per-day reports add up (off by default).
  splitSessionsAtMidnight: params.has('midnight') || undefined,
  // ?autocapture: also element_clicked for every link/button; ?leaveOnHidden: page_leave at hidden.
  autotrack: { autocapture: params.has('autocapture'), engagement: { onHidden: params.has('leaveOnHidden') } },
}).then(() => { updateCoupon(); refreshPanel(); return true; }, (err) => { log(`init failed: ${err.message}`); return false; });
