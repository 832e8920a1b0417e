// WeChat mini-program adapter: wx storage and wx.request. The wasm loader hook for
// WXWebAssembly is passed through init({instantiateWasm}).
import { parseRetryAfter, randomSeedFrom } from './common.js';

export function createMiniProgramPlatform(wx) {
  return {
    name: 'miniprogram',
    storage: {
      get(key) { try { const v = wx.getStorageSync(key); return v === '' ? null : v; } catch (e) { return null; } },
      set(key, value) { try { wx.setStorageSync(key, value); return null; } catch (e) { return String(e && e.errMsg || e); } },
      remove(key) { try { wx.removeStorageSync(key); } catch (e) { /* ignore */ } },
    },
    now: () => Date.now(),
    // wx.getRandomValues is async; the seed is needed synchronously at init, so fall back to what
    // the JS engine offers (ids need uniqueness, not secrecy).
    randomSeed: () => randomSeedFrom(globalThis.crypto),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h),
    send(url, bytes) {
      return new Promise((resolve) => {
        wx.request({
          url, method: 'POST', data: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
          header: { 'Content-Type': 'text/plain' }, responseType: 'text', dataType: 'text',
          success: (r) => resolve({ status: r.statusCode, retryAfterMs: parseRetryAfter(r.header && (r.header['Retry-After'] || r.header['retry-after']), Date.now()), body: String(r.data || '').slice(0, 4096) }),
          fail: (e) => resolve({ status: 0, retryAfterMs: 0, body: String(e && e.errMsg || e) }),
        });
      });
    },
    onLifecycle(handler) { if (wx.onAppHide) wx.onAppHide(() => handler('hidden')); },
    context() {
      let info = {};
      try { info = wx.getSystemInfoSync(); } catch (e) { info = {}; }
      return { locale: info.language, screen: { width: info.screenWidth, height: info.screenHeight, density: info.pixelRatio }, userAgent: `miniprogram ${info.platform || ''} ${info.version || ''}`.trim() };
    },
    currentUrl: () => '',
  };
}
