// A bare page for the shared-queue tests (tests/browser/delivery-store.test.mjs): init options
// from the query (?store=localStorage&flushAt=20&noidb), helpers to look at the record store.
import touchpoint from '/dist/touchpoint.mjs';

const q = new URLSearchParams(location.search);
if (q.has('noidb')) Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true }); // an old web-view
if (q.has('nolocks')) Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true }); // no Web Locks
const options = { writeKey: q.get('writeKey') || 'store-test', endpoint: location.origin, autotrack: false, rules: false, debug: q.has('debug') };
for (const k of ['flushAt', 'flushInterval']) if (q.has(k)) options[k] = Number(q.get(k));
if (q.has('store')) options.store = q.get('store');
window.touchpoint = touchpoint;
window.errors = [];
touchpoint.on('error', (e) => window.errors.push(e));
window.touchpointReady = touchpoint.init(options).then(() => true, (e) => String(e));
window.storeKind = () => touchpoint._records && touchpoint._records.kind;
window.isSender = () => touchpoint._sender === true;
window.recordCount = async () => (touchpoint._records ? (await touchpoint._records.getAll()).length : -1);
window.trackMany = (name, n, extra = {}) => { for (let i = 0; i < n; i++) touchpoint.track(name, { i, ...extra }); };
// Fills localStorage up to its quota, leaving about `leaveChars` characters free.
window.fillLocalStorage = (leaveChars = 0) => {
  const reserve = leaveChars ? 'r'.repeat(leaveChars) : '';
  if (reserve) localStorage.setItem('__reserve', reserve);
  let n = 0;
  for (let size = 1 << 20; size >= 16; size >>= 1) {
    const chunk = 'x'.repeat(size);
    for (;;) { try { localStorage.setItem(`__fill${n++}`, chunk); } catch (e) { break; } }
  }
  if (reserve) localStorage.removeItem('__reserve');
  return n;
};
