// Pieces every platform adapter shares (the contract they implement: contract.js).

// The system clock: the adapters' now(), and what stamps calls made before init().
export const systemClock = () => Date.now();

// Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); anything else means "not given".
export function parseRetryAfter(value, now) {
  if (!value) return 0;
  const v = String(value).trim();
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, 3600 * 1000);
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - now) : 0;
}

// Storage over any {getItem,setItem,removeItem}: a full or broken store returns an error instead
// of throwing into the page (Safari private mode, quota exceeded, disabled cookies).
export function wrapStorage(store) {
  return {
    get(key) { try { return store ? store.getItem(key) : null; } catch (e) { return null; } },
    set(key, value) {
      if (!store) return 'no storage available';
      try { store.setItem(key, value); return null; } catch (e) { return (e && e.name) || String(e); }
    },
    remove(key) { try { if (store) store.removeItem(key); } catch (e) { /* nothing to do */ } },
  };
}

export function memoryStore() {
  const m = new Map();
  return {
    getItem: (k) => (m.has(k) ? m.get(k) : null),
    setItem: (k, v) => { m.set(k, String(v)); },
    removeItem: (k) => { m.delete(k); },
    keys: () => [...m.keys()],
  };
}

export function randomSeedFrom(cryptoObj) {
  const bytes = new Uint8Array(32);
  if (cryptoObj && cryptoObj.getRandomValues) cryptoObj.getRandomValues(bytes);
  else for (let i = 0; i < 32; i++) bytes[i] = (Math.random() * 256) | 0; // last resort
  let hex = '';
  for (const b of bytes) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex;
}

// The collector's acknowledgement names each rejected event (at most 1000, collector/batch_handler.cpp):
// read enough of it that the core can check it whole; a cut body would never confirm.
export const MAX_RESPONSE_CHARS = 1024 * 1024;
// Default for the init option requestTimeoutMs (the core's limits::kDefaultRequestTimeoutMs, which
// derives its in-flight timeout from it): an event request is aborted after this.
export const DEFAULT_REQUEST_TIMEOUT_MS = 15000;

// The timeout an adapter uses: the init option when it is a positive number, else the default
// (the core validates the option and reports a bad one at init).
export function requestTimeoutFrom(options) {
  const t = options && options.requestTimeoutMs;
  return typeof t === 'number' && t > 0 && Number.isFinite(t) ? t : DEFAULT_REQUEST_TIMEOUT_MS;
}

// fetch-based sender shared by browsers and Node 18+. Answers {status, retryAfterMs, body} and
// never rejects:
// - redirects are never followed (a browser re-sends a redirected POST as GET, which the moved
//   endpoint refuses, and every batch was dropped): a browser hands back an opaqueredirect
//   response (status 0), reported as 307 so the core sees a 3xx; Node hands back the 3xx itself;
// - after timeoutMs the request (and the read of its answer) is aborted and answers status 0, a
//   network error, with the reason as body for the debug log. A hung backend no longer holds the
//   in-flight slots forever.
export async function fetchSend(fetchFn, url, bytes, keepalive, timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS) {
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  let timer = null;
  // Raced as well as aborted: a fetch that ignores the signal still cannot hang the queue.
  const expired = new Promise((resolve) => {
    timer = setTimeout(() => {
      if (controller) { try { controller.abort(); } catch (e) { /* already settled */ } }
      resolve({ status: 0, retryAfterMs: 0, body: `request timed out after ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const attempt = (async () => {
    try {
      const res = await fetchFn(url, {
        method: 'POST',
        body: bytes,
        // text/plain keeps the request "simple": no CORS preflight; the collector sniffs gzip.
        headers: { 'Content-Type': 'text/plain' },
        keepalive,
        credentials: 'omit',
        redirect: 'manual',
        ...(controller ? { signal: controller.signal } : {}),
      });
      if (res.type === 'opaqueredirect') return { status: 307, retryAfterMs: 0, body: 'redirect not followed (opaqueredirect)' };
      let body = '';
      try { body = (await res.text()).slice(0, MAX_RESPONSE_CHARS); } catch (e) { body = ''; }
      return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('Retry-After'), Date.now()), body };
    } catch (err) {
      return { status: 0, retryAfterMs: 0, body: String(err && err.message || err) };
    }
  })();
  try {
    return await Promise.race([attempt, expired]);
  } finally {
    clearTimeout(timer);
  }
}

// Rules fetch over fetch() (browsers, Node): {status, etag, body}; a network failure throws.
export async function fetchRulesWith(fetchFn, url, etag) {
  const res = await fetchFn(url, { headers: etag ? { 'If-None-Match': etag } : {}, credentials: 'omit' });
  return { status: res.status, etag: res.headers.get('ETag') || '', body: res.status === 200 ? await res.text() : '' };
}
