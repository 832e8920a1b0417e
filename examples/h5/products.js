// The demo catalogue.
export const PRODUCTS = [
  { sku: 'A-1001', name: '益生菌固体饮料 Probiotic drink', category: 'health', price: 129.5, tags: ['new', 'promo'] },
  { sku: 'A-1002', name: '维生素C泡腾片 Vitamin C', category: 'health', price: 59, tags: ['promo'] },
  { sku: 'B-2001', name: '有机燕麦片 Organic oats', category: 'food', price: 39.9, tags: [] },
  { sku: 'B-2002', name: '坚果礼盒 Nut gift box', category: 'food', price: 168, tags: ['gift'] },
  { sku: 'C-3001', name: '瑜伽垫 Yoga mat', category: 'sports', price: 99, tags: ['new'] },
  { sku: 'C-3002', name: '跳绳 Jump rope', category: 'sports', price: 25, tags: [] },
];
