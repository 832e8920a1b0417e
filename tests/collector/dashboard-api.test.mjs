// The dashboard's read API on the store TP_TEST_DB selects (SQLite, or PostgreSQL in
// scripts/test.sh's second run): visitors, distributions, first/last touches (read out of the
// stored bodies: json_extract on SQLite, json operators on PostgreSQL), the referral tree, and a
// publish that recomputes every profile. The page itself is tested in tests/browser/dashboard.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, testDb, STORE } from './harness.mjs';

const RULES = {
  format: 'touchpoint-rules/1',
  version: 'dash-1',
  traits: [{ id: 'views', kind: 'count', where: { '===': [{ var: 'event.event' }, 'product_view'] } }],
  scores: [],
  tags: [{ id: 'viewer', when: { '>=': [{ var: 'traits.views' }, 1] } }],
};

describe(`dashboard API on ${STORE}`, () => {
  let server, dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-dash-api-'));
    const rulesPath = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    server = await startCollector(['--db', testDb(dir), '--rules', rulesPath]);
  });
  after(async () => {
    assert.equal(await stopCollector(server), 0, server?.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('visitors, distributions, touches and the referral tree come from the stored events', async () => {
    const id = randomUUID().slice(0, 8);
    const [a, b, c] = ['a', 'b', 'c'].map((x) => `anon-${x}-${id}`);
    const events = [
      makeEvent({ anonymousId: a, timestamp: '2026-11-22T10:00:00.000Z',
        context: { campaign: { channel: 'poster', store_id: 'sh-01', staff_id: 'staff-7' } } }),
      makeEvent({ anonymousId: a, timestamp: '2026-11-22T10:01:00.000Z',
        context: { first_touch: { channel: 'poster', store_id: 'sh-01' }, campaign: { source: 'wechat', medium: 'social' } } }),
      makeEvent({ anonymousId: b, timestamp: '2026-11-22T10:02:00.000Z',
        context: { referral: { referrer_id: a, depth: 1, channel: 'wechat' }, campaign: null } }),
      makeEvent({ anonymousId: c, timestamp: '2026-11-22T10:03:00.000Z',
        context: { referral: { referrer_id: b, depth: 2, channel: 'wechat' } } }),
      // A body with an escaped NUL must not break reads that look inside the bodies.
      makeEvent({ anonymousId: c, timestamp: '2026-11-22T10:04:00.000Z', properties: { note: 'nul \u0000 here' } }),
    ];
    const stored = await postBatch(server, batchBody(events));
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.json.accepted, events.length);

    const visitors = await request(server, '/v1/dashboard/visitors?limit=50');
    assert.equal(visitors.status, 200, visitors.text);
    const byId = new Map(visitors.json.visitors.map((v) => [v.id, v]));
    assert.equal(byId.get(a).events, 2);
    assert.deepEqual(byId.get(a).tags, ['viewer']);
    assert.equal(byId.get(c).events, 2);

    const dist = await request(server, '/v1/dashboard/distributions');
    assert.equal(dist.status, 200, dist.text);
    assert.equal(dist.json.tags.viewer, 3);

    const touches = await request(server, '/v1/dashboard/touches');
    assert.equal(touches.status, 200, touches.text);
    // a's newest event with touches: first = the reported first touch, last = wechat/social.
    assert.deepEqual(touches.json.first.channel, { poster: 1 });
    assert.deepEqual(touches.json.first.store, { 'sh-01': 1 });
    assert.deepEqual(touches.json.last.channel, { 'wechat/social': 1 });

    const tree = await request(server, '/v1/dashboard/referrals');
    assert.equal(tree.status, 200, tree.text);
    const parent = new Map(tree.json.nodes.map((n) => [n.id, n.parent]));
    assert.equal(parent.get(b), a);
    assert.equal(parent.get(c), b);
    assert.equal(tree.json.max_level, 2);

    const overview = await request(server, '/v1/dashboard/overview');
    assert.equal(overview.status, 200, overview.text);
    assert.equal(overview.json.stats.events, events.length);
  });

  test('publishing a rule set recomputes every profile from the stored events', async () => {
    const anon = `anon-pub-${randomUUID()}`;
    await postBatch(server, batchBody([makeEvent({ anonymousId: anon }), makeEvent({ anonymousId: anon })]));
    const next = { ...RULES, version: 'dash-2', tags: [...RULES.tags, { id: 'twice', when: { '>=': [{ var: 'traits.views' }, 2] } }] };
    const published = await request(server, '/v1/dashboard/rules', { method: 'POST', body: JSON.stringify(next), headers: { 'Content-Type': 'application/json' } });
    assert.equal(published.status, 200, published.text);
    assert.ok(published.json.profiles_recomputed >= 4, published.text);
    const profile = await request(server, `/v1/users/${anon}`);
    assert.deepEqual(profile.json.tags, ['twice', 'viewer']);
    assert.equal(profile.json.rules_version, 'dash-2');
  });
});
