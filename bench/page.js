// Runs in headless Chromium (cross-origin isolated, so performance.now() has 5 µs resolution).
import touchpoint from '/dist/touchpoint.mjs';

const scriptStart = performance.now();  // ms since navigation start

const N = 5000;
const props = () => ({ sku: 'A-1001', category: 'health', price: 129.5, tags: ['new', 'promo'], page: '/p/1001' });

async function run() {
  await touchpoint.init({ writeKey: 'bench', endpoint: location.origin, rules: false, autotrack: false });
  const readyAt = performance.now();
  if (new URLSearchParams(location.search).has('ready-only')) return { scriptStart, readyAt };
  // Warm-up (JIT, wasm tier-up), then reset the counters.
  for (let i = 0; i < 500; i++) touchpoint.track('warmup', props());
  await touchpoint.flush();
  Object.assign(touchpoint.stats, { drains: 0, deferredMs: 0, calls: 0, sentBatches: 0, sentBytes: 0, sentEvents: 0 });

  // Where deferred time goes (wrappers on this instance only; the SDK itself is unchanged). Nested
  // parts are inside their parent's time: persist = snapshot + setItem + rest, send = batchBody +
  // fetch + the copy and bookkeeping. A method a later version no longer has is skipped.
  const parts = { ingest: 0, delivered: 0, persist: 0, 'persist.snapshot': 0, 'persist.setItem': 0, send: 0, 'send.batchBody': 0, 'send.fetch': 0 };
  const wrap = (obj, name, key) => {
    if (!obj || typeof obj[name] !== 'function') { delete parts[key]; return; }
    const orig = obj[name].bind(obj);
    obj[name] = (...a) => { const t = performance.now(); try { return orig(...a); } finally { parts[key] += performance.now() - t; } };
  };
  wrap(touchpoint._engine, 'ingest', 'ingest');
  wrap(touchpoint._engine, 'delivered', 'delivered');
  wrap(touchpoint, '_persist', 'persist');
  wrap(touchpoint._engine, 'snapshot', 'persist.snapshot');
  wrap(touchpoint._platform.storage, 'set', 'persist.setItem');
  wrap(touchpoint, '_send', 'send');
  wrap(touchpoint._engine, 'batchBody', 'send.batchBody');
  wrap(touchpoint._platform, 'send', 'send.fetch');
  const samples = new Float64Array(N);
  const loopStart = performance.now();
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    touchpoint.track('product_view', props());
    samples[i] = performance.now() - t0;
  }
  const loopMs = performance.now() - loopStart;
  await new Promise((r) => setTimeout(r, 0)); // let the deferred drain run
  await touchpoint.flush();
  await new Promise((r) => setTimeout(r, 0));
  const sorted = Array.from(samples).sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(N - 1, Math.floor(p * N))] * 1000;
  return {
    scriptStart, readyAt,
    crossOriginIsolated: self.crossOriginIsolated,
    calls: N,
    trackP50us: q(0.5), trackP99us: q(0.99), trackMeanUs: (loopMs * 1000) / N,
    deferredUsPerEvent: (touchpoint.stats.deferredMs * 1000) / N,
    drains: touchpoint.stats.drains,
    sentEvents: touchpoint.stats.sentEvents, sentBatches: touchpoint.stats.sentBatches, sentBytes: touchpoint.stats.sentBytes,
    partsUsPerEvent: Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, +(v * 1000 / N).toFixed(1)])),
    wireBytesPerEvent: touchpoint.stats.sentBytes / Math.max(1, touchpoint.stats.sentEvents),
  };
}
window.benchResult = run().catch((e) => ({ error: String(e && e.stack || e) }));
