// IndexedDB record store (README.md): database `touchpoint:<writeKey>`, object store `records`,
// key = record key, value = the event's JSON text. Each put/remove is one transaction; the tabs of
// an origin share the database.
const STORE = 'records';
const OPEN_TIMEOUT_MS = 3000; // a blocked or hanging open (old web-views) falls back to localStorage

const done = (req) => new Promise((resolve, reject) => {
  req.onsuccess = () => resolve(req.result);
  req.onerror = () => reject(req.error || new Error('IndexedDB request failed'));
});
const committed = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = () => resolve();
  tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction aborted'));
  tx.onerror = () => reject(tx.error || new Error('IndexedDB transaction failed'));
});

// Resolves to a store, or rejects (no IndexedDB, private mode, blocked, broken).
export function openIndexedDbStore(name, idb = globalThis.indexedDB) {
  if (!idb || typeof idb.open !== 'function') return Promise.reject(new Error('IndexedDB is not available'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('IndexedDB open timed out')), OPEN_TIMEOUT_MS);
    let req;
    try { req = idb.open(name, 1); } catch (err) { clearTimeout(timer); reject(err); return; }
    req.onupgradeneeded = () => { req.result.createObjectStore(STORE); };
    req.onsuccess = () => {
      clearTimeout(timer);
      const db = req.result;
      db.onversionchange = () => db.close();
      resolve(wrap(db));
    };
    req.onerror = () => { clearTimeout(timer); reject(req.error || new Error('IndexedDB open failed')); };
    req.onblocked = () => { clearTimeout(timer); reject(new Error('IndexedDB open blocked')); };
  });
}

function wrap(db) {
  const run = (mode, fn) => {
    let tx;
    try { tx = db.transaction(STORE, mode); } catch (err) { return Promise.reject(err); }
    const result = fn(tx.objectStore(STORE));
    return committed(tx).then(() => result);
  };
  return {
    kind: 'indexeddb',
    put(entries) { return run('readwrite', (s) => { for (const [k, v] of entries) s.put(v, k); }); },
    remove(keys) { return run('readwrite', (s) => { for (const k of keys) s.delete(k); }); },
    getAll() {
      let keys, values;
      return run('readonly', (s) => {
        done(s.getAllKeys()).then((k) => { keys = k; });
        done(s.getAll()).then((v) => { values = v; });
      }).then(() => keys.map((k, i) => [String(k), String(values[i])]));
    },
    get(keys) {
      const out = [];
      return run('readonly', (s) => {
        for (const k of keys) done(s.get(k)).then((v) => { if (typeof v === 'string') out.push([k, v]); });
      }).then(() => out);
    },
  };
}
