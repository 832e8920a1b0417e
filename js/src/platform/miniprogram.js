// WeChat mini-program adapter: chunked asynchronous wx storage, wx.request (bounded concurrency,
// the runtime's timeout), app lifecycle, and the page "location" the mini-program autotrack sets
// (js/src/miniprogram/). Nothing here touches a browser global: the runtime has no window,
// document, fetch, performance, URL, TextDecoder or crypto (docs/miniprogram.md).
import { MAX_RESPONSE_CHARS, parseRetryAfter, requestTimeoutFrom, systemClock } from './common.js';
import { createChunkedStorage } from '../miniprogram/storage.js';
import { createWxRecordStore } from '../storage/wx.js';

// wx.request, uploadFile and downloadFile share 10 concurrent requests across the app; the SDK
// keeps to 3 (sa-sdk-miniprogram and GrowingIO send at most 3 at once) so the app keeps the rest.
export const MAX_REQUESTS = 3;
// The runtime's default and maximum timeout (api/network/request/wx.request): rules requests keep
// it; event requests use the init option requestTimeoutMs (default 15 s, like the browser).
export const REQUEST_TIMEOUT_MS = 60 * 1000;
const STATE_KEYS = ['core', 'state', 'calls', 'rules', 'consent', 'done', 'unl', 'spill']; // what the shell reads at init

const errText = (e) => String((e && (e.errMsg || e.message)) || e);
const header = (h, name) => (h ? h[name] || h[name.toLowerCase()] || h[name.toUpperCase()] || '' : '');

function hex(bytes) { let s = ''; for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16); return s; }

// A FIFO in front of wx.request that never has more than MAX_REQUESTS running.
function createRequester(wx, max) {
  let running = 0;
  const queue = [];
  const next = () => {
    while (running < max && queue.length) {
      const { args, resolve } = queue.shift();
      running++;
      const done = (ok, r) => { running--; resolve({ ok, r }); next(); };
      try {
        wx.request({ timeout: REQUEST_TIMEOUT_MS, ...args, success: (r) => done(true, r), fail: (e) => done(false, e) });
      } catch (e) { done(false, e); }
    }
  };
  const request = (args) => new Promise((resolve) => { queue.push({ args, resolve }); next(); });
  request.stats = () => ({ running, waiting: queue.length });
  return request;
}

// The platform contract (contract.js) plus setLocation/setScene for the mini-program autotrack and
// requestStats; no tabs, cookies or address bar.
export function createMiniProgramPlatform(wx, options = {}) {
  if (!wx || typeof wx.request !== 'function') throw new Error('createMiniProgramPlatform: the wx object is required');
  const prefix = options.writeKey ? `tp:${options.writeKey}:` : null;
  const errorListeners = [];
  const storage = createChunkedStorage(wx, { onError: (m) => errorListeners.forEach((f) => f(m)) });
  if (prefix) storage.preload(STATE_KEYS.map((k) => prefix + k)); // runs while the wasm loads
  const request = createRequester(wx, options.maxRequests || MAX_REQUESTS);
  const sendTimeoutMs = Math.min(requestTimeoutFrom(options), REQUEST_TIMEOUT_MS);

  // wx.getRandomValues is asynchronous and the seed is needed when the core starts: ask now, use
  // it if it came back in time (it does while the wasm loads), else Math.random (ids need
  // uniqueness, not secrecy).
  let seed = null;
  try { wx.getRandomValues({ length: 32, success: (r) => { seed = hex(new Uint8Array(r.randomValues)); } }); } catch (e) { /* old base library */ }

  let info = null;
  const systemInfo = () => {
    if (!info) { try { info = wx.getSystemInfoSync() || {}; } catch (e) { info = {}; } }
    return info;
  };
  // The page the autotrack says is showing: {url, path, referrer, title}; scene of this visit.
  let location = { url: '', path: '', referrer: '' };
  let scene = null;

  const send = (url, bytes) => request({
    url, method: 'POST', data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    header: { 'Content-Type': 'text/plain' }, responseType: 'text', dataType: 'text', timeout: sendTimeoutMs,
  }).then(({ ok, r }) => ok
    ? { status: r.statusCode, retryAfterMs: parseRetryAfter(header(r.header, 'Retry-After'), Date.now()), body: String(r.data == null ? '' : r.data).slice(0, MAX_RESPONSE_CHARS) }
    : { status: 0, retryAfterMs: 0, body: errText(r) });

  return {
    name: 'miniprogram',
    storage,
    // The queue's records (js/src/storage/): one app, so no sender election.
    openRecords: (opts) => Promise.resolve({ store: createWxRecordStore(wx, `tp:${opts.writeKey}:r:`), problems: [] }),
    now: systemClock,
    randomSeed: () => {
      if (seed) return seed;
      const b = new Array(32);
      for (let i = 0; i < 32; i++) b[i] = (Math.random() * 256) | 0;
      return hex(b);
    },
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h),
    send,
    // No page unload here: the app hides, and requests still running 5 s later fail. A batch
    // lost that way is re-sent at the next show (the collector dedupes on messageId).
    sendOnUnload: send,
    fetchRules(url, etag) {
      return request({ url, method: 'GET', header: etag ? { 'If-None-Match': etag } : {}, responseType: 'text', dataType: 'text' })
        .then(({ ok, r }) => {
          if (!ok) throw new Error(errText(r));
          return { status: r.statusCode, etag: header(r.header, 'ETag'), body: r.statusCode === 200 ? String(r.data == null ? '' : r.data) : '' };
        });
    },
    onLifecycle(handler) {
      if (wx.onAppHide) wx.onAppHide(() => handler('hidden'));
      if (wx.onAppShow) wx.onAppShow(() => handler('online')); // back in front: retry what failed
      if (wx.onNetworkStatusChange) wx.onNetworkStatusChange((r) => { if (r && r.isConnected) handler('online'); });
    },
    onStorageError(fn) { errorListeners.push(fn); },
    // Resolves when the shell's keys are in memory (the core starts after it: no sync reads).
    ready: () => storage.preloaded(),
    context() {
      const i = systemInfo();
      return {
        page: { ...location },
        locale: i.language,
        screen: { width: i.screenWidth, height: i.screenHeight, density: i.pixelRatio },
        os: { name: i.platform, version: i.system },
        device: { model: i.model, manufacturer: i.brand },
        userAgent: `miniprogram wechat/${i.version || ''} sdk/${i.SDKVersion || ''} ${i.platform || ''}`.trim(),
        miniprogram: { platform: 'wechat', scene, sdkVersion: i.SDKVersion },
      };
    },
    currentUrl: () => location.url,
    // Set by the autotrack (js/src/miniprogram/autotrack.js) when a page shows or the app launches.
    setLocation(next) { location = { url: next.url || '', path: next.path || '', referrer: next.referrer || '', ...(next.title ? { title: next.title } : {}) }; },
    setScene(s) { scene = s; },
    requestStats: () => request.stats(),
  };
}
