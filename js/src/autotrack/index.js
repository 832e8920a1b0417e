// Automatic touchpoint tracking in the browser: page views, clicks, exposure, scroll depth,
// engagement time and form submits (docs/autotrack.md). Plain ES2020, no dependencies; it does
// nothing outside a browser (Node, mini-programs, SSR) and never throws into the page.
//
// Wiring (js/src/touchpoint.js, end of _init, once the engine is ready):
//   if (opts.autotrack !== false)
//     this._autotrack = installAutotrack({ track: (n, p) => this.track(n, p), page: (n, p) => this.page(n, p),
//       log: (s) => this._log(`autotrack: ${s}`) }, opts.autotrack);
// `log` (optional) is the shell's debug log: markers named by default and elements that cannot be
// tracked are reported there, never dropped silently.
// `autotrack`: false (all off), true / undefined (DEFAULTS) or an object of switches merged over
// DEFAULTS; `engagement` may be {onHidden: true}. The returned function uninstalls everything.
import { createRouter, sendPage } from './pageviews.js';
import { installClicks } from './clicks.js';
import { createExposure } from './exposure.js';
import { createScroll } from './scroll.js';
import { createEngagement } from './engagement.js';
import { installForms } from './forms.js';
import { noteOnce } from './util.js';

export const AUTOTRACK_DEFAULTS = { pageviews: true, clicks: true, autocapture: false, exposure: true, scroll: true, engagement: true, forms: true };

export function installAutotrack(api, options) {
  const offs = [];
  const uninstall = () => { while (offs.length) try { offs.pop()(); } catch (e) { /* keep going */ } };
  if (options === false || !api || typeof window === 'undefined' || typeof document === 'undefined' || !window.history) return uninstall;
  const o = { ...AUTOTRACK_DEFAULTS, ...(options && typeof options === 'object' ? options : {}) };
  const log = (s) => { try { if (typeof api.log === 'function') api.log(s); } catch (e) { /* never into the page */ } };
  const note = noteOnce(log);
  try {
    // The scroll tracker also measures max_scroll_percent for page_leave when its events are off.
    const scroll = o.scroll || o.engagement ? createScroll(api, !!o.scroll, log) : null;
    const engagement = o.engagement ? createEngagement(api, scroll, o.engagement) : null;
    const parts = [scroll, o.exposure && createExposure(api, note, log), engagement].filter(Boolean);
    for (const p of parts) offs.push(p.stop);
    if (o.clicks || o.autocapture) offs.push(installClicks(api, !!o.clicks, !!o.autocapture, note));
    if (o.forms) offs.push(installForms(api));
    // Last: it starts the first page view at once.
    offs.push(createRouter({
      enter(referrer) { if (o.pageviews) sendPage(api, referrer); for (const p of parts) p.enter(); },
      leave(fresh) { if (engagement) engagement.leave(fresh); },
    }));
  } catch (e) {
    log(`autotrack failed to start and is off: ${e && e.message || e}`);
    uninstall();
  }
  return uninstall;
}
