// A bilingual demo catalogue (65 products in a two-level category tree) for `npm start` and the
// benchmarks. It is plain data for bulkUpsertProducts: deterministic (no randomness), so seeding twice
// changes nothing, and every price is derived from a base price in US cents times `markup`.
import type { BulkInput, CategoryInput, ProductInput, VariantInput } from './schemas.ts';

export interface DemoCatalogOptions {
  /** The currency every price is given in (one of the platform's currencies). */
  currency: string;
  /** The platform's default language: main titles are in it; both languages are in translations. */
  locale: 'en' | 'zh-CN';
  /** Multiplies the USD base prices (e.g. 7 for CNY). Default 1. */
  markup?: number;
}

type Bilingual = readonly [zh: string, en: string];

/** The two placeholder pictures of a demo product, drawn by demo-images.ts (served, never a 404). */
export function demoImageUrls(handle: string): string[] {
  return [`/static/img/${handle}.svg`, `/static/img/${handle}-2.svg`];
}
type OptionKind = 'apparel-women' | 'apparel-men' | 'phone' | 'colour' | 'bed' | 'volume' | 'shade' | 'single';

interface CategorySpec {
  handle: string;
  name: Bilingual;
  parent?: string;
  kind?: OptionKind;
  brand?: string;
  blurb?: Bilingual;
}

const CATEGORIES: readonly CategorySpec[] = [
  { handle: 'women', name: ['女装', 'Women'] },
  { handle: 'women-dresses', name: ['连衣裙', 'Dresses'], parent: 'women', kind: 'apparel-women', brand: 'Souk Atelier', blurb: ['轻盈垂坠，适合日常与约会。', 'Light and flowing, for every day and date night.'] },
  { handle: 'women-tops', name: ['上衣', 'Tops'], parent: 'women', kind: 'apparel-women', brand: 'Souk Atelier', blurb: ['百搭基础款，四季皆宜。', 'An easy staple for every season.'] },
  { handle: 'women-skirts', name: ['半身裙', 'Skirts'], parent: 'women', kind: 'apparel-women', brand: 'Souk Atelier', blurb: ['高腰设计，修饰身形。', 'High-waisted and flattering.'] },
  { handle: 'men', name: ['男装', 'Men'] },
  { handle: 'men-shirts', name: ['衬衫', 'Shirts'], parent: 'men', kind: 'apparel-men', brand: 'Souk Tailor', blurb: ['经典版型，通勤休闲两相宜。', 'A classic cut for the office and the weekend.'] },
  { handle: 'men-trousers', name: ['裤装', 'Trousers'], parent: 'men', kind: 'apparel-men', brand: 'Souk Tailor', blurb: ['舒适耐穿，剪裁利落。', 'Comfortable, durable and sharply cut.'] },
  { handle: 'men-jackets', name: ['外套', 'Jackets'], parent: 'men', kind: 'apparel-men', brand: 'Souk Tailor', blurb: ['防风保暖，应对多变天气。', 'Warm and windproof for changing weather.'] },
  { handle: 'electronics', name: ['数码电子', 'Electronics'] },
  { handle: 'phones', name: ['手机', 'Phones'], parent: 'electronics', kind: 'phone', brand: 'Falcon', blurb: ['全天续航，影像出众。', 'All-day battery and a camera that impresses.'] },
  { handle: 'audio', name: ['音频', 'Audio'], parent: 'electronics', kind: 'colour', brand: 'Falcon', blurb: ['清晰音质，低延迟连接。', 'Clear sound with low-latency connection.'] },
  { handle: 'accessories', name: ['配件', 'Accessories'], parent: 'electronics', kind: 'colour', brand: 'Falcon', blurb: ['为你的设备随时补能。', 'Keeps your devices going.'] },
  { handle: 'home', name: ['家居', 'Home'] },
  { handle: 'kitchen', name: ['厨房', 'Kitchen'], parent: 'home', kind: 'single', brand: 'Souk Home', blurb: ['经久耐用，厨房好帮手。', 'Built to last in a busy kitchen.'] },
  { handle: 'bedding', name: ['床品', 'Bedding'], parent: 'home', kind: 'bed', brand: 'Souk Home', blurb: ['亲肤透气，一夜好眠。', 'Soft and breathable for a good night.'] },
  { handle: 'decor', name: ['装饰', 'Decor'], parent: 'home', kind: 'colour', brand: 'Souk Home', blurb: ['为家增添一抹温度。', 'Adds warmth to any room.'] },
  { handle: 'sports', name: ['运动户外', 'Sports & Outdoors'] },
  { handle: 'running', name: ['跑步', 'Running'], parent: 'sports', kind: 'colour', brand: 'Stride', blurb: ['轻量透气，助你跑得更远。', 'Light and breathable to take you further.'] },
  { handle: 'yoga', name: ['瑜伽', 'Yoga'], parent: 'sports', kind: 'colour', brand: 'Stride', blurb: ['柔软防滑，练习更专注。', 'Soft and non-slip so you can focus.'] },
  { handle: 'beauty', name: ['美妆', 'Beauty'] },
  { handle: 'skincare', name: ['护肤', 'Skincare'], parent: 'beauty', kind: 'volume', brand: 'Lumi', blurb: ['温和配方，敏感肌可用。', 'A gentle formula, fine for sensitive skin.'] },
  { handle: 'makeup', name: ['彩妆', 'Makeup'], parent: 'beauty', kind: 'shade', brand: 'Lumi', blurb: ['持久显色，不易脱妆。', 'Long-wearing, rich colour.'] },
];

