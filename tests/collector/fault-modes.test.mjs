// The collector's test-only fault modes that impersonate what stands between an SDK and its
// backend (issue 7): a captive portal's HTML 200, a 200 with any other body, a redirect, a hang past
// the client's timeout. Nothing faulted is stored; the old modes keep working (collector.test.mjs).
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, DB_URL } from './harness.mjs';
import { waitFor } from '../support/collector.mjs';

describe('collector fault modes for delivery confirmation', () => {
  let server;
  let dir;
  const fault = (spec) => request(server, '/__fault', { method: 'POST', body: JSON.stringify(spec) });
  const stored = async () => (await request(server, '/v1/stats')).json.events;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-faults-'));
    server = await startCollector(['--db', DB_URL || path.join(dir, 'test.db'), '--fault-mode']);
  });
  after(async () => {
    await stopCollector(server);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => { await fault({ reset: true }); });

  test('html200: 200 with a captive portal page, nothing stored', async () => {
    const before = await stored();
    const set = await fault({ html200: true });
    assert.equal(set.status, 200, set.text);
    assert.equal(set.json.status, 200);
    assert.ok(set.json.body_bytes > 0);
    const res = await postBatch(server, batchBody([makeEvent()]));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(res.text, /^<!DOCTYPE html>/);
    assert.equal(await stored(), before, 'a faulted batch is not stored');
    assert.equal((await request(server, '/__fault')).json.faulted, 1);
  });

  test('body200: 200 with exactly the given body, empty included', async () => {
    for (const body of ['OK', '', '{"status":"ok"}']) {
      await fault({ body200: body, count: 1 });
      const res = await postBatch(server, batchBody([makeEvent()]));
      assert.equal(res.status, 200);
      assert.equal(res.text, body);
      assert.match(res.headers.get('content-type'), /^text\/plain/);
      const next = await postBatch(server, batchBody([makeEvent()]));
      assert.equal(next.json.accepted, 1, 'count: 1 faults one request only');
    }
  });

  test('redirect: the status and Location, nothing stored', async () => {
    const before = await stored();
    const set = await fault({ redirect: 301, location: '/v2/batch' });
    assert.equal(set.json.location, '/v2/batch');
    const res = await postBatch(server, batchBody([makeEvent()]));
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/v2/batch');
    await fault({ redirect: 308 });
    const res2 = await postBatch(server, batchBody([makeEvent()]));
    assert.equal(res2.status, 308);
    assert.ok(res2.headers.get('location'), 'a default Location');
    assert.equal(await stored(), before);
  });

  test('a hang outlasts a client timeout; reset ends it and the request is answered normally', async () => {
    await fault({ hang_ms: 120000 });
    const t0 = Date.now();
    await assert.rejects(request(server, '/v1/batch', { method: 'POST', body: batchBody([makeEvent()]), timeoutMs: 800 }),
      (e) => e.name === 'TimeoutError' || e.name === 'AbortError');
    assert.ok(Date.now() - t0 < 5000);
    const pending = postBatch(server, batchBody([makeEvent()]));
    await waitFor(async () => (await request(server, '/__fault')).json.faulted === 2, { what: 'the request to hang', timeoutMs: 5000 });
    await fault({ reset: true });
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.json.accepted, 1);
  });

  test('a discarding hang: once released, the hung request is refused and not stored', async () => {
    const set = await fault({ hang_ms: 120000, discard: true });
    assert.equal(set.json.discard, true);
    const before = await stored();
    const pending = postBatch(server, batchBody([makeEvent()]));
    // the request must reach the hang before the reset (else it is not faulted at all)
    await waitFor(async () => (await request(server, '/__fault')).json.faulted === 1, { what: 'the request to hang', timeoutMs: 5000 });
    await fault({ reset: true });
    const res = await pending;
    assert.equal(res.status, 503);
    assert.equal(await stored(), before);
    assert.equal((await postBatch(server, batchBody([makeEvent()]))).status, 200, 'normal after the reset');
  });

  test('bad fault bodies are refused and leave the current fault alone', async () => {
    for (const body of ['{"html200": true, "status": 500}', '{"body200": 5}', '{"redirect": 304}', '{"redirect": 200}',
      '{"location": "/x"}', '{"redirect": 301, "location": ""}', '{"redirect": 301, "location": "/a\\r\\nSet-Cookie: x=1"}',
      '{"body200": "a", "redirect": 302}', '{"discard": true}', '{"hang_ms": 10, "discard": 1}', `{"body200": "${'x'.repeat(70000)}"}`, '{"html200": false}']) {
      const res = await request(server, '/__fault', { method: 'POST', body });
      assert.equal(res.status, 400, `${body.slice(0, 80)} -> ${res.text}`);
    }
    assert.equal((await request(server, '/__fault')).json.active, false);
  });
});
