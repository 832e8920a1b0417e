// `make bench`: prints, in one run, dist/ sizes (raw and gzip) and, in headless Chromium, the
// main-thread cost of track() (p50/p99 over 5,000 calls), the deferred work per event and the wire
// bytes per event at default settings. Figures, not assertions.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../tests/support/browser.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, process.env.TP_DIST_DIR || 'dist');

console.log('== dist/ sizes');
let pageTotalGz = 0;
for (const f of ['touchpoint.wasm', 'touchpoint.mjs', 'touchpoint.umd.js', 'touchpoint.d.ts']) {
  const buf = fs.readFileSync(path.join(DIST, f));
  const gz = zlib.gzipSync(buf, { level: 9 }).length;
  if (f === 'touchpoint.wasm' || f === 'touchpoint.mjs') pageTotalGz += gz;
  console.log(`${f.padEnd(18)} ${String(buf.length).padStart(7)} B raw ${String(gz).padStart(7)} B gzip`);
}
console.log(`what a page loads (touchpoint.mjs + touchpoint.wasm): ${pageTotalGz} B gzip = ${(pageTotalGz / 1024).toFixed(1)} KB (target ≤ 69 KB, stretch 52 KB; budget in tests/node/size-budget.test.mjs)`);

// A batch sink + static server with cross-origin isolation (fine-grained performance.now()).
let received = { batches: 0, bytes: 0 };
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'POST' && url.pathname === '/v1/batch') {
    const chunks = [];
    req.on('data', (c) => { chunks.push(c); });
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      received.batches++; received.bytes += raw.length;
      // The SDK counts a batch as delivered only on an acknowledgement whose counts add up to it.
      let events = 0;
      try { events = JSON.parse((raw[0] === 0x1f && raw[1] === 0x8b ? zlib.gunzipSync(raw) : raw).toString('utf8')).batch.length; } catch (e) { events = 0; }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ accepted: events, duplicates: 0, rejected: [] }));
    });
    return;
  }
  if (url.pathname === '/v1/rules') { res.writeHead(404); res.end(); return; }
  const file = path.join(ROOT, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(ROOT) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
    'Content-Security-Policy': "script-src 'self' 'wasm-unsafe-eval'",
  });
  fs.createReadStream(file).pipe(res);
});
// The core's share of the burst, natively and in wasm with the product's flags (tools/ingest_bench.cpp,
// same 5,000 lines as bench/page.js), so core costs are judged by ratios within one run.
function coreTable(chromiumIngestUs) {
  const run = (cmd, args) => {
    if (!fs.existsSync(args.length ? args[0] : cmd)) return null;
    const res = spawnSync(cmd, [...args, '--json', '--repeat', '5'], { encoding: 'utf8', timeout: 120000 });
    try { return JSON.parse(res.stdout); } catch (e) { return null; }
  };
  const native = run(path.join(ROOT, 'build-native/ingest-bench'), []);
  const wasm = run(process.execPath, [path.join(ROOT, 'build-wasm/ingest-bench.cjs')]);
  console.log('\n== the core on the same burst: native vs wasm (tools/ingest_bench.cpp, µs/event, median of 5)');
  if (!native || !wasm) { console.log('build-native/ingest-bench or build-wasm/ingest-bench.cjs missing: run scripts/build.sh'); return; }
  const n = native.usPerEvent, w = wasm.usPerEvent;
  const parts = (u) => u.part_validate_properties + u.part_name_parse_dump + u.part_uuid + u.part_timestamp;
  const rows = [
    ['ingest as the shell calls it (incl. first 2 bodies)', (u) => u.ingest],
    ['core ingest, no body built', (u) => u.ingest_core],
    ['  parse + validate properties (text scanner)', (u) => u.part_validate_properties],
    ['  event name', (u) => u.part_name_parse_dump],
    ['  enrich: messageId + timestamp', (u) => u.part_uuid + u.part_timestamp],
    ['  session, serialise with context, queue', (u) => u.ingest_core - parts(u)],
    ['rules evaluation (+ tags in context, tags_changed)', (u) => u.ingest_rules - u.ingest_core],
    ['batching: bodies joined', (u) => u.bodies_raw],
    ['gzip', (u) => u.bodies_gzip - u.bodies_raw],
    ['answers: delivered() + next body, per event', (u) => u.delivered],
    ['snapshot() (old whole-state persistence)', (u) => u.snapshot],
  ];
  console.log(`${'part'.padEnd(52)} ${'native'.padStart(8)} ${'wasm'.padStart(8)} ${'ratio'.padStart(6)}`);
  for (const [label, f] of rows)
    console.log(`${label.padEnd(52)} ${f(n).toFixed(2).padStart(8)} ${f(w).toFixed(2).padStart(8)} ${(f(w) / Math.max(1e-9, f(n))).toFixed(1).padStart(6)}`);
  console.log(`batches ${native.batches}, wire ${(native.wireBytes / native.events).toFixed(1)} B/event, snapshot ${native.snapshotBytes} B`);
  if (chromiumIngestUs !== undefined)
    console.log(`Chromium's engine.ingest (incl. crossing) ${chromiumIngestUs.toFixed(1)} µs/event = ${(chromiumIngestUs / n.ingest).toFixed(1)}x native, ${(chromiumIngestUs / w.ingest).toFixed(1)}x wasm in Node`);
}

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const chrome = await launchBrowser();
try {
  // Time to ready: fresh context (cold cache) per run, median of 5, beside a page without the SDK.
  const base = `http://127.0.0.1:${server.address().port}`;
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  const readyRuns = async (url) => {
    const out = [];
    for (let i = 0; i < 5; i++) {
      const t = await chrome.newPage();
      await t.page.goto(url);
      out.push(await t.page.evaluate(() => window.benchResult));
      await t.context.close();
    }
    return out;
  };
  const blank = await readyRuns(`${base}/bench/blank.html`);
  const sdk = await readyRuns(`${base}/bench/page.html?ready-only`);
  console.log('\n== time to ready in headless Chromium (ms since navigation start, median of 5 cold loads)');
  console.log(`no-SDK page, module script runs: ${median(blank.map((r) => r.readyAt)).toFixed(1)} ms`);
  console.log(`SDK page: script starts ${median(sdk.map((r) => r.scriptStart)).toFixed(1)} ms, init() resolved ${median(sdk.map((r) => r.readyAt)).toFixed(1)} ms; script start -> ready ${median(sdk.map((r) => r.readyAt - r.scriptStart)).toFixed(1)} ms`);
  const { page, problems } = await chrome.newPage();
  await page.goto(`${base}/bench/page.html`);
  const r = await page.evaluate(() => window.benchResult);
  if (r.error) throw new Error(r.error);
  console.log('\n== track() in headless Chromium (5,000 calls of product_view, default settings)');
  console.log(`cross-origin isolated timer: ${r.crossOriginIsolated}`);
  console.log(`track() main thread: p50 ${r.trackP50us.toFixed(1)} µs, p99 ${r.trackP99us.toFixed(1)} µs, mean ${r.trackMeanUs.toFixed(2)} µs (bar: p50 ≤ 10, p99 ≤ 100)`);
  console.log(`deferred work (drain into wasm, batching, gzip, persist, send): ${r.deferredUsPerEvent.toFixed(1)} µs/event over ${r.drains} drains (target ≤ 10, Amplitude ~3)`);
  const p = r.partsUsPerEvent;
  const top = ['ingest', 'delivered', 'persist', 'send'].reduce((a, k) => a + (p[k] || 0), 0);
  console.log(`  of which (µs/event): ${JSON.stringify(p)}; other (answers' JSON.parse, _apply, timers) ${(r.deferredUsPerEvent - top).toFixed(1)}`);
  console.log('  (persist is the whole-state snapshot path the `store` branch replaces; persist.* and send.* are inside their parent)');
  console.log(`wire: ${r.sentEvents} events in ${r.sentBatches} batches, ${r.sentBytes} body bytes = ${r.wireBytesPerEvent.toFixed(1)} B/event (bar: ≤ 80)`);
  console.log(`sink received ${received.batches} batches, ${received.bytes} bytes (incl. warm-up)`);
  if (problems.length) console.log('page problems:', problems);
  coreTable(r.partsUsPerEvent.ingest);
} finally {
  await chrome.close();
  server.close();
}
