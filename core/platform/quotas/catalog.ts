import { type CatalogKey, catalog } from '../i18n/index.js';

/**
 * Plans and quotas, in English and Simplified Chinese (the type checker requires both), for
 * Telegram's HTML parse mode; parameters are escaped when substituted. The `quota.user.*` texts
 * are plain (no markup): they also answer button presses, where Telegram shows no HTML (≤ 200
 * characters), and they blame no one and reveal nothing of the bot's plan.
 */
export const quotaMessages = /* @__PURE__ */ catalog(
  {
    'quota.user.busy': '⏳ This bot is very busy right now and cannot answer. Please try again in {wait}.',
    'quota.user.full': '⏳ This bot cannot take on more right now. Please try again later.',
    'quota.wait.minutes': '{minutes} min',
    'quota.wait.hours': '{hours} h',
    'quota.wait.hours_minutes': '{hours} h {minutes} min',
    'quota.plan.free': 'Free',
    'quota.plan.starter': 'Starter',
    'quota.plan.pro': 'Pro',
    'quota.plan.business': 'Business',
    'quota.price.free': 'no charge',
    'quota.price.monthly': '{price} a month',
    'quota.metric.updatesPerHour': 'Updates this hour',
    'quota.metric.broadcastsPerDay': 'Broadcasts today',
    'quota.metric.assistantQuestionsPerDay': 'Assistant questions today',
    'quota.metric.storedBytes': 'Stored data',
    'quota.metric.watchedAddresses': 'Watched addresses',
    'quota.limit.updatesPerHour': '{limit} updates an hour',
    'quota.limit.broadcastsPerDay': '{limit} broadcasts a day',
    'quota.limit.assistantQuestionsPerDay': '{limit} assistant questions a day',
    'quota.limit.storedBytes': '{limit} of stored data',
    'quota.limit.watchedAddresses': '{limit} watched addresses',
    'quota.usage.title': '📈 <b>Usage of @{bot}</b>',
    'quota.usage.plan': 'Plan: <b>{plan}</b> ({price})',
    'quota.usage.counter': '{mark} {name}: <b>{used}</b> / {limit} ({percent}%) · resets at {at} UTC, in {wait}',
    'quota.usage.gauge': '{mark} {name}: <b>{used}</b> / {limit} ({percent}%)',
    'quota.usage.upgrade': 'Need more? The {plan} plan ({price}) raises these limits.',
    'quota.operator.reached': '⚠️ <b>@{bot} reached a quota of its {plan} plan</b>: {limit}.',
    'quota.effect.updatesPerHour':
      'Until it resets, the bot does not process its users’ messages: each chat gets one short “busy, try again later” answer.',
    'quota.effect.broadcastsPerDay': 'No more broadcasts can be sent until it resets.',
    'quota.effect.assistantQuestionsPerDay':
      'The assistant answers no more questions until it resets; everything else works.',
    'quota.effect.storedBytes': 'The bot stores nothing new until some data is deleted or the plan is upgraded.',
    'quota.effect.watchedAddresses': 'No new address can be watched until one is removed or the plan is upgraded.',
    'quota.operator.resets': 'It resets at {at} UTC (in {wait}).',
    'quota.operator.upgrade': 'Upgrade to the {plan} plan ({price}) for {limit}.',
    'quota.operator.largest': 'This is the largest plan: this limit cannot be raised further.',
  } as const,
  {
    'quota.user.busy': '⏳ 本机器人目前非常繁忙，暂时无法回复。请在 {wait}后再试。',
    'quota.user.full': '⏳ 本机器人目前无法接收更多内容。请稍后再试。',
    'quota.wait.minutes': '{minutes} 分钟',
    'quota.wait.hours': '{hours} 小时',
    'quota.wait.hours_minutes': '{hours} 小时 {minutes} 分钟',
    'quota.plan.free': '免费版',
    'quota.plan.starter': '入门版',
    'quota.plan.pro': '专业版',
    'quota.plan.business': '商业版',
    'quota.price.free': '免费',
    'quota.price.monthly': '每月 {price}',
    'quota.metric.updatesPerHour': '本小时更新数',
    'quota.metric.broadcastsPerDay': '今日群发次数',
    'quota.metric.assistantQuestionsPerDay': '今日助手提问数',
    'quota.metric.storedBytes': '已存储数据',
    'quota.metric.watchedAddresses': '监控地址数',
    'quota.limit.updatesPerHour': '每小时 {limit} 条更新',
    'quota.limit.broadcastsPerDay': '每天 {limit} 次群发',
    'quota.limit.assistantQuestionsPerDay': '每天 {limit} 次助手提问',
    'quota.limit.storedBytes': '{limit} 存储空间',
    'quota.limit.watchedAddresses': '{limit} 个监控地址',
    'quota.usage.title': '📈 <b>@{bot} 的用量</b>',
    'quota.usage.plan': '套餐：<b>{plan}</b>（{price}）',
    'quota.usage.counter': '{mark} {name}：<b>{used}</b> / {limit}（{percent}%）· UTC {at} 重置，还有 {wait}',
    'quota.usage.gauge': '{mark} {name}：<b>{used}</b> / {limit}（{percent}%）',
    'quota.usage.upgrade': '需要更多？{plan}（{price}）可提高这些上限。',
    'quota.operator.reached': '⚠️ <b>@{bot} 已达到当前套餐（{plan}）的配额</b>：{limit}。',
    'quota.effect.updatesPerHour':
      '在重置之前，机器人不处理用户的消息：每个聊天会收到一条简短的“繁忙，请稍后再试”回复。',
    'quota.effect.broadcastsPerDay': '在重置之前无法再发送群发消息。',
    'quota.effect.assistantQuestionsPerDay': '在重置之前助手不再回答问题；其他功能照常。',
    'quota.effect.storedBytes': '在删除部分数据或升级套餐之前，机器人不再存储新内容。',
    'quota.effect.watchedAddresses': '在移除一个地址或升级套餐之前，无法监控新地址。',
    'quota.operator.resets': '将于 UTC {at} 重置（还有 {wait}）。',
    'quota.operator.upgrade': '升级到{plan}（{price}）可获得{limit}。',
    'quota.operator.largest': '这已是最高套餐：此上限无法再提高。',
  },
);

export type QuotaMessageKey = CatalogKey<typeof quotaMessages>;
