// Cross-browser end-to-end: the demo shop (ES module build) and a script-tag page (UMD build) in
// real WebKit (WebKitGTK, the engine family of iOS WKWebView: WeChat and Safari on iPhone) and real
// Firefox, against the reference collector. What is checked is what a site owner sees: events in
// the database exactly once, with the engine's user agent; visit() answers; nothing reaches
// on('error') and no page error. One collector for the file; one browser per engine (a new visitor).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { launchWebKit } from '../support/webkit.mjs';
import { launchFirefox } from '../support/firefox.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// Events tracked in the same task as location.reload(): enough for several batches' worth.
const RELOAD_EVENTS = 100;

const ENGINES = [
  { name: 'WebKit', launch: launchWebKit, userAgent: /AppleWebKit\/\d/, notUserAgent: /Chrome|Chromium|Firefox/ },
  { name: 'Firefox', launch: launchFirefox, userAgent: /Firefox\/\d+/, notUserAgent: /Chrome|AppleWebKit/ },
];

let collector;
before(async () => { collector = await startCollector(); });
after(async () => { if (collector) await collector.stop(); });
beforeEach(async () => { await collector.reset(); });

function countBy(items, key) {
  const m = new Map();
  for (const x of items) m.set(key(x), (m.get(key(x)) || 0) + 1);
  return m;
}

// Every row in the database once by messageId, each sent by this engine.
function assertOnceWithUserAgent(events, browser) {
  const repeated = [...countBy(events, (e) => e.messageId)].filter(([, n]) => n > 1);
  assert.deepEqual(repeated, [], 'every messageId stored once');
  for (const e of events) assert.equal(e.body.context.userAgent, browser.userAgent, `user agent of ${e.body.event || e.body.type}`);
}

// What the page's own on('error') subscriber saw (subscribed right after init: window.__tpxSdkErrors).
const subscribeErrors = () => {
  window.__tpxSdkErrors = [];
  window.touchpoint.on('error', (e) => window.__tpxSdkErrors.push({ code: e.code, message: e.message }));
};
// The shop logs every on('error') (subscribed before init) and a failed init in its panel.
const shopLoggedErrors = () => [...document.querySelectorAll('#log li')].map((li) => li.textContent)
  .filter((t) => / error [\w.:-]+: |init failed/.test(t));

async function assertNoErrors(browser, where) {
  assert.deepEqual(await browser.evaluate('window.__tpxSdkErrors || window.errors || []'), [], `on('error') ${where}`);
  assert.deepEqual(await browser.pageErrors(), [], `page errors ${where}`);
}

