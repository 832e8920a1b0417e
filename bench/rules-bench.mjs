// Rule-engine throughput, side by side in one run: native C++ (rules-bench), the wasm build under
// Node (RuleReplay fed NDJSON chunks, so the cost of crossing into wasm is included), and
// json-logic-js evaluating the same predicates per event (every trait/score/tag predicate, the way
// a JS SDK without compilation or indexing would). Figures, not assertions.
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

const { default: create } = await import(path.join(ROOT, 'build-wasm/core-glue.js'));
const core = await create({ wasmBinary: fs.readFileSync(path.join(ROOT, 'build-wasm/touchpoint_core.wasm')) });
const jsonLogic = createRequire(import.meta.url)('json-logic-js');
// Touchpoint's two extension operators, added the way a json-logic-js user would.
jsonLogic.add_operation('starts_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.startsWith(b));
jsonLogic.add_operation('ends_with', (a, b) => typeof a === 'string' && typeof b === 'string' && a.endsWith(b));
const parsedEvents = lines.slice(0, JL_N).map((l) => JSON.parse(l));

const rows = [];
for (const family of ['condition', 'window', 'score']) {
  for (const count of [10, 100, 1000]) {
    const rulesText = fs.readFileSync(path.join(WORKLOAD, 'rules', `${family}-${count}.json`), 'utf8');
    // wasm: feed 64 KB chunks, as a page or worker would hand events over
    const replay = new core.RuleReplay();
    replay.load(rulesText);
    replay.feed(text.slice(0, 1 << 16)); // warm-up on a different replay state is not needed: reload
    replay.delete();
    const r = new core.RuleReplay();
    r.load(rulesText);
    const t0 = performance.now();
    for (let i = 0; i < text.length; i += 1 << 16) r.feed(text.slice(i, i + (1 << 16)));
    r.finish();
    const wasmUs = ((performance.now() - t0) * 1000) / N;
    r.delete();
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
    rows.push({ set: `${family}-${count}`, native: nat.us_per_event, wasm: wasmUs, jl: jlUs, state: nat.state_bytes });
  }
}
console.log(`rule engine, µs/event (events/s) over ${N} events (json-logic-js: ${JL_N}); targets at 1,000 rules: json-logic-js ~586 µs, hand-written indexed JS ~7.4 µs`);
console.log('set              native C++            wasm (Node, incl. crossing)   json-logic-js            state (native)');
for (const r of rows) {
  const f = (us) => `${us.toFixed(2).padStart(8)} (${Math.round(1e6 / us).toLocaleString('en').padStart(9)}/s)`;
  console.log(`${r.set.padEnd(16)} ${f(r.native)}   ${f(r.wasm)}         ${f(r.jl)}   ${String(r.state).padStart(8)} B`);
}
console.log(`wasm engine memory at the end: ${(core.HEAP8.length / 1048576).toFixed(1)} MiB linear memory (heap high-water mark)`);
