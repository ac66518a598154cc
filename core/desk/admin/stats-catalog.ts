import { catalog } from '../../platform/i18n/index.js';

/** The admin desk: /stats (English and Simplified Chinese; the type checker requires both). */
export const statsMessages = /* @__PURE__ */ catalog(
  {
    'stats.title': '📊 <b>Desk statistics</b>',
    'stats.users':
      '👥 Users: <b>{total}</b> · reachable (not blocked): <b>{active}</b> · active in the last 24 h: <b>{seen}</b>',
    'stats.wallets': '👛 Linked wallets (verified): {count}',
    'stats.pending': '💰 Pending deposits: {deposits} · pending payouts: {payouts}',
    'stats.queues': '📬 <b>Queues</b> (waiting / in flight / DLQ)',
    'stats.queue': '{queue}: {waiting} / {inFlight} / {dead}',
    'stats.queue_dead': '⚠️ {queue}: {waiting} / {inFlight} / <b>{dead}</b>',
    'stats.rpc': '🔗 <b>Solana RPC</b>, last 24 h (calls / 429s / failures)',
    'stats.rpc_endpoint': '{endpoint}: {calls} / {rateLimited} / {failures}',
    'stats.rpc_none': 'No calls.',
    'stats.telegram': '✈️ Telegram 429s, last 24 h: <b>{count}</b>',
    'stats.unknown': '—',
    'stats.footnote': '<i>Workers report their counts about once a minute. “—”: not available yet.</i>',
  } as const,
  {
    'stats.title': '📊 <b>服务台统计</b>',
    'stats.users': '👥 用户：<b>{total}</b> · 可触达（未屏蔽）：<b>{active}</b> · 最近 24 小时活跃：<b>{seen}</b>',
    'stats.wallets': '👛 已绑定钱包（已验证）：{count}',
    'stats.pending': '💰 待确认充值：{deposits} · 待处理提现：{payouts}',
    'stats.queues': '📬 <b>队列</b>（等待 / 处理中 / 死信）',
    'stats.queue': '{queue}：{waiting} / {inFlight} / {dead}',
    'stats.queue_dead': '⚠️ {queue}：{waiting} / {inFlight} / <b>{dead}</b>',
    'stats.rpc': '🔗 <b>Solana RPC</b>，最近 24 小时（调用 / 429 / 失败）',
    'stats.rpc_endpoint': '{endpoint}：{calls} / {rateLimited} / {failures}',
    'stats.rpc_none': '没有调用。',
    'stats.telegram': '✈️ Telegram 429，最近 24 小时：<b>{count}</b>',
    'stats.unknown': '—',
    'stats.footnote': '<i>各工作进程约每分钟上报一次计数；“—”表示暂无数据。</i>',
  },
);
