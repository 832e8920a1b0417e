// Browser end-to-end for identity, sessions, attribution, referral chains and consent.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

let collector;
let chrome;
before(async () => { collector = await startCollector(); chrome = await launchBrowser(); });
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });
beforeEach(async () => { await collector.reset(); });

async function open(query, t) {
  const tab = t || (await chrome.newPage());
  await tab.page.goto(`${collector.url}/tests/browser/pages/sdk.html${query}`);
  assert.equal(await tab.page.evaluate(() => window.touchpointReady), true);
  return tab;
}
const flush = (page) => page.evaluate(() => window.touchpoint.flush());
async function eventsNamed(name, n = 1) {
  return waitFor(async () => { const ev = await collector.events(`event=${name}`); return ev.length >= n ? ev : null; }, { what: `${n} ${name}` });
}

describe('visit: identity, sessions, attribution, referral, consent', () => {
  test('campaign and store attribution, session_start and the shared cookie travel with events', async () => {
    const { page, context } = await open('?utm_source=wechat&utm_medium=social&utm_campaign=spring&tp_store=SH-01&autotrack=false');
    await page.evaluate(() => window.touchpoint.track('campaign_view', { n: 1 }));
    await flush(page);
    const [ev] = await eventsNamed('campaign_view');
    assert.equal(ev.body.context.campaign.source, 'wechat');
    assert.equal(ev.body.context.campaign.name, 'spring');
    assert.equal(ev.body.context.campaign.store_id, 'SH-01');
    assert.equal(ev.body.context.first_touch.source, 'wechat');
    const [start] = await eventsNamed('session_start');
    assert.equal(start.body.properties.session_number, 1);
    assert.equal(ev.body.context.session.id, start.body.properties.session_id);
    const cookie = (await context.cookies()).find((c) => c.name === 'tp_anon');
    assert.equal(cookie && cookie.value, ev.body.anonymousId);
    await assertHealthy(page);
    await context.close();
  });

  test('a shared link brings a friend: share_landed with the sharer, depth grows along the chain', async () => {
    const a = await open('?autotrack=false');
    const link = await a.page.evaluate(() => window.touchpoint.shareUrl(location.href, { channel: 'wechat_chat' }));
    const sharer = await a.page.evaluate(() => window.touchpoint.anonymousId());
    assert.match(link, /tp_ref=/);
    await flush(a.page);
    const b = await chrome.newPage();
    await b.page.goto(link);
    assert.equal(await b.page.evaluate(() => window.touchpointReady), true);
    const link2 = await b.page.evaluate(() => window.touchpoint.shareUrl(location.href.split('?')[0], { channel: 'moments' }));
    await flush(b.page);
    const [landed] = await eventsNamed('share_landed');
    assert.equal(landed.body.properties.referrer_id, sharer);
    assert.equal(landed.body.properties.depth, 1);
    assert.equal(landed.body.properties.channel, 'wechat_chat');
    assert.match(link2, /tp_depth=2/);
    const shares = await eventsNamed('share', 2);
    assert.deepEqual(shares.map((s) => s.body.properties.channel).sort(), ['moments', 'wechat_chat']);
    await assertHealthy(a.page);
    await a.context.close();
    await assertHealthy(b.page);
    await b.context.close();
  });

  test('an H5 page opened from a mini-program web-view adopts its ids and strips them from the URL', async () => {
    const anon = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
    const { page, context } = await open(`?autotrack=false&tp_anon=${anon}&tp_openid=oAbCdEfGhIjKlMnOpQrStUvWx`);
    assert.equal(await page.evaluate(() => window.touchpoint.anonymousId()), anon);
    await page.evaluate(() => window.touchpoint.track('webview_view'));
    await flush(page);
    assert.doesNotMatch(await page.evaluate(() => location.href), /tp_anon|tp_openid/);
    const [ev] = await eventsNamed('webview_view');
    assert.equal(ev.body.anonymousId, anon);
    assert.ok(ev.body.context.externalIds.some((x) => x.type === 'wechat_openid'));
    assert.doesNotMatch(ev.body.context.page.url, /tp_anon/);
    await assertHealthy(page);
    await context.close();
  });

  test('consent: pending stores and sends nothing; granted releases; denied wipes and stops', async () => {
    const { page, context } = await open('?autotrack=false&consent=pending&flushInterval=50');
    await page.evaluate(() => { window.touchpoint.track('before_consent', { n: 1 }); });
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal((await collector.events('event=before_consent')).length, 0, 'nothing sent while pending');
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tp:sdk-test:') && !k.endsWith(':consent')));
    assert.deepEqual(stored, [], 'nothing stored while pending');
    assert.equal((await context.cookies()).filter((c) => c.name === 'tp_anon').length, 0);
    await page.evaluate(() => window.touchpoint.consent('granted'));
    await page.evaluate(() => window.touchpoint.flush());
    await eventsNamed('before_consent');
    await page.evaluate(() => { window.touchpoint.consent('denied'); window.touchpoint.track('after_denied'); });
    await page.evaluate(() => window.touchpoint.flush());
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tp:sdk-test:')));
    assert.deepEqual(left, ['tp:sdk-test:consent'], 'only the decision is remembered');
    assert.equal(await page.evaluate(() => localStorage.getItem('tp:sdk-test:consent')), 'denied');
    await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
    assert.equal((await collector.events('event=after_denied')).length, 0);
    await assertHealthy(page);
    await context.close();
  });
});
