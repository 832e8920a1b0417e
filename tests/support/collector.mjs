// Starts the reference collector for a test on a free port with a temp database, and stops it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const COLLECTOR = process.env.TP_COLLECTOR || path.join(ROOT, 'build-native/touchpoint-collector');

// The read APIs need the admin token; every helper below sends it.
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function startCollector({ args = [], timeoutMs = 15000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-collector-'));
  const db = path.join(dir, 'test.db');
  const child = spawn(COLLECTOR, ['--port', '0', '--db', db, '--static', ROOT, '--fault-mode', '--admin-token', ADMIN_TOKEN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (buf) => {
      output += buf;
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`collector exited (${code}):\n${output}`)); });
  });
  const api = {
    url, db, dir, child,
    token: ADMIN_TOKEN,
    async json(pathname, init = {}) {
      const res = await fetch(url + pathname, { ...init, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers || {}) } });
      return { status: res.status, body: await res.json() };
    },
    async events(query = '') { return (await api.json(`/v1/events?limit=100000${query ? '&' + query : ''}`)).body.events; },
    async fault(spec) { return api.json('/__fault', { method: 'POST', body: JSON.stringify(spec), headers: { 'Content-Type': 'application/json' } }); },
    async reset() { await fetch(url + '/v1/events', { method: 'DELETE', headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }); await api.fault({ reset: true }); },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => { const t = setTimeout(() => { child.kill('SIGKILL'); r(); }, 3000); child.on('exit', () => { clearTimeout(t); r(); }); });
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return api;
}

// Polls `fn` until it returns a truthy value or the deadline passes (bounded, no fixed sleeps).
export async function waitFor(fn, { timeoutMs = 20000, intervalMs = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)?.slice(0, 300)})`);
}
