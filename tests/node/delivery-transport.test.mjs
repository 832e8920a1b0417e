// The shared fetch sender (js/src/platform/common.js fetchSend) against a local HTTP server: every
// event request has a timeout that answers as a network error (status 0), redirects are never
// followed and reach the core as a 3xx, and the answer is read whole for the acknowledgement check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';

import { DEFAULT_REQUEST_TIMEOUT_MS, fetchSend, requestTimeoutFrom } from '../../js/src/platform/common.js';
import { createNodePlatform } from '../../js/src/platform/node.js';

let server;
let base;
const seen = [];
const hung = new Set();

before(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      if (req.url === '/moved') { res.writeHead(301, { Location: '/elsewhere' }); res.end(); return; }
      if (req.url === '/hang') { hung.add(res); return; }  // never answers
      if (req.url === '/big') { res.writeHead(200); res.end(JSON.stringify({ accepted: 0, duplicates: 0, rejected: Array.from({ length: 1000 }, (_, i) => ({ index: i, code: 'event_invalid', field: '/event', message: 'x'.repeat(60) })) })); return; }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Retry-After': '3' });
      res.end('{"accepted":1,"duplicates":0,"rejected":[]}');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const bytes = new TextEncoder().encode('{"batch":[]}');

describe('fetchSend', () => {
  test('answers status, Retry-After and the body', async () => {
    const r = await fetchSend(globalThis.fetch, `${base}/ok`, bytes, false, 5000);
    assert.deepEqual(r, { status: 200, retryAfterMs: 3000, body: '{"accepted":1,"duplicates":0,"rejected":[]}' });
  });

  test('never follows a redirect: the 3xx itself reaches the core', async () => {
    seen.length = 0;
    const r = await fetchSend(globalThis.fetch, `${base}/moved`, bytes, false, 5000);
    assert.equal(r.status, 301);
    assert.deepEqual(seen, ['POST /moved'], 'the Location was not requested');
  });

  test("a browser's opaqueredirect (status 0) is reported as a 3xx, not as a network error", async () => {
    let init;
    const fake = async (url, i) => { init = i; return { type: 'opaqueredirect', status: 0, headers: new Headers(), text: async () => '' }; };
    const r = await fetchSend(fake, `${base}/x`, bytes, true, 5000);
    assert.equal(r.status, 307);
    assert.equal(init.redirect, 'manual');
    assert.equal(init.keepalive, true);
    assert.ok(init.signal instanceof AbortSignal, 'the request can be aborted');
  });

  test('a hung request is aborted after the timeout and answers status 0 with the reason', async () => {
    const t0 = Date.now();
    const r = await fetchSend(globalThis.fetch, `${base}/hang`, bytes, false, 300);
    const took = Date.now() - t0;
    assert.equal(r.status, 0);
    assert.equal(r.body, 'request timed out after 300 ms');
    assert.ok(took >= 280 && took < 3000, `took ${took} ms`);
  });

  test('a fetch that ignores the abort signal still cannot hang the queue', async () => {
    let aborted = false;
    const never = (url, init) => { init.signal.addEventListener('abort', () => { aborted = true; }); return new Promise(() => {}); };
    const r = await fetchSend(never, `${base}/x`, bytes, false, 200);
    assert.equal(r.status, 0);
    assert.match(r.body, /timed out after 200 ms/);
    assert.equal(aborted, true);
  });

  test('a network failure answers status 0', async () => {
    const r = await fetchSend(globalThis.fetch, 'http://127.0.0.1:1/v1/batch', bytes, false, 5000);
    assert.equal(r.status, 0);
    assert.ok(r.body.length > 0);
  });

  test('a long acknowledgement (1000 rejected events) is read whole', async () => {
    const r = await fetchSend(globalThis.fetch, `${base}/big`, bytes, false, 5000);
    assert.ok(r.body.length > 4096);
    assert.equal(JSON.parse(r.body).rejected.length, 1000);
  });

  test('the timeout option: requestTimeoutMs, else the documented 15 s default', async () => {
    assert.equal(DEFAULT_REQUEST_TIMEOUT_MS, 15000);
    assert.equal(requestTimeoutFrom({}), 15000);
    assert.equal(requestTimeoutFrom({ requestTimeoutMs: 1500 }), 1500);
    assert.equal(requestTimeoutFrom({ requestTimeoutMs: 'soon' }), 15000);
    assert.equal(requestTimeoutFrom({ requestTimeoutMs: -1 }), 15000);
    const platform = createNodePlatform({ requestTimeoutMs: 250 });
    const t0 = Date.now();
    const r = await platform.send(`${base}/hang`, bytes);
    assert.equal(r.status, 0);
    assert.match(r.body, /timed out after 250 ms/);
    assert.ok(Date.now() - t0 < 3000);
  });
});
