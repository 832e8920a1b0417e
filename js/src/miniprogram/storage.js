// Chunked, asynchronous storage over wx.*Storage* for the shell's {get, set, remove} contract.
//
// The runtime allows 1 MB per key and 10 MB in all, and heavy synchronous storage at launch slows
// the app's start (developers.weixin.qq.com api/storage/wx.setStorageSync). The shell stores its
// whole snapshot under one key, which reaches 1 MB during a long outage. So:
// - a value longer than CHUNK_CHARS is split over `key#<gen>.<i>` keys, and `key` holds a manifest
//   {tp_chunks, gen, length}; a short value is stored as is under `key`;
// - writes are asynchronous (wx.setStorage) and coalesced: while one is running, newer values of a
//   key replace the waiting one, so a burst of snapshots costs one write;
// - a write is atomic for readers: the new generation's chunks first, then the manifest, then the
//   old chunks are removed. A kill half-way leaves the previous value readable, never a mix;
// - reads come from memory after the first one; the adapter preloads the shell's keys
//   asynchronously while the wasm core loads, so start-up does no synchronous storage at all.
// A failed write (quota) keeps the previous value and reports through onError and the next set().

// 128 Ki UTF-16 units are at most 384 KB of UTF-8: well under the 1 MB per key, whatever the text.
export const CHUNK_CHARS = 128 * 1024;
const CHUNK_SEP = '#';

const isManifest = (v) => v && typeof v === 'object' && typeof v.tp_chunks === 'number' && typeof v.gen === 'number';
const errText = (e) => String((e && (e.errMsg || e.message)) || e);

export function createChunkedStorage(wx, { chunkChars = CHUNK_CHARS, onError } = {}) {
  const mirror = new Map();   // key -> value (string) or null: what get() answers
  const stored = new Map();   // key -> what is in wx storage under `key` (manifest, string or null)
  const waiting = new Map();  // key -> value (null: remove) not yet written
  const preloads = new Map(); // key -> the promise of its running async preload
  let writing = false;
  let lastError = null;
  let idleWaiters = [];

  const call = (name, args) => new Promise((resolve, reject) => {
    try { wx[name]({ ...args, success: resolve, fail: reject }); } catch (e) { reject(e); }
  });
  const chunkKey = (key, gen, i) => `${key}${CHUNK_SEP}${gen}.${i}`;

  function readSync(key) {
    let head;
    try { head = wx.getStorageSync(key); } catch (e) { head = ''; }
    return assemble(key, head, (k) => { try { return wx.getStorageSync(k); } catch (e) { return ''; } });
  }

  // head: what `key` holds; read(k): a chunk. A missing or inconsistent chunk means no value.
  function assemble(key, head, read) {
    stored.set(key, head === '' || head === undefined ? null : head);
    if (typeof head === 'string') return head === '' ? null : head;
    if (!isManifest(head)) return null;
    let out = '';
    for (let i = 0; i < head.tp_chunks; i++) {
      const part = read(chunkKey(key, head.gen, i));
      if (typeof part !== 'string') { report(`storage: chunk ${i} of ${key} is missing; value dropped`); return null; }
      out += part;
    }
    if (out.length !== head.length) { report(`storage: ${key} has ${out.length} chars, its manifest says ${head.length}; value dropped`); return null; }
    return out;
  }

  function report(message) {
    lastError = message;
    if (onError) try { onError(message); } catch (e) { /* never into the app */ }
  }

  async function removeChunks(key, head) {
    if (!isManifest(head)) return;
    for (let i = 0; i < head.tp_chunks; i++) await call('removeStorage', { key: chunkKey(key, head.gen, i) }).catch(() => {});
  }

  // Chunks no manifest names (a write killed half-way) are removed once per key and session.
  const swept = new Set();
  async function sweep(key) {
    if (swept.has(key)) return;
    swept.add(key);
    const info = await call('getStorageInfo', {}).catch(() => null);
    const head = stored.get(key);
    const live = new Set(isManifest(head) ? Array.from({ length: head.tp_chunks }, (_, i) => chunkKey(key, head.gen, i)) : []);
    for (const k of (info && info.keys) || [])
      if (k.startsWith(key + CHUNK_SEP) && !live.has(k)) await call('removeStorage', { key: k }).catch(() => {});
  }

  async function write(key, value) {
    if (!stored.has(key)) { try { const h = wx.getStorageSync(key); stored.set(key, h === '' ? null : h); } catch (e) { stored.set(key, null); } }
    const old = stored.get(key);
    if (value === null) {
      await call('removeStorage', { key }).catch(() => {});
      stored.set(key, null);
      await removeChunks(key, old);
      return;
    }
    if (value.length <= chunkChars) {
      await call('setStorage', { key, data: value });
      stored.set(key, value);
      await removeChunks(key, old);
      return;
    }
    const gen = (isManifest(old) ? old.gen : 0) + 1;
    const n = Math.ceil(value.length / chunkChars);
    let i = 0;
    try {
      for (; i < n; i++) await call('setStorage', { key: chunkKey(key, gen, i), data: value.slice(i * chunkChars, (i + 1) * chunkChars) });
    } catch (e) {
      await removeChunks(key, { tp_chunks: i, gen }); // the new generation never became visible
      throw e;
    }
    const manifest = { tp_chunks: n, gen, length: value.length };
    await call('setStorage', { key, data: manifest });
    stored.set(key, manifest);
    await removeChunks(key, old);
  }

  async function pump() {
    if (writing) return;
    writing = true;
    try {
      while (waiting.size) {
        const [key, value] = waiting.entries().next().value;
        waiting.delete(key);
        try { await write(key, value); await sweep(key); } catch (e) { report(`storage: could not write ${key} (${errText(e)}); the previous value stays`); }
      }
    } finally {
      writing = false;
      const w = idleWaiters; idleWaiters = []; w.forEach((r) => r());
    }
  }

  return {
    get(key) {
      if (mirror.has(key)) return mirror.get(key);
      const v = readSync(key);
      mirror.set(key, v);
      return v;
    },
    set(key, value) {
      const v = String(value);
      mirror.set(key, v);
      waiting.set(key, v);
      pump();
      const err = lastError; lastError = null;
      return err;
    },
    remove(key) {
      mirror.set(key, null);
      waiting.set(key, null);
      pump();
    },
    // Starts reading keys in the background (wx.getStorage); get() uses the result when it is in.
    preload(keys) {
      const runs = [];
      for (const key of keys) {
        if (mirror.has(key) || preloads.has(key)) continue;
        const run = (async () => {
          const get = (k) => call('getStorage', { key: k }).then((r) => r.data, () => '');
          const head = await get(key);
          const parts = new Map();
          if (isManifest(head)) {
            const names = Array.from({ length: head.tp_chunks }, (_, i) => chunkKey(key, head.gen, i));
            (await Promise.all(names.map(get))).forEach((v, i) => parts.set(names[i], v)); // in parallel
          }
          // A write or read that happened meanwhile is newer than what was read here.
          if (!mirror.has(key)) mirror.set(key, assemble(key, head, (k) => parts.get(k)));
        })().catch(() => {}).finally(() => preloads.delete(key));
        preloads.set(key, run);
        runs.push(run);
      }
      return Promise.all(runs).then(() => {});
    },
    // Resolves when every preload started so far is in memory.
    preloaded() { return Promise.all([...preloads.values()]).then(() => {}); },
    // Resolves when every write so far is in storage (tests; the app may await it before a kill).
    idle() { return !writing && !waiting.size ? Promise.resolve() : new Promise((r) => idleWaiters.push(r)); },
  };
}
