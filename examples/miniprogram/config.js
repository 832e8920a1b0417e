// Where events go. The demo collector (`make demo`) serves on 127.0.0.1:8787; in the devtools,
// turn off domain checking (project.config.json urlCheck: false). A third-party platform (or the
// test simulator) can override both through ext.json (wx.getExtConfigSync).
const ext = (typeof wx === 'object' && wx.getExtConfigSync && wx.getExtConfigSync()) || {};
const endpoint = ext.endpoint || 'http://127.0.0.1:8787';
module.exports = {
  writeKey: ext.writeKey || 'demo-shop', // the H5 shop's key: one visitor, one profile
  endpoint,
  h5ShopUrl: ext.h5ShopUrl || `${endpoint}/examples/h5/index.html`,
  debug: !!ext.debug,
  wasmPath: ext.wasmPath, // undefined: the SDK's default, '/miniprogram_npm/touchpoint/touchpoint.wasm.br'
};
