// Helpers shared by the trackers. Nothing here may throw into the page.

// Adds a listener whose errors are swallowed (autotrack must never break the page) and returns
// its remover.
export function listen(target, type, fn, opts) {
  const h = (e) => { try { fn(e); } catch (err) { /* never into the page */ } };
  target.addEventListener(type, h, opts);
  return () => target.removeEventListener(type, h, opts);
}

// `data-tp-sku="A-1"` → {sku: "A-1"}; `data-tp-order-id` → {order_id}. Values stay strings.
// data-tp-event / -expose / -ignore are the markers themselves, not properties.
export function dataProps(el) {
  const props = {};
  for (const a of el.attributes) {
    const k = a.name;
    if (k.startsWith('data-tp-') && !/^data-tp-(event|expose|ignore)$/.test(k)) props[k.slice(8).replace(/-/g, '_')] = a.value;
  }
  return props;
}

// Web-view ids the core adopts from the URL (docs/identity.md) must not travel in event URLs.
// cleanUrl is url::remove_params of the core, byte for byte (query and hash-router query, empty
// segments dropped), so it equals the URL the shell puts in place with history.replaceState.
const WEBVIEW_PARAM = /^tp_(anon|uid|openid|unionid|appid)$/;
const isId = (seg) => {
  let k = seg.split('=')[0];
  try { k = decodeURIComponent(k.replace(/\+/g, ' ')); } catch (e) { /* keep it raw */ }
  return WEBVIEW_PARAM.test(k);
};
const keep = (q) => q.split('&').filter((s) => s && !isId(s)).join('&');
const fragmentQuery = (f) => {
  const q = f.indexOf('?');
  return q >= 0 ? f.slice(q + 1) : f && f[0] !== '/' && f[0] !== '!' && f.includes('=') ? f : '';
};
export function cleanUrl(href) {
  const h = href.indexOf('#');
  const base = h < 0 ? href : href.slice(0, h);
  const frag = h < 0 ? null : href.slice(h + 1);
  const q = base.indexOf('?');
  const query = q < 0 ? '' : base.slice(q + 1);
  const fq = frag === null ? '' : fragmentQuery(frag);
  if (!query.split('&').some(isId) && !fq.split('&').some(isId)) return href;
  const kept = keep(query);
  let out = q < 0 ? base : base.slice(0, q) + (kept ? '?' + kept : '');
  if (frag !== null) {
    if (!fq) return out + '#' + frag;
    let head = frag.slice(0, frag.length - fq.length);
    const fk = keep(fq);
    if (!fk && head.endsWith('?')) head = head.slice(0, -1);
    if (head || fk) out += '#' + head + fk;
  }
  return out;
}

const MAX_PATH_DEPTH = 5; // elements in a CSS path: enough to tell buttons apart, bounded in size
// A default name is a path up to the nearest id (or body): deep enough to be unique in real
// layouts, bounded so a pathological DOM cannot make a huge name (the core caps names at 255 bytes).
const MAX_NAME_PATH_DEPTH = 16;

// A short, stable CSS path: stops at the nearest ancestor with a plain id (or body), uses
// :nth-of-type only where a sibling has the same tag. Attributes are read with getAttribute: on a
// <form>, `.id` can be a field named "id".
export function cssPath(el, maxDepth = MAX_PATH_DEPTH) {
  const parts = [];
  for (let n = el, d = 0; n && n.nodeType === 1 && d < maxDepth; n = n.parentElement, d++) {
    const tag = n.localName;
    const id = n.getAttribute('id');
    if (id && /^[A-Za-z][\w-]*$/.test(id)) { parts.unshift('#' + id); break; }
    if (tag === 'body' || tag === 'html') { parts.unshift(tag); break; }
    let k = 1, twin = false;
    for (let s = n.previousElementSibling; s; s = s.previousElementSibling) if (s.localName === tag) k++;
    for (let s = n.nextElementSibling; s && !twin; s = s.nextElementSibling) twin = s.localName === tag;
    parts.unshift(k > 1 || twin ? `${tag}:nth-of-type(${k})` : tag);
  }
  return parts.join('>');
}

// The default name of a marker without a value (bare data-tp-expose / data-tp-event): the
// element's id, else its CSS path up to the nearest id or body. {name, from: 'id' | 'path'}.
export function defaultName(el) {
  const id = (el.getAttribute('id') || '').trim();
  if (id) return { name: id.slice(0, 255), from: 'id' };
  return { name: cssPath(el, MAX_NAME_PATH_DEPTH), from: 'path' };
}

// Reports something to the shell's debug log once per element and topic (a marker named by
// default, an element that can never be tracked): visible with init({debug: true}), never silent.
export function noteOnce(log) {
  const seen = new WeakMap();
  return (el, topic, msg) => {
    let topics = seen.get(el);
    if (!topics) seen.set(el, (topics = new Set()));
    if (topics.has(topic)) return;
    topics.add(topic);
    log(msg);
  };
}
