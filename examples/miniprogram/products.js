// The catalogue: the H5 shop's (examples/h5/products.js), so tags agree across both.
module.exports = [
  { sku: 'A-1001', name: '益生菌固体饮料 Probiotic drink', category: 'health', price: 129.5 },
  { sku: 'B-2001', name: '有机燕麦片 Organic oats', category: 'food', price: 39.9 },
  { sku: 'C-3001', name: '瑜伽垫 Yoga mat', category: 'sports', price: 99 },
];
