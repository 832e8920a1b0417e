// Incremental profiles and verified identity (issue 10): profiles are kept as events arrive, read
// in O(1) of the history, recomputed by --replay-profiles after a rules change; with
// --identity-secret a userId is merged into a profile only when its userHash verifies.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, BINARY, testDb } from './harness.mjs';

const RULES = {
  format: 'touchpoint-rules/1',
  version: 'profiles-1',
  traits: [{ id: 'views', kind: 'count', where: { '===': [{ var: 'event.event' }, 'product_view'] } }],
  scores: [],
  tags: [
    { id: 'viewer', when: { '>=': [{ var: 'traits.views' }, 1] } },
    { id: 'buyer', when: { '===': [{ var: 'event.event' }, 'purchase'] }, sticky: true },
    { id: 'plan:pro', when: { '===': [{ var: 'user.plan' }, 'pro'] }, sticky: true },
  ],
};
const RULES_2 = { ...RULES, version: 'profiles-2', tags: [...RULES.tags, { id: 'heavy', when: { '>=': [{ var: 'traits.views' }, 3] } }] };
const SECRET = 'identity-secret-0123456789';
const hash = (userId) => createHmac('sha256', SECRET).update(userId).digest('hex');

let clock = Date.parse('2026-11-22T10:00:00.000Z');
const at = () => new Date(clock += 1000).toISOString();
const ev = (o) => makeEvent({ timestamp: at(), ...o });

describe('incremental profiles', () => {
  let server, dir, rulesPath, db;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-prof-'));
    rulesPath = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    db = testDb(dir);
    server = await startCollector(['--db', db, '--fault-mode', '--rules', rulesPath]);
    await request(server, '/v1/events', { method: 'DELETE' });
  });
  after(async () => {
    assert.equal(await stopCollector(server), 0, server?.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the stored profile equals a replay of the history, anonymous history merged at login', async () => {
    const anon = 'anon-' + randomUUID();
    const user = 'user-' + randomUUID();
    assert.equal((await postBatch(server, batchBody([ev({ anonymousId: anon }), ev({ anonymousId: anon, event: 'session_start' })]))).status, 200);
    assert.equal((await postBatch(server, batchBody([
      ev({ anonymousId: anon, userId: user, type: 'identify', event: undefined, traits: { plan: 'pro' } }),
      ev({ anonymousId: anon, userId: user, event: 'purchase' }),
    ]))).status, 200);
    const stored = await request(server, `/v1/users/${user}`);
    assert.equal(stored.status, 200, stored.text);
    assert.equal(stored.json.computed, 'incremental');
    const replay = await request(server, `/v1/users/${user}?at=${Date.now()}`);
    assert.equal(replay.json.computed, 'replay');
    assert.deepEqual(stored.json.tags, ['buyer', 'plan:pro', 'viewer']);
    assert.deepEqual(stored.json.tags, replay.json.tags);
    assert.deepEqual(stored.json.traits, replay.json.traits);
    assert.equal(stored.json.events, replay.json.events);
    assert.equal(stored.json.stored, 4);  // session_start counted, not fed
    const device = await request(server, `/v1/users/${anon}`);
    assert.deepEqual(device.json.tags, ['buyer', 'plan:pro', 'viewer']);
    // A later anonymous event of the device (no userId) still reaches the user.
    await postBatch(server, batchBody([ev({ anonymousId: anon }), ev({ anonymousId: anon })]));
    assert.equal((await request(server, `/v1/users/${user}`)).json.traits.views, 3);
    assert.equal((await request(server, `/v1/users/nobody-${randomUUID()}`)).status, 404);
  });

  test('GET /v1/users/{id} costs O(1) in history: 20,000 events read as fast as 10', async () => {
    const big = 'anon-big-' + randomUUID();
    const small = 'anon-small-' + randomUUID();
    for (let b = 0; b < 10; ++b) {
      const res = await postBatch(server, batchBody(Array.from({ length: 2000 }, () => ev({ anonymousId: big }))));
      assert.equal(res.status, 200);
      assert.equal(res.json.accepted, 2000);
    }
    await postBatch(server, batchBody(Array.from({ length: 10 }, () => ev({ anonymousId: small }))));
    const time = async (id) => {
      const t0 = performance.now();
      const answers = await Promise.all(Array.from({ length: 8 }, () => request(server, `/v1/users/${id}`)));
      for (const a of answers) assert.equal(a.status, 200);
      return { ms: performance.now() - t0, body: answers[0].json };
    };
    await time(small);  // warm
    const s = await time(small), b = await time(big);
    console.log(`# 8 parallel GET /v1/users: 10 events ${s.ms.toFixed(1)} ms, 20,000 events ${b.ms.toFixed(1)} ms`);
    assert.equal(b.body.traits.views, 20000);
    assert.equal(b.body.events, 20000);
    // Was 743 ms for 8 in parallel (replayed every time); O(1) means no growth with history.
    assert.ok(b.ms < Math.max(10 * s.ms, 300), `${b.ms} ms vs ${s.ms} ms`);
  });

  test('--replay-profiles recomputes every profile after a rules change', async (t) => {
    const anon = 'anon-replay-' + randomUUID();
    await postBatch(server, batchBody([ev({ anonymousId: anon }), ev({ anonymousId: anon }), ev({ anonymousId: anon })]));
    assert.ok(!(await request(server, `/v1/users/${anon}`)).json.tags.includes('heavy'));
    assert.equal(await stopCollector(server), 0);
    fs.writeFileSync(rulesPath, JSON.stringify(RULES_2));
    const run = spawnSync(BINARY, ['--db', db, '--rules', rulesPath, '--replay-profiles', '--quiet'], { encoding: 'utf8', timeout: 60000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /recomputed \d+ profiles/);
    server = await startCollector(['--db', db, '--fault-mode', '--rules', rulesPath]);
    const after = await request(server, `/v1/users/${anon}`);
    assert.ok(after.json.tags.includes('heavy'), JSON.stringify(after.json));
    assert.equal(after.json.rules_version, 'profiles-2');
  });
});

