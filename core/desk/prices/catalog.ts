import { catalog } from '../../platform/i18n/index.js';

/** Texts of indicative values (balances), in English and Simplified Chinese. */
export const priceMessages = /* @__PURE__ */ catalog(
  {
    'price.value': '≈ {value}',
    'price.indicative': '≈ values are indicative, at market prices; not a quote.',
    'price.unavailable': 'Value in USD unavailable right now (price source unreachable).',
  },
  {
    'price.value': '≈ {value}',
    'price.indicative': '≈ 为按市场价估算的参考价值，并非报价。',
    'price.unavailable': '暂时无法获取美元/人民币参考价值（价格来源不可用）。',
  },
);