/** [handle, [zh title, en title], base price in US cents, material] per leaf category. */
type ProductSpec = readonly [handle: string, title: Bilingual, cents: number, material: string];

const PRODUCTS: Record<string, readonly ProductSpec[]> = {
  'women-dresses': [
    ['floral-summer-dress', ['夏季碎花连衣裙', 'Floral Summer Dress'], 3999, 'cotton'],
    ['silk-evening-dress', ['真丝晚礼服裙', 'Silk Evening Dress'], 12900, 'silk'],
    ['linen-shirt-dress', ['亚麻衬衫裙', 'Linen Shirt Dress'], 5900, 'linen'],
    ['knit-midi-dress', ['针织中长连衣裙', 'Knit Midi Dress'], 4900, 'wool'],
    ['polka-dot-wrap-dress', ['波点裹身连衣裙', 'Polka Dot Wrap Dress'], 4500, 'polyester'],
  ],
  'women-tops': [
    ['cotton-crew-tee', ['纯棉圆领T恤', 'Cotton Crew Tee'], 1500, 'cotton'],
    ['silk-blouse', ['真丝衬衫', 'Silk Blouse'], 7900, 'silk'],
    ['cashmere-sweater', ['羊绒毛衣', 'Cashmere Sweater'], 11900, 'wool'],
    ['striped-breton-top', ['条纹海魂衫', 'Striped Breton Top'], 2900, 'cotton'],
  ],
  'women-skirts': [
    ['pleated-midi-skirt', ['百褶中长半身裙', 'Pleated Midi Skirt'], 3900, 'polyester'],
    ['denim-mini-skirt', ['牛仔短裙', 'Denim Mini Skirt'], 2900, 'denim'],
    ['a-line-linen-skirt', ['A字亚麻半身裙', 'A-Line Linen Skirt'], 3500, 'linen'],
    ['satin-slip-skirt', ['缎面吊带半身裙', 'Satin Slip Skirt'], 4200, 'silk'],
  ],
  'men-shirts': [
    ['oxford-shirt', ['牛津纺衬衫', 'Oxford Shirt'], 3900, 'cotton'],
    ['linen-camp-shirt', ['亚麻古巴领衬衫', 'Linen Camp Shirt'], 4500, 'linen'],
    ['flannel-check-shirt', ['法兰绒格子衬衫', 'Flannel Check Shirt'], 3500, 'cotton'],
    ['poplin-dress-shirt', ['府绸正装衬衫', 'Poplin Dress Shirt'], 4900, 'cotton'],
  ],
  'men-trousers': [
    ['slim-chinos', ['修身卡其裤', 'Slim Chinos'], 4500, 'cotton'],
    ['selvedge-jeans', ['赤耳牛仔裤', 'Selvedge Jeans'], 8900, 'denim'],
    ['wool-trousers', ['羊毛西裤', 'Wool Trousers'], 9900, 'wool'],
    ['cargo-pants', ['工装裤', 'Cargo Pants'], 5500, 'cotton'],
  ],
  'men-jackets': [
    ['down-puffer-jacket', ['羽绒服', 'Down Puffer Jacket'], 15900, 'polyester'],
    ['denim-trucker-jacket', ['牛仔夹克', 'Denim Trucker Jacket'], 7900, 'denim'],
    ['wool-overcoat', ['羊毛大衣', 'Wool Overcoat'], 24900, 'wool'],
    ['rain-shell-jacket', ['防雨冲锋衣', 'Rain Shell Jacket'], 11900, 'polyester'],
  ],
  phones: [
    ['falcon-x-smartphone', ['飞鹰X智能手机', 'Falcon X Smartphone'], 69900, 'aluminium'],
    ['falcon-lite-phone', ['飞鹰Lite手机', 'Falcon Lite Phone'], 29900, 'plastic'],
    ['rugged-phone', ['三防手机', 'Rugged Phone'], 39900, 'plastic'],
    ['foldable-phone', ['折叠屏手机', 'Foldable Phone'], 149900, 'aluminium'],
  ],
  audio: [
    ['wireless-earbuds', ['真无线蓝牙耳机', 'Wireless Earbuds'], 7900, 'plastic'],
    ['noise-cancelling-headphones', ['降噪头戴式耳机', 'Noise Cancelling Headphones'], 24900, 'aluminium'],
    ['bluetooth-speaker', ['便携蓝牙音箱', 'Portable Bluetooth Speaker'], 5900, 'plastic'],
    ['studio-monitor-speakers', ['录音室监听音箱', 'Studio Monitor Speakers'], 29900, 'wood'],
  ],
  accessories: [
    ['gan-charger-65w', ['65W氮化镓充电器', '65W GaN Charger'], 3900, 'plastic'],
    ['power-bank-20000', ['20000毫安充电宝', '20000mAh Power Bank'], 4500, 'aluminium'],
    ['silicone-phone-case', ['硅胶手机壳', 'Silicone Phone Case'], 1900, 'silicone'],
    ['braided-usb-c-cable', ['编织快充数据线', 'Braided USB-C Cable'], 1200, 'nylon'],
  ],
  kitchen: [
    ['ceramic-teapot', ['陶瓷茶壶', 'Ceramic Teapot'], 3500, 'ceramic'],
    ['stainless-chef-knife', ['不锈钢主厨刀', 'Stainless Chef Knife'], 6900, 'stainless steel'],
    ['cast-iron-skillet', ['铸铁煎锅', 'Cast Iron Skillet'], 4900, 'cast iron'],
    ['bamboo-cutting-board', ['竹制砧板', 'Bamboo Cutting Board'], 2500, 'bamboo'],
  ],
  bedding: [
    ['silk-pillowcase', ['真丝枕套', 'Silk Pillowcase'], 3900, 'silk'],
    ['linen-duvet-cover', ['亚麻被套', 'Linen Duvet Cover'], 12900, 'linen'],
    ['cotton-sheet-set', ['长绒棉床单套装', 'Cotton Sheet Set'], 8900, 'cotton'],
    ['down-pillow', ['羽绒枕', 'Down Pillow'], 5900, 'down'],
  ],
  decor: [
    ['scented-candle', ['香薰蜡烛', 'Scented Candle'], 2200, 'soy wax'],
    ['ceramic-vase', ['陶瓷花瓶', 'Ceramic Vase'], 3900, 'ceramic'],
    ['nordic-wall-clock', ['北欧挂钟', 'Nordic Wall Clock'], 4500, 'wood'],
    ['wool-throw-blanket', ['羊毛盖毯', 'Wool Throw Blanket'], 7900, 'wool'],
  ],
  running: [
    ['running-shoes', ['缓震跑步鞋', 'Cushioned Running Shoes'], 8900, 'mesh'],
    ['running-shorts', ['速干跑步短裤', 'Quick-Dry Running Shorts'], 2900, 'polyester'],
    ['sports-watch', ['GPS运动手表', 'GPS Sports Watch'], 19900, 'silicone'],
    ['hydration-vest', ['越野跑水袋背心', 'Trail Hydration Vest'], 6900, 'nylon'],
  ],
  yoga: [
    ['yoga-mat', ['天然橡胶瑜伽垫', 'Natural Rubber Yoga Mat'], 5900, 'rubber'],
    ['yoga-leggings', ['高腰瑜伽裤', 'High-Waist Yoga Leggings'], 4900, 'nylon'],
    ['cork-yoga-block', ['软木瑜伽砖', 'Cork Yoga Block'], 1900, 'cork'],
    ['yoga-strap', ['棉质瑜伽伸展带', 'Cotton Yoga Strap'], 1200, 'cotton'],
  ],
  skincare: [
    ['hydrating-serum', ['玻尿酸保湿精华', 'Hydrating Serum'], 3900, 'hyaluronic acid'],
    ['sunscreen-spf50', ['防晒霜SPF50', 'Sunscreen SPF50'], 2500, 'zinc oxide'],
    ['repair-night-cream', ['修护晚霜', 'Repair Night Cream'], 4900, 'ceramide'],
    ['clay-mask', ['清洁泥膜', 'Clay Mask'], 2900, 'kaolin clay'],
  ],
  makeup: [
    ['matte-lipstick', ['哑光口红', 'Matte Lipstick'], 2400, 'wax'],
    ['cushion-foundation', ['气垫粉底', 'Cushion Foundation'], 3900, 'mineral'],
    ['eyeshadow-palette', ['眼影盘', 'Eyeshadow Palette'], 4500, 'mineral'],
    ['lengthening-mascara', ['纤长睫毛膏', 'Lengthening Mascara'], 1900, 'wax'],
  ],
};

