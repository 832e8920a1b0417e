// Auto-tracking inside a mini-program, the way operators know it from sa-sdk-miniprogram and
// GrowingIO: the App/Page/Component option objects are wrapped (wrap.js) and report here.
//   app_launch / app_show {scene: "wx-<scene>", path, query}; app_hide {duration_ms}
//   a page view (a `page` call named after the route) on every Page.onShow, {route, query}
//   page_leave {duration_ms, route, path, url} on onHide/onUnload
//   taps on elements with data-tp-event="name" (other data-tp-* become properties)
//   share {…} on onShareAppMessage / onShareTimeline, whose path carries the sharer's ids
// The launch/show path and query become the page URL of the core, so utm_*, tp_store/tp_staff/
// tp_qr/tp_channel and the share ids feed attribution and referral exactly like an H5 landing URL.
import { DIRECT_SCENES, landingUrl, pagePath, pageUrl, queryString, sceneName } from './pages.js';

export const SHARE_CHANNEL_CHAT = 'wechat_chat'; // docs/identity.md tp_ch values
export const SHARE_CHANNEL_TIMELINE = 'moments';
const NOT_PROPS = /^tp(Event|Expose|Ignore)$/;

// dataset {tpEvent:'add_to_cart', tpSku:'A-1', tpOrderId:'9'} -> {sku:'A-1', order_id:'9'}, like
// data-tp-sku / data-tp-order-id on H5 (the runtime camel-cases data-* names).
export function datasetProps(dataset) {
  const props = {};
  for (const k of Object.keys(dataset || {})) {
    if (!/^tp[A-Z]/.test(k) || NOT_PROPS.test(k)) continue;
    const name = k.slice(2).replace(/^[A-Z]/, (c) => c.toLowerCase()).replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
    props[name] = dataset[k];
  }
  return props;
}

export function createAutotrack(tp, platform, options = {}) {
  const now = () => tp._now(); // the platform's clock (before init, the shell's pre-init clock)
  // Switches {app, pages, taps, shares} (all on by default), read at each use: init() fills them.
  const o = { get app() { return options.app !== false; }, get pages() { return options.pages !== false; },
    get taps() { return options.taps !== false; }, get shares() { return options.shares !== false; } };
  let landing = null;   // {url, pageUrl}: the page URL the launch/show named, decorated with the scene
  let shownAt = null;   // app_show time
  let current = null;   // {instance, route, query, url, shownAt}
  let previousUrl = '';

  const safe = (fn) => { try { fn(); } catch (e) { tp._error && tp._error('autotrack_failed', String(e && e.message || e)); } };

  // A page URL; the landing page keeps the scene's channel, so its events name the same campaign.
  const urlOf = (route, query) => {
    const plain = pageUrl(route, query);
    return landing && landing.pageUrl === plain ? landing.url : plain;
  };

  function enterApp(kind, opts) {
    const a = opts || {};
    const query = queryString(a.query);
    const path = pagePath(a.path || '');
    platform.setScene(sceneName(a.scene));
    const newLanding = { url: landingUrl(path, a.query, a.scene), pageUrl: pageUrl(path, a.query) };
    // Back by a direct scene (recents, home screen) to the landing page: the same visit, so the
    // landing keeps its channel; a new campaign would start a new session.
    const sameVisit = landing && landing.pageUrl === newLanding.pageUrl && DIRECT_SCENES.includes(Number(a.scene));
    if (a.path && !sameVisit) {
      landing = newLanding;
      platform.setLocation({ url: landing.url, path, referrer: '' });
    }
    shownAt = now();
    if (o.app) tp.track(kind, { scene: sceneName(a.scene), path, query, ...(a.referrerInfo && a.referrerInfo.appId ? { referrer_app_id: a.referrerInfo.appId } : {}) });
  }

  const hooks = {
    appLaunch: (opts) => safe(() => enterApp('app_launch', opts)),
    appShow: (opts) => safe(() => enterApp('app_show', opts)),
    appHide: () => safe(() => {
      if (o.app) tp.track('app_hide', { duration_ms: shownAt === null ? null : now() - shownAt, ...(current ? { path: pagePath(current.route) } : {}) });
      shownAt = null;
      tp.flush(); // within the runtime's 5 s window (wx.onAppHide also flushes)
    }),
    pageShow: (instance, route, query) => safe(() => {
      const url = urlOf(route, query);
      platform.setLocation({ url, path: pagePath(route), referrer: previousUrl === url ? '' : previousUrl });
      current = { instance, route, query, url, shownAt: now() };
      if (o.pages) tp.page(String(route), { route: String(route), query: queryString(query) });
    }),
    pageLeave: (instance) => safe(() => {
      if (!current || current.instance !== instance) return;
      const c = current;
      current = null;
      previousUrl = c.url;
      if (o.pages) tp.track('page_leave', { duration_ms: now() - c.shownAt, route: String(c.route), path: pagePath(c.route), url: c.url });
    }),
    tap: (e) => safe(() => {
      if (!o.taps || !e || e.type !== 'tap') return;
      const el = e.currentTarget && e.currentTarget.dataset && e.currentTarget.dataset.tpEvent ? e.currentTarget : e.target;
      const name = el && el.dataset && el.dataset.tpEvent;
      if (name) tp.track(String(name), datasetProps(el.dataset));
    }),
    // result: what the page's onShareAppMessage returned, already awaited when it was a Promise.
    shareMessage: (route, query, result) => {
      if (!o.shares) return result;
      const r = result && typeof result === 'object' ? { ...result } : {};
      try { r.path = tp.shareUrl(r.path || pageUrl(route, query), { channel: SHARE_CHANNEL_CHAT }); } catch (e) { /* keep the app's path */ }
      return r;
    },
    shareTimeline: (route, query, result) => {
      if (!o.shares) return result;
      const r = result && typeof result === 'object' ? { ...result } : {};
      const q = typeof r.query === 'string' ? r.query : queryString(query);
      try { r.query = tp.shareUrl('?' + q, { channel: SHARE_CHANNEL_TIMELINE }).replace(/^\?/, ''); } catch (e) { /* keep it */ }
      return r;
    },
    currentPage: () => current,
  };
  return hooks;
}
