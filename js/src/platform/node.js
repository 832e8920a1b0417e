// Node adapter (server-side tracking, tests): in-memory or caller-supplied storage, global fetch.
import { fetchRulesWith, fetchSend, memoryStore, randomSeedFrom, wrapStorage } from './common.js';
import { createKeyValueRecordStore } from '../storage/key-value.js';
import { createMemoryRecordStore } from '../storage/memory.js';

export function createNodePlatform(options = {}) {
  const kv = options.storage || memoryStore();
  return {
    name: 'node',
    storage: wrapStorage(kv),
    // Records (js/src/storage/README.md): a caller's store, else the storage given (when it can list
    // its keys), else memory.
    openRecords: (opts) => Promise.resolve({
      store: options.recordStore || (typeof kv.keys === 'function' ? createKeyValueRecordStore(kv, `tp:${opts.writeKey}:r:`, 'memory') : createMemoryRecordStore()),
      problems: [],
    }),
    now: () => Date.now(),
    randomSeed: () => randomSeedFrom(globalThis.crypto),
    setTimer: (fn, ms) => { const t = setTimeout(fn, ms); if (t && t.unref) t.unref(); return t; },
    clearTimer: (h) => clearTimeout(h),
    send: (url, bytes) => fetchSend(globalThis.fetch, url, bytes, false),
    fetchRules: (url, etag) => fetchRulesWith(globalThis.fetch, url, etag),
    onLifecycle() {},
    context: () => ({ library: undefined, locale: (globalThis.Intl && Intl.DateTimeFormat().resolvedOptions().locale) || undefined }),
    currentUrl: () => '',
  };
}
