// The rule engine in the wasm build, under Node 20: the official JsonLogic conformance suite and
// the nine rule workloads must give exactly what the native build and the expected files give.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/collector.mjs';

const BUILD_WASM = path.join(ROOT, 'build-wasm');
const SHARED = path.resolve(ROOT, '../shared');
const WORKLOAD = path.join(SHARED, 'rules-workload');
const EVENTS_DIR = process.env.TP_RULES_EVENTS_DIR || path.join(ROOT, 'build-native/rules-workload');

let core;
before(async () => {
  const { default: create } = await import(path.join(BUILD_WASM, 'core-glue.js'));
  core = await create({ wasmBinary: fs.readFileSync(path.join(BUILD_WASM, 'touchpoint_core.wasm')) });
});

describe('rule engine in wasm', () => {
  test('passes all 278 cases of the official JsonLogic suite', () => {
    const suite = JSON.parse(fs.readFileSync(path.join(SHARED, 'testdata/jsonlogic/tests.json'), 'utf8'));
    const cases = suite.filter((c) => Array.isArray(c));
    assert.equal(cases.length, 278);
    const failures = [];
    for (const [rule, data, expected] of cases) {
      const out = JSON.parse(core.jsonLogicApply(JSON.stringify(rule), JSON.stringify(data)));
      try { assert.deepStrictEqual(out.result, expected); } catch (e) { failures.push(`${JSON.stringify(rule)} on ${JSON.stringify(data)}: got ${JSON.stringify(out)}`); }
    }
    assert.deepEqual(failures, []);
  });

  test('reports malformed rules as errors with paths, never a crash', () => {
    const out = JSON.parse(core.jsonLogicApply('{"no_such_op":[1]}', '{}'));
    assert.ok(out.errors && out.errors.length > 0);
    assert.match(out.errors[0].message, /no_such_op/);
    assert.ok(JSON.parse(core.jsonLogicApply('{"==":[1', '{}')).errors);
  });

  test('reproduces the nine workload results exactly (same numbers as the native build)', async () => {
    const events = path.join(EVENTS_DIR, 'events.ndjson');
    if (!fs.existsSync(events)) {
      fs.mkdirSync(EVENTS_DIR, { recursive: true });
      execFileSync('node', ['convert.mjs', EVENTS_DIR], { cwd: WORKLOAD, stdio: 'ignore' });
    }
    const text = fs.readFileSync(events, 'utf8');
    const CHUNK = 1 << 20;
    for (const name of fs.readdirSync(path.join(WORKLOAD, 'rules')).sort()) {
      const replay = new core.RuleReplay();
      assert.deepEqual(JSON.parse(replay.load(fs.readFileSync(path.join(WORKLOAD, 'rules', name), 'utf8'))), [], name);
      let n = 0;
      for (let i = 0; i < text.length; i += CHUNK) n += replay.feed(text.slice(i, i + CHUNK));
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
