// Script-tag build (dist/touchpoint.umd.js): defines the global `touchpoint` (or module.exports).
import { Touchpoint } from './touchpoint.js';
import { createBrowserPlatform } from './platform/browser.js';
import { createNodePlatform } from './platform/node.js';
import { createMiniProgramPlatform } from './platform/miniprogram.js';
import { declarePlatform } from './platform/contract.js';

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
// The wasm sits beside the script by default; currentScript is only set while the script runs.
const script = isBrowser && document.currentScript && document.currentScript.src;
function wasmBeside(src) {
  try { return src ? new URL('touchpoint.wasm', src).href : 'touchpoint.wasm'; } catch (e) { return 'touchpoint.wasm'; }
}
const touchpoint = new Touchpoint(
  (o) => o.platform || (isBrowser ? createBrowserPlatform(o) : createNodePlatform(o)),
  { wasmUrl: wasmBeside(script) },
);
touchpoint.Touchpoint = Touchpoint;
touchpoint.createBrowserPlatform = createBrowserPlatform;
touchpoint.createNodePlatform = createNodePlatform;
touchpoint.createMiniProgramPlatform = createMiniProgramPlatform;
touchpoint.declarePlatform = declarePlatform;

export default touchpoint;
