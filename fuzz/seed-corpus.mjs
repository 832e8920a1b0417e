// Writes the committed seed corpora (fuzz/corpus/<target>/), small hand-made inputs that reach
// each target's interesting paths; libFuzzer grows its working corpus from them (build-fuzz/corpus).
//   node fuzz/seed-corpus.mjs     (snapshots come from dist/, so run it after a build)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SEP = Buffer.from([0xff]);
const write = (target, name, ...parts) => {
  const dir = path.join(HERE, 'corpus', target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))));
};
const flags = (f) => Buffer.from([f]);

// ---- ingest: flags, then rounds of [time byte][NDJSON] separated by 0xFF
const calls = {
  track: 't\t1700000000000\t"view"\t{"price":12.5,"cat":"a","hot":true}',
  trackBad: 't\tx\t"\\ud800"\t{"a":"\\udfff","b":[1,{"c":null}]}',
  context: '{"type":"context","context":{"page":{"url":"https://shop.example/p?utm_source=wechat&tp_ref=abc&tp_share=s1&tp_depth=2","path":"/p","referrer":"https://t.co/"},"locale":"zh-CN","userAgent":"UA"}}',
  page: '{"type":"page","name":"Home","properties":{"title":"t"},"ts":1700000000100}',
  identify: '{"type":"identify","userId":"u-1","traits":{"plan":"pro","age":30}}',
  alias: '{"type":"alias","userId":"u-2","previousId":"u-1"}',
  register: '{"type":"register","properties":{"app":"shop"}}\n{"type":"register_once","properties":{"first":1}}\n{"type":"unregister","key":"app"}',
  external: '{"type":"external_id","kind":"openid","value":"oAbCdEfGhIjKlMnOpQrStUvWx"}',
  consent: '{"type":"consent","state":"pending"}\nt\t1\t"held"\t{}\n{"type":"consent","state":"granted"}\n{"type":"consent","state":"denied"}',
  reset: '{"type":"reset","ts":5}',
  junk: '{"type":"nope"}\n[1,2]\n{"type":"track","event":5}\n{"type":"track","event":"x","properties":"s"}\nt\t\t\n\r\n',
};
write('ingest', 'all-calls', flags(8 | 16), [0], Object.values(calls).join('\n'));
write('ingest', 'rounds', flags(1 | 2), [1], calls.context, SEP, [2], calls.track, SEP, [200], calls.identify + '\n' + calls.track, SEP, [0], calls.consent);
write('ingest', 'pending-rules', flags(4 | 8), [0], calls.track + '\n' + calls.page, SEP, [5], calls.reset + '\n' + calls.track);
write('ingest', 'hot-line', flags(0), [0], calls.track + '\n' + calls.trackBad);

// ---- delivered: flags, then rounds [pick][status u16 LE][retry-after u16 LE][body] separated by 0xFF
const round = (pick, status, retry, body) => Buffer.concat([Buffer.from([pick, status & 255, status >> 8, retry & 255, retry >> 8]), Buffer.from(body), SEP]);
write('delivered', 'ack', flags(16), round(0, 200, 0, '{"accepted":20,"duplicates":0,"rejected":[]}'));
write('delivered', 'rejected', flags(1), round(1, 200, 0, '{"accepted":19,"duplicates":1,"rejected":[{"index":3,"code":"string_too_long","message":"m"}]}'));
write('delivered', 'retry-then-ok', flags(2), round(0, 500, 0, 'oops'), round(0, 429, 30, ''), round(0, 0, 0, 'network'), round(0, 200, 0, '<html>'));
write('delivered', 'drop', flags(0), round(0, 413, 0, 'too large'), round(0xfe, 200, 0, '{}'), round(3, 400, 0, '{"rejected":5}'));

