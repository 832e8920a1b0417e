// Loading the core inside a mini-program, where there is no `WebAssembly` global, only
// WXWebAssembly.instantiate(path, imports) taking a path inside the code package ending .wasm or
// .wasm.br (base library >= 2.13 / 2.14 for .br; framework/performance/wasm.html).
//
// The Emscripten 3.1.6 glue refuses to start when `typeof WebAssembly != 'object'` and its abort()
// builds a `WebAssembly.RuntimeError`. The mini-program build injects this module's
// `WebAssembly` in place of the glue's free `WebAssembly` (esbuild `inject`, see
// scripts/build-dist.mjs), and the glue reaches WXWebAssembly only through the instantiateWasm hook.
const WX = typeof WXWebAssembly === 'object' && WXWebAssembly ? WXWebAssembly : null;

class RuntimeError extends Error {
  constructor(message) { super(message); this.name = 'RuntimeError'; }
}

const unsupported = (what) => () => { throw new Error(`WebAssembly.${what} is not available in a mini-program: the core loads through WXWebAssembly.instantiate(path)`); };

export const WebAssembly = {
  RuntimeError,
  CompileError: RuntimeError,
  LinkError: RuntimeError,
  Memory: WX && WX.Memory,
  Table: WX && WX.Table,
  Global: WX && WX.Global,
  // Bytes and URLs cannot be instantiated here; only the hook below runs.
  instantiate: unsupported('instantiate(bytes)'),
  instantiateStreaming: unsupported('instantiateStreaming'),
  Module: unsupported('Module'),
  Instance: unsupported('Instance'),
};

// A path WXWebAssembly accepts: inside the package (no scheme), ending .wasm or .wasm.br.
export function checkWasmPath(path) {
  if (typeof path !== 'string' || !/\.wasm(\.br)?$/.test(path)) return `wasmPath must end in .wasm or .wasm.br (got ${JSON.stringify(path)})`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) return `wasmPath must be a path inside the code package, not a URL (${path})`;
  return null;
}

// The Module.instantiateWasm hook: (imports, receive) -> {} (asynchronous). A failure goes to
// onFail, because the 3.1.6 glue never hears of an asynchronous one (init would hang). The
// instance is handed over once `before()` (the storage preload) has settled too.
export function wxInstantiateWasm(path, onFail, before) {
  return (imports, receive) => {
    const wx = typeof WXWebAssembly === 'object' && WXWebAssembly ? WXWebAssembly : null;
    if (!wx) { onFail(new Error('WXWebAssembly is missing: the base library must be >= 2.13')); return {}; }
    let pending;
    try { pending = wx.instantiate(path, imports); } catch (e) { pending = Promise.reject(e); }
    const waitFor = Promise.resolve(before && before()).catch(() => {});
    Promise.all([pending, waitFor]).then(([r]) => {
      const instance = r && r.instance ? r.instance : r;
      receive(instance, r && r.module);
    }).catch((e) => onFail(new Error(`WXWebAssembly.instantiate(${path}) failed: ${e && (e.errMsg || e.message) || e}`)));
    return {};
  };
}
