// The demo catalogue.
export const PRODUCTS = [
  { sku: 'A-1001', name: '益生菌固体饮料 Probiotic drink', category: 'health', price: 129.5, tags: ['new', 'promo'] },
  { sku: 'A-1002', name: '维生素C泡腾片 Vitamin C', category: 'health', price: 59, tags: ['promo'] },
  { sku: 'B-2001', name: '有机燕麦片 Organic oats', category: 'food', price: 39.9, tags: [] },
  { sku: 'B-2002', name: '坚果礼盒 Nut gift box', category: 'food', price: 168, tags: ['gift'] },
  { sku: 'C-3001', name: '瑜伽垫 Yoga mat', category: 'sports', price: 99, tags: ['new'] },
  { sku: 'C-3002', name: '跳绳 Jump rope', category: 'sports', price: 25, tags: [] },
];

// The long part of every product page (so scroll milestones are reachable), one section each.
export const DETAIL_SECTIONS = [
  ['商品详情 Details', '精选原料，小批量生产，出厂前逐批检测。Carefully sourced, made in small batches and tested batch by batch before it leaves the factory.'],
  ['规格参数 Specifications', '净含量、保质期、储存方式和产地信息见包装。Net content, shelf life, storage and origin are printed on the pack.'],
  ['使用方法 How to use', '每日一次，随餐食用效果更佳。Once a day, best with a meal. Keep away from children and direct sunlight.'],
  ['常见问题 FAQ', '七天无理由退换，顺丰包邮，群内专属客服一对一答疑。7-day returns, free shipping, and a personal adviser in the member group.'],
  ['用户评价 Reviews', '“回购第三次了，群里的优惠很划算。” — “Third time buying; the group coupons are worth it.”'],
];
