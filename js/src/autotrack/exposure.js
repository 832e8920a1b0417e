// Exposure: an element marked data-tp-expose="name" sends element_exposed {name, ...data-tp-*,
// path} once per page view, when at least MIN_RATIO of it has been on screen for MIN_VISIBLE_MS
// without a break (page hidden or scrolled below the ratio: the clock restarts). A bare
// data-tp-expose (no value) is named after the element: its id, else its CSS path. Elements
// added later are picked up by a MutationObserver. "Once": per name + properties, so a re-rendered
// or duplicated banner counts once per page view. What cannot be tracked (no IntersectionObserver,
// an element too big to ever be MIN_RATIO visible) is reported in the debug log, once.
import { cssPath, dataProps, defaultName, listen } from './util.js';

const MIN_RATIO = 0.5;
const MIN_VISIBLE_MS = 1000;
const ATTR = 'data-tp-expose';

export function createExposure(api, note, log) {
  if (typeof IntersectionObserver !== 'function' || typeof MutationObserver !== 'function') {
    const n = document.querySelectorAll(`[${ATTR}]`).length;
    log(`exposure off: this browser has no IntersectionObserver/MutationObserver; ${n} data-tp-expose element(s) now on the page are not tracked`);
    return null;
  }
  const shown = new Map(); // element at >= MIN_RATIO now → its pending timer (0: none)
  let seen = new Set();
  const nameOf = (el) => {
    const value = el.getAttribute(ATTR);
    if (value) return value;
    const d = defaultName(el);
    note(el, 'name', `data-tp-expose without a value on ${cssPath(el)}: named "${d.name}" (its ${d.from === 'id' ? 'id' : 'CSS path'})`);
    return d.name;
  };
  const fire = (el) => {
    shown.set(el, 0);
    if (!el.isConnected || !el.hasAttribute(ATTR)) return;
    const name = nameOf(el);
    const props = dataProps(el);
    const key = name + '\n' + JSON.stringify(props);
    if (seen.has(key)) return;
    seen.add(key);
    api.track('element_exposed', { ...props, name, path: cssPath(el) });
  };
  const arm = (el) => {
    clearTimeout(shown.get(el));
    shown.set(el, document.visibilityState === 'hidden' ? 0 : setTimeout(() => { try { fire(el); } catch (e) { /* never into the page */ } }, MIN_VISIBLE_MS));
  };
  // An element whose size exceeds the viewport so far that MIN_RATIO of it never fits on screen.
  const checkSize = (en) => {
    const b = en.boundingClientRect, r = en.rootBounds;
    if (!r || !b.width || !b.height) return;
    const best = Math.min(1, r.width / b.width) * Math.min(1, r.height / b.height);
    if (best < MIN_RATIO) {
      note(en.target, 'size', `data-tp-expose "${en.target.getAttribute(ATTR) || cssPath(en.target)}" is ${Math.round(b.width)}×${Math.round(b.height)} px: ` +
        `at most ${Math.round(best * 100)} % of it fits in the ${Math.round(r.width)}×${Math.round(r.height)} viewport, so it is never exposed (${MIN_RATIO * 100} % needed)`);
    }
  };
  const io = new IntersectionObserver((entries) => {
    try {
      for (const en of entries) {
        const el = en.target;
        checkSize(en);
        if (en.isIntersecting && en.intersectionRatio >= MIN_RATIO) { if (!shown.has(el)) arm(el); continue; }
        clearTimeout(shown.get(el));
        shown.delete(el);
        if (!el.isConnected) io.unobserve(el);
      }
    } catch (e) { /* never into the page */ }
  }, { threshold: MIN_RATIO });
  const scan = (n) => {
    if (n.nodeType !== 1) return;
    if (n.hasAttribute(ATTR)) io.observe(n);
    for (const el of n.querySelectorAll(`[${ATTR}]`)) io.observe(el);
  };
  const mo = new MutationObserver((records) => {
    try { for (const r of records) r.type === 'attributes' ? scan(r.target) : r.addedNodes.forEach(scan); } catch (e) { /* never into the page */ }
  });
  const root = document.documentElement;
  mo.observe(root, { childList: true, subtree: true, attributes: true, attributeFilter: [ATTR] });
  scan(root);
  const rearm = () => { for (const el of shown.keys()) arm(el); };
  const off = listen(document, 'visibilitychange', rearm);
  return {
    enter() { seen = new Set(); rearm(); }, // elements still on screen count again in the new page view
    stop() { off(); io.disconnect(); mo.disconnect(); for (const t of shown.values()) clearTimeout(t); },
  };
}
