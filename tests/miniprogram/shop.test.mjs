// The example mini-program (examples/miniprogram) in the simulated runtime, with dist/miniprogram/
// as its SDK, against the real collector: what lands in the database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { FakeClock, WxStorage, MAX_KEY_BYTES } from './simulator.mjs';
import { deliver, phone, settle } from './support.mjs';

let collector;
before(async () => { collector = await startCollector({ args: ['--rules', path.join(ROOT, 'examples/rules/shop-rules.json')] }); });
after(async () => { if (collector) await collector.stop(); });

const eventsOf = async (anon) => (await collector.events(`anonymousId=${encodeURIComponent(anon)}`)).map((e) => e.body);
// Values made in the app's realm, as plain host values (deepStrictEqual compares prototypes).
const host = (v) => JSON.parse(JSON.stringify(v));
const named = (events, name) => events.filter((e) => (e.event || e.name) === name);

describe('the example shop mini-program', () => {
  test('launch from a poster QR, pages, taps, hide: scene, campaign, page views and leaves, taps, tags', async () => {
    const clock = new FakeClock();
    const p = phone(collector, { clock });
    const query = { utm_source: 'poster', utm_medium: 'offline', utm_campaign: 'spring', tp_store: 'S01', tp_staff: 'E07', tp_qr: 'Q9' };
    const { app, tp } = await p.launch({ scene: 1047, path: 'pages/list/list', query });
    const anon = tp.anonymousId();
    assert.match(anon, /^[0-9a-f-]{36}$/);
    // Rules come through wx.request (platform.fetchRules); events before they are in count for
    // the server's recomputation only, so the visit starts once they are.
    await waitFor(() => tp.rulesVersion() === 'shop-2026-11-22.1', { what: 'rules fetched through wx.request' });
    await clock.advance(2000);
    for (let i = 0; i < 3; i++) {
      await app.tap('p-A-1001');            // product_click, then navigateTo the detail page
      await settle();
      assert.equal(app.currentPage.route, 'pages/detail/detail');
      await clock.advance(1500);
      if (i === 0) await app.tap('add-to-cart');
      if (i === 2) await app.tap('buy');
      await app.navigateBack();
      await clock.advance(500);
    }
    await app.hide();
    // Flushed at once on hide, within the runtime's 5 s: the phone's clock does not move here.
    const hiddenAt = clock.now();
    await waitFor(async () => named(await eventsOf(anon), 'app_hide').length === 1, { what: 'app_hide delivered' });
    assert.equal(clock.now(), hiddenAt);
    const events = await eventsOf(anon);

    const [launch] = named(events, 'app_launch');
    assert.deepEqual(launch.properties, { scene: 'wx-1047', path: '/pages/list/list', query: 'utm_source=poster&utm_medium=offline&utm_campaign=spring&tp_store=S01&tp_staff=E07&tp_qr=Q9' });
    assert.equal(named(events, 'app_show')[0].properties.scene, 'wx-1047');
    // The launch query fed attribution like an H5 landing URL; the scene is the channel.
    assert.deepEqual(
      Object.fromEntries(Object.entries(launch.context.campaign).filter(([k]) => k !== 'timestamp_ms')),
      { source: 'poster', medium: 'offline', name: 'spring', store_id: 'S01', staff_id: 'E07', qr_id: 'Q9', channel: 'wx-1047' });
    assert.equal(launch.context.miniprogram.scene, 'wx-1047');
    assert.equal(launch.context.miniprogram.platform, 'wechat');
    // One session for the whole visit: the landing page repeats the launch's campaign.
    assert.equal(named(events, 'session_start').length, 1);
    // Page views on every onShow (list, detail, back to list...), leaves with their durations.
    const views = events.filter((e) => e.type === 'page');
    assert.deepEqual(views.map((v) => v.name), ['pages/list/list', 'pages/detail/detail', 'pages/list/list', 'pages/detail/detail', 'pages/list/list', 'pages/detail/detail', 'pages/list/list']);
    assert.deepEqual(views[1].properties.query, 'sku=A-1001');
    assert.equal(views[1].properties.path, '/pages/detail/detail');
    assert.equal(views[1].properties.referrer, '/pages/list/list?utm_source=poster&utm_medium=offline&utm_campaign=spring&tp_store=S01&tp_staff=E07&tp_qr=Q9&tp_channel=wx-1047');
    const leaves = named(events, 'page_leave');
    assert.equal(leaves.length, 7);
    assert.deepEqual(leaves.slice(0, 2).map((l) => [l.properties.route, l.properties.duration_ms]), [['pages/list/list', 2000], ['pages/detail/detail', 1500]]);
    // Taps on data-tp-event elements, with the data-tp-* properties; the page they happened on.
    const clicks = named(events, 'product_click');
    assert.equal(clicks.length, 3);
    assert.deepEqual(clicks[0].properties, { sku: 'A-1001', category: 'health' });
    assert.equal(clicks[0].context.page.path, '/pages/list/list');
    assert.deepEqual(named(events, 'add_to_cart')[0].properties, { sku: 'A-1001', category: 'health', price: '129.5' });
    assert.equal(named(events, 'order_completed').length, 1);
    const [hide] = named(events, 'app_hide');
    assert.equal(hide.properties.duration_ms, 2000 + 3 * 2000);
    // Tags on the phone equal the collector's recomputation with the same engine.
    assert.deepEqual(host(tp.tags()).sort(), ['buyer', 'interest:health']);
    const server = await waitFor(async () => {
      const r = await collector.json(`/v1/users/${anon}`);
      return r.status === 200 && r.body.stored >= events.length ? r.body : null;
    }, { what: 'server profile' });
    assert.deepEqual(server.tags.slice().sort(), host(tp.tags()).sort());
    assert.equal(server.stages.lifecycle, tp.stage('lifecycle'));
    assert.deepEqual(server.traits, host(tp.traits()));
    assert.equal(server.scores.lead.grade, tp.scores().lead.grade);
    // The runtime's limits held: never more than 3 requests, no key near 1 MB, no sync write.
    assert.ok(p.sim.network.maxActive <= 3, `max ${p.sim.network.maxActive} requests at once`);
    assert.equal(p.storage.stats.syncWrites, 0);
    assert.equal(p.storage.stats.syncReads, 0, 'start-up read storage asynchronously');
    assert.deepEqual(host(app.errors), []);
  });

  test('back by a direct scene: same campaign and session; back by a new chat card: a new campaign and session', async () => {
    const clock = new FakeClock();
    const p = phone(collector, { clock });
    const { app, tp } = await p.launch({ scene: 1047, path: 'pages/list/list', query: { utm_source: 'poster' } });
    const anon = tp.anonymousId();
    await app.hide();
    await clock.advance(60 * 1000);
    await app.show({ scene: 1089 }); // recents, back to the page that was showing
    await app.hide();
    await clock.advance(60 * 1000);
    await app.show({ scene: 1007, path: 'pages/detail/detail', query: { sku: 'B-2001', utm_source: 'group' } });
    await settle();
    await app.hide();
    await waitFor(async () => named(await eventsOf(anon), 'app_hide').length === 3, { what: 'three app_hide' });
    const events = await eventsOf(anon);
    const shows = named(events, 'app_show');
    assert.deepEqual(shows.map((e) => e.properties.scene), ['wx-1047', 'wx-1089', 'wx-1007']);
    assert.deepEqual(shows.map((e) => [e.context.campaign.source, e.context.campaign.channel]), [['poster', 'wx-1047'], ['poster', 'wx-1047'], ['group', 'wx-1007']]);
    assert.deepEqual(named(events, 'session_start').map((e) => e.properties.reason), ['first', 'campaign']);
  });

  test('iOS <= 15 (Promise callbacks as macrotasks): the same visit lands whole', async () => {
    const p = phone(collector, { promiseMacrotasks: true });
    const { app, tp } = await p.launch({ scene: 1007, path: 'pages/list/list', query: { utm_source: 'chat' } });
    await app.tap('p-A-1001');
    await settle(20);
    assert.equal(app.currentPage.route, 'pages/detail/detail');
    const share = await app.tap('share');
    assert.match(share.path, /tp_depth=1/);
    await app.hide();
    const anon = tp.anonymousId();
    const events = await waitFor(async () => {
      const all = await eventsOf(anon);
      return named(all, 'app_hide').length === 1 ? all : null;
    }, { what: 'app_hide' });
    const names = events.map((e) => e.event || e.name);
    for (const n of ['session_start', 'app_launch', 'app_show', 'pages/list/list', 'product_click', 'page_leave', 'pages/detail/detail', 'product_view', 'share', 'app_hide'])
      assert.ok(names.includes(n), `${n} in ${names}`);
    assert.equal(named(events, 'app_launch')[0].context.campaign.source, 'chat');
  });

  test('a share chain two levels deep: share -> friend lands (depth 1) -> shares -> their friend lands (depth 2)', async () => {
    const clock = new FakeClock();
    const a = phone(collector, { clock });
    const { app: appA, tp: tpA } = await a.launch({ scene: 1001, path: 'pages/detail/detail', query: { sku: 'A-1001' } });
    const shareA = await appA.tap('share'); // <button open-type="share">: onShareAppMessage returns a Promise
    assert.match(shareA.path, /^\/pages\/detail\/detail\?sku=A-1001&tp_ref=[^&]+&tp_share=[^&]+&tp_depth=1&tp_ch=wechat_chat$/);
    await appA.hide();

    const b = phone(collector, { clock });
    const { app: appB, tp: tpB } = await b.launch({ scene: 1007, path: shareA.path });
    assert.equal(tpB.visit().referral.depth, 1);
    const shareB = await appB.share({ from: 'menu' });
    assert.match(shareB.path, /tp_depth=2&tp_ch=wechat_chat$/);
    const timeline = await appB.shareTimeline();
    assert.match(timeline.query, /^sku=A-1001&tp_ref=[^&]+&tp_share=[^&]+&tp_depth=2&tp_ch=moments$/);
    await appB.hide();

    const c = phone(collector, { clock });
    const { app: appC, tp: tpC } = await c.launch({ scene: 1008, path: shareB.path });
    await appC.hide();
    for (const [p, tp] of [[a, tpA], [b, tpB], [c, tpC]])
      await deliver(p.sim, async () => named(await eventsOf(tp.anonymousId()), 'app_hide').length === 1);

    const sharesA = named(await eventsOf(tpA.anonymousId()), 'share');
    assert.equal(sharesA.length, 1);
    const evB = await eventsOf(tpB.anonymousId());
    const [landedB] = named(evB, 'share_landed');
    assert.equal(landedB.properties.depth, 1);
    assert.equal(landedB.properties.referrer_id, tpA.anonymousId());
    assert.equal(landedB.properties.channel, 'wechat_chat');
    assert.equal(named(evB, 'app_launch')[0].context.campaign.channel, 'wx-1007');
    assert.equal(named(evB, 'share').length, 2); // chat and timeline
    const [landedC] = named(await eventsOf(tpC.anonymousId()), 'share_landed');
    assert.equal(landedC.properties.depth, 2);
    assert.equal(landedC.properties.referrer_id, tpB.anonymousId());
    assert.equal(tpC.visit().referral.depth, 2);
  });

  test('a batch still running 5 s after hide is interrupted, re-sent at the next show, and stored once', async () => {
    const clock = new FakeClock();
    const p = phone(collector, { clock });
    const { app, tp } = await p.launch({ scene: 1001 });
    const anon = tp.anonymousId();
    await deliver(p.sim, async () => named(await eventsOf(anon), 'app_show').length === 1);
    await collector.fault({ hang_ms: 3000, count: 1 }); // the collector answers the next batch late
    for (let i = 0; i < 5; i++) tp.track('checkout_step', { step: i });
    await app.hide();
    const hung = p.sim.network.requests.length - 1;
    await clock.advance(5000);
    assert.equal(p.sim.network.requests[hung].outcome, 'request:fail interrupted');
    // The collector still stored that batch; the phone does not know it.
    await waitFor(async () => named(await eventsOf(anon), 'checkout_step').length === 5, { what: 'the hung batch stored' });
    assert.ok(tp.queueStats().queued >= 5);
    await app.show({ scene: 1089 });
    await deliver(p.sim, async () => tp.queueStats().queued === 0);
    const events = await eventsOf(anon);
    assert.equal(named(events, 'checkout_step').length, 5, 'the re-sent events are deduplicated');
    assert.equal(named(events, 'app_hide').length, 1);
    await collector.fault({ reset: true });
  });

  test('nothing is lost across an app kill during an outage; storage keys stay far below 1 MB', async () => {
    const clock = new FakeClock();
    const storage = new WxStorage();
    const p = phone(collector, { clock, storage });
    let { app, tp } = await p.launch({ scene: 1001 });
    const anon = tp.anonymousId();
    app.setNetwork(false);
    const N = 1000;
    const filler = '店'.repeat(200); // 600 B of UTF-8 per event: a ~1.5 MB queue
    for (let i = 0; i < N; i++) tp.track('outage_event', { seq: i, filler });
    await settle();
    await clock.advance(30000); // flush attempts fail (offline) and back off
    await app.hide();
    await tp._platform.storage.idle();
    // Each event is its own record (docs/storage.md), written asynchronously.
    const records = () => storage.keys().filter((k) => k.includes(':r:')).length;
    await waitFor(() => records() >= N, { what: `${N} records in wx storage` });
    app.kill();
    assert.ok(storage.stats.maxKeyBytes < MAX_KEY_BYTES / 2, `largest key ${storage.stats.maxKeyBytes} B`);

    p.sim.network.offline = false;
    const syncReads = storage.stats.syncReads;
    ({ app, tp } = await p.launch({ scene: 1089 }));
    assert.equal(storage.stats.syncReads, syncReads, 'the queue was read back asynchronously while the wasm loaded');
    assert.equal(tp.anonymousId(), anon);
    const count = async () => named(await eventsOf(anon), 'outage_event').length;
    await deliver(p.sim, async () => (await count()) >= N);
    const seqs = named(await eventsOf(anon), 'outage_event').map((e) => e.properties.seq).sort((x, y) => x - y);
    assert.equal(seqs.length, N, 'each event once');
    assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i));
    assert.equal(storage.stats.failures.length, 0);
  });

  test('a wasm path the runtime refuses fails init() with a clear error; the app keeps running', async () => {
    for (const [wasmPath, why] of [['/missing/touchpoint.wasm.br', /no such file in the package/], ['https://cdn.example.com/touchpoint.wasm', /not a URL/], ['/miniprogram_npm/touchpoint/index.js', /must end in \.wasm/]]) {
      const p = phone(collector, { extConfig: { wasmPath } });
      const app = await p.sim.launch({ scene: 1001 });
      await assert.rejects(app.context.getApp().globalData.touchpointReady, why);
      await app.tap('p-A-1001'); // pages and handlers still work
      await settle();
      assert.equal(app.currentPage.route, 'pages/detail/detail');
      app.kill();
    }
  });
});
