// Pieces every platform adapter shares.

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

const MAX_RESPONSE_CHARS = 4096; // we only read the collector's small JSON answer

// fetch-based sender shared by browsers and Node 18+.
export async function fetchSend(fetchFn, url, bytes, keepalive) {
  try {
    const res = await fetchFn(url, {
      method: 'POST',
      body: bytes,
      // text/plain keeps the request "simple": no CORS preflight; the collector sniffs gzip.
      headers: { 'Content-Type': 'text/plain' },
      keepalive,
      credentials: 'omit',
    });
    let body = '';
    try { body = (await res.text()).slice(0, MAX_RESPONSE_CHARS); } catch (e) { body = ''; }
    return { status: res.status, retryAfterMs: parseRetryAfter(res.headers.get('Retry-After'), Date.now()), body };
  } catch (err) {
    return { status: 0, retryAfterMs: 0, body: String(err && err.message || err) };
  }
}

// Rules fetch over fetch() (browsers, Node): {status, etag, body}; a network failure throws.
export async function fetchRulesWith(fetchFn, url, etag) {
  const res = await fetchFn(url, { headers: etag ? { 'If-None-Match': etag } : {}, credentials: 'omit' });
  return { status: res.status, etag: res.headers.get('ETag') || '', body: res.status === 200 ? await res.text() : '' };
}
