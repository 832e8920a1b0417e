// ES module build (dist/touchpoint.mjs): `import touchpoint from './touchpoint.mjs'`.
import { Touchpoint } from './touchpoint.js';
import { createBrowserPlatform } from './platform/browser.js';
import { createNodePlatform } from './platform/node.js';
import { createMiniProgramPlatform } from './platform/miniprogram.js';
import { declarePlatform } from './platform/contract.js';

// The wasm sits beside this module by default. Computed at init(), never at load, and never
// throwing: a bundle may have no usable import.meta.url (an esbuild IIFE leaves it undefined, so
// `new URL(...)` would throw while the page loads the script). The literal `new URL('./x',
// import.meta.url)` form is kept so bundlers that understand it (Vite, webpack 5, Rollup plugins)
// emit the wasm as an asset; elsewhere pass `wasmUrl` to init().
function defaultWasmUrl() {
  try { return new URL('./touchpoint.wasm', import.meta.url).href; } catch (e) { return 'touchpoint.wasm'; }
}

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
const touchpoint = new Touchpoint(
  (o) => o.platform || (isBrowser ? createBrowserPlatform(o) : createNodePlatform(o)),
  { get wasmUrl() { return defaultWasmUrl(); } },
);

export default touchpoint;
export { Touchpoint, createBrowserPlatform, createNodePlatform, createMiniProgramPlatform, declarePlatform };
