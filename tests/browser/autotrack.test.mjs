// Autotrack end-to-end: the shop in real headless Chromium → wasm core → the reference collector →
// SQLite. One test per tracker; each asserts what reached the database (events, properties,
// context, counts). One Chromium and one collector for the whole file; each test is a new visitor
// and only looks at its own anonymousId's events.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';
import { scrollTo } from '../support/scroll.mjs';
import { cleanUrl } from '../../js/src/autotrack/util.js';

let collector;
let chrome;

before(async () => {
  collector = await startCollector();
  chrome = await launchBrowser();
});
after(async () => {
  if (chrome) await chrome.close();
  if (collector) await collector.stop();
});
beforeEach(async () => { await collector.reset(); });

const SHOP = '/examples/h5/index.html';

async function openShop(query = '', { initScript } = {}) {
  const t = await chrome.newPage();
  // CSP violations (the shop runs under script-src 'self' 'wasm-unsafe-eval') count as problems.
  await t.page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  if (initScript) await t.page.addInitScript(initScript);
  await t.page.goto(`${collector.url}${SHOP}${query}`);
  assert.equal(await t.page.evaluate(() => window.touchpointReady), true, 'SDK init resolved');
  t.anon = await t.page.evaluate(() => window.touchpoint.anonymousId());
  assert.ok(t.anon, 'anonymousId');
  return t;
}

const flush = (page) => page.evaluate(() => window.touchpoint.flush());

// This visitor's events, optionally one event name (track) or type (page).
async function mine(t, { event, type } = {}) {
  const q = [`anonymousId=${encodeURIComponent(t.anon)}`];
  if (event) q.push(`event=${encodeURIComponent(event)}`);
  if (type) q.push(`type=${type}`);
  return collector.events(q.join('&'));
}

async function waitMine(t, filter, n, what) {
  return waitFor(async () => {
    const ev = await mine(t, filter);
    return ev.length >= n ? ev : null;
  }, { what: `${what} (${n})` });
}

// Hidden / visible as a backgrounded tab or web-view would report it (headless pages stay visible).
const setVisibility = (page, state) => page.evaluate((s) => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => s === 'hidden' });
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
}, state);

// Records a sentinel, then hides the page: the shell's hidden flush sends it with everything
// queued before it; once it is stored, the collector has all of it.
async function sentinel(t, name) {
  await t.page.evaluate((n) => window.touchpoint.track('sentinel', { n }), name);
  await setVisibility(t.page, 'visible');
  await setVisibility(t.page, 'hidden');
  await waitFor(async () => (await mine(t, { event: 'sentinel' })).some((e) => e.body.properties.n === name), { what: `sentinel ${name}` });
}

const endsWith = (s, suffix) => typeof s === 'string' && s.endsWith(suffix);

describe('autotrack URL hygiene', () => {
  test('cleanUrl drops the web-view id params exactly like the core (url::remove_params), else keeps the URL', () => {
    for (const [from, to] of [
      ['https://h/p?a=1&tp_uid=x&b=%20#f', 'https://h/p?a=1&b=%20#f'],
      ['https://h/p?tp_anon=x', 'https://h/p'],
      ['https://h/p?tp%5Fuid=x&k=1', 'https://h/p?k=1'],
      ['https://h/#/r?tp_uid=x&k=1', 'https://h/#/r?k=1'],
      ['https://h/#/r?tp_openid=x', 'https://h/#/r'],
      ['https://h/#tp_appid=x', 'https://h/'],
      ['https://h/#tp_unionid=x&k=1', 'https://h/#k=1'],
      ['https://h/#', 'https://h/#'],
      ['https://h/#section', 'https://h/#section'],
      ['https://h/p?a=1&&b=2', 'https://h/p?a=1&&b=2'],
      ['https://h/p?a=1&&tp_uid=2#x', 'https://h/p?a=1#x'],
      ['https://h/p?tp_ref=1', 'https://h/p?tp_ref=1'],
    ]) assert.equal(cleanUrl(from), to, from);
  });
});

