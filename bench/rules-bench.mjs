// Rule-engine throughput, side by side in one run: native C++ (rules-bench), the wasm build under
// Node (the test/bench module's RuleReplay loaded with the compiled program and fed NDJSON chunks
// encoded straight into wasm memory, so the crossing is included), a hand-written,
// event-name-indexed JS engine (bench/js-baseline.mjs, on parsed events) and json-logic-js
// evaluating every predicate per event. Figures, not assertions.
//   node bench/rules-bench.mjs [--events N]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKLOAD = path.join(ROOT, 'tests/data/rules-workload');
const EVENTS_DIR = path.join(ROOT, 'build-native/rules-workload');
const argN = process.argv.indexOf('--events');
const N = argN > 0 ? Number(process.argv[argN + 1]) : 20000;
const JL_N = Math.min(N, 2000); // json-logic-js is slow at 1,000 rules: fewer events, same per-event figure

const eventsFile = path.join(EVENTS_DIR, 'events.ndjson');
if (!fs.existsSync(eventsFile)) {
  fs.mkdirSync(EVENTS_DIR, { recursive: true });
  execFileSync('node', ['convert.mjs', EVENTS_DIR], { cwd: WORKLOAD, stdio: 'ignore' });
}
const lines = fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).slice(0, N);
const text = lines.join('\n') + '\n';

const native = JSON.parse(execFileSync(path.join(ROOT, 'build-native/rules-bench'),
  ['--events', eventsFile, '--rules-dir', path.join(WORKLOAD, 'rules'), '--limit', String(N), '--json'], { encoding: 'utf8' }));

// The test/bench module (the product wasm has no RuleReplay). Its glue is CommonJS in a
// "type": "module" package: evaluate it as the CommonJS it is.
const TEST_JS = process.env.TP_RULES_TEST_JS || path.join(ROOT, 'build-wasm/touchpoint_rules_test.js');
const glue = { exports: {} };
new Function('module', 'exports', 'require', '__filename', '__dirname', fs.readFileSync(TEST_JS, 'utf8'))(
  glue, glue.exports, createRequire(TEST_JS), TEST_JS, path.dirname(TEST_JS));
const core = await glue.exports({ wasmBinary: fs.readFileSync(TEST_JS.replace(/\.js$/, '.wasm')) });
const { createBaseline } = await import('./js-baseline.mjs');
const jsonLogic = createRequire(import.meta.url)('json-logic-js');
// Touchpoint's two extension operators, added the way a json-logic-js user would.
jsonLogic.add_operation('starts_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.startsWith(b));
jsonLogic.add_operation('ends_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.endsWith(b));
const allEvents = lines.map((l) => JSON.parse(l));
const allTimes = allEvents.map((e) => Date.parse(e.timestamp));
const parsedEvents = allEvents.slice(0, JL_N);
const encoder = new TextEncoder();
// One replay over all events through the compiled program, encoded straight into wasm memory.
function wasmReplay(program) {
  const r = new core.RuleReplay();
  const errors = JSON.parse(r.load(program));
  if (errors.length) throw new Error(`program rejected: ${JSON.stringify(errors[0])}`);
  const CHUNK = 1 << 16;
  const t0 = performance.now();
  for (let i = 0; i < text.length; i += CHUNK) {
    const chunk = text.slice(i, i + CHUNK);
    const at = r.reserve(chunk.length * 3);
    r.feedReserved(encoder.encodeInto(chunk, core.HEAPU8.subarray(at, at + chunk.length * 3)).written);
  }
  r.finish();
  const us = ((performance.now() - t0) * 1000) / N;
  r.delete();
  return us;
}

const rows = [];
for (const family of ['condition', 'window', 'score']) {
  for (const count of [10, 100, 1000]) {
    const rulesText = fs.readFileSync(path.join(WORKLOAD, 'rules', `${family}-${count}.json`), 'utf8');
    const rulesFile = path.join(WORKLOAD, 'rules', `${family}-${count}.json`);
    const program = execFileSync(path.join(ROOT, 'build-native/touchpoint-rules'), ['compile', rulesFile, '-o', '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    wasmReplay(program); // warm-up (JIT of the glue, memory growth)
    const wasmUs = wasmReplay(program);
    // hand-written, event-name-indexed JS on parsed events
    const baseline = createBaseline(JSON.parse(rulesText));
    const tb = performance.now();
    for (let i = 0; i < allEvents.length; i++) baseline.process(allEvents[i], allTimes[i]);
    const jsUs = ((performance.now() - tb) * 1000) / allEvents.length;
    let jsTagsMatch = '';
    if (N >= 100000) {
      const expected = JSON.parse(fs.readFileSync(path.join(WORKLOAD, 'expected', `${family}-${count}.json`), 'utf8')).tags;
      const sorted = (o) => JSON.stringify(Object.entries(o).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
      jsTagsMatch = sorted(baseline.tags()) === sorted(expected) ? 'yes' : 'no';
    }
    // json-logic-js: every predicate of the set on every event
    const rules = JSON.parse(rulesText);
    const preds = [
      ...rules.traits.map((t) => t.where).filter(Boolean),
      ...rules.scores.flatMap((s) => s.rules.map((x) => x.when)),
      ...rules.tags.map((t) => t.when),
    ];
    const data = { event: null, traits: {}, scores: {}, grades: {}, tags: {} };
    const t1 = performance.now();
    for (const ev of parsedEvents) { data.event = ev; for (const p of preds) jsonLogic.apply(p, data); }
    const jlUs = ((performance.now() - t1) * 1000) / parsedEvents.length;
    const nat = native.find((x) => x.family === family && x.rules === count);
    rows.push({ set: `${family}-${count}`, native: nat.us_per_event, wasm: wasmUs, js: jsUs, jsTagsMatch, jl: jlUs, state: nat.state_bytes });
  }
}
console.log(`rule engine, µs/event over ${N} events (json-logic-js: ${JL_N}); targets: wasm ≤ 2× native, wasm faster than the indexed JS from 100 rules up`);
console.log('set              native C++   wasm (Node, incl. crossing)   wasm/native   indexed JS (tags = expected)   wasm/JS   json-logic-js   state (native)');
for (const r of rows) {
  const f = (us) => us.toFixed(2).padStart(8);
  console.log(`${r.set.padEnd(16)} ${f(r.native)}     ${f(r.wasm)}                      ${(r.wasm / r.native).toFixed(1).padStart(5)}×     ${f(r.js)} (${(r.jsTagsMatch || 'n/a').padEnd(3)})             ${(r.wasm / r.js).toFixed(2).padStart(5)}×   ${f(r.jl)}      ${String(r.state).padStart(8)} B`);
}
console.log(`wasm engine memory at the end: ${(core.HEAP8.length / 1048576).toFixed(1)} MiB linear memory (heap high-water mark)`);
