const products = require('../../products.js');

Page({
  data: { products, featured: products[0] },
  // bindtap handlers: the SDK sends the data-tp-event of the tapped element before they run.
  openProduct(e) {
    wx.navigateTo({ url: `/pages/detail/detail?sku=${e.currentTarget.dataset.sku}` });
  },
  openShop() {
    wx.navigateTo({ url: '/pages/shop/shop' });
  },
  onShareAppMessage() {
    return { title: 'Touchpoint shop' }; // the SDK adds the sharer's ids to this page's path
  },
});
