// Node adapter (server-side tracking, tests): in-memory or caller-supplied storage, global fetch.
import { fetchRulesWith, fetchSend, memoryStore, randomSeedFrom, requestTimeoutFrom, systemClock, wrapStorage } from './common.js';
import { createKeyValueRecordStore, createStorageRecordStore } from '../storage/key-value.js';

// The required members of the platform contract (contract.js) and openRecords; no tabs, cookies,
// address bar or unload: declarePlatform's defaults.
export function createNodePlatform(options = {}) {
  const timeoutMs = requestTimeoutFrom(options);
  const kv = options.storage || memoryStore();
  const storage = wrapStorage(kv);
  return {
    name: 'node',
    storage,
    // Records (js/src/storage/README.md): a caller's store, else the storage given (one key per
    // record, plus an index when it cannot list its keys).
    openRecords: (opts) => Promise.resolve({
      store: options.recordStore || (typeof kv.keys === 'function' ? createKeyValueRecordStore(kv, `tp:${opts.writeKey}:r:`, 'memory')
        : createStorageRecordStore(storage, `tp:${opts.writeKey}:r:`)),
      problems: [],
    }),
    now: systemClock,
    randomSeed: () => randomSeedFrom(globalThis.crypto),
    setTimer: (fn, ms) => { const t = setTimeout(fn, ms); if (t && t.unref) t.unref(); return t; },
    clearTimer: (h) => clearTimeout(h),
    send: (url, bytes) => fetchSend(globalThis.fetch, url, bytes, false, timeoutMs),
    fetchRules: (url, etag) => fetchRulesWith(globalThis.fetch, url, etag),
    onLifecycle() {},
    context: () => ({ library: undefined, locale: (globalThis.Intl && Intl.DateTimeFormat().resolvedOptions().locale) || undefined }),
    currentUrl: () => '',
  };
}
