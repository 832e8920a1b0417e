// `make bench`: prints, in one run, dist/ sizes (raw and gzip) and, in headless Chromium, the
// main-thread cost of track() (p50/p99 over 5,000 calls), the deferred work per event and the wire
// bytes per event at default settings. Figures, not assertions.
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
  console.log(`deferred work (drain into wasm, batching, gzip, persist, send): ${r.deferredUsPerEvent.toFixed(1)} µs/event over ${r.drains} drains (bar: ≤ 30)`);
  console.log(`  of which (µs/event): ${JSON.stringify(r.partsUsPerEvent)}`);
  console.log(`wire: ${r.sentEvents} events in ${r.sentBatches} batches, ${r.sentBytes} body bytes = ${r.wireBytesPerEvent.toFixed(1)} B/event (bar: ≤ 80)`);
  console.log(`sink received ${received.batches} batches, ${received.bytes} bytes (incl. warm-up)`);
  if (problems.length) console.log('page problems:', problems);
} finally {
  await chrome.close();
  server.close();
}
