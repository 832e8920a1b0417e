// Engagement time: page_leave {duration_ms, engaged_ms, max_scroll_percent, path, url} once per
// page view, when it ends (SPA route change, pagehide). duration_ms is wall time since the page
// view started; engaged_ms the part of it with the page visible and the visitor active within the
// last IDLE_MS (pointer, key, touch, wheel or scroll). Counted by timestamps, no timers.
// `engagement: {onHidden: true}` sends page_leave at the first visibility hidden instead (for
// web-views that are killed without pagehide, e.g. some in-app browsers); time after that is not
// reported. Either way one page view sends at most one page_leave.
import { cleanUrl, listen } from './util.js';

const IDLE_MS = 15000; // a screen of a product page is read in well under 15 s without touching it
const ACTIVITY = ['pointerdown', 'mousemove', 'keydown', 'touchstart', 'wheel', 'scroll'];

export function createEngagement(api, scroll, opt) {
  const onHidden = !!(opt && opt.onHidden);
  const now = () => performance.now();
  const visible = () => document.visibilityState !== 'hidden';
  let start = 0, engaged = 0, seg = null, until = 0, sent = true, path, url;
  const close = (t) => { if (seg !== null) { engaged += Math.max(0, Math.min(t, until) - seg); seg = null; } };
  const active = () => {
    if (sent || !visible()) return;
    const t = now();
    if (seg !== null && t > until) close(t); // idle gap: the segment ended at `until`
    if (seg === null) seg = t;
    until = t + IDLE_MS;
  };
  const leave = (fresh) => {
    if (sent) return;
    const t = now();
    close(t);
    sent = true;
    api.track('page_leave', { duration_ms: Math.round(t - start), engaged_ms: Math.round(engaged),
      max_scroll_percent: scroll ? scroll.max(fresh) : null, path, url });
  };
  const opts = { capture: true, passive: true };
  const offs = ACTIVITY.map((type) => listen(window, type, active, opts));
  // On window, capturing: runs before the shell's document listener flushes on hidden.
  offs.push(listen(window, 'visibilitychange', () => {
    if (visible()) return active();
    close(now());
    if (onHidden) leave(true);
  }, true));
  return {
    enter() { start = now(); engaged = 0; seg = null; sent = false; path = location.pathname; url = cleanUrl(location.href); active(); },
    leave,
    stop() { offs.forEach((f) => f()); },
  };
}
