// Autotrack without gaps, end to end on the shop (headless Chromium → wasm core → collector →
// SQLite): bare data-tp-expose / data-tp-event markers, inner scroll containers (marked and found),
// session_end (idle timeout on an open page driven by page.clock, a closed page, reset(), consent
// denied) and sessions split at local midnight. Every assertion reads what reached the database.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { launchBrowser } from '../support/browser.mjs';
import { scrollTo } from '../support/scroll.mjs';

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
const MILESTONES = [25, 50, 75, 90, 100];
// The SDK's own events: they do not count in session_end's `events`.
const DERIVED = new Set(['session_start', 'session_end', 'tags_changed']);

// A new visitor (fresh context) with the shop's debug log captured. `clock`: install Playwright's
// fake clock at this time first (it then flows normally until fastForward).
async function openShop(query = '', { timezoneId, clock } = {}) {
  const context = await chrome.browser.newContext(timezoneId ? { timezoneId } : {});
  if (clock !== undefined) await context.clock.install({ time: clock });
  const page = await context.newPage();
  const t = { context, page, problems: [], logs: [] };
  page.on('pageerror', (e) => t.problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) t.problems.push(`console: ${m.text()}`);
    if (m.text().startsWith('[touchpoint]')) t.logs.push(m.text());
  });
  await load(t, query);
  return t;
}

async function load(t, query) {
  await t.page.goto(`${collector.url}${SHOP}${query}`);
  assert.equal(await t.page.evaluate(() => window.touchpointReady), true, 'SDK init resolved');
  t.anon = await t.page.evaluate(() => window.touchpoint.anonymousId());
  assert.ok(t.anon, 'anonymousId');
}

const flush = (page) => page.evaluate(() => window.touchpoint.flush());

// Stored events (bodies) of one anonymousId, in arrival order.
async function stored(anon, { event, type } = {}) {
  const q = [`anonymousId=${encodeURIComponent(anon)}`];
  if (event) q.push(`event=${encodeURIComponent(event)}`);
  if (type) q.push(`type=${type}`);
  return (await collector.events(q.join('&'))).map((e) => e.body);
}

async function waitStored(t, filter, n, what, anon = t.anon) {
  return waitFor(async () => {
    await flush(t.page);
    const ev = await stored(anon, filter);
    return ev.length >= n ? ev : null;
  }, { what: `${what} (${n})` });
}

const logged = (t, re) => waitFor(() => t.logs.find((l) => re.test(l)), { what: `debug log ${re}`, timeoutMs: 10000 });

