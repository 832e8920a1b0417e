// Shared harness of the collector's HTTP tests: starts the real binary on a free port, sends
// requests with bounded timeouts, and kills every child when the test process exits.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BINARY = path.resolve(ROOT, process.env.TP_COLLECTOR || 'build-native/touchpoint-collector');
export const START_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const STOP_TIMEOUT_MS = 10_000;
export const MAX_BODY = 1024 * 1024;
// Every suite runs with an admin token; request() sends it unless told otherwise.
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
// TP_TEST_DB=postgres://... runs the same suites on PostgreSQL (scripts/test.sh does both, the
// cluster started by scripts/with-postgres.sh).
export const DB_URL = process.env.TP_TEST_DB || '';
export const STORE = DB_URL ? 'postgres' : 'sqlite';

// A new, empty database for one collector (or several sharing it): a SQLite file in `dir`, or a
// fresh database created in the TP_TEST_DB cluster.
export function testDb(dir, name = 'test.db') {
  if (!DB_URL) return path.join(dir, name);
  const db = 'tp_' + randomUUID().replace(/-/g, '').slice(0, 20);
  const run = spawnSync('psql', [DB_URL, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${db}`], { encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`cannot create database ${db} in ${DB_URL}: ${run.stderr || run.error}`);
  return DB_URL.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, `$1${db}`);
}

// ---------------------------------------------------------------------------------------------
// Process management

const running = new Set();
process.on('exit', () => { for (const child of running) child.kill('SIGKILL'); });

// Starts the collector and resolves once it printed its "listening on" line.
export async function startCollector(args, { token = ADMIN_TOKEN } = {}) {
  if (!fs.existsSync(BINARY)) {
    throw new Error(`collector binary not found at ${BINARY}; build it (target touchpoint-collector) or set TP_COLLECTOR`);
  }
  const tokenArgs = token ? ['--admin-token', token] : [];
  const child = spawn(BINARY, ['--port', '0', '--quiet', ...tokenArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.on('exit', () => running.delete(child));
  const server = { child, stdout: '', stderr: '', base: '', token };
  child.stderr.on('data', (d) => { server.stderr += d; });
  server.base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start within ${START_TIMEOUT_MS} ms; stderr:\n${server.stderr}`)), START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      server.stdout += d;
      const m = /touchpoint-collector listening on (http:\/\/[^\s]+)/.exec(server.stdout);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`collector exited early (${code ?? signal}); stderr:\n${server.stderr}`)); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
  return server;
}

// SIGTERM, then SIGKILL if it has not exited in time. Resolves with the exit code (or signal).
export function stopCollector(server) {
  if (!server) return Promise.resolve(null);
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
    child.once('exit', (code, signal) => { clearTimeout(timer); resolve(code ?? signal); });
    child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function makeEvent(overrides = {}) {
  return {
    type: 'track',
    event: 'product_view',
    properties: { sku: 'A-1', price: 12.5 },
    context: { library: { name: 'touchpoint', version: '0.1.0' }, page: { path: '/p/a-1' }, session: { id: 'sess-1' } },
    anonymousId: 'anon-default',
    userId: null,
    messageId: randomUUID(),
    timestamp: '2026-11-22T10:00:00.000Z',
    sentAt: '2026-11-22T10:00:01.000Z',
    ...overrides,
  };
}

export function batchBody(events, extra = {}) {
  return JSON.stringify({ batch: events, sentAt: new Date().toISOString(), ...extra });
}

export async function request(server, urlPath, init = {}) {
  const headers = { ...(server.token && init.auth !== false ? { Authorization: `Bearer ${server.token}` } : {}), ...(init.headers || {}) };
  const res = await fetch(server.base + urlPath, { redirect: 'manual', ...init, headers, signal: AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let json;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json };
}

export function postBatch(server, body, headers = {}, query = '') {
  return request(server, '/v1/batch' + query, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', ...headers } });
}

export function assertJsonError(res, status, code) {
  assert.equal(res.status, status, res.text);
  assert.equal(typeof res.json?.error?.code, 'string', `JSON error body expected, got: ${res.text.slice(0, 200)}`);
  assert.equal(typeof res.json.error.message, 'string');
  if (code) assert.equal(res.json.error.code, code);
}

// Sends raw bytes on a fresh TCP connection; resolves with what came back ('' if closed/reset).
// With { firstResponse: true } it resolves as soon as a complete-looking answer (head and, for a
// JSON error, its closing brace) has come back, without waiting for the connection to close.
export function rawExchange(server, bytes, timeoutMs = 5000, { firstResponse = false } = {}) {
  const { hostname, port } = new URL(server.base);
  return new Promise((resolve) => {
    let got = '';
    const socket = net.connect({ host: hostname, port: Number(port) });
    const done = () => { clearTimeout(timer); socket.destroy(); resolve(got); };
    const timer = setTimeout(done, timeoutMs);
    // write, not end: httplib 0.11 may drop a request whose client already half-closed.
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => { got += d.toString('latin1'); if (firstResponse && /\r\n\r\n[\s\S]*\}$/.test(got)) done(); });
    socket.on('error', done);
    socket.on('close', done);
  });
}

export async function assertAlive(server) {
  const res = await request(server, '/v1/stats');
  assert.equal(res.status, 200, 'collector should still answer');
}

// ---------------------------------------------------------------------------------------------

