// Assembles dist/ from the Emscripten output and the JS shell:
//   node scripts/build-dist.mjs BUILD_WASM_DIR OUT_DIR
// touchpoint.mjs (ES module) and touchpoint.umd.js (script tag / CommonJS) share one glue and one
// touchpoint.wasm. Deterministic: the same sources give byte-identical files (checked by the tests).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [buildDir, outDir] = [path.resolve(process.argv[2] || path.join(root, 'build-wasm')), path.resolve(process.argv[3] || path.join(root, 'dist'))];

const glue = fs.readFileSync(path.join(buildDir, 'touchpoint_core.js'), 'utf8');
// Drop Emscripten's CommonJS/AMD export tail; export the factory as an ES module instead.
const cut = glue.lastIndexOf('if (typeof exports === \'object\' && typeof module === \'object\')');
if (cut < 0) throw new Error('unexpected Emscripten glue: no export tail');
const glueModule = `${glue.slice(0, cut)}\nexport default createTouchpointCore;\n`;
const gluePath = path.join(buildDir, 'core-glue.js');
fs.writeFileSync(gluePath, glueModule);

const gluePlugin = {
  name: 'core-glue',
  setup(build) { build.onResolve({ filter: /generated\/core-glue\.js$/ }, () => ({ path: gluePath })); },
};
const common = { bundle: true, minify: true, target: 'es2020', legalComments: 'none', plugins: [gluePlugin], logLevel: 'warning' };
fs.mkdirSync(outDir, { recursive: true });
await esbuild.build({ ...common, entryPoints: [path.join(root, 'js/src/entry-esm.js')], format: 'esm', outfile: path.join(outDir, 'touchpoint.mjs') });
await esbuild.build({
  ...common, entryPoints: [path.join(root, 'js/src/entry-umd.js')], format: 'iife', globalName: 'touchpoint',
  footer: { js: 'touchpoint=touchpoint.default;if(typeof module==="object"&&module.exports)module.exports=touchpoint;' },
  outfile: path.join(outDir, 'touchpoint.umd.js'),
});
fs.copyFileSync(path.join(buildDir, 'touchpoint_core.wasm'), path.join(outDir, 'touchpoint.wasm'));
fs.copyFileSync(path.join(root, 'js/touchpoint.d.ts'), path.join(outDir, 'touchpoint.d.ts'));
// The npm package is "type": "module"; this makes Node read touchpoint.umd.js (the `require`
// export) as the CommonJS it is.
fs.writeFileSync(path.join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
for (const f of ['touchpoint.mjs', 'touchpoint.umd.js', 'touchpoint.wasm', 'touchpoint.d.ts'])
  console.log(`${f.padEnd(20)} ${fs.statSync(path.join(outDir, f)).size} B`);

// Mini-program build (docs/miniprogram.md): dist/miniprogram/ is laid out for the mini-program
// npm build: index.js (CommonJS, the same API), touchpoint.wasm.br (WXWebAssembly reads brotli
// from the package, base library >= 2.14), types and a package.json. The glue's free `WebAssembly`
// is bound to js/src/miniprogram/wasm.js (the runtime has none, only WXWebAssembly).
const mpDir = path.join(outDir, 'miniprogram');
fs.mkdirSync(mpDir, { recursive: true });
await esbuild.build({
  ...common, entryPoints: [path.join(root, 'js/src/entry-miniprogram.js')], format: 'iife', globalName: 'touchpoint',
  inject: [path.join(root, 'js/src/miniprogram/wasm.js')],
  plugins: [gluePlugin, {
    name: 'no-dom-autotrack', // the DOM trackers have nothing to do in a mini-program
    setup(build) { build.onResolve({ filter: /\/autotrack\/index\.js$/ }, () => ({ path: path.join(root, 'js/src/miniprogram/no-dom-autotrack.js') })); },
  }],
  footer: { js: 'module.exports=touchpoint.default;' },
  outfile: path.join(mpDir, 'index.js'),
});
const zlib = await import('node:zlib');
const wasmBytes = fs.readFileSync(path.join(buildDir, 'touchpoint_core.wasm'));
fs.writeFileSync(path.join(mpDir, 'touchpoint.wasm.br'), zlib.brotliCompressSync(wasmBytes, {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: wasmBytes.length },
}));
fs.copyFileSync(path.join(root, 'js/touchpoint.d.ts'), path.join(mpDir, 'touchpoint.d.ts'));
fs.copyFileSync(path.join(root, 'js/src/miniprogram/index.d.ts'), path.join(mpDir, 'index.d.ts'));
const rootPkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
fs.writeFileSync(path.join(mpDir, 'package.json'), JSON.stringify({
  name: rootPkg.name, version: rootPkg.version, description: 'Touchpoint for WeChat mini-programs (C++/wasm core through WXWebAssembly)',
  main: 'index.js', types: 'index.d.ts', miniprogram: '.', files: ['index.js', 'index.d.ts', 'touchpoint.d.ts', 'touchpoint.wasm.br'],
}, null, 2) + '\n');
for (const f of ['index.js', 'touchpoint.wasm.br', 'index.d.ts', 'package.json'])
  console.log(`${('miniprogram/' + f).padEnd(20)} ${fs.statSync(path.join(mpDir, f)).size} B`);
