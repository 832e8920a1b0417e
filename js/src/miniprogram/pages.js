// Page addresses as the core sees them. A mini-program page has a route and a query; the core's
// attribution, referral and web-view code read a URL, so a page is "/<route>?<query>", the same
// form as the share path WeChat opens. Query values stay as the runtime gives them (still
// percent-encoded: WeChat hands onLoad the raw values), so the core decodes them exactly once.

// Scenes where the visitor came back by themselves (like a direct visit on the web, they name no
// channel): 1001 discovery-bar entry, 1089 chat-list pull-down / recents, 1104 "my mini-programs",
// 1023 Android home-screen icon, 1038 back from another mini-program
// (developers.weixin.qq.com/miniprogram/dev/reference/scene-list.html).
export const DIRECT_SCENES = [1001, 1023, 1038, 1089, 1104];

export function queryString(query) {
  if (!query || typeof query !== 'object') return '';
  const out = [];
  for (const k of Object.keys(query)) {
    const v = query[k];
    if (v === undefined || v === null) continue;
    out.push(`${k}=${String(v).replace(/[&#]/g, encodeURIComponent)}`);
  }
  return out.join('&');
}

export function pagePath(route) {
  const r = String(route || '');
  return r[0] === '/' ? r : '/' + r;
}

export function pageUrl(route, query) {
  const q = typeof query === 'string' ? query.replace(/^\?/, '') : queryString(query);
  return pagePath(route) + (q ? '?' + q : '');
}

export const sceneName = (scene) => (scene === undefined || scene === null || scene === '' ? null : `wx-${scene}`);

// The landing URL of an app launch/show: the scene is the campaign channel (tp_channel) unless the
// query names one or the scene is a direct one.
export function landingUrl(path, query, scene) {
  const url = pageUrl(path, query);
  const q = typeof query === 'string' ? query : queryString(query);
  if (sceneName(scene) === null || DIRECT_SCENES.includes(Number(scene)) || /(^|&)tp_channel=/.test(q)) return url;
  return url + (url.includes('?') ? '&' : '?') + `tp_channel=${sceneName(scene)}`;
}
