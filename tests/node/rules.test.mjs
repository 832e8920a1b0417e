// The rule engine in the wasm build, under Node 20: the official JsonLogic conformance suite and
// the nine rule workloads must give exactly what the native build and the expected files give.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from '../support/collector.mjs';

// The test/bench module (wasm/rules_bindings.cpp beside the SDK bindings; the product wasm carries
// no test hooks): Emscripten output (MODULARIZE, CommonJS tail) with its .wasm beside it.
const CORE_JS = process.env.TP_RULES_TEST_JS || path.join(ROOT, 'build-wasm/touchpoint_rules_test.js');
const DATA = path.join(ROOT, 'tests/data'); // vendored: a clone alone passes (tests/data/README.md)
const WORKLOAD = path.join(DATA, 'rules-workload');
const EVENTS_DIR = process.env.TP_RULES_EVENTS_DIR || path.join(ROOT, 'build-native/rules-workload');
// The product module (dist/touchpoint.wasm before assembly) and the native compiler CLI.
const PRODUCT_JS = process.env.TP_CORE_JS || path.join(ROOT, 'build-wasm/touchpoint_core.js');
const RULES_CLI = path.join(path.dirname(process.env.TP_COLLECTOR || path.join(ROOT, 'build-native/x')), 'touchpoint-rules');

// The glue is CommonJS but sits in a "type": "module" package, where require() would read it
// as ESM: evaluate it as the CommonJS it is.
async function loadModule(file) {
  const module = { exports: {} };
  new Function('module', 'exports', 'require', '__filename', '__dirname', fs.readFileSync(file, 'utf8'))(
    module, module.exports, createRequire(file), file, path.dirname(file));
  return module.exports({ wasmBinary: fs.readFileSync(file.replace(/\.js$/, '.wasm')) });
}

