const touchpoint = require('touchpoint');
const products = require('../../products.js');

Page({
  data: { product: null },
  onLoad(query) {
    const product = products.find((p) => p.sku === query.sku) || products[0];
    this.setData({ product });
  },
  onShow() {
    const p = this.data.product;
    touchpoint.track('product_view', { sku: p.sku, category: p.category, price: p.price });
  },
  addToCart() {
    getApp().globalData.cart.push(this.data.product.sku); // add_to_cart itself comes from data-tp-event
  },
  buy() {
    const p = this.data.product;
    touchpoint.track('order_completed', { total: p.price, currency: 'CNY', skus: [p.sku] });
  },
  // <button open-type="share">: the SDK decorates the path with tp_ref/tp_share/tp_depth/tp_ch and
  // sends `share`; a friend opening the card sends share_landed with the next depth.
  onShareAppMessage() {
    const p = this.data.product;
    return new Promise((resolve) => resolve({ title: p.name, path: `/pages/detail/detail?sku=${p.sku}` }));
  },
  onShareTimeline() {
    return { title: this.data.product.name, query: `sku=${this.data.product.sku}` };
  },
});
