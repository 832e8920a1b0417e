// The operator's dashboard in real Chromium, on real data made by the shop page (examples/h5):
// three visitors, one who buys, a share chain two levels deep; then the dashboard's charts, the
// rule publishing with validation errors, history and rollback; screenshots at 1280x800 and at
// phone width (saved under build-native/screenshots/ for a look).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_TOKEN, ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { launchBrowser } from '../support/browser.mjs';

const SHOTS = path.join(ROOT, 'build-native', 'screenshots');
let collector;
let chrome;
let dir;
let rulesPath;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-dash-'));
  rulesPath = path.join(dir, 'shop-rules.json');
  fs.copyFileSync(path.join(ROOT, 'examples/rules/shop-rules.json'), rulesPath);
  collector = await startCollector({ args: ['--rules', rulesPath, '--write-key', 'demo-shop'] });
  chrome = await launchBrowser();
});
after(async () => {
  if (chrome) await chrome.close();
  if (collector) await collector.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const flush = (page) => page.evaluate(() => window.touchpoint.flush());

async function shopVisit(url, steps) {
  const tab = await chrome.newPage();
  await tab.page.goto(url);
  assert.equal(await tab.page.evaluate(() => window.touchpointReady), true);
  await steps(tab.page);
  await flush(tab.page);
  const anon = await tab.page.evaluate(() => window.touchpoint.anonymousId());
  assert.deepEqual(tab.problems, []);
  return { tab, anon };
}

async function viewProduct(page, sku) {
  await page.evaluate((s) => { location.hash = `#/p/${s}`; }, sku);
  await page.waitForSelector('#add-to-cart');
}

describe('operator dashboard', () => {
  test('shows the shop\'s visitors, funnel, distributions, touches, referral tree and rules', async () => {
    const shop = `${collector.url}/examples/h5/`;
    // Visitor 1 comes from a WeChat campaign in store SH-01 (staff E07), buys, and shares.
    const one = await shopVisit(`${shop}?utm_source=wechat&utm_medium=social&utm_campaign=spring&tp_store=SH-01&tp_staff=E07`, async (page) => {
      for (const sku of ['A-1001', 'A-1002', 'A-1001']) await viewProduct(page, sku);
      await page.click('#add-to-cart');
      await page.evaluate(() => { location.hash = '#/cart'; });
      await page.click('#buy');
      await page.waitForSelector('text=Thank you');
    });
    const link1 = await one.tab.page.evaluate(() => window.touchpoint.shareUrl(`${location.origin}/examples/h5/`, { channel: 'wechat_friend' }));
    await flush(one.tab.page);
    // Visitor 2 follows the share, looks around, shares on.
    const two = await shopVisit(link1, async (page) => { await viewProduct(page, 'B-2001'); await page.click('#add-to-cart'); });
    const link2 = await two.tab.page.evaluate(() => window.touchpoint.shareUrl(`${location.origin}/examples/h5/`, { channel: 'moments' }));
    await flush(two.tab.page);
    // Visitor 3 follows the second link.
    const three = await shopVisit(link2, async (page) => { await viewProduct(page, 'C-3001'); });
    await waitFor(async () => (await collector.events('event=share_landed')).length >= 2, { what: 'two share landings' });

    const dash = await chrome.newPage();
    const { page } = dash;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${collector.url}/dashboard/#token=${ADMIN_TOKEN}`);
    await page.waitForSelector('body[data-ready="true"]');
    assert.equal(new URL(page.url()).hash, '', 'the token leaves the address bar');

    // Visitors with tags, score/grade and stage.
    await waitFor(() => page.evaluate(() => document.querySelectorAll('#visitor-table tbody tr').length >= 3), { what: 'three visitors' });
    const buyerRow = await page.textContent(`tr[data-visitor="${one.anon}"]`);
    assert.match(buyerRow, /buyer/);
    assert.match(buyerRow, /bought/);
    assert.match(buyerRow, /lead \d+ [ABC]/);
    // Funnel: aware -> ... -> bought, with conversions.
    const funnel = await page.$$eval('#funnel-chart rect', (rs) => rs.map((r) => r.dataset.stage));
    assert.deepEqual(funnel, ['aware', 'interested', 'trying', 'bought', 'loyal']);
    const funnelText = await page.textContent('#funnel-chart');
    assert.match(funnelText, /\d+% conv\./);
    // Tags and grades.
    assert.match(await page.textContent('#tag-chart'), /buyer/);
    assert.match(await page.textContent('#grade-chart'), /lead: [ABC]/);
    // First and last touch: the campaign's channel, store and staff.
    assert.match(await page.textContent('[data-touch="first-channel"]'), /wechat\/social/);
    assert.match(await page.textContent('[data-touch="first-store"]'), /SH-01/);
    assert.match(await page.textContent('[data-touch="last-staff"]'), /E07/);
    // Referral tree: visitor 1 -> 2 -> 3.
    const levels = await page.$$eval('#referral-tree circle', (cs) => Object.fromEntries(cs.map((c) => [c.dataset.id, Number(c.dataset.level)])));
    assert.equal(levels[one.anon], 0);
    assert.equal(levels[two.anon], 1);
    assert.equal(levels[three.anon], 2);
    // Live events: new ones appear without a reload.
    const before = await page.$$eval('#live-events li', (li) => Math.max(...li.map((l) => Number(l.dataset.eventId))));
    await three.tab.page.evaluate(() => window.touchpoint.track('live_probe', {}));
    await flush(three.tab.page);
    await page.waitForFunction((n) => [...document.querySelectorAll('#live-events li')].some((l) => Number(l.dataset.eventId) > n && l.textContent.includes('live_probe')), before);
    // The rules in force.
    assert.match(await page.textContent('#rules-status'), /shop-2026-11-22\.1/);

    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-1280x800.png') });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-1280-full.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow} px wider than a phone`);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-390-phone.png') });
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-390-phone-full.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Publishing: errors with their paths first, nothing goes live.
    const etag = async () => (await fetch(`${collector.url}/v1/rules`)).headers.get('etag');
    const liveEtag = await etag();
    const rules = JSON.parse(fs.readFileSync(rulesPath, 'utf8'));
    const broken = structuredClone(rules);
    broken.tags[0].when = { nonsense_op: [1, 2] };
    broken.version = 'broken-1';
    await page.fill('#rules-editor', JSON.stringify(broken, null, 2));
    await page.click('#rules-publish');
    await page.waitForSelector('#rules-errors li');
    assert.match(await page.textContent('#rules-errors'), /\/tags\/0\/when/);
    assert.equal(await etag(), liveEtag, 'a rejected rule set is not served');
    assert.match(await page.textContent('#rules-status'), /Not published/);
    // A good one goes live, profiles are recomputed, history keeps it.
    const better = structuredClone(rules);
    better.version = 'shop-dashboard-2';
    better.tags.push({ id: 'sharer', when: { '==': [{ var: 'event.event' }, 'share'] }, sticky: true });
    await page.fill('#rules-editor', JSON.stringify(better, null, 2));
    await page.click('#rules-validate');
    await page.waitForFunction(() => /Valid/.test(document.querySelector('#rules-status').textContent));
    await page.click('#rules-publish');
    await page.waitForFunction(() => /published as #1/.test(document.querySelector('#rules-status').textContent));
    assert.notEqual(await etag(), liveEtag);
    assert.equal(JSON.parse(fs.readFileSync(rulesPath, 'utf8')).version, 'shop-dashboard-2');
    const profile = await collector.json(`/v1/users/${one.anon}`);
    assert.ok(profile.body.tags.includes('sharer'), JSON.stringify(profile.body.tags));
    // Roll back to the original: publish it as #2, then roll back to #1's predecessor via history.
    await page.fill('#rules-editor', JSON.stringify(rules, null, 2));
    await page.click('#rules-publish');
    await page.waitForFunction(() => /published as #2/.test(document.querySelector('#rules-status').textContent));
    await page.click('li[data-history-id="1"] button');
    await page.waitForFunction(() => document.querySelectorAll('#rules-history li').length === 3);
    assert.equal(JSON.parse(fs.readFileSync(rulesPath, 'utf8')).version, 'shop-dashboard-2');
    assert.match(await page.textContent('#rules-history'), /rollback to 1/);
    assert.deepEqual(dash.problems, []);
    for (const t of [one.tab, two.tab, three.tab, dash]) await t.context.close();
  });

  test('without the token the page asks for it and shows no data', async () => {
    const t = await chrome.newPage();
    await t.page.goto(`${collector.url}/dashboard/`);
    await t.page.waitForSelector('#login:not([hidden])');
    assert.equal(await t.page.isHidden('#board'), true);
    await t.page.fill('#token', 'wrong-token-0123456789');
    await t.page.click('#login button');
    await t.page.waitForFunction(() => /refused/.test(document.querySelector('#login-error').textContent));
    assert.equal(await t.page.isHidden('#board'), true);
    await t.context.close();
  });
});
