// Wraps the option objects given to App(), Page() and Component() so the autotrack hooks
// (autotrack.js) see the lifecycle, taps and shares. The app's own methods run unchanged and
// first... except shares, whose result is decorated. A hook never throws into the app.

const PAGE_LIFECYCLE = ['onLoad', 'onShow', 'onReady', 'onHide', 'onUnload', 'onPullDownRefresh', 'onReachBottom',
  'onPageScroll', 'onResize', 'onTabItemTap', 'onShareAppMessage', 'onShareTimeline', 'onAddToFavorites', 'onSaveExitState'];
const WRAPPED = '__tpWrapped';

const isThenable = (v) => v && typeof v.then === 'function';

function chain(target, name, before, after) {
  const orig = target[name];
  target[name] = function wrapped(...args) {
    if (before) before.call(this, ...args);
    const r = typeof orig === 'function' ? orig.apply(this, args) : undefined;
    if (after) after.call(this, ...args);
    return r;
  };
}

// Handler methods: the ones a `bindtap="name"` may call. A call with a tap event is reported
// before the handler runs (like H5's capturing click listener), so a handler that navigates
// away still has its tap recorded on the page it happened on.
function wrapHandlers(target, hooks, skip) {
  for (const name of Object.keys(target)) {
    const fn = target[name];
    if (typeof fn !== 'function' || skip.includes(name) || fn[WRAPPED]) continue;
    const wrapped = function (...args) {
      if (args[0] && args[0].type === 'tap') hooks.tap(args[0]);
      return fn.apply(this, args);
    };
    wrapped[WRAPPED] = true;
    target[name] = wrapped;
  }
}

const routeOf = (instance) => (instance && (instance.route || instance.__route__)) || '';

// The page lifecycle on an object holding page methods (Page options, or Component `methods`).
function wrapPageMethods(target, hooks) {
  wrapHandlers(target, hooks, PAGE_LIFECYCLE);
  chain(target, 'onLoad', function (query) { this.__tpQuery = query || this.options || {}; });
  chain(target, 'onShow', function () { hooks.pageShow(this, routeOf(this), this.__tpQuery || this.options || {}); });
  chain(target, 'onHide', null, function () { hooks.pageLeave(this); });
  chain(target, 'onUnload', null, function () { hooks.pageLeave(this); });
  if (typeof target.onShareAppMessage === 'function') {
    const orig = target.onShareAppMessage;
    target.onShareAppMessage = function (res) {
      const route = routeOf(this), query = this.__tpQuery || this.options || {};
      const decorate = (r) => hooks.shareMessage(route, query, r);
      const r = orig.call(this, res);
      if (isThenable(r)) return r.then(decorate);
      if (!(r && isThenable(r.promise))) return decorate(r);
      // Base library >= 2.12: {promise} resolving to the share content within 3 s, else the rest
      // of the object is used. One share is sent unless the promise names another path.
      const { promise, ...rest } = r;
      const out = decorate(rest);
      const shared = { ...out };
      out.promise = promise.then((p) => (p && p.path && p.path !== rest.path ? decorate({ ...rest, ...p }) : { ...shared, ...p, path: shared.path }));
      return out;
    };
  }
  if (typeof target.onShareTimeline === 'function') {
    const orig = target.onShareTimeline;
    target.onShareTimeline = function () {
      const route = routeOf(this), query = this.__tpQuery || this.options || {};
      const r = orig.call(this);
      return isThenable(r) ? r.then((v) => hooks.shareTimeline(route, query, v)) : hooks.shareTimeline(route, query, r);
    };
  }
}

export function wrapAppOptions(options, hooks) {
  const o = options && typeof options === 'object' ? options : {};
  if (o[WRAPPED]) return o;
  chain(o, 'onLaunch', function (opts) { hooks.appLaunch(opts); });
  chain(o, 'onShow', function (opts) { hooks.appShow(opts); });
  chain(o, 'onHide', null, function () { hooks.appHide(); });
  Object.defineProperty(o, WRAPPED, { value: true });
  return o;
}

export function wrapPageOptions(options, hooks) {
  const o = options && typeof options === 'object' ? options : {};
  if (o[WRAPPED]) return o;
  wrapPageMethods(o, hooks);
  Object.defineProperty(o, WRAPPED, { value: true });
  return o;
}

// A Component is a page when it is registered as one (Component() in a page's js); its page
// lifecycle lives in `methods`. Taps reach `methods` in either case.
export function wrapComponentOptions(options, hooks) {
  const o = options && typeof options === 'object' ? options : {};
  if (o[WRAPPED]) return o;
  o.methods = o.methods && typeof o.methods === 'object' ? o.methods : {};
  if (typeof o.methods.onLoad === 'function' || typeof o.methods.onShow === 'function') wrapPageMethods(o.methods, hooks);
  else wrapHandlers(o.methods, hooks, []);
  Object.defineProperty(o, WRAPPED, { value: true });
  return o;
}
