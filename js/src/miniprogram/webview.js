// The mini-program -> H5 half of the web-view bridge: the ids of this visitor ride on the URL of
// the <web-view>, the only channel into the page (wx.miniProgram.postMessage reaches the
// mini-program only on back/share/destroy). The H5 shell adopts and strips exactly these
// parameters: Identity::from_webview_url / strip_webview_params (sdk/include/touchpoint/identity.hpp,
// kWebview*Param; docs/identity.md "Web-view URL parameters").
const PARAMS = { anonymousId: 'tp_anon', userId: 'tp_uid', wechat_openid: 'tp_openid', wechat_unionid: 'tp_unionid', wechat_appid: 'tp_appid' };
const SESSION_PARAM = 'tp_sid'; // the H5 page continues this session (kWebviewSessionParam)
const ALL = [...Object.values(PARAMS), SESSION_PARAM];

const enc = encodeURIComponent;

// Key of a query segment, decoded like the core's url::decode (a bad escape stays literal).
function segmentKey(seg) {
  const k = seg.split('=')[0];
  try { return decodeURIComponent(k.replace(/\+/g, ' ')); } catch (e) { return k; }
}

// visit: the shell's visit() ({anonymousId, userId, externalIds:[{id,type}], session:{id}}). Earlier id
// parameters are replaced; the rest of the URL, fragment included, stays byte for byte.
export function decorateWebviewUrl(url, visit) {
  const ids = [];
  if (visit && visit.anonymousId) ids.push([PARAMS.anonymousId, visit.anonymousId]);
  if (visit && visit.userId) ids.push([PARAMS.userId, visit.userId]);
  for (const e of (visit && Array.isArray(visit.externalIds) ? visit.externalIds : []))
    if (e && PARAMS[e.type] && e.id) ids.push([PARAMS[e.type], e.id]);
  if (visit && visit.session && typeof visit.session.id === 'string' && visit.session.id) ids.push([SESSION_PARAM, visit.session.id]);
  const h = url.indexOf('#');
  const base = h < 0 ? url : url.slice(0, h);
  const frag = h < 0 ? '' : url.slice(h);
  const q = base.indexOf('?');
  const path = q < 0 ? base : base.slice(0, q);
  const kept = (q < 0 ? '' : base.slice(q + 1)).split('&').filter((s) => s && !ALL.includes(segmentKey(s)));
  for (const [k, v] of ids) kept.push(`${k}=${enc(v)}`);
  return path + (kept.length ? '?' + kept.join('&') : '') + frag;
}
