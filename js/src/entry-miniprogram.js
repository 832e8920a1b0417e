// Mini-program build (dist/miniprogram/index.js, CommonJS): `const touchpoint = require('touchpoint')`
// in app.js, then `touchpoint.init({writeKey, endpoint})` BEFORE App(): init wraps the global
// App, Page and Component so the app is auto-tracked (docs/miniprogram.md). The API is the web's.
import { Touchpoint } from './touchpoint.js';
import { createMiniProgramPlatform } from './platform/miniprogram.js';
import { createAutotrack } from './miniprogram/autotrack.js';
import { wrapAppOptions, wrapComponentOptions, wrapPageOptions } from './miniprogram/wrap.js';
import { checkWasmPath, wxInstantiateWasm } from './miniprogram/wasm.js';

// Where `构建 npm` puts the package's files (miniprogram_npm/<name>/), from the package root.
export const DEFAULT_WASM_PATH = '/miniprogram_npm/touchpoint/touchpoint.wasm.br';
// The whole of wx storage is 10 MB, shared with the app, and a chunked write holds the old and
// the new value for a moment: keep the unsent queue to 2 MB (the web default is 4 MB).
const MAX_QUEUE_BYTES = 2 * 1024 * 1024;

const runtimeWx = () => (typeof wx === 'object' && wx ? wx : null);

class MiniProgramTouchpoint extends Touchpoint {
  constructor() {
    super((o) => createMiniProgramPlatform(o.wx || runtimeWx(), o), { maxQueueBytes: MAX_QUEUE_BYTES });
    const platform = {
      setLocation: (l) => { if (this._platform) this._platform.setLocation(l); },
      setScene: (s) => { if (this._platform) this._platform.setScene(s); },
    };
    this._mpOptions = {};
    this._hooks = createAutotrack(this, platform, this._mpOptions);
    this._globalsWrapped = false;
  }

  // Explicit wrappers, for apps that call init() after App() or do not want globals patched:
  // touchpoint.Page({...}) instead of Page({...}).
  App(options) { return App(wrapAppOptions(options, this._hooks)); }
  Page(options) { return Page(wrapPageOptions(options, this._hooks)); }
  Component(options) { return Component(wrapComponentOptions(options, this._hooks)); }

  init(options = {}) {
    if (!this._initPromise && options && options.autotrack !== false) {
      Object.assign(this._mpOptions, typeof options.autotrack === 'object' ? options.autotrack : {});
      this._wrapGlobals(options);
    }
    return super.init({ autotrack: false, ...options }); // the DOM autotrack has nothing to do here
  }

  async _init(options) {
    const wasmPath = options.wasmPath || DEFAULT_WASM_PATH;
    const bad = checkWasmPath(wasmPath);
    if (bad) throw new Error(`touchpoint.init: ${bad}`);
    let fail;
    const failed = new Promise((_, reject) => { fail = reject; });
    const ready = super._init({ ...options, wasmUrl: wasmPath, instantiateWasm: options.instantiateWasm || wxInstantiateWasm(wasmPath, (e) => fail(e), () => this._platform && this._platform.ready()) });
    if (this._platform) this._platform.onStorageError((m) => this._error('storage_failed', m));
    return Promise.race([ready, failed]);
  }

  // Sensors and GrowingIO patch the globals the same way; an app that registered App() already
  // (init too late) still gets its launch from wx.getLaunchOptionsSync and show/hide from wx.
  _wrapGlobals() {
    if (this._globalsWrapped) return;
    this._globalsWrapped = true;
    const hooks = this._hooks;
    const appRegistered = typeof getApp === 'function' && !!safeGetApp();
    if (typeof Page === 'function') { const orig = Page; Page = (o) => orig(wrapPageOptions(o, hooks)); } // eslint-disable-line no-global-assign
    if (typeof Component === 'function') { const orig = Component; Component = (o) => orig(wrapComponentOptions(o, hooks)); } // eslint-disable-line no-global-assign
    if (!appRegistered && typeof App === 'function') { const orig = App; App = (o) => orig(wrapAppOptions(o, hooks)); } // eslint-disable-line no-global-assign
    else {
      const w = runtimeWx();
      if (!w) return;
      try { hooks.appLaunch(w.getLaunchOptionsSync()); } catch (e) { /* old base library */ }
      if (w.onAppShow) w.onAppShow((o) => hooks.appShow(o));
      if (w.onAppHide) w.onAppHide(() => hooks.appHide());
    }
  }
}

function safeGetApp() { try { return getApp(); } catch (e) { return null; } }

const touchpoint = new MiniProgramTouchpoint();
touchpoint.Touchpoint = Touchpoint;
touchpoint.MiniProgramTouchpoint = MiniProgramTouchpoint;
touchpoint.createMiniProgramPlatform = createMiniProgramPlatform;
touchpoint.DEFAULT_WASM_PATH = DEFAULT_WASM_PATH;
export default touchpoint; // module.exports (scripts/build-dist.mjs)