/** A demo product's title in both languages, or undefined for a handle the demo does not have. */
export function demoProductTitle(handle: string): Bilingual | undefined {
  for (const specs of Object.values(PRODUCTS)) {
    const found = specs.find((spec) => spec[0] === handle);
    if (found) return found[1];
  }
  return undefined;
}

const MATERIAL_ZH: Record<string, string> = {
  cotton: '纯棉', silk: '真丝', linen: '亚麻', wool: '羊毛', polyester: '聚酯纤维', denim: '牛仔布',
  aluminium: '铝合金', plastic: '工程塑料', wood: '实木', silicone: '硅胶', nylon: '尼龙', ceramic: '陶瓷',
  'stainless steel': '不锈钢', 'cast iron': '铸铁', bamboo: '竹', down: '羽绒', 'soy wax': '大豆蜡',
  'hyaluronic acid': '玻尿酸', 'zinc oxide': '氧化锌', ceramide: '神经酰胺', 'kaolin clay': '高岭土', wax: '植物蜡', mineral: '矿物',
  mesh: '网布', rubber: '天然橡胶', cork: '软木',
};

const COLOURS: readonly (readonly [code: string, zh: string, en: string])[] = [
  ['RED', '红色', 'Red'], ['BLU', '蓝色', 'Blue'], ['BLK', '黑色', 'Black'], ['WHT', '白色', 'White'],
  ['GRN', '绿色', 'Green'], ['BEI', '米色', 'Beige'], ['PNK', '粉色', 'Pink'], ['GRY', '灰色', 'Grey'],
];

