// Rule-engine throughput side by side, in one run, on the rule workload (tests/data/rules-workload:
// condition / window / score sets of 10, 100 and 1,000 rules over the same events):
//   native   `rules-bench` (C++, events in memory, TagEngine::process_text per line)
//   wasm     RuleReplay under Node, fed 64 KB NDJSON chunks, so the cost of crossing into wasm is
//            included: once as Embind strings (feed) and once encoded straight into wasm memory
//            (reserve + TextEncoder.encodeInto + feedReserved)
//   json-logic-js  json-logic-js (npm) applying every predicate of the set to every event, the
//            way a JS SDK without compilation or indexing would (no state kept: a lower bound)
// and the wasm engine's memory at the end. Printed figures, not assertions.
//
//   node tools/bench-rules.mjs [--events N] [--sets window-1000,...]
// Env: TP_RULES_TEST_JS (default build-wasm/touchpoint_rules_test.js, the test/bench module, .wasm beside it), TP_RULES_BENCH
// (default build-native/rules-bench), TP_RULES_EVENTS_DIR (default build-native/rules-workload;
// generated there when missing, about 40 s).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKLOAD = path.join(ROOT, 'tests/data/rules-workload');
const CORE_JS = process.env.TP_RULES_TEST_JS || path.join(ROOT, 'build-wasm/touchpoint_rules_test.js');
const NATIVE_BENCH = process.env.TP_RULES_BENCH || path.join(ROOT, 'build-native/rules-bench');
const EVENTS_DIR = process.env.TP_RULES_EVENTS_DIR || path.join(ROOT, 'build-native/rules-workload');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const N = Number(arg('--events', '100000'));
const SETS = arg('--sets', '').split(',').filter(Boolean);
const CHUNK = 1 << 16;
// json-logic-js takes ~0.6 ms per event at 1,000 rules: give each set about the same time budget.
const JL_EVENTS = { 10: 20000, 100: 5000, 1000: 1000 };

const eventsFile = path.join(EVENTS_DIR, 'events.ndjson');
if (!fs.existsSync(eventsFile)) {
  console.error(`generating the workload events into ${EVENTS_DIR} (about 40 s)`);
  fs.mkdirSync(EVENTS_DIR, { recursive: true });
  execFileSync('node', ['convert.mjs', EVENTS_DIR], { cwd: WORKLOAD, stdio: 'ignore' });
}
const lines = fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).slice(0, N);
const text = lines.join('\n') + '\n';
const sets = [];
for (const family of ['condition', 'window', 'score'])
  for (const count of [10, 100, 1000]) if (!SETS.length || SETS.includes(`${family}-${count}`)) sets.push({ family, count });

// Native: one process, every set.
let native = [];
if (fs.existsSync(NATIVE_BENCH)) {
  native = JSON.parse(execFileSync(NATIVE_BENCH, ['--events', eventsFile, '--rules-dir', path.join(WORKLOAD, 'rules'),
    '--limit', String(N), '--repeat', '3', '--json'], { encoding: 'utf8' }));
} else {
  console.error(`no ${NATIVE_BENCH}: native column skipped`);
}

const require = createRequire(import.meta.url);
// The glue is CommonJS but sits in a "type": "module" package, where require() would read it as
// ESM: evaluate it as the CommonJS it is.
function loadGlue(file) {
  const module = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', '__dirname', fs.readFileSync(file, 'utf8'))(
    module, module.exports, createRequire(file), file, path.dirname(file));
  return module.exports;
}
const create = loadGlue(CORE_JS);
const core = await create({ wasmBinary: fs.readFileSync(CORE_JS.replace(/\.js$/, '.wasm')) });
let jsonLogic = null;
try {
  jsonLogic = require('json-logic-js');
  // Touchpoint's two extension operators, added the way a json-logic-js user would.
  jsonLogic.add_operation('starts_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.startsWith(b));
  jsonLogic.add_operation('ends_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.endsWith(b));
} catch {
  console.error('json-logic-js not installed (npm i --no-save json-logic-js): its column is skipped');
}
const encoder = new TextEncoder();

function wasmReplay(rulesText, fast) {
  const replay = new core.RuleReplay();
  replay.load(rulesText);
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < text.length; i += CHUNK) {
    const chunk = text.slice(i, i + CHUNK);
    if (fast) {
      const capacity = chunk.length * 3;
      const at = replay.reserve(capacity);
      n += replay.feedReserved(encoder.encodeInto(chunk, core.HEAPU8.subarray(at, at + capacity)).written);
    } else {
      n += replay.feed(chunk);
    }
  }
  n += replay.finish();
  const us = ((performance.now() - t0) * 1000) / n;
  const state = replay.memoryBytes();
  replay.delete();
  return { us, state };
}

const rows = [];
for (const { family, count } of sets) {
  const name = `${family}-${count}`;
  const rulesText = fs.readFileSync(path.join(WORKLOAD, 'rules', `${name}.json`), 'utf8');
  wasmReplay(rulesText, true); // warm-up (JIT of the glue, memory growth)
  const best = (fast) => [0, 1, 2].map(() => wasmReplay(rulesText, fast)).reduce((a, b) => (b.us < a.us ? b : a));
  const fast = best(true);
  const strings = best(false);
  let jl = null;
  if (jsonLogic) {
    const rules = JSON.parse(rulesText);
    const predicates = [
      ...rules.traits.map((t) => t.where).filter(Boolean),
      ...rules.scores.flatMap((s) => s.rules.map((r) => r.when)),
      ...rules.tags.map((t) => t.when),
    ];
    const events = lines.slice(0, JL_EVENTS[count]).map((l) => JSON.parse(l));
    const data = { event: null, traits: {}, scores: {}, grades: {}, tags: {}, stage: {}, user: {} };
    const t0 = performance.now();
    for (const e of events) {
      data.event = e;
      for (const p of predicates) jsonLogic.apply(p, data);
    }
    jl = ((performance.now() - t0) * 1000) / events.length;
  }
  const nat = native.find((x) => x.family === family && x.rules === count);
  rows.push({ name, native: nat ? nat.us_per_event : null, fast: fast.us, strings: strings.us, jl, state: fast.state });
}

const cell = (us) => (us == null ? '—'.padStart(21) : `${us.toFixed(2).padStart(8)} (${Math.round(1e6 / us).toLocaleString('en').padStart(9)}/s)`);
console.log(`rule engine: µs/event (events/s), ${N.toLocaleString('en')} events; json-logic-js on ${Object.values(JL_EVENTS).join('/')} events`);
console.log(`${'set'.padEnd(15)} ${'native C++'.padEnd(21)}  ${'wasm, encodeInto'.padEnd(21)}  ${'wasm, Embind string'.padEnd(21)}  ${'json-logic-js'.padEnd(21)}  state`);
for (const r of rows)
  console.log(`${r.name.padEnd(15)} ${cell(r.native)}  ${cell(r.fast)}  ${cell(r.strings)}  ${cell(r.jl)}  ${(r.state / 1024).toFixed(1)} KB`);
console.log(`wasm engine memory at the end: ${(core.HEAPU8.length / 1048576).toFixed(1)} MiB linear memory (high-water mark of the heap)`);
