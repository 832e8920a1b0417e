// Several collector processes behind one database (issue 10): the same batches posted through two
// processes at once are stored exactly once, and concurrent profile updates for the same visitors
// lose nothing. Runs on the store TP_TEST_DB selects (PostgreSQL in scripts/test.sh's second
// run; one SQLite file shared by two processes otherwise).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, testDb, STORE } from './harness.mjs';

const RULES = {
  format: 'touchpoint-rules/1',
  version: 'shared-1',
  traits: [{ id: 'views', kind: 'count', where: { '===': [{ var: 'event.event' }, 'product_view'] } }],
  scores: [],
  tags: [{ id: 'viewer', when: { '>=': [{ var: 'traits.views' }, 1] } }],
};
const BATCHES = 40;
const EVENTS_PER_BATCH = 20;  // the SDK's batch size
const VISITORS = 6;           // few, so both processes update the same profiles at the same time
const IN_FLIGHT = 8;

describe(`two collector processes, one ${STORE} database`, () => {
  let a, b, dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-shared-'));
    const rulesPath = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    const db = testDb(dir);
    // Started together: the schema is created once, under the database's lock.
    const started = await Promise.allSettled([0, 1].map(() => startCollector(['--db', db, '--rules', rulesPath])));
    [a, b] = started.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  });
  after(async () => {
    const [codeA, codeB] = [await stopCollector(a), await stopCollector(b)];
    assert.equal(codeA, 0, a?.stderr);
    assert.equal(codeB, 0, b?.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the same batches through both processes: each messageId stored exactly once, no profile update lost', { timeout: 120_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const anon = (i) => `anon-${run}-${i}`;
    const user = (i) => `user-${run}-${i}`;
    let clock = Date.parse('2026-11-22T10:00:00.000Z');
    const batches = [];
    const perVisitor = new Map();
    for (let n = 0; n < BATCHES; ++n) {
      const events = [];
      for (let k = 0; k < EVENTS_PER_BATCH; ++k) {
        const v = (n + k) % VISITORS;
        // The first batch identifies every visitor: later anonymous events also feed the user.
        const e = n === 0 && k < VISITORS
          ? makeEvent({ type: 'identify', event: undefined, anonymousId: anon(v), userId: user(v), traits: { plan: 'pro' }, timestamp: new Date(clock += 1000).toISOString() })
          : makeEvent({ anonymousId: anon(v), timestamp: new Date(clock += 1000).toISOString() });
        perVisitor.set(v, (perVisitor.get(v) || 0) + 1);
        events.push(e);
      }
      batches.push(events);
    }

    // Both processes get every batch, at the same moment, IN_FLIGHT batches at a time.
    const answers = [];
    for (let i = 0; i < batches.length; i += IN_FLIGHT) {
      const slice = batches.slice(i, i + IN_FLIGHT);
      answers.push(...await Promise.all(slice.map(async (events) => {
        const body = batchBody(events);
        const [ra, rb] = await Promise.all([postBatch(a, body), postBatch(b, body)]);
        return [ra, rb];
      })));
    }
    for (const [ra, rb] of answers) {
      assert.equal(ra.status, 200, `${ra.text}\n${a.stderr.slice(-1500)}`);
      assert.equal(rb.status, 200, `${rb.text}\n${b.stderr.slice(-1500)}`);
      assert.equal(ra.json.accepted + rb.json.accepted, EVENTS_PER_BATCH, `${ra.text} / ${rb.text}`);
      assert.equal(ra.json.duplicates + rb.json.duplicates, EVENTS_PER_BATCH, `${ra.text} / ${rb.text}`);
    }

    const total = BATCHES * EVENTS_PER_BATCH;
    for (const server of [a, b]) {
      const stats = await request(server, '/v1/stats');
      assert.equal(stats.status, 200, stats.text);
      assert.equal(stats.json.events, total);
      assert.equal(stats.json.messageIds, total);
      assert.equal(stats.json.batches, 2 * BATCHES);
      assert.equal(stats.json.accepted, total);
      assert.equal(stats.json.duplicates, total);
    }
    const listed = await request(b, '/v1/events?limit=10000');
    const seen = new Map();
    for (const e of listed.json.events) seen.set(e.messageId, (seen.get(e.messageId) || 0) + 1);
    for (const events of batches) for (const e of events) assert.equal(seen.get(e.messageId), 1, e.messageId);

    // Profiles written by both processes, interleaved: none of their updates is lost.
    for (let v = 0; v < VISITORS; ++v) {
      const views = perVisitor.get(v) - 1;  // one identify each
      for (const server of [a, b]) {
        const device = await request(server, `/v1/users/${anon(v)}`);
        assert.equal(device.status, 200, device.text);
        assert.equal(device.json.stored, perVisitor.get(v), `device ${v} via ${server.base}`);
        assert.equal(device.json.traits.views, views, `device ${v}`);
        const profile = await request(server, `/v1/users/${user(v)}`);
        assert.equal(profile.json.computed, 'incremental');
        assert.equal(profile.json.stored, perVisitor.get(v), `user ${v} via ${server.base}`);
        assert.equal(profile.json.traits.views, views, `user ${v}`);
        const replay = await request(server, `/v1/users/${user(v)}?at=${Date.now()}`);
        assert.deepEqual(profile.json.traits, replay.json.traits);
        assert.deepEqual(profile.json.tags, replay.json.tags);
      }
    }
  });
});