describe('verified identity (--identity-secret)', () => {
  let server, dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-ident-'));
    const rulesPath = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    server = await startCollector(['--db', testDb(dir), '--fault-mode', '--rules', rulesPath, '--identity-secret', SECRET]);
    await request(server, '/v1/events', { method: 'DELETE' });
  });
  after(async () => {
    assert.equal(await stopCollector(server), 0, server?.stderr);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a stranger posting as user-alice without her userHash does not touch her profile', async () => {
    const alice = 'user-alice-' + randomUUID();
    const evil = 'anon-evil-' + randomUUID();
    await postBatch(server, batchBody([
      ev({ anonymousId: evil, userId: alice, type: 'identify', event: undefined, traits: { plan: 'pro' }, userHash: 'f'.repeat(64) }),
      ev({ anonymousId: evil, userId: alice, event: 'purchase' }),
    ]));
    assert.equal((await request(server, `/v1/users/${alice}`)).status, 404);
    const stored = (await request(server, `/v1/events?anonymousId=${evil}`)).json.events;
    assert.deepEqual(stored.map((e) => e.identity), ['unverified', 'unverified']);
    // The stranger's own device profile has what they did.
    assert.ok((await request(server, `/v1/users/${evil}`)).json.tags.includes('buyer'));
    // ?at= replays skip unverified userIds too.
    assert.equal((await request(server, `/v1/users/${alice}?at=${Date.now()}`)).status, 404);

    // Alice herself, with the hash her site's backend computed.
    const device = 'anon-alice-' + randomUUID();
    await postBatch(server, batchBody([ev({ anonymousId: device })]));
    await postBatch(server, batchBody([
      ev({ anonymousId: device, userId: alice, type: 'identify', event: undefined, traits: { plan: 'basic' }, userHash: hash(alice) }),
      ev({ anonymousId: device, userId: alice, event: 'product_view' }),
    ]));
    const profile = await request(server, `/v1/users/${alice}`);
    assert.equal(profile.status, 200, profile.text);
    assert.equal(profile.json.verified, true);
    assert.deepEqual(profile.json.tags, ['viewer']);  // not buyer, not plan:pro
    assert.equal(profile.json.traits.views, 2);       // her anonymous view merged
    const events = (await request(server, `/v1/events?anonymousId=${device}`)).json.events;
    assert.deepEqual(events.map((e) => e.identity), [null, 'verified', 'verified']);
    // A hash for someone else does not verify.
    const other = 'anon-other-' + randomUUID();
    await postBatch(server, batchBody([ev({ anonymousId: other, userId: 'user-bob', type: 'identify', event: undefined, userHash: hash(alice) })]));
    assert.equal((await request(server, '/v1/users/user-bob')).status, 404);
  });
});
