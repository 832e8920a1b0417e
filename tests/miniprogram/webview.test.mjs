// The web-view round trip: the mini-program's webviewUrl opens the H5 shop (examples/h5) in
// headless Chromium with a WeChat mini-program UA; both sides' events land under one anonymousId
// and one session,
// the H5 side says it runs in a mini-program web-view, and the ids leave its address bar.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { FakeClock } from './simulator.mjs';
import { deliver, phone, settle } from './support.mjs';

// WeChat's web-view UA on iOS (the `miniProgram` token is what the H5 side detects).
const WEBVIEW_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN miniProgram/wx0000000000000000';

let collector;
let chrome;
before(async () => {
  collector = await startCollector({ args: ['--rules', path.join(ROOT, 'examples/rules/shop-rules.json')] });
  chrome = await launchBrowser();
});
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });

test('mini-program -> <web-view> H5 shop: one anonymousId, one profile, the web-view is known', async () => {
  const p = phone(collector, { clock: new FakeClock() });
  const { app, tp } = await p.launch({ scene: 1001 });
  tp.setExternalId('openid', 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o');
  tp.setExternalId('appid', 'wx0123456789abcdef');
  await app.tap('p-A-1001'); // a product_view in the mini-program...
  await settle();
  await app.navigateBack();
  await app.tap('open-shop');
  await settle();
  assert.equal(app.currentPage.route, 'pages/shop/shop');
  const src = app.currentPage.data.src;
  const anon = tp.anonymousId();
  const mpSession = tp.visit().session.id;
  assert.match(mpSession, /^[0-9a-f]{16}$/);
  assert.ok(src.includes(`tp_sid=${mpSession}`), src);
  assert.ok(src.startsWith(`${collector.url}/examples/h5/index.html?tp_anon=${anon}&tp_openid=`), src);

  const context = await chrome.browser.newContext({ userAgent: WEBVIEW_UA });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(src);
  assert.equal(await page.evaluate(() => window.touchpointReady), true);
  assert.equal(await page.evaluate(() => window.touchpoint.anonymousId()), anon);
  assert.equal(await page.evaluate(() => window.touchpoint.visit().session.id), mpSession, 'one session chain');
  assert.equal(new URL(page.url()).search, '', 'the ids left the address bar');
  // ...and one in the H5 shop.
  await page.evaluate(async () => { window.touchpoint.track('product_view', { sku: 'A-1001', category: 'health', price: 129.5 }); await window.touchpoint.flush(); });
  await context.close();

  await app.hide();
  await deliver(p.sim, async () => (await collector.events(`anonymousId=${anon}&event=app_hide`)).length === 1);
  const events = await waitFor(async () => {
    const all = (await collector.events(`anonymousId=${anon}`)).map((e) => e.body);
    return all.some((e) => e.event === 'product_view' && e.context.page && /^http/.test(e.context.page.url)) ? all : null;
  }, { what: 'H5 events under the mini-program visitor' });
  const h5 = events.filter((e) => e.context.page && /^http/.test(e.context.page.url));
  const mp = events.filter((e) => e.context.miniprogram && e.context.miniprogram.platform === 'wechat');
  assert.ok(mp.some((e) => e.event === 'app_launch'));
  assert.ok(h5.length >= 2, 'page view and product_view from the H5 shop');
  assert.ok(!h5.some((e) => e.event === 'session_start'), 'the H5 page continues the session: no session_start of its own');
  for (const e of h5) {
    assert.equal(e.context.session.id, mpSession, `${e.event} carries the mini-program's session`);
    assert.deepEqual(e.context.miniprogram, { webview: true });
    assert.ok(!/tp_anon|tp_openid|tp_sid/.test(e.context.page.url), e.context.page.url);
  }
  assert.ok(h5.some((e) => (e.context.externalIds || []).some((x) => x.type === 'wechat_openid' && x.id === 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o')), 'the openid travelled too');
  // One profile from both sides.
  const profile = await waitFor(async () => {
    const r = await collector.json(`/v1/users/${anon}`);
    return r.status === 200 && r.body.stored >= events.length ? r.body : null;
  }, { what: 'profile' });
  assert.equal(profile.traits.health_views_7d, 2, 'one product_view on each side, one trait');
  assert.deepEqual(problems, []);
});