for (const engine of ENGINES) {
  describe(`${engine.name}: shop and script tag → collector`, () => {
    let browser;
    before(async () => {
      const t0 = Date.now();
      browser = await engine.launch();
      console.log(`# ${engine.name} started in ${Date.now() - t0} ms: ${browser.userAgent}`);
    });
    after(async () => { if (browser) await browser.close(); });

    test('shop actions, visit() and flush land once with the engine\'s user agent; a reload loses nothing', async () => {
      assert.match(browser.userAgent, engine.userAgent);
      assert.doesNotMatch(browser.userAgent, engine.notUserAgent);
      await browser.goto(`${collector.url}/examples/h5/index.html`);
      assert.equal(await browser.evaluate('window.touchpointReady'), true, 'SDK init resolved');
      await browser.evaluate(subscribeErrors);

      await browser.evaluate(() => document.querySelector('a[href="#/p/A-1001"]').click());
      await browser.waitFor(() => !!document.getElementById('add-to-cart'), { what: 'the product page' });
      // visit() used to abort the wasm core in every browser: the core must still track after it.
      const visit = await browser.evaluate(() => window.touchpoint.visit());
      assert.equal(typeof visit.session?.id, 'string');
      assert.ok(visit.session.id.length > 0, 'a session id');
      assert.match(visit.anonymousId, UUID);
      await browser.evaluate(() => document.getElementById('add-to-cart').click());
      await browser.waitFor(() => document.getElementById('cart-count').textContent === '1', { what: 'the cart count' });
      assert.equal(await browser.evaluate(() => window.touchpoint.flush()), true, 'flush answered');

      const events = await waitFor(async () => {
        const ev = await collector.events();
        return ev.some((e) => e.body.event === 'product_view') && ev.some((e) => e.body.event === 'add_to_cart')
          && ev.filter((e) => e.body.type === 'page').length >= 2 ? ev : null;
      }, { what: 'product_view, add_to_cart and 2 page views in the collector' });
      assertOnceWithUserAgent(events, browser);
      const bodies = events.map((e) => e.body);
      assert.equal(bodies.filter((b) => b.event === 'product_view').length, 1);
      const add = bodies.filter((b) => b.event === 'add_to_cart');
      assert.equal(add.length, 1);
      assert.equal(add[0].properties.sku, 'A-1001');
      assert.equal(add[0].properties.price, 129.5);
      assert.deepEqual([...new Set(bodies.map((b) => b.anonymousId))], [visit.anonymousId], 'one visitor, the one visit() names');
      for (const b of bodies) assert.equal(b.context.session?.id, visit.session.id, `session of ${b.event || b.type}`);
      assert.deepEqual(await browser.evaluate(shopLoggedErrors), [], 'the shop panel logged no error');
      await assertNoErrors(browser, 'after the shop actions');

      // Tracked in the same task as the reload: nothing may be lost or stored twice.
      await browser.reloadAfter((n) => { for (let i = 0; i < n; i++) window.touchpoint.track('reload_test', { i }); }, RELOAD_EVENTS);
      assert.equal(await browser.evaluate('window.touchpointReady'), true, 'SDK init resolved after the reload');
      await browser.evaluate(subscribeErrors);
      assert.equal(await browser.evaluate(() => window.touchpoint.flush()), true, 'flush answered after the reload');
      await waitFor(async () => (await collector.events('event=reload_test')).length >= RELOAD_EVENTS,
        { what: `${RELOAD_EVENTS} reload_test events`, timeoutMs: 30000, intervalMs: 250 });
      // Settle: whatever is still queued or in flight has its answer before counting.
      assert.equal(await browser.evaluate(() => window.touchpoint.flush()), true);
      assert.equal(await browser.evaluate(() => window.touchpoint.queueStats().queued), 0, 'queue empty');
      const reloaded = await collector.events('event=reload_test');
      assert.equal(reloaded.length, RELOAD_EVENTS, 'every reload_test event stored once');
      assert.equal(new Set(reloaded.map((e) => e.body.properties.i)).size, RELOAD_EVENTS, 'every i present');
      assertOnceWithUserAgent(await collector.events(), browser);
      const stats = (await collector.json('/v1/stats')).body;
      console.log(`# ${engine.name}: collector stats after the reload ${JSON.stringify(stats)}`);
      assert.equal(await browser.evaluate(() => window.touchpoint.anonymousId()), visit.anonymousId, 'same visitor after the reload');
      assert.deepEqual(await browser.evaluate(shopLoggedErrors), [], 'the shop panel logged no error after the reload');
      await assertNoErrors(browser, 'after the reload');
    });

    test('the script-tag build (dist/touchpoint.umd.js) loads, tracks and answers visit()', async () => {
      await browser.goto(`${collector.url}/tests/browser-x/pages/umd.html`);
      assert.equal(await browser.evaluate('window.touchpointReady'), true, 'SDK init resolved');
      await browser.evaluate(() => window.touchpoint.track('umd_test', { n: 1 }));
      const visit = await browser.evaluate(() => window.touchpoint.visit());
      assert.ok(visit.session && visit.session.id, 'a session id');
      assert.match(visit.anonymousId, UUID);
      assert.equal(await browser.evaluate(() => window.touchpoint.flush()), true);
      const [ev, ...more] = await waitFor(async () => { const e = await collector.events('event=umd_test'); return e.length ? e : null; },
        { what: 'umd_test in the collector' });
      assert.equal(more.length, 0, 'stored once');
      assert.equal(ev.body.properties.n, 1);
      assert.equal(ev.body.anonymousId, visit.anonymousId);
      assertOnceWithUserAgent(await collector.events(), browser);
      // page-guard.js ran before the SDK: errors of the whole load are in window.__tpxErrors.
      assert.deepEqual(await browser.evaluate('window.__tpxErrors'), [], 'no error while loading the script-tag build');
      await assertNoErrors(browser, 'on the script-tag page');
    });
  });
}
