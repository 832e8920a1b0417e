// Record store over a synchronous key-value storage (README.md): localStorage in browsers without
// a working IndexedDB, wx storage in mini-programs. Each record is its own key `<prefix><key>`, so
// writing one event never rewrites another, and two tabs never overwrite each other's records.
// kv: {getItem(k), setItem(k, v), removeItem(k), keys()}; keys() lists every key of the storage.
export function createKeyValueRecordStore(kv, prefix, kind) {
  const ours = () => kv.keys().filter((k) => k.startsWith(prefix)).sort();
  const read = (keys) => {
    const out = [];
    for (const k of keys) { const v = kv.getItem(prefix + k); if (typeof v === 'string' && v) out.push([k, v]); }
    return out;
  };
  return {
    kind,
    put(entries) {
      try {
        for (const [k, v] of entries) kv.setItem(prefix + k, v);
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(err); // QuotaExceededError: the ones written stay (each is whole)
      }
    },
    remove(keys) {
      try { for (const k of keys) kv.removeItem(prefix + k); } catch (e) { /* nothing to free */ }
      return Promise.resolve();
    },
    getAll() {
      try { return Promise.resolve(read(ours().map((k) => k.slice(prefix.length)))); } catch (err) { return Promise.reject(err); }
    },
    get(keys) {
      try { return Promise.resolve(read(keys)); } catch (err) { return Promise.reject(err); }
    },
  };
}

// localStorage as a key-value storage for createKeyValueRecordStore; null when it cannot be used.
export function localStorageKv() {
  let s;
  try {
    s = globalThis.localStorage;
    if (!s) return null;
    s.getItem('__tp_probe__');
  } catch (e) { return null; }
  return {
    getItem: (k) => s.getItem(k),
    setItem: (k, v) => s.setItem(k, v),
    removeItem: (k) => s.removeItem(k),
    keys() { const out = []; for (let i = 0; i < s.length; i++) { const k = s.key(i); if (k !== null) out.push(k); } return out; },
  };
}
