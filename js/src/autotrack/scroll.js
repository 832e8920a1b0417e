// Scroll depth: scroll_depth {percent} at 25/50/75/90/100 %, each once per page view. The depth
// is how much of the scrolled content has been on screen: (scrollTop + visible height) / content
// height. What scrolls is, in this order: the element marked data-tp-scroll-root (the first one
// that is displayed); the document, if it scrolls; else the page's main scroller, found by itself:
// the largest scrollable element under the middle of the viewport that covers at least
// MAIN_SCROLLER_COVER of it (full-height app shells, web-views that scroll an inner <div>).
// Milestones already on screen count too: a page that fits in the viewport is 100 % seen (all
// five are sent). The first measurement waits SETTLE_MS after the page view starts (or the first
// scroll), so a view still rendering does not count as a short page. page_leave's
// max_scroll_percent is null when the page view ended (popstate/hashchange) before any measurement.
// Nothing is measured once the URL has moved on: between an app rendering the next route (on
// popstate) and autotrack starting its page view (on hashchange) a frame may run.
import { cleanUrl, cssPath, listen } from './util.js';

const MILESTONES = [25, 50, 75, 90, 100];
const SETTLE_MS = 1000;
const BOTTOM_SLACK_PX = 2; // fractional scroll positions (zoom, DPR) never quite reach the end
const ROOT_ATTR = 'data-tp-scroll-root';
// A scroller covering half the viewport is the page; a side panel, a carousel or a chat box is not.
const MAIN_SCROLLER_COVER = 0.5;
// Where the main scroller is looked for: the middle column at a quarter, half and three quarters
// of the viewport's height (a header or footer bar can sit over one of them).
const PROBES = [[0.5, 0.5], [0.5, 0.25], [0.5, 0.75]];

const overflowY = (el) => { try { return getComputedStyle(el).overflowY; } catch (e) { return ''; } };
const canScroll = (el) => el.scrollHeight > el.clientHeight + BOTTOM_SLACK_PX && /^(auto|scroll|overlay)$/.test(overflowY(el));

// The part of the viewport an element covers, 0..1.
function cover(el) {
  const r = el.getBoundingClientRect(), w = window.innerWidth, h = window.innerHeight;
  if (!w || !h) return 0;
  const x = Math.max(0, Math.min(r.right, w) - Math.max(r.left, 0));
  const y = Math.max(0, Math.min(r.bottom, h) - Math.max(r.top, 0));
  return (x * y) / (w * h);
}

function documentScrolls() {
  const d = document.documentElement, b = document.body;
  const h = Math.max(d.scrollHeight, b ? b.scrollHeight : 0);
  // overflow: hidden on <html> or <body> (an app shell) stops the viewport from scrolling.
  return h > window.innerHeight + BOTTOM_SLACK_PX && !/^(hidden|clip)$/.test(overflowY(d)) && !(b && /^(hidden|clip)$/.test(overflowY(b)));
}

function findMainScroller() {
  let best = null, bestCover = 0;
  for (const [fx, fy] of PROBES) {
    for (let n = document.elementFromPoint(window.innerWidth * fx, window.innerHeight * fy); n && n !== document.body && n !== document.documentElement; n = n.parentElement) {
      if (!canScroll(n)) continue;
      const c = cover(n);
      if (c >= MAIN_SCROLLER_COVER && c > bestCover) { best = n; bestCover = c; }
    }
  }
  return best;
}

export function createScroll(api, emit, log) {
  let max = 0, next = 0, timer = 0, frame = false, measured = false, at;
  let found = null;     // the main scroller found for this page view (no marker, document static)
  let reported = null;  // the root last named in the debug log
  const report = (el, why) => {
    if (el === reported) return;
    reported = el;
    log(el ? `scroll depth measured on ${cssPath(el)} (${why})` : 'scroll depth measured on the document');
  };
  // The element whose scrolling is measured, or null for the document.
  const rootNow = () => {
    const marked = Array.from(document.querySelectorAll(`[${ROOT_ATTR}]`)).filter((el) => el.getClientRects().length);
    if (marked.length) {
      if (marked.length > 1 && reported !== marked[0]) log(`${marked.length} data-tp-scroll-root elements are displayed; measuring the first, ${cssPath(marked[0])}`);
      report(marked[0], ROOT_ATTR);
      return marked[0];
    }
    if (documentScrolls()) { report(null); return null; }
    if (!found || !found.isConnected || !canScroll(found)) found = findMainScroller();
    if (found) report(found, 'the page\'s main scroller: the document does not scroll');
    else report(null);
    return found;
  };
  const measure = () => {
    frame = false;
    try {
      if (cleanUrl(location.href) !== at) return;
      const el = rootNow();
      let h, seen;
      if (el) {
        h = el.scrollHeight;
        seen = el.scrollTop + el.clientHeight;
      } else {
        const d = document.documentElement, b = document.body;
        h = Math.max(d.scrollHeight, b ? b.scrollHeight : 0);
        seen = (window.scrollY || d.scrollTop || 0) + window.innerHeight;
      }
      const p = !h || seen >= h - BOTTOM_SLACK_PX ? 100 : Math.floor((seen * 100) / h);
      measured = true;
      if (p > max) max = p;
      while (emit && next < MILESTONES.length && MILESTONES[next] <= max) api.track('scroll_depth', { percent: MILESTONES[next++] });
    } catch (e) { /* never into the page */ }
  };
  // Capturing on window sees the scroll events of inner elements too (they do not bubble). At most
  // one measurement per frame; passive, so scrolling never waits for us.
  const off = listen(window, 'scroll', () => {
    if (frame) return;
    frame = true;
    (window.requestAnimationFrame || setTimeout)(measure);
  }, { capture: true, passive: true });
  return {
    enter() { clearTimeout(timer); max = next = 0; measured = false; found = null; at = cleanUrl(location.href); timer = setTimeout(measure, SETTLE_MS); },
    // Deepest percent of this page view; `fresh`: the DOM is still this page's, measure it now.
    max(fresh) { if (fresh) measure(); return measured ? max : null; },
    stop() { clearTimeout(timer); off(); },
  };
}