// touchpoint-rules compile RULES -o - : the program devices load.
function compileProgram(rulesFile) {
  return execFileSync(RULES_CLI, ['compile', rulesFile, '-o', '-'], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

let core;
before(async () => { core = await loadModule(CORE_JS); });

describe('rule engine in wasm', () => {
  test('passes all 278 cases of the official JsonLogic suite', () => {
    const suite = JSON.parse(fs.readFileSync(path.join(DATA, 'jsonlogic/tests.json'), 'utf8'));
    const cases = suite.filter((c) => Array.isArray(c));
    assert.equal(cases.length, 278);
    const failures = [];
    for (const [rule, data, expected] of cases) {
      const out = JSON.parse(core.jsonLogicApply(JSON.stringify(rule), JSON.stringify(data)));
      try { assert.deepStrictEqual(out.result, expected); } catch (e) { failures.push(`${JSON.stringify(rule)} on ${JSON.stringify(data)}: got ${JSON.stringify(out)}`); }
    }
    assert.deepEqual(failures, []);
  });

  test('formats numbers exactly like Number#toString over a corpus of doubles', () => {
    // {"cat": [x]} is String(x) in json-logic-js; the wasm prints it with its own formatter.
    const corpus = [0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 1e21, 1e-7, 1e-6, 123e-20, 1e20, 9007199254740993,
      5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 4.35, 0.000001, 123456789012345680000, 1.5e300, -2.5e-5];
    for (let e = -30; e <= 30; e++) corpus.push(10 ** e, 1.2345 * 10 ** e, -(7 * 10 ** e));
    // Random bit patterns (every finite double is reachable), seeded for a repeatable corpus.
    let seed = 0x9e3779b9;
    const next = () => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
    const view = new DataView(new ArrayBuffer(8));
    while (corpus.length < 20000) {
      view.setUint32(0, next()); view.setUint32(4, next());
      const d = view.getFloat64(0);
      if (Number.isFinite(d)) corpus.push(d);
      corpus.push(next() / 1000, (next() % 100000) / 100);
    }
    const mismatches = [];
    for (const x of corpus) {
      const got = JSON.parse(core.jsonLogicApply('{"cat":[{"var":"x"}]}', JSON.stringify({ x }))).result;
      if (got !== String(x)) mismatches.push(`${String(x)} -> ${got}`);
    }
    assert.deepEqual(mismatches.slice(0, 10), [], `${mismatches.length} of ${corpus.length} differ`);
  });

  test('reports malformed rules as errors with paths, never a crash', () => {
    const out = JSON.parse(core.jsonLogicApply('{"and":[true,{"no_such_op":[1]}]}', '{}'));
    assert.ok(out.errors && out.errors.length > 0);
    assert.equal(out.errors[0].path, '/and/1/no_such_op');
    assert.match(out.error, /no_such_op/);
    assert.ok(JSON.parse(core.jsonLogicApply('{"==":[1', '{}')).errors);
    assert.ok(JSON.parse(core.jsonLogicApply('{}', '[')).errors);
    // A deep rule is an error, not a stack overflow that would kill the module.
    const deep = '{"!":'.repeat(3000) + 'true' + '}'.repeat(3000);
    assert.match(JSON.parse(core.jsonLogicApply(deep, '{}')).error, /nested deeper/);
    assert.deepEqual(JSON.parse(core.jsonLogicApply('{"+":[1,2]}', '{}')), { result: 3 });
  });

  test('rejects a bad rule set with paths and reports bad event lines', () => {
    const replay = new core.RuleReplay();
    const errors = JSON.parse(replay.load('{"format":"touchpoint-rules/1","tags":[{"id":"a","when":{">=":[{"var":"traits.x"},1]}}]}'));
    assert.equal(errors[0].path, '/tags/0/when/>=/0/var');
    assert.deepEqual(JSON.parse(replay.load('{"format":"touchpoint-rules/1","tags":[{"id":"buyer","when":{"===":[{"var":"event.event"},"buy"]},"sticky":true}]}')), []);
    const n = replay.feed('{"event":"view","timestamp":"2024-01-01T00:00:00Z"}\nnot json\n{"event":"buy","timestamp":"2024-01-01T00:00:01Z"}\n{"event":"x","timestamp":"bad"}\n');
    assert.equal(n, 2);
    assert.deepEqual(JSON.parse(replay.errors()).map((e) => e.split(':')[0]), ['line 2', 'line 4']);
    const summary = JSON.parse(replay.summary());
    assert.deepEqual(summary.tags, { buyer: { first_seq: 1 } });
    assert.equal(summary.rejected_lines, 2);
    assert.equal(summary.t_end, '2024-01-01T00:00:01.000Z');
    replay.delete();
  });

  test('the product module loads compiled programs only and has no test hooks', async () => {
    const product = await loadModule(PRODUCT_JS);
    assert.equal(product.RuleReplay, undefined, 'no RuleReplay in the product');
    assert.equal(product.jsonLogicApply, undefined, 'no jsonLogicApply in the product');
    const rulesFile = path.join(ROOT, 'examples/rules/shop-rules.json');
    const source = fs.readFileSync(rulesFile, 'utf8');
    const program = compileProgram(rulesFile);
    const engine = new product.Engine(JSON.stringify({ writeKey: 'rules-test', seed: 1 }));
    const rejectedSource = JSON.parse(engine.loadRules(source));
    assert.match(rejectedSource[0].message, /not a compiled rule program/);
    assert.deepEqual(JSON.parse(engine.loadRules(program)), []);
    const version = JSON.parse(source).version;
    assert.equal(JSON.parse(engine.rulesState(Date.now())).version, version);
    // Damaged programs are rejected with a reason and the set in force stays.
    for (const damaged of [program.slice(0, program.length >> 1), program.replace('touchpoint-program/1', 'touchpoint-program/9'),
      program.slice(0, 200) + (program[200] === 'a' ? 'b' : 'a') + program.slice(201), '', '{', 'null']) {
      const errors = JSON.parse(engine.loadRules(damaged));
      assert.ok(errors.length > 0 && errors[0].message, `rejected: ${damaged.slice(0, 40)}`);
      assert.equal(JSON.parse(engine.rulesState(Date.now())).version, version);
    }
    engine.delete();
  });

  test('reproduces the nine workload results exactly through compiled programs (same numbers as the native build)', async () => {
    const events = path.join(EVENTS_DIR, 'events.ndjson');
    if (!fs.existsSync(events)) {
      fs.mkdirSync(EVENTS_DIR, { recursive: true });
      execFileSync('node', ['convert.mjs', EVENTS_DIR], { cwd: WORKLOAD, stdio: 'ignore' });
    }
    const text = fs.readFileSync(events, 'utf8');
    const CHUNK = 1 << 20;
    for (const name of fs.readdirSync(path.join(WORKLOAD, 'rules')).sort()) {
      const replay = new core.RuleReplay();
      assert.deepEqual(JSON.parse(replay.load(compileProgram(path.join(WORKLOAD, 'rules', name)))), [], name);
      let n = 0;
      if (name.startsWith('window')) {
        // The zero-copy path: encode straight into wasm memory.
        const encoder = new TextEncoder();
        for (let i = 0; i < text.length; i += CHUNK) {
          const chunk = text.slice(i, i + CHUNK);
          const at = replay.reserve(chunk.length * 3);
          const { written } = encoder.encodeInto(chunk, core.HEAPU8.subarray(at, at + chunk.length * 3));
          n += replay.feedReserved(written);
        }
      } else {
        for (let i = 0; i < text.length; i += CHUNK) n += replay.feed(text.slice(i, i + CHUNK));
      }
      n += replay.finish();
      assert.equal(n, 100000, name);
      const got = path.join(EVENTS_DIR, `wasm-${name}`);
      fs.writeFileSync(got, replay.summary());
      replay.delete();
      const verdict = execFileSync('node', [path.join(WORKLOAD, 'compare.mjs'), path.join(WORKLOAD, 'expected', name), got], { encoding: 'utf8' });
      assert.match(verdict, /match/, `${name}: ${verdict}`);
    }
  });
});
