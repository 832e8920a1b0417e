// The SDK comes first: init() before App() wraps App, Page and Component, so launches, shows,
// hides, page views, taps on data-tp-event elements and shares are tracked without more code.
// (After `构建 npm`, require('touchpoint') is miniprogram_npm/touchpoint/, i.e. dist/miniprogram/.)
const touchpoint = require('touchpoint');
const config = require('./config.js');

// Pages may await getApp().globalData.touchpointReady; calls made before it resolves are buffered.
const touchpointReady = touchpoint.init({
  writeKey: config.writeKey,
  endpoint: config.endpoint,
  wasmPath: config.wasmPath,
  debug: config.debug,
});
touchpointReady.catch(() => { /* reported through touchpoint.on('error') */ });
touchpoint.on('error', (e) => console.warn('[touchpoint]', e.code, e.message));

App({
  globalData: { cart: [], touchpointReady },
  onLaunch() {
    // After wx.login and your backend's code2session, tie the visitor to their WeChat ids:
    // touchpoint.setExternalId('openid', openid); touchpoint.setExternalId('unionid', unionid);
  },
});
