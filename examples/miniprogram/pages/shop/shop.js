const touchpoint = require('touchpoint');
const config = require('../../config.js');

Page({
  data: { src: '' },
  onLoad() {
    // The H5 page adopts tp_anon/tp_uid/tp_openid/… from its URL and removes them from the
    // address bar: one visitor across the mini-program and the H5 shop.
    this.setData({ src: touchpoint.webviewUrl(config.h5ShopUrl) });
  },
});
