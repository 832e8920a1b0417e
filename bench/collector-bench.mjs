// Collector throughput (issue 10): events/s and p50/p99 latency of real 20-event batches at 16 and
// 50 keep-alive connections, on SQLite and on PostgreSQL, beside raw SQLite's insert rate measured
// in the same run (build-native/collector-bench-sqlite: the same rows, 20 per transaction).
// Figures, not assertions. PostgreSQL runs when TP_TEST_DB names a cluster (`make bench` wraps
// this in scripts/with-postgres.sh); otherwise it says so and measures SQLite only.
//   node bench/collector-bench.mjs [--batches 600] [--connections 16,50] [--stores sqlite,postgres] [--rules FILE|none]
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COLLECTOR = process.env.TP_COLLECTOR || path.join(ROOT, 'build-native/touchpoint-collector');
const RAW_SQLITE = path.join(ROOT, 'build-native/collector-bench-sqlite');
// --rules none: no profile rules, to see the storage path alone.
const RULES = process.argv.includes('--rules') ? process.argv[process.argv.indexOf('--rules') + 1] : path.join(ROOT, 'examples/rules/shop-rules.json');
const arg = (name, fallback) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : fallback; };
const BATCHES = Number(arg('--batches', 600));
const CONNECTIONS = arg('--connections', '16,50').split(',').map(Number);
const STORES = arg('--stores', 'sqlite,postgres').split(',');
const EVENTS_PER_BATCH = 20;  // the SDK's flush size
const VISITORS = 2000;
const WARMUP_BATCHES = 50;
const REQUEST_TIMEOUT_MS = 30_000;
const PG = process.env.TP_TEST_DB || '';

// Events shaped like the shop demo's: page views, product views, add-to-cart, with context.
let seq = 0;
function event(run, i) {
  const anon = `anon-${(i * 7919) % VISITORS}`;
  const kind = i % 10 === 0 ? 'add_to_cart' : i % 3 === 0 ? 'page' : 'product_view';
  const t = new Date(Date.parse('2026-11-22T10:00:00.000Z') + i * 250).toISOString();
  return {
    type: kind === 'page' ? 'page' : 'track',
    ...(kind === 'page' ? { name: 'Product' } : { event: kind }),
    properties: { sku: `SKU-${i % 500}`, price: 10 + (i % 90), category: ['shoes', 'bags', 'coats'][i % 3] },
    context: {
      library: { name: 'touchpoint', version: '0.1.0' },
      page: { path: `/p/${i % 500}`, referrer: '', title: 'Product' },
      session: { id: `sess-${anon}` },
      campaign: i % 4 === 0 ? { source: 'wechat', medium: 'social', store_id: 'sh-01' } : undefined,
    },
    anonymousId: anon,
    userId: null,
    messageId: `${run}-${++seq}`,
    timestamp: t,
    sentAt: t,
  };
}
function bodies(run, count) {
  const out = [];
  for (let b = 0; b < count; ++b) {
    const batch = [];
    for (let k = 0; k < EVENTS_PER_BATCH; ++k) batch.push(event(run, b * EVENTS_PER_BATCH + k));
    out.push(JSON.stringify({ batch, sentAt: new Date().toISOString() }));
  }
  return out;
}

function startCollector(db) {
  return new Promise((resolve, reject) => {
    const child = spawn(COLLECTOR, ['--port', '0', '--quiet', '--db', db, ...(RULES === 'none' ? [] : ['--rules', RULES])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`collector did not start: ${err}`)), 20_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/([^:]+):(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ child, host: m[1], port: Number(m[2]), stderr: () => err }); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`collector exited (${code}): ${err}`)); });
  });
}
// utime + stime of a process, in seconds (Linux /proc).
function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;  // USER_HZ
}

function stopCollector(server) {
  return new Promise((resolve) => {
    if (server.child.exitCode !== null) return resolve();
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
    server.child.once('exit', () => { clearTimeout(timer); resolve(); });
    server.child.kill('SIGTERM');
  });
}

function post(agent, server, body) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ agent, host: server.host, port: server.port, method: 'POST', path: '/v1/batch',
      headers: { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${text}`));
        resolve({ ms, accepted: JSON.parse(text).accepted });
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

// `connections` keep-alive connections, each sending its next batch as soon as the last is answered.
async function load(server, connections, list) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies = [];
  let accepted = 0, next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (next < list.length) {
      const r = await post(agent, server, list[next++]);
      latencies.push(r.ms);
      accepted += r.accepted;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { eventsPerSecond: accepted / seconds, p50: pct(0.5), p99: pct(0.99), accepted, seconds };
}

function createPgDatabase() {
  const name = `tp_bench_${process.pid}_${Date.now()}`;
  const r = spawnSync('psql', [PG, '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`cannot create ${name}: ${r.stderr}`);
  return PG.replace(/^(postgres(?:ql)?:\/\/[^/?]*\/)[^?]*/, `$1${name}`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-collector-bench-'));
try {
  const rawRows = BATCHES * EVENTS_PER_BATCH;
  const raw = JSON.parse(execFileSync(RAW_SQLITE, [path.join(dir, 'raw.db'), '--rows', String(rawRows), '--per-tx', String(EVENTS_PER_BATCH), '--body-bytes', String(bodies('size', 1)[0].length / EVENTS_PER_BATCH | 0)], { encoding: 'utf8' }));
  console.log(`collector-bench: ${os.cpus().length} CPUs, ${BATCHES} batches x ${EVENTS_PER_BATCH} events per run, ${VISITORS} visitors, rules ${RULES === 'none' ? 'none' : path.relative(ROOT, RULES)}`);
  console.log(`raw SQLite insert, ${EVENTS_PER_BATCH} rows per transaction: ${Math.round(raw.rows_per_s).toLocaleString('en-US')} rows/s` +
    ` (${(1e6 * raw.cpu_seconds / raw.rows).toFixed(0)} µs CPU per row); load average ${os.loadavg()[0].toFixed(1)}`);
  const stores = [];
  if (STORES.includes('sqlite')) stores.push(['sqlite', () => path.join(dir, `c-${Date.now()}.db`)]);
  if (PG && STORES.includes('postgres')) stores.push(['postgres', createPgDatabase]);
  else if (STORES.includes('postgres')) console.log('postgres: skipped (TP_TEST_DB not set; `make bench` runs this under scripts/with-postgres.sh)');
  console.log('store     conns   events/s   p50 ms   p99 ms  vs raw SQLite  collector µs CPU/event');
  for (const [store, makeDb] of stores) {
    for (const connections of CONNECTIONS) {
      const server = await startCollector(makeDb());
      try {
        await load(server, 4, bodies(`warm-${store}-${connections}`, WARMUP_BATCHES));
        const list = bodies(`run-${store}-${connections}`, BATCHES);
        const cpu0 = cpuSeconds(server.child.pid);
        const r = await load(server, connections, list);
        const cpuUs = 1e6 * (cpuSeconds(server.child.pid) - cpu0) / r.accepted;
        const ratio = (100 * r.eventsPerSecond / raw.rows_per_s).toFixed(0);
        console.log(`${store.padEnd(9)} ${String(connections).padStart(5)} ${Math.round(r.eventsPerSecond).toLocaleString('en-US').padStart(10)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${(ratio + ' %').padStart(14)} ${cpuUs.toFixed(0).padStart(12)}`);
      } finally {
        await stopCollector(server);
      }
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
