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

// Record store over the shell's {get, set, remove} storage of a platform that brings no record
// store of its own (a custom `platform`): one key per record plus an index of the keys (the
// storage cannot list its keys). The index is rewritten on each change: a fallback, not the path
// of the built-in platforms. set() answers an error text instead of throwing (common.js).
export function createStorageRecordStore(storage, prefix) {
  const indexKey = `${prefix}index`;
  const index = () => new Set((storage.get(indexKey) || '').split('\n').filter(Boolean));
  const fail = (err) => Promise.reject(Object.assign(new Error(String(err)), { name: /quota/i.test(String(err)) ? 'QuotaExceededError' : 'Error' }));
  const read = (keys) => keys.map((k) => [k, storage.get(prefix + k)]).filter(([, v]) => typeof v === 'string' && v);
  return {
    kind: 'platform',
    put(entries) {
      const keys = index();
      for (const [k, v] of entries) {
        const err = storage.set(prefix + k, v);
        if (err) return fail(err);
        keys.add(k);
      }
      const err = storage.set(indexKey, [...keys].join('\n'));
      return err ? fail(err) : Promise.resolve();
    },
    remove(list) {
      const keys = index();
      for (const k of list) { storage.remove(prefix + k); keys.delete(k); }
      if (keys.size) storage.set(indexKey, [...keys].join('\n')); else storage.remove(indexKey);
      return Promise.resolve();
    },
    getAll: () => Promise.resolve(read([...index()].sort())),
    get: (keys) => Promise.resolve(read(keys)),
  };
}