interface OptionAxis {
  name: Bilingual;
  /** [SKU code, zh label, en label, price step in base cents] */
  values: readonly (readonly [string, string, string, number])[];
}

function pickColours(index: number, count: number): OptionAxis['values'] {
  return Array.from({ length: count }, (_, i) => {
    const [code, zh, en] = COLOURS[(index * 3 + i) % COLOURS.length] as (typeof COLOURS)[number];
    return [code, zh, en, 0] as const;
  });
}

/** The option axes of a product: which kind, and a deterministic 1–3 colours from its position. */
function axesFor(kind: OptionKind, index: number): OptionAxis[] {
  const colour = (count: number): OptionAxis => ({ name: ['颜色', 'Colour'], values: pickColours(index, count) });
  switch (kind) {
    case 'apparel-women':
      return [colour(1 + (index % 2)), { name: ['尺码', 'Size'], values: [['S', 'S', 'S', 0], ['M', 'M', 'M', 0], ['L', 'L', 'L', 0]] }];
    case 'apparel-men':
      return [colour(1 + ((index + 1) % 2)), { name: ['尺码', 'Size'], values: [['M', 'M', 'M', 0], ['L', 'L', 'L', 0], ['XL', 'XL', 'XL', 0]] }];
    case 'phone':
      return [
        colour(2),
        { name: ['存储', 'Storage'], values: [['128', '128GB', '128GB', 0], ['256', '256GB', '256GB', 10000], ['512', '512GB', '512GB', 20000]] },
      ];
    case 'colour':
      return [colour(1 + (index % 3))];
    case 'bed':
      return [{ name: ['规格', 'Size'], values: [['SGL', '单人', 'Single', 0], ['DBL', '双人', 'Double', 1500], ['KNG', '特大', 'King', 3000]] }];
    case 'volume':
      return [{ name: ['容量', 'Volume'], values: [['30', '30ml', '30ml', 0], ['50', '50ml', '50ml', 1200]] }];
    case 'shade':
      return [{ name: ['色号', 'Shade'], values: [['01', '01 自然', '01 Natural', 0], ['02', '02 玫瑰', '02 Rose', 0], ['03', '03 珊瑚', '03 Coral', 0]] }];
    default:
      return [];
  }
}

