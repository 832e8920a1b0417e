// End-to-end tests of the reference collector (collector), run as a real process.
//   TP_COLLECTOR=build-native/touchpoint-collector node --test tests/collector/
// Every wait is bounded; the servers are killed in after() whatever happens.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, assertJsonError, rawExchange, assertAlive, MAX_BODY, testDb } from './harness.mjs';

const RULES = {
  format: 'touchpoint-rules/1',
  version: 'collector-test-1',
  traits: [],
  scores: [],
  tags: [
    { id: 'interest:shoes', when: { '===': [{ var: 'event.event' }, 'product_view'] }, sticky: true },
    { id: 'buyer', when: { '===': [{ var: 'event.event' }, 'purchase'] }, sticky: true },
    { id: 'plan:pro', when: { '===': [{ var: 'user.plan' }, 'pro'] }, sticky: true },
    // The SDK never feeds its own session_start/session_end/tags_changed events to the rules; nor may the collector.
    { id: 'never', when: { in: [{ var: 'event.event' }, ['session_start', 'session_end', 'tags_changed']] }, sticky: true },
  ],
};

describe('touchpoint-collector (fault mode)', () => {
  let server;
  let dir;
  let rulesPath;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-collector-'));
    rulesPath = path.join(dir, 'rules.json');
    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    const staticDir = path.join(dir, 'www');
    fs.mkdirSync(path.join(staticDir, 'examples/h5'), { recursive: true });
    fs.writeFileSync(path.join(staticDir, 'examples/h5/index.html'), '<!doctype html><title>h5</title>');
    fs.writeFileSync(path.join(staticDir, 'core.wasm'), Buffer.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    fs.writeFileSync(path.join(staticDir, 'app.mjs'), 'export const x = 1;\n');
    fs.writeFileSync(path.join(staticDir, 'app.js'), 'var x = 1;\n');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside the static root');
    server = await startCollector(['--db', testDb(dir), '--fault-mode', '--rules', rulesPath, '--static', staticDir]);
  });

  after(async () => {
    const code = await stopCollector(server);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `collector should exit cleanly on SIGTERM; stderr:\n${server?.stderr}`);
  });

  test('accepts a plain JSON batch and stores every column', async () => {
    const anon = 'anon-' + randomUUID();
    const events = [makeEvent({ anonymousId: anon }), makeEvent({ anonymousId: anon, type: 'page', event: undefined, name: 'Home' })];
    const res = await postBatch(server, batchBody(events), {}, '?writeKey=wk_test');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { accepted: 2, duplicates: 0, rejected: [] });

    const list = await request(server, `/v1/events?anonymousId=${anon}`);
    assert.equal(list.status, 200);
    assert.equal(list.json.count, 2);
    const [first, second] = list.json.events;
    assert.ok(first.id < second.id, 'newest last');
    assert.equal(first.messageId, events[0].messageId);
    assert.equal(first.type, 'track');
    assert.equal(first.event, 'product_view');
    assert.equal(first.anonymousId, anon);
    assert.equal(first.userId, null);
    assert.equal(first.sessionId, 'sess-1');
    assert.equal(first.timestamp, '2026-11-22T10:00:00.000Z');
    assert.match(first.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(first.sentAt, '2026-11-22T10:00:01.000Z');
    assert.deepEqual(first.body, events[0]);
    assert.equal(second.type, 'page');
    assert.equal(second.event, 'Home', 'page name is the event column');
  });

  test('accepts a gzip batch sent as text/plain (magic bytes) and with Content-Encoding', async () => {
    const anon = 'anon-' + randomUUID();
    const before = (await request(server, '/v1/stats')).json;
    const gz1 = zlib.gzipSync(batchBody([makeEvent({ anonymousId: anon })]));
    const r1 = await postBatch(server, gz1);
    assert.equal(r1.status, 200, r1.text);
    assert.equal(r1.json.accepted, 1);
    const gz2 = zlib.gzipSync(batchBody([makeEvent({ anonymousId: anon })]));
    const r2 = await postBatch(server, gz2, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    assert.equal(r2.status, 200, r2.text);
    assert.equal(r2.json.accepted, 1);
    const list = await request(server, `/v1/events?anonymousId=${anon}`);
    assert.equal(list.json.count, 2);
    const after = (await request(server, '/v1/stats')).json;
    assert.equal(after.gzipBatches - before.gzipBatches, 2);
  });

  test('counts a re-sent messageId once', async () => {
    const anon = 'anon-' + randomUUID();
    const events = [makeEvent({ anonymousId: anon }), makeEvent({ anonymousId: anon })];
    const body = batchBody(events);
    const r1 = await postBatch(server, body);
    assert.deepEqual(r1.json, { accepted: 2, duplicates: 0, rejected: [] });
    const r2 = await postBatch(server, body);
    assert.deepEqual(r2.json, { accepted: 0, duplicates: 2, rejected: [] });
    // The same event twice inside one batch.
    const again = makeEvent({ anonymousId: anon });
    const r3 = await postBatch(server, batchBody([again, again]));
    assert.deepEqual(r3.json, { accepted: 1, duplicates: 1, rejected: [] });
    const list = await request(server, `/v1/events?anonymousId=${anon}`);
    assert.equal(list.json.count, 3);
    const stats = (await request(server, '/v1/stats')).json;
    assert.equal(stats.events, stats.messageIds);
    assert.ok(stats.duplicates >= 3);
  });

  test('rejects invalid events by index and keeps the valid ones', async () => {
    const anon = 'anon-' + randomUUID();
    const batch = [
      makeEvent({ anonymousId: anon }),
      makeEvent({ anonymousId: anon, messageId: undefined }),    // 1: no messageId
      42,                                                          // 2: not an object
      makeEvent({ anonymousId: anon, type: 'bogus' }),            // 3: unknown type
      makeEvent({ anonymousId: anon, timestamp: 'yesterday' }),   // 4: bad timestamp
      makeEvent({ anonymousId: anon, event: 'x'.repeat(300) }),   // 5: name too long
      makeEvent({ anonymousId: anon, properties: 'str' }),        // 6: properties not an object
      makeEvent({ anonymousId: null, userId: null }),             // 7: no identity
      makeEvent({ anonymousId: anon }),
    ];
    const res = await postBatch(server, batchBody(batch));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.accepted, 2);
    assert.deepEqual(res.json.rejected.map((r) => r.index), [1, 2, 3, 4, 5, 6, 7]);
    for (const r of res.json.rejected) {
      assert.equal(typeof r.code, 'string');
      assert.ok(r.code.length > 0);
      assert.equal(typeof r.message, 'string');
    }
    const codes = Object.fromEntries(res.json.rejected.map((r) => [r.index, r.code]));
    assert.equal(codes[1], 'message_id_missing');
    assert.equal(codes[2], 'event_not_object');
    assert.equal(codes[4], 'timestamp_invalid');
    const stats = (await request(server, '/v1/stats')).json;
    assert.ok(stats.rejected >= 7);
  });

  test('records the SDK drop report of a batch', async () => {
    const before = (await request(server, '/v1/stats')).json;
    const res = await postBatch(server, batchBody([makeEvent()], { dropped: { queue_full: 3, too_large: 1 } }));
    assert.equal(res.status, 200, res.text);
    const after = (await request(server, '/v1/stats')).json;
    assert.equal(after.dropped.total - before.dropped.total, 4);
    assert.equal(after.dropped.queue_full - before.dropped.queue_full, 3);
    assert.equal(after.dropped.too_large - before.dropped.too_large, 1);
    assert.equal(after.batches - before.batches, 1);
  });

  test('answers 400 with a JSON error on malformed bodies', async () => {
    assertJsonError(await postBatch(server, 'not json at all'), 400, 'invalid_json');
    assertJsonError(await postBatch(server, '{"batch": 5}'), 400, 'batch_not_array');
    assertJsonError(await postBatch(server, '{"events": []}'), 400, 'batch_missing');
    assertJsonError(await postBatch(server, '[1,2,3]'), 400, 'batch_missing');
    assertJsonError(await postBatch(server, ''), 400);
    const gz = zlib.gzipSync(batchBody([makeEvent()]));
    assertJsonError(await postBatch(server, gz.subarray(0, gz.length - 10)), 400, 'invalid_gzip');
    assertJsonError(await postBatch(server, Buffer.concat([gz, Buffer.from('trailing junk')])), 400, 'invalid_gzip');
    assertJsonError(await postBatch(server, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff])), 400, 'invalid_gzip');
    await assertAlive(server);
  });

  test('answers 413 on oversized bodies and gzip bombs', async () => {
    const big = batchBody([makeEvent({ properties: { pad: 'x'.repeat(MAX_BODY) } })]);
    assertJsonError(await postBatch(server, big), 413, 'body_too_large');
    // 20 MB of zeros is ~20 KB gzipped: small on the wire, over the limit once inflated.
    const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024));
    assert.ok(bomb.length < MAX_BODY);
    assertJsonError(await postBatch(server, bomb), 413, 'body_too_large');
    assertJsonError(await postBatch(server, bomb, { 'Content-Encoding': 'gzip' }), 413, 'body_too_large');
    // Just under the limit still goes through.
    const fits = batchBody([makeEvent({ properties: { pad: 'y'.repeat(8000) } })]);
    assert.equal((await postBatch(server, fits)).status, 200);
    await assertAlive(server);
  });

  test('answers CORS preflights and exposes ETag and Retry-After', async () => {
    const origin = 'http://shop.example';
    const pre = await request(server, '/v1/batch', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), origin);
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    assert.match(pre.headers.get('access-control-allow-methods'), /GET/);
    assert.match(pre.headers.get('access-control-allow-headers'), /Content-Type/i);
    assert.match(pre.headers.get('access-control-allow-headers'), /Content-Encoding/i);
    assert.match(pre.headers.get('access-control-allow-headers'), /If-None-Match/i);
    assert.ok(Number(pre.headers.get('access-control-max-age')) > 0);

    const res = await postBatch(server, batchBody([makeEvent()]), { Origin: origin });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), origin);
    assert.match(res.headers.get('access-control-expose-headers'), /ETag/i);
    assert.match(res.headers.get('access-control-expose-headers'), /Retry-After/i);
    // Errors carry the CORS headers too, or a page could not read them.
    const bad = await postBatch(server, 'nope', { Origin: origin });
    assert.equal(bad.headers.get('access-control-allow-origin'), origin);
  });

  test('serves rules with a strong ETag, 304 on If-None-Match, and picks up file changes', async () => {
    // Devices get the compiled program (docs/rules.md "Compiled programs"); ?format=source the file.
    const r1 = await request(server, '/v1/rules');
    assert.equal(r1.status, 200);
    assert.equal(r1.json.format, 'touchpoint-program/1');
    assert.equal(r1.json.version, RULES.version);
    const source = await request(server, '/v1/rules?format=source');
    assert.deepEqual(source.json, RULES);
    assert.notEqual(source.headers.get('etag'), r1.headers.get('etag'));
    const etag = r1.headers.get('etag');
    assert.match(etag, /^"[^"]+"$/, 'strong ETag');
    assert.match(r1.headers.get('content-type'), /application\/json/);

    const r2 = await request(server, '/v1/rules', { headers: { 'If-None-Match': etag } });
    assert.equal(r2.status, 304);
    assert.equal(r2.headers.get('etag'), etag);
    const r3 = await request(server, '/v1/rules', { headers: { 'If-None-Match': `"other", W/${etag}` } });
    assert.equal(r3.status, 304, 'weak comparison, list form');

    const changed = { ...RULES, version: 'collector-test-2' };
    fs.writeFileSync(rulesPath, JSON.stringify(changed));
    const future = new Date(Date.now() + 5000);
    fs.utimesSync(rulesPath, future, future);  // a different mtime even on coarse-clock filesystems
    const r4 = await request(server, '/v1/rules', { headers: { 'If-None-Match': etag } });
    assert.equal(r4.status, 200);
    assert.equal(r4.json.version, 'collector-test-2');
    assert.notEqual(r4.headers.get('etag'), etag);

    // A half-written file (not JSON) keeps the last version in force.
    fs.writeFileSync(rulesPath, '{"format": "touchpoint-rules/1", "tags": [');
    const later = new Date(Date.now() + 10000);
    fs.utimesSync(rulesPath, later, later);
    const r5 = await request(server, '/v1/rules');
    assert.equal(r5.status, 200);
    assert.equal(r5.json.version, 'collector-test-2');

    // Valid JSON that the engine refuses is served as is (devices must cope with exactly that),
    // while profiles keep using the newest version that compiles, as devices do.
    const anon = 'anon-' + randomUUID();
    assert.equal((await postBatch(server, batchBody([makeEvent({ anonymousId: anon })]))).status, 200);
    fs.writeFileSync(rulesPath, JSON.stringify({ ...RULES, version: 'broken', tags: [{ id: 'x', when: { no_such_operator: [1] } }] }));
    const evenLater = new Date(Date.now() + 12000);
    fs.utimesSync(rulesPath, evenLater, evenLater);
    const r5b = await request(server, '/v1/rules');
    assert.equal(r5b.status, 200);
    assert.equal(r5b.json.version, 'broken');
    const profile = await request(server, `/v1/users/${anon}`);
    assert.equal(profile.status, 200, profile.text);
    assert.equal(profile.json.rules_version, 'collector-test-2');

    fs.writeFileSync(rulesPath, JSON.stringify(RULES));
    const latest = new Date(Date.now() + 15000);
    fs.utimesSync(rulesPath, latest, latest);
    const r6 = await request(server, '/v1/rules');
    assert.equal(r6.headers.get('etag'), etag, 'same bytes, same ETag');
  });

  test('fault mode: 500 for a while, then normal again', async () => {
    const set = await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ status: 500, duration_ms: 10000 }) });
    assert.equal(set.status, 200, set.text);
    const failed = await postBatch(server, batchBody([makeEvent()]));
    assertJsonError(failed, 500, 'fault_injected');
    const state = await request(server, '/__fault');
    assert.equal(state.json.active, true);
    assert.equal(state.json.status, 500);
    assert.equal(state.json.faulted, 1);

    const reset = await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ reset: true }) });
    assert.equal(reset.status, 200);
    assert.equal(reset.json.active, false);
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 200);
  });

  test('fault mode: 429 with Retry-After; expires after duration_ms or count', async () => {
    await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ status: 429, retry_after_s: 2, duration_ms: 400 }) });
    const limited = await postBatch(server, batchBody([makeEvent()]), { Origin: 'http://shop.example' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.match(limited.headers.get('access-control-expose-headers'), /Retry-After/i);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 200, 'fault over after duration_ms');

    await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ status: 503, count: 2 }) });
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 503);
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 503);
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 200, 'fault over after count');
    const state = await request(server, '/__fault');
    assert.equal(state.json.active, false);
    assert.equal(state.json.faulted, 2);
  });

  test('fault mode: hang, then answer normally; reset ends a hang early', async () => {
    await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ hang_ms: 1200, duration_ms: 5000 }) });
    const t0 = Date.now();
    const res = await postBatch(server, batchBody([makeEvent()]));
    const elapsed = Date.now() - t0;
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.accepted, 1);
    assert.ok(elapsed >= 1100, `hung ${elapsed} ms`);

    await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ hang_ms: 60000 }) });
    const t1 = Date.now();
    const pending = postBatch(server, batchBody([makeEvent()]));
    await new Promise((r) => setTimeout(r, 300));
    await request(server, '/__fault', { method: 'POST', body: JSON.stringify({ reset: true }) });
    const done = await pending;
    assert.equal(done.status, 200);
    assert.ok(Date.now() - t1 < 10000, 'reset released the hang');
  });

  test('fault mode: bad fault bodies are refused', async () => {
    for (const body of ['nope', '{}', '{"status": 200}', '{"status": "500"}', '{"hang_ms": -1}', '[]', '{"retry_after_s": 3}']) {
      const res = await request(server, '/__fault', { method: 'POST', body });
      assert.equal(res.status, 400, `${body} -> ${res.text}`);
    }
    assert.equal((await request(server, '/__fault')).json.active, false);
  });

  test('lists events with filters, since_id and limit; stats add up', async () => {
    const anon = 'anon-' + randomUUID();
    const events = Array.from({ length: 5 }, (_, i) => makeEvent({ anonymousId: anon, event: i % 2 ? 'purchase' : 'product_view' }));
    events.push(makeEvent({ anonymousId: anon, type: 'identify', event: undefined, userId: 'user-' + anon, traits: { plan: 'pro' } }));
    assert.equal((await postBatch(server, batchBody(events))).json.accepted, 6);

    const all = await request(server, `/v1/events?anonymousId=${anon}&limit=1000`);
    assert.equal(all.json.count, 6);
    const ids = all.json.events.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));

    const purchases = await request(server, `/v1/events?anonymousId=${anon}&event=purchase`);
    assert.equal(purchases.json.count, 2);
    const identifies = await request(server, `/v1/events?type=identify&userId=user-${anon}`);
    assert.equal(identifies.json.count, 1);
    const page = await request(server, `/v1/events?anonymousId=${anon}&since_id=${ids[1]}&limit=2`);
    assert.deepEqual(page.json.events.map((e) => e.id), [ids[2], ids[3]]);
    const newest = await request(server, `/v1/events?anonymousId=${anon}&limit=2`);
    assert.deepEqual(newest.json.events.map((e) => e.id), [ids[4], ids[5]], 'newest two, newest last');
    const byId = await request(server, `/v1/events?messageId=${events[0].messageId}`);
    assert.equal(byId.json.count, 1);

    assertJsonError(await request(server, '/v1/events?limit=abc'), 400);
    assertJsonError(await request(server, '/v1/events?since_id=-4'), 400);

    const stats = (await request(server, '/v1/stats')).json;
    for (const key of ['events', 'messageIds', 'batches', 'duplicates', 'rejected', 'dropped']) assert.ok(key in stats, key);
    assert.ok(stats.events >= 6);
  });

  test('serves static files with the right MIME types', async () => {
    const wasm = await request(server, '/core.wasm');
    assert.equal(wasm.status, 200);
    assert.equal(wasm.headers.get('content-type'), 'application/wasm');
    assert.match((await request(server, '/app.mjs')).headers.get('content-type'), /^text\/javascript/);
    assert.match((await request(server, '/app.js')).headers.get('content-type'), /^text\/javascript/);
    const html = await request(server, '/examples/h5/');
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type'), /^text\/html/);

    const root = await request(server, '/');
    assert.ok([301, 302, 307, 308].includes(root.status));
    assert.equal(root.headers.get('location'), '/examples/h5/');
    const dir = await request(server, '/examples/h5');
    assert.equal(dir.headers.get('location'), '/examples/h5/');
    assert.equal((await request(server, '/favicon.ico')).status, 204);

    const etag = wasm.headers.get('etag');
    assert.ok(etag);
    assert.equal((await request(server, '/core.wasm', { headers: { 'If-None-Match': etag } })).status, 304);

    assertJsonError(await request(server, '/missing.js'), 404, 'not_found');
    // Traversal out of the root, raw and percent-encoded (fetch would normalise "..", so raw TCP).
    for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/examples/..%2f..%2fsecret.txt']) {
      const reply = await rawExchange(server, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.doesNotMatch(reply, /outside the static root/, target);
      assert.match(reply, /^HTTP\/1\.1 (400|404)/, target);
    }
  });

  test('computes a user profile from stored events with the rules in force', async () => {
    const anon = 'anon-' + randomUUID();
    const user = 'user-' + randomUUID();
    // Anonymous browsing, then login: the profile of the user includes the anonymous history.
    const events = [
      makeEvent({ anonymousId: anon, event: 'product_view', timestamp: '2026-11-20T10:00:00.000Z' }),
      makeEvent({ anonymousId: anon, userId: user, type: 'identify', event: undefined, traits: { plan: 'pro' }, timestamp: '2026-11-20T10:05:00.000Z' }),
      makeEvent({ anonymousId: anon, userId: user, event: 'purchase', properties: { price: 80 }, timestamp: '2026-11-20T10:10:00.000Z' }),
    ];
    events.push(makeEvent({ anonymousId: anon, userId: user, event: 'session_start', timestamp: '2026-11-20T10:11:00.000Z' }));
    events.push(makeEvent({ anonymousId: anon, userId: user, event: 'tags_changed', timestamp: '2026-11-20T10:12:00.000Z' }));
    events.push(makeEvent({ anonymousId: anon, userId: user, event: 'session_end', properties: { session_id: 'sess-1', events: 3 }, timestamp: '2026-11-20T10:40:00.000Z' }));
    // Sent out of order: the replay must sort by event time.
    assert.equal((await postBatch(server, batchBody([events[2], events[0], events[4], events[1], events[5], events[3]]))).json.accepted, 6);

    const profile = await request(server, `/v1/users/${encodeURIComponent(user)}`);
    assert.equal(profile.status, 200, profile.text);
    assert.equal(profile.json.id, user);
    assert.equal(profile.json.events, 3, 'session_start, session_end and tags_changed are not replayed');
    assert.equal(profile.json.stored, 6);
    assert.equal(profile.json.rules_version, RULES.version);
    assert.deepEqual(profile.json.tags, ['buyer', 'interest:shoes', 'plan:pro']);
    for (const key of ['traits', 'scores', 'stages']) assert.equal(typeof profile.json[key], 'object', key);

    const byAnon = await request(server, `/v1/users/${anon}`);
    assert.equal(byAnon.status, 200);
    assert.equal(byAnon.json.stored, 6);

    // As of a time before the login: only the anonymous product view counts.
    const earlier = await request(server, `/v1/users/${encodeURIComponent(user)}?at=2026-11-20T10:01:00.000Z`);
    assert.equal(earlier.status, 200, earlier.text);
    assert.deepEqual(earlier.json.tags, ['interest:shoes']);
    assert.equal(earlier.json.at, '2026-11-20T10:01:00.000Z');
    assert.equal(earlier.json.events, 1);

    assertJsonError(await request(server, '/v1/users/nobody-' + randomUUID()), 404, 'user_not_found');
    assertJsonError(await request(server, `/v1/users/${user}?at=not-a-time`), 400);
  });

  test('survives garbage: random bytes, wrong types, deep nesting, huge headers, bad UTF-8', async () => {
    // Random binary bodies (some starting with the gzip magic).
    for (let i = 0; i < 30; i++) {
      const bytes = randomBytes(1 + Math.floor(Math.random() * 4096));
      if (i % 3 === 0) { bytes[0] = 0x1f; bytes[1] = 0x8b; }
      const res = await postBatch(server, bytes);
      assert.ok([400, 413].includes(res.status), `random body -> ${res.status} ${res.text}`);
    }
    // Well-formed JSON with wrong types everywhere: every event rejected, none crash.
    const weird = [null, true, 'str', [], {}, { type: 5 }, { type: 'track', event: {} }, { type: 'track', event: 'e', messageId: 7 },
      makeEvent({ timestamp: 12 }), makeEvent({ context: [] }), makeEvent({ properties: { a: JSON.parse('['.repeat(20) + '1' + ']'.repeat(20)) } }),
      makeEvent({ anonymousId: 12 }), makeEvent({ userId: {} }), makeEvent({ context: { session: { id: { nested: true } } } })];
    const res = await postBatch(server, JSON.stringify({ batch: weird, sentAt: 12, dropped: 'lots' }));
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.rejected.length >= weird.length - 2, res.text);
    // Deep nesting outside properties/context, and a body that is one deep array.
    const deep = '['.repeat(100000) + ']'.repeat(100000);
    const deepEvent = JSON.stringify(makeEvent()).replace(/}$/, `,"extra":${deep}}`);
    const r2 = await postBatch(server, `{"batch":[${deepEvent}]}`);
    assert.equal(r2.status, 200, r2.text.slice(0, 200));
    assert.equal(r2.json.rejected.length, 1);
    assert.ok([200, 400].includes((await postBatch(server, `{"batch":[],"dropped":${deep}}`)).status));
    assert.equal((await postBatch(server, deep)).status, 400);
    // Invalid UTF-8 inside a string is repaired (as a browser's TextDecoder would), not a 400.
    const anon = 'anon-' + randomUUID();
    const text = Buffer.from(batchBody([makeEvent({ anonymousId: anon, properties: { q: 'AB' } })]));
    const at = text.indexOf('AB');
    text[at] = 0xff; text[at + 1] = 0xfe;
    const r3 = await postBatch(server, text);
    assert.equal(r3.status, 200, r3.text);
    assert.equal(r3.json.accepted, 1);
    // Huge header, garbage request line, truncated request.
    const huge = await rawExchange(server, `GET /v1/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(100000)}\r\n\r\n`);
    assert.doesNotMatch(huge, /^HTTP\/1\.1 200/);
    await rawExchange(server, 'BLAH\x00\x01\x02 / HTTP/9\r\n\r\n');
    await rawExchange(server, 'POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"batch":[', 1500);
    await rawExchange(server, 'POST /v1/batch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 1500);
    // A multipart form is refused, not crashed on.
    const form = new FormData();
    form.append('batch', '[]');
    const r4 = await request(server, '/v1/batch', { method: 'POST', body: form });
    assert.equal(r4.status, 415);
    await assertAlive(server);
  });

  test('DELETE /v1/events resets the store in fault mode', async () => {
    const res = await request(server, '/v1/events', { method: 'DELETE' });
    assert.equal(res.status, 200);
    const stats = (await request(server, '/v1/stats')).json;
    assert.equal(stats.events, 0);
    assert.equal(stats.batches, 0);
    assert.equal((await request(server, '/v1/events')).json.count, 0);
  });
});