describe('autotrack on the shop → collector', () => {
  test('page views: first load and every route (hash, pushState, popstate), one per URL, no double counting', { timeout: 120000 }, async () => {
    const t = await openShop('?utm_source=wechat&tp_uid=demo-user-9');
    const { page, context, problems } = t;
    // The shell strips adopted web-view ids with replaceState: not a new page view.
    await page.evaluate(() => history.replaceState(history.state, '', location.href.replace(/&tp_uid=[^&#]*/, '')));
    await page.click('a[href="#/p/A-1001"]');                 // hash route: popstate + hashchange
    await page.waitForFunction(() => document.title.startsWith('益生菌'));
    await page.click('#join-link');                            // pushState route
    await page.waitForSelector('#join-form');
    await page.evaluate(() => {
      history.replaceState(history.state, '', location.href);  // same URL: no page view
      history.pushState(null, '', location.href);             // same URL: no page view
      history.replaceState({ x: 1 }, '');                      // no URL: no page view
    });
    await page.evaluate(() => history.go(-2));                 // popstate back to the product
    await page.waitForFunction(() => location.hash === '#/p/A-1001' && document.title.startsWith('益生菌'));
    await page.click('#cart-link');
    await page.waitForFunction(() => document.title === '购物车 Cart');
    await flush(page);

    const pages = await waitMine(t, { type: 'page' }, 5, 'page views');
    await flush(page);
    const all = (await mine(t, { type: 'page' })).map((e) => e.body);
    const base = `${collector.url}${SHOP}`;
    const q = '?utm_source=wechat'; // tp_uid is a web-view id: never in the URLs autotrack sends
    assert.deepEqual(all.map((b) => b.properties.url), [
      `${base}${q}`, `${base}${q}#/p/A-1001`, `${base}?view=join`, `${base}${q}#/p/A-1001`, `${base}${q}#/cart`,
    ]);
    assert.equal(pages.length, 5);
    assert.deepEqual(all.map((b) => b.name), ['商品列表 Products', '益生菌固体饮料 Probiotic drink', '加入会员群 Join the group',
      '益生菌固体饮料 Probiotic drink', '购物车 Cart']);
    assert.deepEqual(all.map((b) => b.properties.referrer), ['', `${base}${q}`, `${base}${q}#/p/A-1001`, `${base}?view=join`, `${base}${q}#/p/A-1001`]);
    for (const b of all) {
      assert.equal(b.properties.path, SHOP);
      assert.equal(b.properties.title, b.name);
      assert.ok(!JSON.stringify(b.properties).includes('tp_uid'), 'no web-view id in page properties');
      // The context the event carries is the page it was recorded on.
      assert.equal(b.context.page.url.replace(/[?&]tp_uid=[^&#]*/, ''), b.properties.url);
    }
    assert.equal(all[2].properties.search, '?view=join');
    assert.equal(all[4].properties.hash, '#/cart');
    assert.equal(all[0].properties.search, q);
    assert.deepEqual(problems, []);
    await assertHealthy(page);
    await context.close();
  });

  test('clicks: data-tp-event elements (and their children) send their event with data-tp-* properties; autocapture is opt-in', { timeout: 120000 }, async () => {
    const t = await openShop('#/p/B-2001');
    await t.page.click('#share');
    await t.page.click('#share .icon');                       // a child of the marked element
    await t.page.click('#save-qr');                           // at the bottom of the long page
    await t.page.click('#add-to-cart');                       // not marked: nothing from autotrack
    await flush(t.page);
    const shares = await waitMine(t, { event: 'share_click' }, 2, 'share_click');
    assert.equal(shares.length, 2);
    for (const e of shares) {
      assert.deepEqual(e.body.properties, { sku: 'B-2001', channel: 'wechat_friend' });
      assert.ok(endsWith(e.body.context.page.url, `${SHOP}#/p/B-2001`));
    }
    const qr = await mine(t, { event: 'group_qr_click' });
    assert.deepEqual(qr.map((e) => e.body.properties), [{ sku: 'B-2001' }]);
    assert.equal((await mine(t, { event: 'element_clicked' })).length, 0, 'autocapture is off by default');
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();

    // Opt-in autocapture: links and buttons, short text, href, id and a CSS path.
    const a = await openShop('?autocapture');
    await a.page.click('a[href="#/p/A-1001"]');
    await a.page.waitForSelector('#related-link');
    await a.page.click('#add-to-cart');
    await a.page.click('#share');                              // declarative wins: no element_clicked
    await a.page.click('#related-link');
    await a.page.waitForFunction(() => location.hash === '#/p/A-1002');
    await flush(a.page);
    const clicked = (await waitMine(a, { event: 'element_clicked' }, 3, 'element_clicked')).map((e) => e.body);
    assert.equal(clicked.length, 3);
    const [link, button, related] = clicked;
    assert.equal(link.properties.tag, 'a');
    assert.equal(link.properties.text, '益生菌固体饮料 Probiotic drink');
    assert.equal(link.properties.href, `${collector.url}${SHOP}?autocapture#/p/A-1001`);
    assert.match(link.properties.path, /^#view>section>div>div:nth-of-type\(1\)>a$/);
    assert.deepEqual(button.properties, { tag: 'button', path: '#add-to-cart', id: 'add-to-cart', text: '加入购物车 Add to cart' });
    assert.equal(related.properties.id, 'related-link');
    assert.equal(related.properties.text.length, 64, 'text is cut to 64 characters');
    assert.ok(related.properties.text.startsWith('相关推荐 Related: 维生素C泡腾片'), `whitespace collapsed: ${related.properties.text}`);
    assert.ok(endsWith(related.context.page.url, '#/p/A-1001'));
    assert.equal((await mine(a, { event: 'share_click' })).length, 1);
    assert.deepEqual(a.problems, []);
    await assertHealthy(a.page);
    await a.context.close();
  });

  test('exposure: element_exposed after half of a banner was visible for one continuous second, once per page view', { timeout: 120000 }, async () => {
    const t = await openShop();
    const { page } = t;
    // The join banner sits at the top of the list: exposed on its own.
    const [join] = await waitMine(t, { event: 'element_exposed' }, 1, 'join banner exposure');
    assert.deepEqual(join.body.properties, { name: 'join_banner', position: 'list_top', path: '#join-banner' });
    assert.ok(endsWith(join.body.context.page.url, SHOP));

    // The group-QR banner is at the bottom of a long product page: not exposed until scrolled to,
    // and a glimpse shorter than a second does not count.
    await page.click('a[href="#/p/A-1001"]');
    await page.waitForSelector('#group-qr');
    await page.evaluate(() => document.getElementById('group-qr').scrollIntoView({ block: 'center' }));
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate(() => new Promise((r) => setTimeout(r, 1300))); // longer than the 1 s rule
    await flush(page);
    const qrExposures = async () => (await mine(t, { event: 'element_exposed' })).filter((e) => e.body.properties.name === 'group_qr_banner');
    assert.equal((await qrExposures()).length, 0, 'a 300 ms glimpse is not an exposure');

    await page.evaluate(() => document.getElementById('group-qr').scrollIntoView({ block: 'center' }));
    const [qr] = await waitFor(async () => { await flush(page); const e = await qrExposures(); return e.length ? e : null; }, { what: 'QR exposure' });
    assert.deepEqual(qr.body.properties, { name: 'group_qr_banner', sku: 'A-1001', position: 'product_bottom', path: '#group-qr' });
    assert.ok(endsWith(qr.body.context.page.url, '#/p/A-1001'));

    // Away and back within the same page view: still one.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate(() => document.getElementById('group-qr').scrollIntoView({ block: 'center' }));
    await page.evaluate(() => new Promise((r) => setTimeout(r, 1300)));
    // An element added later is picked up (MutationObserver).
    await page.evaluate(() => {
      const d = document.createElement('div');
      d.setAttribute('data-tp-expose', 'late_banner');
      d.setAttribute('data-tp-slot', 'top');
      d.textContent = 'late banner';
      d.style.height = '80px';
      document.getElementById('group-qr').before(d);
    });
    await waitFor(async () => { await flush(page); return (await mine(t, { event: 'element_exposed' })).some((e) => e.body.properties.name === 'late_banner'); }, { what: 'late banner exposure' });
    assert.equal((await qrExposures()).length, 1, 'once per page view');

    // A new page view (SPA route change) counts again, even for the same banner.
    await page.click('#related-link');
    await page.waitForFunction(() => location.hash === '#/p/A-1002');
    await page.evaluate(() => history.back());
    await page.waitForFunction(() => location.hash === '#/p/A-1001' && document.getElementById('group-qr'));
    await page.evaluate(() => document.getElementById('group-qr').scrollIntoView({ block: 'center' }));
    const again = await waitFor(async () => { await flush(page); const e = await qrExposures(); return e.length >= 2 ? e : null; }, { what: 'second QR exposure' });
    assert.equal(again.length, 2);
    const pageViews = await mine(t, { type: 'page' });
    assert.equal(pageViews.length, 4, 'list, A-1001, A-1002, A-1001');
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });

  test('exposure without IntersectionObserver: no exposure events and no errors; the rest still works', { timeout: 120000 }, async () => {
    const t = await openShop('', { initScript: () => { delete window.IntersectionObserver; } });
    assert.equal(await t.page.evaluate(() => typeof window.IntersectionObserver), 'undefined');
    await t.page.evaluate(() => new Promise((r) => setTimeout(r, 1300)));
    await t.page.click('a[href="#/p/A-1001"]');
    await t.page.click('#share');
    await flush(t.page);
    await waitMine(t, { event: 'share_click' }, 1, 'share_click');
    assert.equal((await mine(t, { type: 'page' })).length, 2);
    assert.equal((await mine(t, { event: 'element_exposed' })).length, 0);
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });

  test('scroll depth: 25/50/75/90/100 once each per page view; a short page is 100 % at load', { timeout: 120000 }, async () => {
    const t = await openShop('#/p/A-1001');
    const { page } = t;
    const percents = async (hashSuffix) => (await mine(t, { event: 'scroll_depth' }))
      .filter((e) => endsWith(e.body.context.page.url, hashSuffix)).map((e) => e.body.properties.percent);
    for (const p of [30, 60, 80, 95, 100]) await scrollTo(page, p);
    await waitFor(async () => { await flush(page); return (await percents('#/p/A-1001')).length >= 5; }, { what: 'five milestones' });
    // Up and down again: nothing new.
    await scrollTo(page, 10);
    await scrollTo(page, 100);
    await flush(page);
    assert.deepEqual(await percents('#/p/A-1001'), [25, 50, 75, 90, 100]);

    // A new page view starts from zero: scrolled to 55 % it has 25 and 50 only.
    await page.click('#related-link');
    await page.waitForFunction(() => location.hash === '#/p/A-1002');
    assert.equal(await scrollTo(page, 55), 55);
    await waitFor(async () => { await flush(page); return (await percents('#/p/A-1002')).length >= 2; }, { what: 'A-1002 milestones' });
    await page.evaluate(() => new Promise((r) => setTimeout(r, 1200))); // past the settle time: nothing more
    await flush(page);
    assert.deepEqual(await percents('#/p/A-1002'), [25, 50]);

    // The (empty) cart fits in the viewport: 100 % seen at load, all five milestones.
    await page.click('#cart-link');
    await waitFor(async () => { await flush(page); return (await percents('#/cart')).length >= 5; }, { what: 'short page milestones' });
    assert.deepEqual(await percents('#/cart'), [25, 50, 75, 90, 100]);
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });

  test('engagement: one page_leave per page view (route change, pagehide), recorded before the shell\'s unload flush', { timeout: 120000 }, async () => {
    const t = await openShop('#/p/A-1001');
    const { page } = t;
    await page.mouse.move(100, 200);
    // The deepest scroll is the position the browser settled on, awaited and read back (scrolling to
    // "exactly 40 %" lands on 39 % whenever the page height is not a multiple of 5: the old flake).
    const reached = await scrollTo(page, 40);
    assert.ok(reached >= 40 && reached < 75, `reached ${reached}`);
    await page.evaluate(() => new Promise((r) => setTimeout(r, 1200)));
    await page.mouse.move(120, 220);
    await page.click('#join-link');                            // pushState: leaves the product page
    await page.waitForSelector('#join-form');
    await flush(page);
    const [leave] = await waitMine(t, { event: 'page_leave' }, 1, 'page_leave for the product');
    const p = leave.body.properties;
    assert.equal(p.path, SHOP);
    assert.ok(endsWith(p.url, `${SHOP}#/p/A-1001`));
    assert.ok(endsWith(leave.body.context.page.url, '#/p/A-1001'), 'recorded before the URL changed: old page context');
    assert.ok(p.duration_ms >= 1200, `duration_ms ${p.duration_ms}`);
    assert.ok(p.engaged_ms > 0 && p.engaged_ms <= p.duration_ms, `engaged_ms ${p.engaged_ms}`);
    assert.equal(p.max_scroll_percent, reached, 'the deepest scroll of the page view');

    // On the join page: hidden → visible → hidden (app switch) does not send; the unload does, once.
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    await setVisibility(page, 'hidden');
    await page.evaluate(() => new Promise((r) => setTimeout(r, 600)));
    await setVisibility(page, 'visible');
    await setVisibility(page, 'hidden');
    // (No flush() after hidden: the shell's unload sends never leave its in-flight map, so it
    // would not resolve.) The next hidden flush carries a sentinel and anything else queued.
    await sentinel(t, 'after_hidden_cycle');
    assert.equal((await mine(t, { event: 'page_leave' })).length, 1, 'hidden is not leaving');
    // Order of the unload work, kept in sessionStorage across the navigation.
    await page.evaluate(() => {
      const tp = window.touchpoint;
      const order = [];
      const note = (s) => { order.push(s); sessionStorage.setItem('unload-order', JSON.stringify(order)); };
      const track = tp.track;
      tp.track = (n, props) => { if (n === 'page_leave') note(n); return track(n, props); };
      const lifecycle = tp._onLifecycle.bind(tp);
      tp._onLifecycle = (kind) => { note(`shell:${kind}`); return lifecycle(kind); };
    });
    await page.goto(`${collector.url}/v1/stats`);              // pagehide; the shop is not reopened
    const order = JSON.parse(await page.evaluate(() => sessionStorage.getItem('unload-order')));
    assert.deepEqual(order.slice(0, 2), ['page_leave', 'shell:pagehide'], `order: ${order}`);
    const leaves = await waitFor(async () => {
      const ev = await mine(t, { event: 'page_leave' });
      return ev.length >= 2 ? ev : null;
    }, { what: 'page_leave sent by the unload flush' });
    assert.equal(leaves.length, 2);
    const j = leaves[1].body.properties;
    assert.ok(endsWith(j.url, '?view=join'));
    assert.ok(endsWith(leaves[1].body.context.page.url, '?view=join'));
    assert.ok(j.engaged_ms <= j.duration_ms - 400, `hidden time is not engaged: ${j.engaged_ms} of ${j.duration_ms}`);
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });

  test('engagement {onHidden: true}: page_leave at the first hidden, never twice', { timeout: 120000 }, async () => {
    const t = await openShop('?leaveOnHidden#/p/C-3001');
    const { page } = t;
    await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
    await setVisibility(page, 'hidden');
    const [leave] = await waitMine(t, { event: 'page_leave' }, 1, 'page_leave at hidden'); // the shell flushes on hidden
    assert.ok(endsWith(leave.body.properties.url, '#/p/C-3001'));
    await setVisibility(page, 'visible');
    await setVisibility(page, 'hidden');
    await setVisibility(page, 'visible');
    await page.click('#related-link');                         // the page view ends: already reported
    await page.waitForFunction(() => location.hash === '#/p/C-3002');
    await sentinel(t, 'after_route_change');                   // (this hidden reports the C-3002 view)
    assert.equal((await mine(t, { type: 'page' })).length, 2);
    const leaves = (await mine(t, { event: 'page_leave' })).map((e) => e.body.properties.url);
    assert.equal(leaves.filter((u) => u.endsWith('#/p/C-3001')).length, 1, `page_leave urls: ${leaves}`);
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });

  test('forms: form_submit with id, name, action path, method and field count — no value, no field name leaves the page', { timeout: 120000 }, async () => {
    const SECRETS = ['13912345678', '秘密名字Zq7', 'h5-shop-join-src', 'join_src_hidden', 'Pw-8842-secret', 'join_pin_secret'];
    const t = await openShop('?autocapture&view=join');
    const { page } = t;
    await page.waitForSelector('#join-form');
    // A password field too (the join form itself has none).
    await page.evaluate(() => {
      const pw = document.createElement('input');
      pw.type = 'password';
      pw.name = 'join_pin_secret';
      pw.id = 'join-pin';
      document.getElementById('join-submit').before(pw);
    });
    await page.click('#join-name');
    await page.fill('#join-name', '秘密名字Zq7');
    await page.click('#join-phone');
    await page.fill('#join-phone', '13912345678');
    await page.click('#join-pin');
    await page.fill('#join-pin', 'Pw-8842-secret');
    await page.click('#join-submit');
    await page.waitForSelector('#join-done');
    await flush(page);
    const [submit] = await waitMine(t, { event: 'form_submit' }, 1, 'form_submit');
    assert.deepEqual(submit.body.properties, { group: 'health_vip', id: 'join-form', name: 'join', action: '/examples/h5/join', method: 'post', fields: 3 });
    assert.ok(endsWith(submit.body.context.page.url, '?autocapture&view=join'));
    assert.equal((await mine(t, { event: 'form_submit' })).length, 1);
    // Autocapture saw the submit button, not the fields.
    const clicked = (await mine(t, { event: 'element_clicked' })).map((e) => e.body.properties);
    assert.deepEqual(clicked, [{ tag: 'button', path: '#join-submit', id: 'join-submit', text: '加入会员群 Join' }]);
    // Leave the page too (page_leave, scroll) and then grep every stored body.
    await page.goto(`${collector.url}/v1/stats`);
    await waitMine(t, { event: 'page_leave' }, 1, 'page_leave');
    const bodies = (await collector.events()).map((e) => JSON.stringify(e.body));
    assert.ok(bodies.length >= 4);
    for (const s of SECRETS) assert.ok(!bodies.some((b) => b.includes(s)), `"${s}" reached the collector`);
    assert.deepEqual(t.problems, []);
    await assertHealthy(t.page);
    await t.context.close();
  });
});