/** Every combination of the axes' values (at most 6 by construction). */
function combinations(axes: readonly OptionAxis[]): OptionAxis['values'][number][][] {
  return axes.reduce<OptionAxis['values'][number][][]>((acc, axis) => acc.flatMap((combo) => axis.values.map((v) => [...combo, v])), [[]]);
}

function priceIn(cents: number, markup: number): number {
  const raw = Math.round(cents * markup);
  // Shop-style prices: 209.99 rather than 209.93.
  return raw >= 1000 ? Math.round(raw / 100) * 100 - 1 : raw;
}

export function demoCatalog(options: DemoCatalogOptions): BulkInput {
  const markup = options.markup ?? 1;
  const zh = options.locale === 'zh-CN';
  const pick = (text: Bilingual) => (zh ? text[0] : text[1]);

  const categories: CategoryInput[] = CATEGORIES.map((c, position) => ({
    handle: c.handle,
    name: pick(c.name),
    parent: c.parent ?? null,
    position,
    translations: { 'zh-CN': { name: c.name[0] }, en: { name: c.name[1] } },
  }));

  const products: ProductInput[] = [];
  let serial = 0;
  for (const category of CATEGORIES) {
    for (const [handle, title, cents, material] of PRODUCTS[category.handle] ?? []) {
      serial += 1;
      const kind = category.kind ?? 'single';
      const axes = axesFor(kind, serial);
      const brand = category.brand ?? 'Souk';
      const blurb = category.blurb ?? ['', ''];
      const description: Bilingual = [
        `${brand}出品的${title[0]}，${MATERIAL_ZH[material] ?? material}材质。${blurb[0]}`,
        `${title[1]} by ${brand}, made of ${material}. ${blurb[1]}`,
      ];
      // Every third product is on sale: the compare-at price is the pre-sale price.
      const onSale = serial % 3 === 0;
      const variants: VariantInput[] = combinations(axes).map((combo, position) => {
        const base = cents + combo.reduce((sum, v) => sum + v[3], 0);
        const amount = priceIn(base, markup);
        return {
          sku: [handle.toUpperCase(), ...combo.map((v) => v[0])].join('-'),
          title: combo.map((v) => (zh ? v[1] : v[2])).join(' / '),
          options: Object.fromEntries(combo.map((v, i) => [pick((axes[i] as OptionAxis).name), zh ? v[1] : v[2]])),
          prices: [{ currency: options.currency, amount, compareAtAmount: onSale ? priceIn(Math.round((base * 5) / 4), markup) : null }],
          position,
        };
      });
      if (variants.length === 0) {
        variants.push({
          sku: handle.toUpperCase(),
          title: zh ? '默认' : 'Default',
          options: {},
          prices: [{ currency: options.currency, amount: priceIn(cents, markup), compareAtAmount: onSale ? priceIn(Math.round((cents * 5) / 4), markup) : null }],
          position: 0,
        });
      }
      products.push({
        handle,
        title: pick(title),
        description: pick(description),
        status: 'published',
        translations: {
          'zh-CN': { title: title[0], description: description[0] },
          en: { title: title[1], description: description[1] },
        },
        options: axes.map((axis) => ({ name: pick(axis.name), values: axis.values.map((v) => (zh ? v[1] : v[2])) })),
        images: demoImageUrls(handle),
        tags: [category.handle, ...(category.parent ? [category.parent] : []), ...(onSale ? ['sale'] : [])],
        attributes: {
          brand,
          material,
          ...(category.parent === 'electronics' ? { warrantyMonths: 12 } : {}),
        },
        categories: [category.handle],
        variants,
      });
    }
  }
  return { categories, products };
}
