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

// The posts of the inner-scrolling feed view (#/feed), one card each.
export const FEED_POSTS = [
  ['早餐这样吃 Breakfast ideas', '燕麦 + 坚果 + 酸奶，十分钟搞定一周早餐。Oats, nuts and yoghurt: a week of breakfasts in ten minutes.'],
  ['群友晒单 Member reviews', '“益生菌喝了一个月，肠胃舒服多了。” — “A month of the probiotic drink and my stomach feels better.”'],
  ['居家健身 Home workout', '一张瑜伽垫、一根跳绳，每天二十分钟。A mat, a rope and twenty minutes a day.'],
  ['维C怎么选 Choosing vitamin C', '泡腾片、咀嚼片还是胶囊？看这一篇就够了。Effervescent, chewable or capsules? One post explains it all.'],
  ['周末市集 Weekend market', '本周六会员群线下市集，扫码报名。Member-group market this Saturday: scan to sign up.'],
  ['新品试用 New-product trial', '每周五群内抽 10 位试用新品。Ten members test a new product every Friday.'],
  ['健康顾问 Ask the adviser', '一对一健康顾问，群内随时提问。A personal adviser answers in the group at any time.'],
  ['礼盒推荐 Gift boxes', '节日送礼，坚果礼盒最受欢迎。For the holidays the nut gift box is the favourite.'],
];