// ---- rules: rule set JSON
const fuzzRules = fs.readFileSync(path.join(HERE, 'fuzz_common.hpp'), 'utf8').match(/kRules = R"\((\{[\s\S]*?\})\)"/)[1];
write('rules', 'fuzz-rules.json', fuzzRules);
write('rules', 'condition-10.json', fs.readFileSync(path.join(ROOT, 'tests/data/rules-workload/rules/condition-10.json')));
write('rules', 'score-10.json', fs.readFileSync(path.join(ROOT, 'tests/data/rules-workload/rules/score-10.json')));
write('rules', 'operators.json', JSON.stringify({ format: 'touchpoint-rules/1', version: 'ops', tags: [
  { id: 'a', when: { and: [{ in: ['x', { var: 'event.properties.tags' }] }, { starts_with: [{ var: 'event.event' }, 'vi'] }] } },
  { id: 'b', when: { some: [{ var: 'event.properties.items' }, { '>': [{ var: 'price' }, 3] }] } },
  { id: 'c', when: { '<': [1, { reduce: [{ var: 'event.properties.items' }, { '+': [{ var: 'current.price' }, { var: 'accumulator' }] }, 0] }, 100] } },
  { id: 'd', when: { if: [{ '!': { var: 'user.plan' } }, false, { '==': [{ substr: [{ cat: ['a', { var: 'user.plan' }] }, 1] }, 'pro'] }] } }] }));

// ---- collector: [mode byte] then a batch body (mode 0 raw; 1 gzip; 2 gzip truncated; 3 gzip with a flipped byte)
const batch = JSON.stringify({ batch: [
  { type: 'track', event: 'view', properties: { price: 1 }, anonymousId: 'a-1', userId: null, messageId: '1b4e28ba-2fa1-41d2-883f-0016d3cca427', timestamp: '2026-01-01T00:00:00.000Z', context: { library: { name: 'touchpoint', version: '0.1.0' } } },
  { type: 'identify', traits: { plan: 'pro' }, anonymousId: 'a-1', userId: 'u', messageId: '2b4e28ba-2fa1-41d2-883f-0016d3cca427', timestamp: '2026-01-01T00:00:01.000Z' },
  { type: 'track', event: '', messageId: 'bad' }], sentAt: '2026-01-01T00:00:02.000Z', writeKey: 'wk', dropped: { queue_full: 2 } });
write('collector_batch', 'raw', [0], batch);
write('collector_batch', 'gzip', [1], batch);
write('collector_batch', 'gzip-truncated', [2], batch);
write('collector_batch', 'gzip-flipped', [3], batch);
write('collector_batch', 'not-json', [0], '{"batch": [1, 2');

// ---- restore: flags, then a snapshot made by the real engine (dist/) with rules, a queue and batches
const { Touchpoint } = await import(path.join(ROOT, 'dist/touchpoint.mjs'));
const store = new Map();
const platform = {
  name: 'seed', storage: { get: (k) => store.get(k) ?? null, set: (k, v) => { store.set(k, v); return null; }, remove: (k) => store.delete(k) },
  now: () => Date.now(), randomSeed: () => 'seed', setTimer: () => 0, clearTimer() {}, onLifecycle() {},
  send: () => new Promise(() => {}), context: () => ({ page: { url: 'https://shop.example/?utm_source=wechat' } }), currentUrl: () => 'https://shop.example/',
};
store.set('tp:seed:rules', JSON.stringify({ etag: '', body: fuzzRules }));
const tp = new Touchpoint(() => platform);
await tp.init({ writeKey: 'seed', endpoint: 'https://c.example', wasmBinary: fs.readFileSync(path.join(ROOT, 'dist/touchpoint.wasm')), rules: false, autotrack: false, flushAt: 3 });
for (let i = 0; i < 7; i++) tp.track('view', { price: i * 10, cat: 'a', hot: true });
tp.identify('u-1', { plan: 'pro' });
tp._drain();
const snap = store.get('tp:seed:state');
write('restore', 'engine-snapshot', flags(8 | 16), snap);
write('restore', 'engine-snapshot-no-rules', flags(0), snap);
write('restore', 'truncated', flags(8), snap.slice(0, Math.floor(snap.length / 2)));
write('restore', 'minimal', flags(0), 'TPS1\n{"queue":{"batches":[{"n":1,"id":3,"attempts":2}],"pending":1}}\n\n{"a":1}\n{"b":2}\n');
console.log('seed corpora written to fuzz/corpus/');
process.exit(0);
