/**
 * Watch alerts, in English and Simplified Chinese (the type checker requires both), split by who says
 * each text so a function's bundle carries only its own (core/desk/i18n.ts).
 */
import { catalog } from '../../platform/i18n/index.js';

/** Said by the webhook (the conversation). */
export const watchConversationMessages = /* @__PURE__ */ catalog(
  {
    'watch.usage':
      'Send /watch &lt;address&gt; to hear about every balance change of any Solana address, or /watch &lt;address&gt; &lt;SOL&gt; to hear only about changes of at least that much. /watches lists your watches.',
    'watch.private': 'Watches are set up in a private chat with me.',
  } as const,
  {
    'watch.usage':
      '发送 /watch &lt;地址&gt; 即可在任意 Solana 地址的余额每次变动时收到通知；发送 /watch &lt;地址&gt; &lt;SOL&gt; 则只在变动不少于该数量时通知。/watches 查看您的关注列表。',
    'watch.private': '请在与我的私聊中设置关注。',
  },
);

/** Said by the workers (jobs). */
export const watchJobMessages = /* @__PURE__ */ catalog(
  {
    'watch.added':
      '👁 Watching <code>{address}</code> (watch {count} of {max}). I will tell you whenever its balance changes.',
    'watch.added_threshold':
      '👁 Watching <code>{address}</code> (watch {count} of {max}). I will tell you when its balance changes by {threshold} SOL or more.',
    'watch.limit': 'You already watch {max} addresses. Remove one in /watches first.',
    'watch.quota':
      '👁 This bot cannot watch more addresses right now. Remove one of your watches in /watches, or try again later.',
    'watches.title': '👁 <b>Your watches</b> ({count} of {max})',
    'watches.item': '{number}. <code>{address}</code>: {when}',
    'watches.any': 'every change',
    'watches.threshold': 'changes of {threshold} SOL or more',
    'watches.none': '👁 You are not watching any address. Send /watch &lt;address&gt; to start.',
    'watches.remove': '🗑 Remove {address}',
    'watches.removed': '🗑 Stopped watching <code>{address}</code>.',
    'watches.gone': 'That watch is no longer in your list.',
  } as const,
  {
    'watch.added': '👁 已关注 <code>{address}</code>（第 {count} 个，最多 {max} 个）。余额每次变动时我都会通知您。',
    'watch.added_threshold':
      '👁 已关注 <code>{address}</code>（第 {count} 个，最多 {max} 个）。余额变动不少于 {threshold} SOL 时我会通知您。',
    'watch.limit': '您已关注 {max} 个地址。请先在 /watches 中移除一个。',
    'watch.quota': '👁 本机器人目前无法关注更多地址。请在 /watches 中移除一个关注，或稍后再试。',
    'watches.title': '👁 <b>您的关注</b>（{count} / {max}）',
    'watches.item': '{number}. <code>{address}</code>：{when}',
    'watches.any': '每次变动',
    'watches.threshold': '变动不少于 {threshold} SOL',
    'watches.none': '👁 您还没有关注任何地址。发送 /watch &lt;地址&gt; 开始关注。',
    'watches.remove': '🗑 移除 {address}',
    'watches.removed': '🗑 已取消关注 <code>{address}</code>。',
    'watches.gone': '该关注已不在您的列表中。',
  },
);
