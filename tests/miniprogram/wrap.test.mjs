// App/Page/Component wrapping and the autotrack hooks, below the runtime: what the hooks see
// and what the app's methods still get; then, in the simulator, an app that registered App()
// before init() and a Component-built page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { wrapAppOptions, wrapComponentOptions, wrapPageOptions } from '../../js/src/miniprogram/wrap.js';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { MiniProgramSimulator } from './simulator.mjs';
import { MP_DIST, settle } from './support.mjs';

function recorder() {
  const calls = [];
  const rec = (name) => (...args) => { calls.push([name, ...args]); };
  return {
    calls,
    hooks: {
      appLaunch: rec('appLaunch'), appShow: rec('appShow'), appHide: rec('appHide'),
      pageShow: (inst, route, query) => calls.push(['pageShow', route, query]),
      pageLeave: (inst) => calls.push(['pageLeave', inst.route]),
      tap: (e) => calls.push(['tap', e.currentTarget.dataset.tpEvent]),
      shareMessage: (route, query, r) => { calls.push(['share', route]); return { ...r, path: (r.path || '/' + route) + '&shared=1' }; },
      shareTimeline: (route, query, r) => ({ ...r, query: r.query + '&shared=1' }),
    },
  };
}

describe('wrapping', () => {
  test('page lifecycle reaches the hooks around the app\'s own methods; taps before the handler', () => {
    const { calls, hooks } = recorder();
    const order = [];
    const opts = wrapPageOptions({
      onLoad(q) { order.push(['onLoad', q.sku]); },
      onShow() { order.push(['onShow']); },
      buy(e) { order.push(['buy', calls.length]); return 'bought'; },
    }, hooks);
    const page = Object.assign(Object.create(opts), { route: 'pages/d/d' });
    opts.onLoad.call(page, { sku: 'A' });
    opts.onShow.call(page);
    assert.equal(opts.buy.call(page, { type: 'tap', currentTarget: { dataset: { tpEvent: 'buy_click' } } }), 'bought');
    opts.buy.call(page, { type: 'longpress', currentTarget: { dataset: { tpEvent: 'x' } } });
    opts.onHide.call(page); // not defined by the app: added
    assert.deepEqual(order, [['onLoad', 'A'], ['onShow'], ['buy', 2], ['buy', 2]]);
    assert.deepEqual(calls, [['pageShow', 'pages/d/d', { sku: 'A' }], ['tap', 'buy_click'], ['pageLeave', 'pages/d/d']]);
    assert.equal(wrapPageOptions(opts, hooks), opts, 'wrapping twice is a no-op');
  });

  test('shares: sync, Promise and {promise} results are decorated once', async () => {
    const { calls, hooks } = recorder();
    const page = { route: 'pages/d/d', __tpQuery: { sku: 'A' } };
    const sync = wrapPageOptions({ onShareAppMessage: () => ({ title: 't', path: '/p?a=1' }) }, hooks);
    assert.deepEqual(sync.onShareAppMessage.call(page, {}), { title: 't', path: '/p?a=1&shared=1' });
    const promised = wrapPageOptions({ onShareAppMessage: () => Promise.resolve({ title: 't', path: '/p?b=1' }) }, hooks);
    assert.deepEqual(await promised.onShareAppMessage.call(page, {}), { title: 't', path: '/p?b=1&shared=1' });
    const late = wrapPageOptions({ onShareAppMessage: () => ({ title: 'now', path: '/p?c=1', promise: Promise.resolve({ title: 'later' }) }) }, hooks);
    const r = late.onShareAppMessage.call(page, {});
    assert.equal(r.path, '/p?c=1&shared=1');
    assert.deepEqual(await r.promise, { title: 'later', path: '/p?c=1&shared=1' });
    assert.equal(calls.filter((c) => c[0] === 'share').length, 3, 'one share each');
    const tl = wrapPageOptions({ onShareTimeline: () => ({ query: 'x=1' }) }, hooks);
    assert.deepEqual(tl.onShareTimeline.call(page), { query: 'x=1&shared=1' });
  });

  test('App hooks; Component pages use methods.onLoad/onShow; plain components only taps', () => {
    const { calls, hooks } = recorder();
    const app = wrapAppOptions({ onLaunch(o) { calls.push(['app.onLaunch', o.scene]); } }, hooks);
    app.onLaunch({ scene: 1007 });
    app.onShow({ scene: 1007 });
    app.onHide();
    const comp = wrapComponentOptions({ methods: { onLoad() {}, onShow() {}, go() {} } }, hooks);
    const inst = { route: 'pages/c/c' };
    comp.methods.onLoad.call(inst, { q: '1' });
    comp.methods.onShow.call(inst);
    comp.methods.go.call(inst, { type: 'tap', currentTarget: { dataset: { tpEvent: 'go' } } });
    const plain = wrapComponentOptions({ methods: { press() {} } }, hooks);
    plain.methods.press({ type: 'tap', currentTarget: { dataset: { tpEvent: 'press' } } });
    assert.equal(plain.methods.onShow, undefined);
    assert.deepEqual(calls, [['appLaunch', { scene: 1007 }], ['app.onLaunch', 1007], ['appShow', { scene: 1007 }], ['appHide'],
      ['pageShow', 'pages/c/c', { q: '1' }], ['tap', 'go'], ['tap', 'press']]);
  });
});

describe('in the simulator', () => {
  let collector;
  before(async () => { collector = await startCollector(); });
  after(async () => { if (collector) await collector.stop(); });

  test('init() after App(): launch and show/hide still tracked (wx.getLaunchOptionsSync, wx.onAppShow/Hide); a Component page', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-mp-late-'));
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ pages: ['pages/c/c'] }));
    fs.writeFileSync(path.join(dir, 'app.js'), `
      App({ globalData: {} });
      const touchpoint = require('touchpoint');
      getApp().globalData.ready = touchpoint.init({ writeKey: 'late-init', endpoint: wx.getExtConfigSync().endpoint });`);
    fs.mkdirSync(path.join(dir, 'pages/c'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pages/c/c.js'), `
      Component({ methods: { onLoad() {}, onShow() {}, like(e) {} } });`);
    fs.writeFileSync(path.join(dir, 'pages/c/c.wxml'), `<view id="like" bindtap="like" data-tp-event="like" data-tp-item="7"></view>`);
    const sim = new MiniProgramSimulator({ packageDir: dir, mounts: { '/miniprogram_npm/touchpoint': MP_DIST }, extConfig: { endpoint: collector.url } });
    const app = await sim.launch({ scene: 1011, query: { utm_source: 'qr' } });
    await app.context.getApp().globalData.ready;
    await app.tap('like');
    await app.hide();
    const tp = app.require('/app.js', 'touchpoint');
    const anon = tp.anonymousId();
    const events = await waitFor(async () => {
      const all = (await collector.events(`anonymousId=${anon}`)).map((e) => e.body);
      return all.some((e) => e.event === 'app_hide') ? all : null;
    }, { what: 'app_hide' });
    const names = events.map((e) => e.event || e.name);
    for (const n of ['app_launch', 'app_show', 'pages/c/c', 'like', 'page_leave', 'app_hide']) assert.ok(names.includes(n), `${n} in ${names}`);
    const launch = events.find((e) => e.event === 'app_launch');
    assert.equal(launch.properties.scene, 'wx-1011');
    assert.equal(launch.context.campaign.source, 'qr');
    assert.deepEqual(events.find((e) => e.event === 'like').properties, { item: '7' });
    await settle();
  });
});
