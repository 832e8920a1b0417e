// Hardened HTTP (issue 10's table): idle keep-alive and slow connections do not starve real
// clients, heads and batches are bounded, every gzip path stops at the limit, memory per request
// stays proportional to the limit. All loops are bounded; everything runs on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { startCollector, stopCollector, makeEvent, batchBody, request, postBatch, assertJsonError, rawExchange, testDb } from './harness.mjs';

const IDLE_CONNECTIONS = 200;
const SLOW_CLIENTS = 50;
const REAL_BATCHES = 60;
// The target is p99 < 1 s (issue 10); on this shared 2-core box the test allows a margin and
// prints the figure. `make bench` reports throughput and latency properly.
const P99_BOUND_MS = 3000;

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function processStat(pid) {
  // utime + stime in clock ticks (fields 14, 15 of /proc/PID/stat) and VmRSS in KiB.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuMs: cpuTicks * 10, rssKiB: rss };
}

function connect(server) {
  const { hostname, port } = new URL(server.base);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.on('error', reject);
  });
}

describe('hardened HTTP', () => {
  let server;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-hard-'));
    server = await startCollector(['--db', testDb(dir), '--fault-mode']);
    await request(server, '/v1/events', { method: 'DELETE' });
  });

  after(async () => {
    const code = await stopCollector(server);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, server?.stderr);
  });

  test(`${IDLE_CONNECTIONS} idle keep-alive + ${SLOW_CLIENTS} slow clients: real batches are answered`, async () => {
    const sockets = [];
    const timers = [];
    try {
      // Idle keep-alive connections: one request each, then silence.
      for (let i = 0; i < IDLE_CONNECTIONS; ++i) {
        const s = await connect(server);
        s.on('error', () => {});
        sockets.push(s);
        if (i % 2 === 0) s.write(`GET /v1/rules HTTP/1.1\r\nHost: x\r\n\r\n`);
      }
      // Slow clients: a header byte every 200 ms, never finishing within the test.
      const head = `POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nX-Slow: ${'s'.repeat(200)}\r\n`;
      for (let i = 0; i < SLOW_CLIENTS; ++i) {
        const s = await connect(server);
        s.on('error', () => {});
        sockets.push(s);
        let at = 0;
        timers.push(setInterval(() => { if (at < head.length && !s.destroyed) s.write(head[at++]); }, 200));
      }
      // A real client: keep-alive, 20-event batches, one after the other.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const latencies = [];
      const { hostname, port } = new URL(server.base);
      for (let i = 0; i < REAL_BATCHES; ++i) {
        const body = batchBody(Array.from({ length: 20 }, () => makeEvent({ anonymousId: 'anon-real' })));
        const t0 = performance.now();
        const status = await new Promise((resolve, reject) => {
          const req = http.request({ host: hostname, port, path: '/v1/batch', method: 'POST', agent, headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }, timeout: 10000 }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          });
          req.on('error', reject);
          req.on('timeout', () => req.destroy(new Error('request timed out')));
          req.end(body);
        });
        latencies.push(performance.now() - t0);
        assert.equal(status, 200);
      }
      agent.destroy();
      const p50 = percentile(latencies, 50), p99 = percentile(latencies, 99);
      console.log(`# real batches beside ${IDLE_CONNECTIONS} idle + ${SLOW_CLIENTS} slow connections: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
      assert.ok(p99 < P99_BOUND_MS, `p99 ${p99} ms`);
    } finally {
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    }
  });

  test('a request that does not arrive within 10 s gets 408 and the connection is closed', async () => {
    const t0 = Date.now();
    const got = await rawExchange(server, 'POST /v1/batch HTTP/1.1\r\nHost: x\r\n', 15000);
    assert.match(got, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - t0 < 13000);
  });

  test('a 100 KB header is 431 at once; 200,000 headers (10 MB) are refused after 16 KiB', async () => {
    const big = await rawExchange(server, `GET /v1/rules HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assert.match(big, /headers_too_large/);
    // Many small headers, streamed until the server answers.
    const socket = await connect(server);
    let answer = '';
    let sent = 0;
    const line = 'X-H: v\r\n';
    await new Promise((resolve) => {
      socket.on('data', (d) => { answer += d.toString('latin1'); resolve(); });
      socket.on('close', resolve);
      socket.on('error', resolve);
      socket.write('GET /v1/rules HTTP/1.1\r\nHost: x\r\n');
      const pump = () => {
        while (!answer && sent < 200000) {
          sent += 1000;
          if (!socket.write(line.repeat(1000))) { socket.once('drain', pump); return; }
        }
      };
      pump();
    });
    socket.destroy();
    assert.match(answer, /^HTTP\/1\.1 431 /);
    // The head is judged after 16 KiB; what the kernel already buffered is discarded, not parsed.
    await assertAliveFast();
  });

  async function assertAliveFast() {
    const t0 = Date.now();
    assert.equal((await request(server, '/v1/stats')).status, 200);
    assert.ok(Date.now() - t0 < 2000);
  }

  test('a malformed request line is answered 400 at once', async () => {
    const t0 = Date.now();
    const got = await rawExchange(server, 'THIS IS NOT HTTP\r\n\r\n', 5000, { firstResponse: true });
    assert.match(got, /^HTTP\/1\.1 400 /);
    assert.ok(Date.now() - t0 < 2000);
  });

  test('a batch of more than --max-events events is 413, nothing stored; 16 at once stay small in memory', async () => {
    const body = '{"batch":[' + Array(300000).fill('{}').join(',') + ']}';
    assert.ok(body.length < 1024 * 1024);
    const before = processStat(server.child.pid);
    const answers = await Promise.all(Array.from({ length: 16 }, () => postBatch(server, body)));
    const afterStat = processStat(server.child.pid);
    for (const res of answers) assertJsonError(res, 413, 'too_many_events');
    const growthMiB = (afterStat.rssKiB - before.rssKiB) / 1024;
    console.log(`# 16 x 300,000-event bodies: RSS ${before.rssKiB >> 10} -> ${afterStat.rssKiB >> 10} MiB (+${growthMiB.toFixed(1)})`);
    assert.ok(growthMiB < 100, `RSS grew ${growthMiB} MiB`);
  });

  test('Content-Encoding: gzip inflating to 512 MiB stops at the limit (413) within a few ms of CPU', async () => {
    // 32 concatenated gzip members of 16 MiB of zeros each: ~520 KB on the wire.
    const member = zlib.gzipSync(Buffer.alloc(16 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array(32).fill(member));
    assert.ok(bomb.length < 1024 * 1024);
    for (const headers of [{ 'Content-Encoding': 'gzip' }, {}]) {
      const before = processStat(server.child.pid);
      const res = await postBatch(server, bomb, headers);
      const cpu = processStat(server.child.pid).cpuMs - before.cpuMs;
      assertJsonError(res, 413, 'body_too_large');
      console.log(`# gzip bomb ${headers['Content-Encoding'] ? 'with Content-Encoding' : 'sniffed'}: 413 after ${cpu} ms of collector CPU`);
      assert.ok(cpu < 500, `${cpu} ms of CPU`);
    }
    const br = await postBatch(server, 'x', { 'Content-Encoding': 'br' });
    assertJsonError(br, 415, 'unsupported_encoding');
  });

  test('a real gzip batch with Content-Encoding still works', async () => {
    const res = await postBatch(server, zlib.gzipSync(batchBody([makeEvent()])), { 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.accepted, 1);
  });
});
