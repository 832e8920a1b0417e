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
