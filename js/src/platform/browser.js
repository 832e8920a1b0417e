// Browser adapter: localStorage, fetch/sendBeacon, page lifecycle and page context.
import { fetchRulesWith, fetchSend, memoryStore, randomSeedFrom, requestTimeoutFrom, systemClock, wrapStorage } from './common.js';
import { openBrowserRecordStore } from '../storage/open.js';
import { localStorageKv } from '../storage/key-value.js';
import { electSender, openChannel } from '../storage/sender.js';

function sessionStore() {
  try { const s = window.sessionStorage; s.getItem('__tp_probe__'); return s; } catch (e) { return null; }
}

function localStore() {
  try {
    const s = window.localStorage;
    const probe = '__tp_probe__';
    s.setItem(probe, '1');
    s.removeItem(probe);
    return s;
  } catch (e) {
    return memoryStore(); // storage disabled: keep working for this page view
  }
}

// The platform contract (contract.js), all of it. options: the init options (requestTimeoutMs
// bounds every event request).
export function createBrowserPlatform(options = {}) {
  const timeoutMs = requestTimeoutFrom(options);
  return {
    name: 'browser',
    storage: wrapStorage(localStore()),
    // Where a page's unwritten records go at pagehide when localStorage is full (survives a reload).
    sessionStorage: wrapStorage(sessionStore()),
    // The shared queue (js/src/storage/, docs/storage.md): records, one sender per write key.
    openRecords: (opts) => openBrowserRecordStore(opts.writeKey, opts.store),
    electSender: (name, tabId, onAcquired, onLost) => electSender(name, tabId, onAcquired, { kv: localStorageKv(), onLost }),
    openChannel: (name) => openChannel(name, localStorageKv()),
    now: systemClock,
    randomSeed: () => randomSeedFrom(globalThis.crypto),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h),
    send: (url, bytes, keepalive) => fetchSend(fetch.bind(globalThis), url, bytes, keepalive, timeoutMs),
    fetchRules: (url, etag) => fetchRulesWith(fetch.bind(globalThis), url, etag),
    // While the page goes away: a keepalive fetch outlives the unload (and its answer is still
    // handled if the page lives on); sendBeacon where keepalive fetch is missing. Never throws.
    sendOnUnload(url, bytes) {
      if (typeof Request !== 'undefined' && 'keepalive' in Request.prototype) return fetchSend(fetch.bind(globalThis), url, bytes, true, timeoutMs);
      let queued = false;
      try { queued = navigator.sendBeacon(url, new Blob([bytes], { type: 'text/plain' })); } catch (e) { queued = false; }
      // A beacon has no answer: report it as lost so the batch is retried (the backend dedupes).
      return Promise.resolve({ status: 0, retryAfterMs: 0, body: queued ? 'sent by beacon, no answer' : 'not sent' });
    },
    // A navigation starts (before pagehide): Chromium may cancel the page's requests from here on.
    onNavigationStart(fn) { window.addEventListener('beforeunload', () => fn()); },
    // 'hidden' / 'pagehide': flush for the unload; 'online' / 'visible': the backlog is due now.
    onLifecycle(handler) {
      const visibility = () => {
        if (document.visibilityState === 'hidden') handler('hidden');
        else if (document.visibilityState === 'visible') handler('visible');
      };
      document.addEventListener('visibilitychange', visibility);
      window.addEventListener('pagehide', () => handler('pagehide'));
      window.addEventListener('pageshow', (e) => { if (e.persisted) handler('pageshow'); }); // back from the bfcache
      window.addEventListener('online', () => handler('online'));
    },
    context() {
      const l = window.location;
      const n = navigator;
      let timezone;
      try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { timezone = undefined; }
      return {
        page: { path: l.pathname, url: l.href, search: l.search, referrer: document.referrer, title: document.title },
        userAgent: n.userAgent,
        locale: n.language,
        timezone,
        screen: { width: screen.width, height: screen.height, density: window.devicePixelRatio || 1 },
        // Inside a WeChat mini-program <web-view> (UA since WeChat 7.0; the JSSDK global otherwise).
        ...(/miniProgram/i.test(n.userAgent) || window.__wxjs_environment === 'miniprogram' ? { miniprogram: { webview: true } } : {}),
      };
    },
    currentUrl: () => window.location.href,
    // Removes adopted web-view ids from the address bar without a navigation (the page's URL is
    // taken as replaced even when the history refuses: the ids are adopted either way).
    replaceUrl(url) { try { history.replaceState(history.state, '', url); } catch (e) { /* cross-origin or sandboxed */ } return true; },
    readCookie(name) {
      try {
        const m = document.cookie.match(new RegExp(`(?:^|; )${name}=([^;]*)`));
        return m ? decodeURIComponent(m[1]) : null;
      } catch (e) { return null; }
    },
    writeCookie(name, value, { domain, maxAgeS }) {
      try {
        document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=${maxAgeS}; SameSite=Lax` +
          (domain ? `; domain=${domain}` : '') + (location.protocol === 'https:' ? '; Secure' : '');
      } catch (e) { /* cookies disabled */ }
    },
  };
}
