/**
 * The admin desk, in English and Simplified Chinese (the type checker requires both), split by who says
 * each text so a function's bundle carries only its own (core/desk/i18n.ts).
 */
import { catalog } from '../../platform/i18n/index.js';

/** Said by both the webhook and the workers. */
export const adminSharedMessages = /* @__PURE__ */ catalog(
  {
    'admin.block.admin': '{who} is an admin: admins cannot be blocked.',
  } as const,
  {
    'admin.block.admin': '{who} 是管理员：管理员不能被封禁。',
  },
);

/** Said by the webhook (the conversation). */
export const adminConversationMessages = /* @__PURE__ */ catalog(
  {
    'admin.user.usage': 'Send /user &lt;id or @username&gt; to look a user up.',
    'admin.block.usage':
      'Send /block &lt;id or @username&gt; to block a user, and /unblock &lt;id or @username&gt; to let them back.',
    'admin.blocked_press': 'Not available.',
    'admin.blocked_notice':
      '⛔ An admin has blocked your account at this desk, so I no longer answer your messages. If you think this is a mistake, contact the desk’s admins.',
    'admin.not_admin': 'Sorry, only the bot’s admins can do that.',
  } as const,
  {
    'admin.user.usage': '发送 /user &lt;用户 ID 或 @用户名&gt; 查询用户。',
    'admin.block.usage':
      '发送 /block &lt;用户 ID 或 @用户名&gt; 封禁用户，发送 /unblock &lt;用户 ID 或 @用户名&gt; 解除封禁。',
    'admin.blocked_press': '暂不可用。',
    'admin.blocked_notice':
      '⛔ 管理员已封禁您在本服务台的账户，我将不再回复您的消息。如认为有误，请联系服务台的管理员。',
    'admin.not_admin': '抱歉，只有机器人管理员可以执行此操作。',
  },
);

/** Said by the workers (jobs). */
export const adminJobMessages = /* @__PURE__ */ catalog(
  {
    'admin.user.unknown': 'No such user: {target}. Only users who have talked to the bot can be found.',
    'admin.user.card':
      '👤 <b>User <code>{id}</code></b>\nUsername: {username}\nLanguage: {lang}\nStatus: {status}\nInternal balance: <b>{balance} SOL</b>\nVerified wallets: {count}',
    'admin.user.wallet': '• <code>{address}</code>',
    'admin.user.status_active': 'active',
    'admin.user.status_left': 'blocked the bot',
    'admin.user.status_blocked': 'blocked by an admin',
    'admin.block.done':
      '🚫 Blocked {who}. The bot ignores their messages and buttons, and broadcasts skip them; they are told so once, when they next write. /unblock {id} lets them back.',
    'admin.unblock.done': '✅ Unblocked {who}. The bot answers them again.',
  } as const,
  {
    'admin.user.unknown': '没有这个用户：{target}。只能查到与机器人对话过的用户。',
    'admin.user.card':
      '👤 <b>用户 <code>{id}</code></b>\n用户名：{username}\n语言：{lang}\n状态：{status}\n内部余额：<b>{balance} SOL</b>\n已验证钱包：{count} 个',
    'admin.user.wallet': '• <code>{address}</code>',
    'admin.user.status_active': '正常',
    'admin.user.status_left': '已屏蔽机器人',
    'admin.user.status_blocked': '已被管理员封禁',
    'admin.block.done':
      '🚫 已封禁 {who}。机器人将忽略其消息和按钮，广播也会跳过该用户；对方下次发消息时会收到一次封禁通知。发送 /unblock {id} 可解除封禁。',
    'admin.unblock.done': '✅ 已解除封禁 {who}。机器人会重新回复该用户。',
  },
);
