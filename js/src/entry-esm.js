// ES module build (dist/touchpoint.mjs): `import touchpoint from './touchpoint.mjs'`.
import { Touchpoint } from './touchpoint.js';
import { createBrowserPlatform } from './platform/browser.js';
import { createNodePlatform } from './platform/node.js';
import { createMiniProgramPlatform } from './platform/miniprogram.js';

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';
const touchpoint = new Touchpoint(
  (o) => o.platform || (isBrowser ? createBrowserPlatform() : createNodePlatform(o)),
  { wasmUrl: new URL('touchpoint.wasm', import.meta.url).href },
);

export default touchpoint;
export { Touchpoint, createBrowserPlatform, createNodePlatform, createMiniProgramPlatform };
