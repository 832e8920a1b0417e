// Page views: the first load and every SPA route change (history.pushState/replaceState patched,
// popstate, hashchange), one per distinct URL. The router also tells the other trackers when a
// page view ends (leave) and a new one starts (enter), with or without page view events.
import { cleanUrl, listen } from './util.js';

const MAX_NAME = 80;       // page name from document.title: the core limits names to 255 bytes
const HASH_FALLBACK_MS = 100; // popstate that only changed the hash: hashchange normally follows

// pagehide listeners on window run in registration order (capture does not move them first), and
// the shell registers its unload flush in init(). This one is registered when the bundle is
// evaluated, before any init(), so page_leave is recorded before that flush.
const onPagehide = new Set();
if (typeof window !== 'undefined' && window.addEventListener)
  window.addEventListener('pagehide', (e) => { for (const f of onPagehide) try { f(e); } catch (err) { /* never into the page */ } });

export function pageProps(referrer) {
  const l = location;
  const url = cleanUrl(l.href);
  return { path: l.pathname, url, referrer, title: document.title, search: url === l.href ? l.search : new URL(url).search, hash: l.hash };
}

export function sendPage(api, referrer) {
  api.page(document.title.replace(/\s+/g, ' ').trim().slice(0, MAX_NAME) || null, pageProps(referrer));
}

// h.enter(referrer) starts a page view; h.leave(fresh) ends it (fresh: the DOM still shows it).
export function createRouter(h) {
  let current = null; // URL of the page view in progress
  let left = true;    // it has been ended already (pushState about to change it, pagehide)
  let on = true;
  const leave = (fresh) => { if (!left) { left = true; h.leave(fresh); } };
  const check = (referrer) => {
    if (!on) return;
    try {
      const href = cleanUrl(location.href);
      if (href === current && !left) return;
      const prev = current;
      leave(false);
      current = href;
      left = false;
      h.enter(typeof referrer === 'string' ? referrer : prev);
    } catch (e) { /* never into the page */ }
  };
  const later = () => Promise.resolve().then(check);
  // The page view is recorded a microtask after pushState/replaceState, so a router that renders
  // and sets document.title synchronously after the call is already done; page_leave for the old
  // page is recorded before the URL changes, so its context is still the old page.
  const patch = (name) => {
    const orig = history[name];
    if (typeof orig !== 'function') return () => {};
    function wrapped(state, title, url) {
      if (on && url != null) {
        try { if (cleanUrl(new URL(url, location.href).href) !== current) leave(true); } catch (e) { /* bad URL: orig throws */ }
      }
      try { return orig.apply(this, arguments); } finally { if (on) later(); }
    }
    history[name] = wrapped;
    return () => { if (history[name] === wrapped) history[name] = orig; };
  };
  const hide = () => leave(true);
  onPagehide.add(hide);
  const offs = [
    patch('pushState'),
    patch('replaceState'),
    // A hash-only popstate is followed by hashchange, which runs after the app's own hashchange
    // router (registered before init), so the new title is in place; the timer is a fallback.
    listen(window, 'popstate', () => {
      const base = (u) => u && u.split('#')[0];
      if (base(cleanUrl(location.href)) === base(current)) setTimeout(check, HASH_FALLBACK_MS); else later();
    }),
    listen(window, 'hashchange', check),
    listen(window, 'pageshow', (e) => { if (e.persisted) check(document.referrer); }), // back from bfcache
    () => onPagehide.delete(hide),
  ];
  check(document.referrer);
  return () => { on = false; offs.forEach((f) => f()); };
}
