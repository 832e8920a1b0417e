// Node adapter (server-side tracking, tests): in-memory or caller-supplied storage, global fetch.
import { fetchRulesWith, fetchSend, memoryStore, randomSeedFrom, requestTimeoutFrom, wrapStorage } from './common.js';

export function createNodePlatform(options = {}) {
  const timeoutMs = requestTimeoutFrom(options);
  return {
    name: 'node',
    storage: wrapStorage(options.storage || memoryStore()),
    now: () => Date.now(),
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
