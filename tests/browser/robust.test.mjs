// Abort recovery in real Chromium (issue 8): a wasm abort in the middle of a drain is reported
// once, a fresh module takes over, and every event reaches the collector exactly once; the
// harness's health check (tests/support/browser.mjs) sees it. Also: hostile calls never throw.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

let collector;
let chrome;
before(async () => { collector = await startCollector(); chrome = await launchBrowser(); });
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });
beforeEach(async () => { await collector.reset(); });

async function open(query = '') {
  const tab = await chrome.newPage();
  await tab.page.goto(`${collector.url}/tests/browser/pages/sdk.html?autotrack=false${query}`);
  assert.equal(await tab.page.evaluate(() => window.touchpointReady), true);
  return tab;
}

describe('robustness in Chromium', () => {
  test('hostile calls never throw into the page; the health check passes', async () => {
    const { page, context } = await open();
    const thrown = await page.evaluate(() => {
      const tp = window.touchpoint;
      const cyc = {}; cyc.self = cyc;
      const bad = { toString() { throw new Error('no'); }, toJSON() { throw new Error('no'); } };
      const out = [];
      const calls = [() => tp.track(10n), () => tp.track(cyc), () => tp.track(bad), () => tp.track('x', { n: 10n }), () => tp.shareUrl(location.href, null),
        () => tp.consent('yes'), () => tp.identify(bad), () => tp.unregister(bad), () => tp.visit(), () => tp.page(bad), () => tp.alias(bad, 5)];
      for (const c of calls) { try { c(); } catch (e) { out.push(String(e)); } }
      return out;
    });
    assert.deepEqual(thrown, []);
    await page.evaluate(() => window.touchpoint.flush());
    const codes = await page.evaluate(() => window.errors.map((e) => e.code));
    assert.ok(codes.includes('call_not_serialisable') && codes.includes('consent_invalid'), codes.join());
    assert.equal(await page.evaluate(() => localStorage.getItem('tp:sdk-test:consent')), null, "consent('yes') is never stored");
    await assertHealthy(page);
    await context.close();
  });

  test('after a wasm abort: core_failed once, a fresh module, every event delivered once', async () => {
    const { page, context } = await open('&flushInterval=50');
    await page.evaluate(() => {
      const tp = window.touchpoint;
      tp.track('before_abort', { n: 1 });
      tp._drain();
      // What Emscripten throws once abort() ran; the next drain hits it.
      const inner = tp._engine._inner;
      const ingest = inner.ingest.bind(inner);
      let fired = false;
      inner.ingest = (...a) => { if (!fired) { fired = true; throw new WebAssembly.RuntimeError('Aborted()'); } return ingest(...a); };
      for (let i = 0; i < 5; i++) tp.track('abort_batch', { i });
    });
    await page.waitForFunction(() => window.touchpoint._engine.recoveries === 1 && !window.touchpoint._engine.dead);
    await page.evaluate(() => { for (let i = 5; i < 10; i++) window.touchpoint.track('abort_batch', { i }); return window.touchpoint.flush(); });
    const events = await waitFor(async () => {
      const ev = await collector.events('event=abort_batch');
      return ev.length >= 10 ? ev : null;
    }, { what: '10 abort_batch events' });
    assert.equal(events.length, 10, 'each event once');
    assert.equal(new Set(events.map((e) => e.body.properties.i)).size, 10);
    assert.equal(new Set(events.map((e) => e.messageId)).size, events.length);
    assert.equal((await collector.events('event=before_abort')).length, 1);
    const failed = await page.evaluate(() => window.errors.filter((e) => e.code === 'core_failed').map((e) => e.message));
    assert.equal(failed.length, 1);
    assert.match(failed[0], /aborted in ingest \(5 calls: track "abort_batch"/);
    await assert.rejects(assertHealthy(page), /no core failure/, 'the health check sees the abort');
    await context.close();
  });
});
