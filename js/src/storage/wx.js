// Record store over wx storage (README.md) for mini-programs: one key `<prefix><key>` per record,
// only asynchronous calls (synchronous storage at launch slows the app's start;
// developers.weixin.qq.com api/storage/wx.setStorageSync). 1 MB per key is far above an event's
// 32 KB limit; the 10 MB in all is what the queue's byte bound (entry-miniprogram.js) respects.
const errorOf = (e) => Object.assign(new Error(String((e && (e.errMsg || e.message)) || e)),
  { name: /exceed|max size|quota/i.test(String(e && e.errMsg)) ? 'QuotaExceededError' : 'Error' });

export function createWxRecordStore(wx, prefix) {
  const call = (name, args) => new Promise((resolve, reject) => {
    try { wx[name]({ ...args, success: resolve, fail: (e) => reject(errorOf(e)) }); } catch (e) { reject(errorOf(e)); }
  });
  const read = (keys) => Promise.all(keys.map((k) => call('getStorage', { key: prefix + k }).then((r) => r.data, () => null)))
    .then((values) => keys.map((k, i) => [k, values[i]]).filter(([, v]) => typeof v === 'string' && v));
  return {
    kind: 'wx',
    async put(entries) { for (const [k, v] of entries) await call('setStorage', { key: prefix + k, data: v }); },
    async remove(keys) { for (const k of keys) await call('removeStorage', { key: prefix + k }).catch(() => {}); },
    async getAll() {
      const info = await call('getStorageInfo', {});
      return read(((info && info.keys) || []).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).sort());
    },
    get: read,
  };
}
