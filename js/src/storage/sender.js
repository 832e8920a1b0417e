// One sender per origin and write key (docs/storage.md). Exactly one tab holds the role: the Web
// Locks API where present (the browser releases a lock when its tab closes or crashes), else a
// lease in localStorage renewed while the tab lives. The other tabs write records and tell the
// sender over a BroadcastChannel (or, without one, a storage event).
const LEASE_RENEW_MS = 2000;  // a live holder renews this often...
const LEASE_TTL_MS = 6000;    // ...so a lease not renewed for 3 periods belongs to a dead tab

// Calls onAcquired() once this tab is the sender, and onLost() if a lease holder finds another tab
// holding a live lease (its renewal came too late: a frozen or throttled tab), so two tabs never
// go on sending side by side. Returns {release()}.
export function electSender(name, tabId, onAcquired, { locks = globalThis.navigator && globalThis.navigator.locks, kv = null,
  onLost = () => {}, now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (t) => clearTimeout(t) } = {}) {
  if (locks && typeof locks.request === 'function') {
    let release = () => {};
    const held = new Promise((resolve) => { release = resolve; });
    locks.request(name, () => { onAcquired(); return held; }).catch(() => {});
    return { release: () => release() };
  }
  if (!kv) { onAcquired(); return { release() {} }; } // nothing shared: this tab is alone
  let mine = false;
  let timer = null;
  const read = () => { try { return JSON.parse(kv.getItem(name) || 'null'); } catch (e) { return null; } };
  const renew = () => {
    const lease = read();
    const t = now();
    if (!lease || lease.tab === tabId || lease.until < t) {
      try { kv.setItem(name, JSON.stringify({ tab: tabId, until: t + LEASE_TTL_MS })); } catch (e) { /* full: retry next period */ }
      const after = read();
      if (!mine && after && after.tab === tabId) { mine = true; onAcquired(); }
    } else if (mine) {
      mine = false; // another tab took the lease while this one was late: step down
      onLost();
    }
    timer = setTimer(renew, LEASE_RENEW_MS);
  };
  renew();
  return {
    release() {
      clearTimer(timer);
      const lease = read();
      if (mine && lease && lease.tab === tabId) { try { kv.removeItem(name); } catch (e) { /* gone anyway */ } }
    },
  };
}

// Tabs of one origin and write key tell each other about records: post(msg), and onMessage(fn).
export function openChannel(name, kv = null) {
  const listeners = [];
  const deliver = (msg) => { for (const fn of listeners) { try { fn(msg); } catch (e) { /* a listener's bug */ } } };
  if (typeof BroadcastChannel === 'function') {
    const ch = new BroadcastChannel(name);
    ch.onmessage = (e) => deliver(e.data);
    return { post: (msg) => { try { ch.postMessage(msg); } catch (e) { /* closed */ } }, onMessage: (fn) => listeners.push(fn), close: () => ch.close() };
  }
  if (kv && typeof addEventListener === 'function') {
    addEventListener('storage', (e) => { if (e.key === name && e.newValue) { try { deliver(JSON.parse(e.newValue).msg); } catch (err) { /* not ours */ } } });
    return {
      post: (msg) => { try { kv.setItem(name, JSON.stringify({ msg, n: Math.random() })); } catch (e) { /* full: the sender scans anyway */ } },
      onMessage: (fn) => listeners.push(fn),
      close() {},
    };
  }
  return { post() {}, onMessage() {}, close() {} };
}
