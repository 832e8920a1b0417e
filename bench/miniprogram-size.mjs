// `make bench`: what the mini-program build costs, beside the peers' mini-program SDKs.
// Sizes are deterministic (the build is); the peers' figures are their published gzip sizes
// (sa-sdk-miniprogram 1.22: 18 KB, GrowingIO mini-program 4.6: 22 KB; /work/shared/PLATFORMS.md).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.resolve(process.argv[2] || path.join(root, 'build-wasm/dist/miniprogram'));
const sizes = (buf) => ({
  raw: buf.length,
  gzip: zlib.gzipSync(buf, { level: 9 }).length,
  brotli: zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
});
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const wasm = zlib.brotliDecompressSync(fs.readFileSync(path.join(dir, 'touchpoint.wasm.br')));
const js = fs.readFileSync(path.join(dir, 'index.js'));
const w = sizes(wasm), j = sizes(js);
console.log(`== mini-program build (${path.relative(root, dir)})`);
console.log(`touchpoint.wasm   ${String(w.raw).padStart(7)} B raw ${String(w.gzip).padStart(7)} B gzip ${String(w.brotli).padStart(7)} B brotli (shipped as touchpoint.wasm.br: ${fs.statSync(path.join(dir, 'touchpoint.wasm.br')).size} B)`);
console.log(`index.js          ${String(j.raw).padStart(7)} B raw ${String(j.gzip).padStart(7)} B gzip ${String(j.brotli).padStart(7)} B brotli`);
const pkg = fs.statSync(path.join(dir, 'touchpoint.wasm.br')).size + js.length;
console.log(`in the code package (index.js + touchpoint.wasm.br): ${kb(pkg)} of the 2 MB main-package limit`);
console.log(`gzip total ${kb(w.gzip + j.gzip)} vs Sensors sa-sdk-miniprogram 18 KB and GrowingIO 22 KB (gzip): ` +
  `x${((w.gzip + j.gzip) / 1024 / 18).toFixed(2)} / x${((w.gzip + j.gzip) / 1024 / 22).toFixed(2)} (the wasm core is the web's, rules engine included)`);
