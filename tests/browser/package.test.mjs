// The npm package as a web developer gets it: `npm pack` of this repository, installed offline
// into a fresh app, bundled with esbuild (IIFE and ESM) and, when present in node_modules, with
// Rollup and Vite; each bundle runs in headless Chromium and its events reach the collector.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { launchBrowser } from '../support/browser.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
// Under ROOT so the collector's static server (--static ROOT) serves the app; /build*/ is ignored.
const WORK = path.join(ROOT, 'build-pack');
const APP = path.join(WORK, 'app');
const OUT = path.join(APP, 'out');
const optional = (name) => { try { return require(name); } catch (e) { return null; } };

let collector;
let chrome;
let tarball;

before(async () => {
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', WORK], { cwd: ROOT, encoding: 'utf8' }));
  tarball = path.join(WORK, packed[0].filename);
  fs.writeFileSync(path.join(APP, 'package.json'), JSON.stringify({ name: 'tp-pack-app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-save', tarball], { cwd: APP, stdio: 'pipe' });
  fs.copyFileSync(path.join(APP, 'node_modules/touchpoint/dist/touchpoint.wasm'), path.join(OUT, 'touchpoint.wasm'));
  collector = await startCollector();
  chrome = await launchBrowser();
});
after(async () => {
  if (chrome) await chrome.close();
  if (collector) await collector.stop();
  fs.rmSync(WORK, { recursive: true, force: true });
});

// The app: init, one event named after the bundle, flush. `wasmUrl` is passed to the IIFE (an
// IIFE has no import.meta.url); the ESM bundles find the wasm beside themselves by default.
function appSource(bundle, passWasmUrl) {
  return `import touchpoint from 'touchpoint';
window.__result = touchpoint.init({ writeKey: 'pack', endpoint: location.origin, autotrack: false${passWasmUrl ? ", wasmUrl: new URL('touchpoint.wasm', location.href).href" : ''} })
  .then(() => { touchpoint.track('pack_test', { bundle: ${JSON.stringify(bundle)} }); return touchpoint.flush(); })
  .then(() => 'ok', (e) => 'error: ' + (e && e.message || e));
`;
}

async function runBundle(name, file, moduleScript) {
  fs.writeFileSync(path.join(OUT, `${name}.html`),
    `<!doctype html><meta charset="utf-8"><script ${moduleScript ? 'type="module" ' : ''}src="${path.basename(file)}"></script>\n`);
  const { page, context, problems } = await chrome.newPage();
  try {
    await page.goto(`${collector.url}/build-pack/app/out/${name}.html`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => window.__result), 'ok', name);
    const events = await waitFor(async () => {
      const ev = await collector.events('event=pack_test');
      return ev.some((e) => e.body.properties.bundle === name) ? ev : null;
    }, { what: `the ${name} bundle's event in the collector` });
    assert.ok(events.find((e) => e.body.properties.bundle === name).body.context.library.name === 'touchpoint');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
  }
}

describe('npm package', () => {
  test('the tarball holds the built SDK and a real package.json', () => {
    const list = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    for (const f of ['package/package.json', 'package/dist/touchpoint.mjs', 'package/dist/touchpoint.umd.js', 'package/dist/touchpoint.wasm', 'package/dist/touchpoint.d.ts'])
      assert.ok(list.includes(f), `${f} in ${list}`);
    assert.ok(!list.some((f) => /\/(sdk|wasm|tests|collector|node_modules)\//.test(f)), `only the SDK ships: ${list}`);
    assert.equal(pkg.private, undefined);
    assert.equal(pkg.exports['.'].types, './dist/touchpoint.d.ts');
  });

  test('Node resolves import, require and types from the installed package', async () => {
    const appRequire = createRequire(path.join(APP, 'index.js'));
    const cjs = appRequire('touchpoint');
    assert.equal(typeof cjs.init, 'function');
    assert.equal(typeof cjs.Touchpoint, 'function');
    const esm = await import(pathToFileURL(path.join(APP, 'node_modules/touchpoint/dist/touchpoint.mjs')).href);
    assert.equal(typeof esm.default.track, 'function');
    const installed = JSON.parse(fs.readFileSync(path.join(APP, 'node_modules/touchpoint/package.json'), 'utf8'));
    assert.ok(fs.existsSync(path.join(APP, 'node_modules/touchpoint', installed.exports['.'].types)));
  });

  test('esbuild IIFE bundle loads (no URL error at load) and delivers events', async () => {
    const esbuild = require('esbuild');
    fs.writeFileSync(path.join(APP, 'iife.js'), appSource('esbuild-iife', true));
    await esbuild.build({ absWorkingDir: APP, entryPoints: ['iife.js'], bundle: true, format: 'iife', minify: true, outfile: path.join(OUT, 'esbuild-iife.js'), logLevel: 'error' });
    await runBundle('esbuild-iife', path.join(OUT, 'esbuild-iife.js'), false);
  });

  test('esbuild ESM bundle finds the wasm beside itself and delivers events', async () => {
    const esbuild = require('esbuild');
    fs.writeFileSync(path.join(APP, 'esm.js'), appSource('esbuild-esm', false));
    await esbuild.build({ absWorkingDir: APP, entryPoints: ['esm.js'], bundle: true, format: 'esm', minify: true, outfile: path.join(OUT, 'esbuild-esm.mjs'), logLevel: 'error' });
    await runBundle('esbuild-esm', path.join(OUT, 'esbuild-esm.mjs'), true);
  });

  const rollup = optional('rollup');
  test('Rollup bundle delivers events', { skip: rollup ? false : 'rollup is not installed in node_modules (npm i -D rollup @rollup/plugin-node-resolve)' }, async () => {
    const resolve = optional('@rollup/plugin-node-resolve');
    fs.writeFileSync(path.join(APP, 'rollup.js'), appSource('rollup', false));
    const bundle = await rollup.rollup({ input: path.join(APP, 'rollup.js'), plugins: [(resolve.nodeResolve || resolve.default)({ rootDir: APP })] });
    await bundle.write({ file: path.join(OUT, 'rollup.mjs'), format: 'es' });
    await runBundle('rollup', path.join(OUT, 'rollup.mjs'), true);
  });

  const vite = optional('vite');
  test('Vite bundle delivers events', { skip: vite ? false : 'vite is not installed in node_modules (npm i -D vite)' }, async () => {
    fs.writeFileSync(path.join(APP, 'vite.js'), appSource('vite', false));
    await vite.build({ root: APP, logLevel: 'error', configFile: false,
      build: { outDir: path.join(OUT, 'vite'), lib: { entry: path.join(APP, 'vite.js'), formats: ['es'], fileName: () => 'vite.mjs' } } });
    fs.copyFileSync(path.join(OUT, 'touchpoint.wasm'), path.join(OUT, 'vite', 'touchpoint.wasm'));
    fs.copyFileSync(path.join(OUT, 'vite', 'vite.mjs'), path.join(OUT, 'vite.mjs'));
    await runBundle('vite', path.join(OUT, 'vite.mjs'), true);
  });
});
