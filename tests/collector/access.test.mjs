// Access control: write keys for ingestion, the admin token for read APIs, read CORS per origin.
// Rows "any website reads GET /v1/events ..." and "POST /v1/batch with no, a wrong or an empty
// writeKey" of issue 10.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, assertJsonError, ADMIN_TOKEN, testDb } from './harness.mjs';

const OPS_ORIGIN = 'https://ops.example';
const EVIL_ORIGIN = 'https://evil.example';

describe('access control (write keys, admin token, origins)', () => {
  let server;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-access-'));
    server = await startCollector(['--db', testDb(dir), '--fault-mode',
      '--write-key', 'shop-key', '--write-key', 'kiosk-key', '--allow-origin', OPS_ORIGIN]);
    await request(server, '/v1/events', { method: 'DELETE' });
  });

  after(async () => {
    const code = await stopCollector(server);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, server?.stderr);
  });

  async function storedFor(anon) {
    const res = await request(server, `/v1/events?anonymousId=${anon}&limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.json.events;
  }

  test('POST /v1/batch with no, a wrong or an empty writeKey is 401 and stores nothing', async () => {
    const anon = 'anon-key-' + Date.now();
    const body = () => batchBody([makeEvent({ anonymousId: anon, userId: 'user-alice', event: 'purchase' })]);
    assertJsonError(await postBatch(server, body()), 401, 'write_key_missing');
    assertJsonError(await postBatch(server, body(), {}, '?writeKey=wrong'), 401, 'write_key_unknown');
    assertJsonError(await postBatch(server, body(), {}, '?writeKey='), 401, 'write_key_missing');
    assertJsonError(await postBatch(server, batchBody([makeEvent({ anonymousId: anon })], { writeKey: 'wrong' })), 401, 'write_key_unknown');
    assertJsonError(await postBatch(server, batchBody([makeEvent({ anonymousId: anon })], { writeKey: '' })), 401, 'write_key_missing');
    // A wrong URL key is not rescued by a right body key.
    assertJsonError(await postBatch(server, batchBody([makeEvent({ anonymousId: anon })], { writeKey: 'shop-key' }), {}, '?writeKey=nope'), 401, 'write_key_unknown');
    assert.deepEqual(await storedFor(anon), []);
    const stats = await request(server, '/v1/stats');
    assert.equal(stats.json.batches, 0);
  });

  test('a configured key in the URL (JS shell) or in the body (core) is accepted', async () => {
    const anon = 'anon-key-ok-' + Date.now();
    const viaUrl = await postBatch(server, batchBody([makeEvent({ anonymousId: anon })]), {}, '?writeKey=shop-key');
    assert.equal(viaUrl.status, 200, viaUrl.text);
    assert.deepEqual(Object.keys(viaUrl.json).sort(), ['accepted', 'duplicates', 'rejected']);
    const viaBody = await postBatch(server, batchBody([makeEvent({ anonymousId: anon })], { writeKey: 'kiosk-key' }));
    assert.equal(viaBody.status, 200, viaBody.text);
    assert.equal((await storedFor(anon)).length, 2);
  });

  test('ingestion CORS stays open to any site', async () => {
    const res = await postBatch(server, batchBody([makeEvent()]), { Origin: 'https://any-shop.example' }, '?writeKey=shop-key');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://any-shop.example');
    const pre = await request(server, '/v1/batch', { method: 'OPTIONS', headers: { Origin: 'https://any-shop.example' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'https://any-shop.example');
  });

  for (const pathname of ['/v1/events', '/v1/users/user-alice', '/v1/stats', '/v1/dashboard/overview']) {
    test(`GET ${pathname}: 401 without or with a wrong token, never a foreign origin`, async () => {
      const none = await request(server, pathname, { auth: false });
      assertJsonError(none, 401, 'unauthorized');
      assert.match(none.headers.get('www-authenticate') || '', /^Bearer/);
      assertJsonError(await request(server, pathname, { auth: false, headers: { Authorization: 'Bearer wrong-token-0123456789' } }), 401, 'unauthorized');
      assertJsonError(await request(server, pathname, { auth: false, headers: { Authorization: `Basic ${ADMIN_TOKEN}` } }), 401, 'unauthorized');
      // With the right token but from a foreign page: 403, no CORS grant, no data.
      const evil = await request(server, pathname, { headers: { Origin: EVIL_ORIGIN } });
      assertJsonError(evil, 403, 'origin_not_allowed');
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      const pre = await request(server, pathname, { method: 'OPTIONS', auth: false, headers: { Origin: EVIL_ORIGIN, 'Access-Control-Request-Headers': 'authorization' } });
      assert.equal(pre.status, 403);
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
    });
  }

  test('the admin token reads; an allowed origin gets its CORS grant', async () => {
    const ok = await request(server, '/v1/stats');
    assert.equal(ok.status, 200, ok.text);
    const ops = await request(server, '/v1/stats', { headers: { Origin: OPS_ORIGIN } });
    assert.equal(ops.status, 200);
    assert.equal(ops.headers.get('access-control-allow-origin'), OPS_ORIGIN);
    const pre = await request(server, '/v1/events', { method: 'OPTIONS', auth: false, headers: { Origin: OPS_ORIGIN } });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
    // The collector's own pages (the dashboard) are same-origin.
    const own = await request(server, '/v1/stats', { headers: { Origin: server.base } });
    assert.equal(own.status, 200);
  });

  test('DELETE /v1/events (fault mode) needs the token too', async () => {
    assertJsonError(await request(server, '/v1/events', { method: 'DELETE', auth: false }), 401, 'unauthorized');
  });

  test('rules and static files stay public', async () => {
    const rules = await request(server, '/v1/rules', { auth: false });
    assert.equal(rules.status, 404);  // no --rules: not configured, but not 401
  });
});

describe('access control: development defaults', () => {
  test('without --write-key or --admin-token the collector is open and says so at start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-access-open-'));
    const server = await startCollector(['--db', testDb(dir)], { token: '' });
    try {
      const res = await postBatch(server, batchBody([makeEvent()]));
      assert.equal(res.status, 200, res.text);
      assert.equal((await request(server, '/v1/stats')).status, 200);
      // Even open, a foreign page may not read.
      assert.equal((await request(server, '/v1/stats', { headers: { Origin: EVIL_ORIGIN } })).status, 403);
    } finally {
      assert.equal(await stopCollector(server), 0);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.match(server.stderr, /warning: no --write-key/);
    assert.match(server.stderr, /warning: no --admin-token/);
  });

  test('a short admin token is refused at start', async () => {
    await assert.rejects(startCollector(['--db', ':memory:'], { token: 'short' }), /exited early \(2\)/);
  });
});