describe('autotrack gaps on the shop → collector', () => {
  test('bare markers: an unnamed banner and an unnamed button get their default names; the debug log says so', { timeout: 120000 }, async () => {
    const t = await openShop('?debug#/feed');
    const { page } = t;
    await page.waitForSelector('.spring-banner');
    // The spring banner sits below the first posts of the inner-scrolling feed.
    await page.evaluate(() => document.querySelector('.spring-banner').scrollIntoView({ block: 'center' }));
    const [spring] = await waitStored(t, { event: 'element_exposed' }, 1, 'spring banner exposure');
    assert.deepEqual(spring.properties, { banner: 'spring', name: '#feed>div', path: '#feed>div' });
    assert.ok(spring.context.page.url.endsWith('#/feed'));
    await logged(t, /data-tp-expose without a value on #feed>div: named "#feed>div" \(its CSS path\)/);

    await page.click('#feed-like');
    const [like] = await waitStored(t, { event: 'element_clicked' }, 1, 'bare data-tp-event click');
    assert.deepEqual(like.properties, { topic: 'spring', tag: 'button', path: '#feed-like', text: '👍 喜欢 Like', id: 'feed-like', name: 'feed-like' });
    await logged(t, /data-tp-event without a value on #feed-like: sent as element_clicked named "feed-like" \(its id\)/);
    await page.click('#feed-like');                              // every click counts, named once in the log
    await waitStored(t, { event: 'element_clicked' }, 2, 'second click');
    assert.equal(t.logs.filter((l) => l.includes('data-tp-event without a value')).length, 1);

    // What cannot be tracked is reported, not dropped silently: a banner too tall to be 50 % visible.
    await page.evaluate(() => {
      const d = document.createElement('div');
      d.setAttribute('data-tp-expose', 'giant_banner');
      d.style.height = `${window.innerHeight * 3}px`;
      document.getElementById('view').append(d);             // (not into #feed: the spring banner's path stays)
    });
    await logged(t, /data-tp-expose "giant_banner" is \d+×\d+ px: at most \d+ % of it fits in the \d+×\d+ viewport, so it is never exposed/);
    assert.deepEqual((await stored(t.anon, { event: 'element_exposed' })).map((e) => e.properties.name), ['#feed>div']);
    assert.deepEqual(t.problems, []);
    await t.context.close();
  });

  for (const [label, query, why] of [
    ['data-tp-scroll-root', '?debug#/feed', /scroll depth measured on #feed \(data-tp-scroll-root\)/],
    ['found without a marker', '?debug&noScrollRoot#/feed', /scroll depth measured on #feed \(the page's main scroller: the document does not scroll\)/],
  ]) {
    test(`inner scroll container (${label}): scroll_depth and page_leave's deepest scroll measure the container`, { timeout: 120000 }, async () => {
      const t = await openShop(query);
      const { page } = t;
      await page.waitForSelector('#feed');
      assert.equal(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight), true, 'the document does not scroll');
      // The side panel scrolls too, but covers a third of the viewport: never taken for the page.
      await page.evaluate(() => { const a = document.getElementById('panel'); a.scrollTop = a.scrollHeight; });
      const feedDepths = async (n) => waitFor(async () => {
        await flush(page);
        const ev = (await stored(t.anon, { event: 'scroll_depth' })).filter((e) => e.context.page.url.endsWith('#/feed'));
        return ev.length >= n ? ev : null;
      }, { what: `${n} feed milestones` });
      // Unscrolled, the first screen of the feed is already a quarter of it: the first measurement
      // (1 s after the page view) sends 25 from the container. Awaited, so what follows can only
      // come from the container's scroll events.
      const top = await scrollTo(page, 0, '#feed');
      assert.ok(top >= 25 && top < 50, `first screen ${top}`);
      assert.deepEqual((await feedDepths(1)).map((e) => e.properties.percent), [25]);
      const reached = await scrollTo(page, 60, '#feed');
      assert.ok(reached >= 60 && reached < 75, `reached ${reached}`);
      const want = MILESTONES.filter((m) => m <= reached);
      const depths = await feedDepths(want.length);
      assert.deepEqual(depths.map((e) => e.properties.percent), want);
      await logged(t, why);
      assert.equal(await page.evaluate(() => window.scrollY), 0, 'only the container scrolled');

      await page.click('#cart-link');                            // hash route: the feed's page view ends
      await page.waitForFunction(() => document.title === '购物车 Cart');
      const [leave] = await waitStored(t, { event: 'page_leave' }, 1, 'page_leave for the feed');
      assert.ok(leave.properties.url.endsWith('#/feed'));
      assert.equal(leave.properties.max_scroll_percent, reached);
      assert.deepEqual(t.problems, []);
      await t.context.close();
    });
  }

  test('session_end after an idle timeout on an open page (page.clock), with the true end time and counts; the next event starts session 2', { timeout: 120000 }, async () => {
    const t = await openShop('', { clock: '2026-03-10T10:00:00Z' });
    const { page } = t;
    await page.click('a[href="#/p/A-1001"]');
    await page.waitForFunction(() => document.title.startsWith('益生菌'));
    // A scroll measurement that reached the database: the product page's scroll tracking has run,
    // and no exposure is pending (the QR banner is far below). From here on nothing but the
    // session's wake-up can send anything by itself.
    await scrollTo(page, 30);
    await waitFor(async () => { await flush(page); return (await stored(t.anon, { event: 'scroll_depth' })).some((e) => e.context.page.url.endsWith('#/p/A-1001')); }, { what: 'product scroll depth' });
    await page.click('#share');
    await flush(page);
    const before = await stored(t.anon);
    assert.equal(before.filter((e) => e.event === 'session_end').length, 0);

    await page.clock.fastForward('31:00');                      // the laptop lid closed for 31 minutes
    const [end] = await waitStored(t, { event: 'session_end' }, 1, 'session_end at the wake-up');
    const session1 = (await stored(t.anon)).filter((e) => e.context.session && e.context.session.id === end.properties.session_id && e.event !== 'session_end');
    const last = Math.max(...session1.map((e) => Date.parse(e.timestamp)));
    assert.equal(Date.parse(end.timestamp), last, 'stamped with the last activity, not the wake-up');
    assert.equal(end.properties.reason, 'timeout');
    assert.equal(end.properties.session_number, 1);
    assert.equal(end.properties.events, session1.filter((e) => !DERIVED.has(e.event)).length);
    assert.equal(end.properties.pages, session1.filter((e) => e.type === 'page').length);
    assert.equal(end.properties.pages, 2);
    assert.equal(end.properties.duration_ms, last - Date.parse(end.properties.started_at));
    assert.equal(end.context.session.id, end.properties.session_id, 'its context is the session it ends');
    assert.equal((await stored(t.anon, { event: 'session_start' })).length, 1, 'no new session without activity');

    await page.click('#add-to-cart');
    const starts = await waitStored(t, { event: 'session_start' }, 2, 'session 2');
    assert.equal(starts[1].properties.reason, 'timeout');
    assert.equal(starts[1].properties.session_number, 2);
    const [cart] = await stored(t.anon, { event: 'add_to_cart' });
    assert.equal(cart.context.session.id, starts[1].properties.session_id);
    assert.equal((await stored(t.anon, { event: 'session_end' })).length, 1, 'ended once');
    assert.deepEqual(t.problems, []);
    await t.context.close();
  });

  test('session_end of a page that was closed goes out with the next session\'s first event, stamped with the old session\'s last activity', { timeout: 120000 }, async () => {
    const t = await openShop('#/p/B-2001', { clock: '2026-03-10T10:00:00Z' });
    const { page } = t;
    await page.click('#share');
    await page.goto(`${collector.url}/v1/stats`);               // the shop is closed (pagehide flush)
    const session1 = await waitFor(async () => {
      const ev = await stored(t.anon);
      return ev.some((e) => e.event === 'page_leave') ? ev : null;
    }, { what: 'the closed page\'s events' });
    assert.equal(session1.filter((e) => e.event === 'session_end').length, 0);
    const last = Math.max(...session1.map((e) => Date.parse(e.timestamp)));

    await page.clock.fastForward('02:00:00');                   // two hours later, same browser
    await load(t, '');
    const [end] = await waitStored(t, { event: 'session_end' }, 1, 'session_end on the next visit');
    assert.equal(Date.parse(end.timestamp), last);
    assert.equal(end.properties.reason, 'timeout');
    assert.equal(end.properties.events, session1.filter((e) => !DERIVED.has(e.event)).length);
    assert.equal(end.properties.pages, 1);
    const starts = await waitStored(t, { event: 'session_start' }, 2, 'session 2');
    assert.equal(starts[1].properties.session_number, 2);
    assert.ok(Date.parse(starts[1].timestamp) >= last + 2 * 3600 * 1000);
    assert.deepEqual(t.problems, []);
    await t.context.close();
  });

  test('reset() ends the session under the old visitor; consent denied ends it without sending anything', { timeout: 120000 }, async () => {
    const t = await openShop('?debug');
    const { page } = t;
    await waitStored(t, { type: 'page' }, 1, 'first page view');
    const oldAnon = t.anon;
    await page.click('#logout');                                  // the shop calls touchpoint.reset()
    const [end] = await waitStored(t, { event: 'session_end' }, 1, 'session_end on reset', oldAnon);
    assert.equal(end.properties.reason, 'reset');
    assert.equal(end.anonymousId, oldAnon);
    await page.click('a[href="#/p/A-1001"]');
    const newAnon = await waitFor(() => page.evaluate((a) => { const id = window.touchpoint.anonymousId(); return id !== a && id; }, oldAnon), { what: 'new anonymousId' });
    const [start] = await waitStored(t, { event: 'session_start' }, 1, 'the new visitor\'s session', newAnon);
    assert.equal(start.properties.session_number, 1);

    // Denied: the visitor's session ends, and nothing about it leaves the page.
    await page.evaluate(() => window.touchpoint.consent('denied'));
    await logged(t, /ended by consent denied; no session_end is sent after a denial/);
    const thirdAnon = await page.evaluate(async () => {
      window.touchpoint.consent('granted');
      window.touchpoint.track('sentinel', {});
      await window.touchpoint.flush();                          // (drains the calls first)
      return window.touchpoint.anonymousId();
    });
    assert.notEqual(thirdAnon, newAnon);
    await waitStored(t, { event: 'sentinel' }, 1, 'sentinel after granting again', thirdAnon);
    assert.equal((await stored(newAnon, { event: 'session_end' })).length, 0, 'no session_end after a denial');
    assert.equal((await collector.events('event=session_end')).length, 1, 'only the reset one');
    assert.deepEqual(t.problems, []);
    await t.context.close();
  });

  test('splitSessionsAtMidnight: a new session at local midnight (Asia/Shanghai, not UTC); per-day counts add up', { timeout: 120000 }, async () => {
    // 23:58:00 in Shanghai is 15:58:00Z: UTC midnight is 8 hours away.
    // 23:55:00 in Shanghai is 15:55:00Z: UTC midnight is 8 hours away. Five minutes of margin for
    // a slow machine before the clock is moved past midnight on purpose.
    const t = await openShop('?midnight#/p/A-1001', { timezoneId: 'Asia/Shanghai', clock: '2026-03-10T15:55:00Z' });
    const { page } = t;
    await scrollTo(page, 30);
    await waitStored(t, { event: 'scroll_depth' }, 1, 'first scroll measurement');
    await page.click('#share');
    await flush(page);
    assert.ok(await page.evaluate(() => new Date().getHours() === 23), 'still before midnight');
    await page.clock.fastForward('05:30');                      // past 00:00 local: a new day
    await page.click('#add-to-cart');
    const [end] = await waitStored(t, { event: 'session_end' }, 1, 'session_end at midnight');
    assert.equal(end.properties.reason, 'midnight');
    const starts = await waitStored(t, { event: 'session_start' }, 2, 'session 2');
    assert.equal(starts[1].properties.reason, 'midnight');

    const all = await stored(t.anon);
    const localDate = (e) => new Date(Date.parse(e.timestamp) + e.context.utcOffsetMinutes * 60000).toISOString().slice(0, 10);
    for (const e of all) assert.equal(e.context.utcOffsetMinutes, 480, `${e.event || e.type} carries the offset`);
    // Each session's events all fall on one local date; the dates differ.
    const bySession = new Map();
    for (const e of all) {
      const id = e.context.session.id;
      if (!bySession.has(id)) bySession.set(id, new Set());
      bySession.get(id).add(localDate(e));
    }
    assert.deepEqual([...bySession.values()].map((s) => [...s]), [['2026-03-10'], ['2026-03-11']]);
    // session_end's count is exactly the first day's events.
    const day1 = all.filter((e) => localDate(e) === '2026-03-10' && !DERIVED.has(e.event));
    assert.equal(end.properties.events, day1.length);
    assert.equal(Date.parse(end.timestamp), Math.max(...all.filter((e) => localDate(e) === '2026-03-10' && e.event !== 'session_end').map((e) => Date.parse(e.timestamp))));
    assert.equal(localDate(end), '2026-03-10');
    assert.deepEqual(t.problems, []);
    await t.context.close();
  });
});