describe('touchpoint-collector (default mode)', () => {
  let server;
  let dir;
  let db;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-collector-'));
    db = testDb(dir);
    server = await startCollector(['--db', db, '--max-body', '4096']);
  });

  after(async () => {
    const code = await stopCollector(server);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `collector should exit cleanly on SIGTERM; stderr:\n${server?.stderr}`);
  });

  test('listens on 127.0.0.1 and has no test hooks', async () => {
    assert.match(server.base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await request(server, '/__fault')).status, 404);
    assert.equal((await request(server, '/__fault', { method: 'POST', body: '{"status":500}' })).status, 404);
    assertJsonError(await request(server, '/v1/events', { method: 'DELETE' }), 404);
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 200);
  });

  test('answers 404 JSON for rules when none are configured', async () => {
    assertJsonError(await request(server, '/v1/rules'), 404, 'rules_not_configured');
  });

  test('--max-body applies on the wire and after gunzip', async () => {
    const padded = batchBody([makeEvent({ properties: { pad: 'z'.repeat(5000) } })]);
    assertJsonError(await postBatch(server, padded), 413, 'body_too_large');
    const gz = zlib.gzipSync(padded);
    assert.ok(gz.length < 4096);
    assertJsonError(await postBatch(server, gz), 413, 'body_too_large');
    // Chunked upload without Content-Length: the limit holds too.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1000)));
        controller.close();
      },
    });
    try {
      const res = await request(server, '/v1/batch', { method: 'POST', body: stream, duplex: 'half' });
      assert.equal(res.status, 413);
    } catch (e) {
      // The server may close the connection on an unbounded body before the client reads the 413.
      assert.match(String(e?.cause?.code ?? e), /ECONNRESET|EPIPE|UND_ERR_SOCKET|other side closed/i);
    }
    await assertAlive(server);
  });

  test('persists across restarts (same database)', async () => {
    const anon = 'anon-' + randomUUID();
    assert.equal((await postBatch(server, batchBody([makeEvent({ anonymousId: anon })]))).status, 200);
    assert.equal(await stopCollector(server), 0);
    server = await startCollector(['--db', db, '--max-body', '4096']);
    const list = await request(server, `/v1/events?anonymousId=${anon}`);
    assert.equal(list.json.count, 1);
  });
});
