// Local tag rules end to end: rules served by the collector, fetched by the page (ETag), evaluated
// in wasm on every event, surfaced through on('tags') and the getters, attached to events — and the
// collector's recomputation with the same C++ engine agrees with the page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

const RULES = path.join(ROOT, 'examples/rules/shop-rules.json');
let collector;
let chrome;
let rulesFile;
before(async () => {
  rulesFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tp-rules-')), 'rules.json');
  fs.copyFileSync(RULES, rulesFile);
  collector = await startCollector({ args: ['--rules', rulesFile] });
  chrome = await launchBrowser();
});
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });

describe('local tag rules', () => {
  test('the page tags, scores and stages the visitor on the device; the server computes the same', async () => {
    const { page, context, problems } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/sdk.html?autotrack=false&writeKey=rules-test`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await page.waitForFunction(() => window.touchpoint.rulesVersion() !== '', null, { timeout: 15000 });
    assert.equal(await page.evaluate(() => window.touchpoint.rulesVersion()), 'shop-2026-11-22.1');
    const tagEvents = await page.evaluate(async () => {
      const seen = [];
      window.touchpoint.on('tags', (e) => seen.push(e));
      for (let i = 0; i < 3; i++) window.touchpoint.track('product_view', { sku: 'A-1001', category: 'health', price: 129.5 });
      window.touchpoint.track('add_to_cart', { sku: 'A-1001', category: 'health', price: 129.5 });
      window.touchpoint.track('order_completed', { total: 129.5, currency: 'CNY' });
      await window.touchpoint.flush();
      return seen;
    });
    const added = tagEvents.flatMap((e) => e.added.map((a) => a.tag));
    assert.ok(added.includes('interest:health'), JSON.stringify(tagEvents));
    assert.ok(added.includes('buyer'));
    const pageState = await page.evaluate(() => ({
      tags: window.touchpoint.tags(), traits: window.touchpoint.traits(), scores: window.touchpoint.scores(),
      stage: window.touchpoint.stage('lifecycle'), anon: window.touchpoint.anonymousId(),
    }));
    assert.deepEqual(pageState.tags.slice().sort(), ['buyer', 'interest:health']);
    assert.equal(pageState.stage, 'bought');
    assert.equal(pageState.traits.health_views_7d, 3);
    // Events carry what the page saw; tags_changed tells the backend when.
    const order = (await waitFor(async () => (await collector.events('event=order_completed'))[0]))?.body;
    assert.deepEqual(order.context.tags.slice().sort(), ['buyer', 'interest:health']);
    assert.equal(order.context.rules_version, 'shop-2026-11-22.1');
    assert.ok((await collector.events('event=tags_changed')).length >= 1);
    // The collector replays the stored events through the same C++ engine.
    const server = await waitFor(async () => {
      const r = await collector.json(`/v1/users/${pageState.anon}`);
      return r.status === 200 && r.body.events >= 5 ? r.body : null;
    }, { what: 'server profile' });
    assert.deepEqual(server.tags.slice().sort(), pageState.tags.slice().sort());
    assert.equal(server.stages.lifecycle, pageState.stage);
    assert.equal(server.traits.health_views_7d, pageState.traits.health_views_7d);
    assert.ok(Math.abs(server.scores.lead.value - pageState.scores.lead.value) < 1e-6 * Math.max(1, pageState.scores.lead.value));
    assert.equal(server.scores.lead.grade, pageState.scores.lead.grade);
    assert.deepEqual(problems, []);
    await assertHealthy(page);
    await context.close();
  });

  test('a rejected rule set is reported and the cached set stays in force across a reload', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/sdk.html?autotrack=false&writeKey=rules-bad`);
    await page.waitForFunction(() => window.touchpoint.rulesVersion() === 'shop-2026-11-22.1', null, { timeout: 15000 });
    const bad = JSON.parse(fs.readFileSync(RULES, 'utf8'));
    bad.version = 'broken-1';
    bad.tags[0].when = { no_such_operator: [1] };
    fs.writeFileSync(rulesFile, JSON.stringify(bad));
    try {
      await page.reload();
      assert.equal(await page.evaluate(() => window.touchpointReady), true);
      const err = await page.waitForFunction(() => window.errors.find((e) => e.code === 'rules_rejected'), null, { timeout: 15000 });
      const e = await err.jsonValue();
      assert.match(e.message, /\/tags\/0\/when/);
      assert.equal(await page.evaluate(() => window.touchpoint.rulesVersion()), 'shop-2026-11-22.1', 'the cached good set stays');
      await page.evaluate(() => window.touchpoint.flush());
      const reported = await waitFor(async () => (await collector.events('event=rules_rejected'))[0], { what: 'rules_rejected event' });
      assert.match(JSON.stringify(reported.body.properties.errors), /no_such_operator/);
    } finally {
      fs.copyFileSync(RULES, rulesFile);
    }
    await assertHealthy(page);
    await context.close();
  });
});
