// Browser adapter: localStorage, fetch/sendBeacon, page lifecycle and page context.
import { fetchSend, memoryStore, randomSeedFrom, wrapStorage } from './common.js';

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

export function createBrowserPlatform() {
  return {
    name: 'browser',
    storage: wrapStorage(localStore()),
    now: () => Date.now(),
    randomSeed: () => randomSeedFrom(globalThis.crypto),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h),
    send: (url, bytes, keepalive) => fetchSend(fetch.bind(globalThis), url, bytes, keepalive),
    // Last chance while the page goes away: keepalive fetch survives the unload; sendBeacon is the
    // fallback where keepalive is missing or over its budget. Returns whether the browser took it.
    sendOnUnload(url, bytes) {
      try {
        fetch(url, { method: 'POST', body: bytes, headers: { 'Content-Type': 'text/plain' }, keepalive: true, credentials: 'omit' })
          .catch(() => {});
        return true;
      } catch (e) {
        try { return navigator.sendBeacon(url, new Blob([bytes], { type: 'text/plain' })); } catch (e2) { return false; }
      }
    },
    onLifecycle(handler) {
      const hidden = () => { if (document.visibilityState === 'hidden') handler('hidden'); };
      document.addEventListener('visibilitychange', hidden);
      window.addEventListener('pagehide', () => handler('pagehide'));
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
      };
    },
    currentUrl: () => window.location.href,
    // Removes adopted web-view ids from the address bar without a navigation.
    replaceUrl(url) { try { history.replaceState(history.state, '', url); } catch (e) { /* cross-origin or sandboxed */ } },
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
