// Scroll depth: scroll_depth {percent} at 25/50/75/90/100 %, each once per page view. The depth
// is how much of the document has been on screen: (scrollY + innerHeight) / document height.
// Milestones already on screen count too: a page that fits in the viewport is 100 % seen (all
// five are sent). The first measurement waits SETTLE_MS after the page view starts (or the first
// scroll), so a view still rendering does not count as a short page. page_leave's
// max_scroll_percent is null when the page view ended (popstate/hashchange) before any measurement.
// Nothing is measured once the URL has moved on: between an app rendering the next route (on
// popstate) and autotrack starting its page view (on hashchange) a frame may run.
import { cleanUrl, listen } from './util.js';

const MILESTONES = [25, 50, 75, 90, 100];
const SETTLE_MS = 1000;
const BOTTOM_SLACK_PX = 2; // fractional scroll positions (zoom, DPR) never quite reach the end

export function createScroll(api, emit) {
  let max = 0, next = 0, timer = 0, frame = false, measured = false, at;
  const measure = () => {
    frame = false;
    try {
      if (cleanUrl(location.href) !== at) return;
      const d = document.documentElement, b = document.body;
      const h = Math.max(d.scrollHeight, b ? b.scrollHeight : 0);
      const seen = (window.scrollY || d.scrollTop || 0) + window.innerHeight;
      const p = !h || seen >= h - BOTTOM_SLACK_PX ? 100 : Math.floor((seen * 100) / h);
      measured = true;
      if (p > max) max = p;
      while (emit && next < MILESTONES.length && MILESTONES[next] <= max) api.track('scroll_depth', { percent: MILESTONES[next++] });
    } catch (e) { /* never into the page */ }
  };
  // At most one measurement per frame; passive, so scrolling never waits for us.
  const off = listen(window, 'scroll', () => {
    if (frame) return;
    frame = true;
    (window.requestAnimationFrame || setTimeout)(measure);
  }, { passive: true });
  return {
    enter() { clearTimeout(timer); max = next = 0; measured = false; at = cleanUrl(location.href); timer = setTimeout(measure, SETTLE_MS); },
    // Deepest percent of this page view; `fresh`: the DOM is still this page's, measure it now.
    max(fresh) { if (fresh) measure(); return measured ? max : null; },
    stop() { clearTimeout(timer); off(); },
  };
}
