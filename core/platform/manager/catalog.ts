import { type CatalogKey, catalog, translators } from '../i18n/index.js';
import { quotaMessages } from '../quotas/index.js';

/**
 * What the manager bot (the deployment's own bot, for operators) says, in English and Simplified
 * Chinese, for Telegram's HTML parse mode; parameters are escaped when substituted.
 */
export const managerMessages = /* @__PURE__ */ catalog(
  {
    'manager.addbot':
      '🤖 <b>Add your bot to the platform</b>\n1. In @BotFather, send /newbot (or /token for a bot you have) and copy the token it gives you.\n2. Send me that token, alone in a message. Add the word <code>payouts</code> after it to give the bot its own treasury key for deposits and withdrawals.\n\nI delete your message at once and seal the token: it is never stored or logged in the clear. The bot starts on the Free plan with the assistant, watches and broadcasts. /mybots lists your bots, /usage shows their use, /removebot takes one off.',
    'manager.token.received': '🔐 Token received; I deleted your message. Setting the bot up…',
    'manager.token.embedded':
      '⚠️ I deleted your message: it holds a bot token among other words. To add a bot, send its token alone (optionally followed by <code>payouts</code>).',
    'manager.token.elsewhere':
      '⚠️ That message held a bot token, so it was deleted (if this chat allows it). Never post a token here: to add a bot, send the token alone in a private chat with @{manager}.',
    'manager.onboarded':
      '✅ @{username} is on the platform: plan {plan}, payouts {payouts}. Its users can start it now. /mybots lists your bots, /usage shows their use.',
    'manager.updated':
      '✅ @{username} was already yours: its token and settings are updated (plan {plan}, payouts {payouts}).',
    'manager.on': 'on',
    'manager.off': 'off',
    'manager.invalid_token':
      '❌ Telegram does not accept this token. Check it in @BotFather (/token) and send it again.',
    'manager.taken': '❌ This bot is already on the platform for another operator: only they can change it.',
    'manager.unavailable':
      '⏳ Setting the bot up failed for a moment (step: {step}). Send the token again in a minute.',
    'manager.refused':
      '❌ The set-up was refused at step {step} ({code}). Check the bot in @BotFather, then send the token again.',
    'manager.sealed_rejected': '❌ Your token could not be opened here. Please send it again.',
    'manager.bots.none': 'You have no bots on the platform yet. /addbot shows how to add one.',
    'manager.bots.title': '🤖 <b>Your bots</b>',
    'manager.bots.line': '• @{username} (<code>{id}</code>): {status}, plan {plan}',
    'manager.status.active': '🟢 active',
    'manager.status.revoked': '🔴 token revoked',
    'manager.status.removed': '⚪ removed',
    'manager.remove.usage': 'Send /removebot followed by the bot’s id, as /mybots lists it.',
    'manager.remove.confirm':
      'Remove bot <code>{id}</code> from the platform? Its webhook is deleted and it stops answering. Its data is kept for 30 days: sending its token again restores it.',
    'manager.remove.yes': '🗑 Remove it',
    'manager.remove.no': 'Keep it',
    'manager.remove.kept': 'Nothing was removed.',
    'manager.remove.working': 'Removing bot {id}…',
    'manager.removed': '🗑 @{username} is off the platform. Its data is kept until {date} UTC.',
    'manager.remove.not_yours': '❌ You operate no bot {id} here.',
    'manager.remove.already': 'Bot {id} was already removed.',
    'manager.remove.unavailable': '⏳ Removing bot {id} failed for a moment. Try again in a minute.',
    'manager.command.addbot': 'Add your own bot to the platform',
    'manager.command.mybots': 'Your bots on the platform',
    'manager.command.usage': 'Your bots’ usage of their plans',
    'manager.command.removebot': 'Remove one of your bots',
  } as const,
  {
    'manager.addbot':
      '🤖 <b>将您的机器人添加到平台</b>\n1. 在 @BotFather 中发送 /newbot（已有机器人则发送 /token），复制它给您的令牌。\n2. 把令牌单独发给我。如需让机器人拥有自己的金库密钥用于充值和提现，请在令牌后加上 <code>payouts</code>。\n\n我会立即删除您的消息并加密令牌：它绝不会以明文存储或记录。机器人以免费版开始，带有助手、监控和群发功能。/mybots 列出您的机器人，/usage 查看用量，/removebot 移除机器人。',
    'manager.token.received': '🔐 已收到令牌，您的消息已删除。正在设置机器人…',
    'manager.token.embedded':
      '⚠️ 您的消息已删除：其中夹杂着机器人令牌。要添加机器人，请单独发送令牌（可在后面加上 <code>payouts</code>）。',
    'manager.token.elsewhere':
      '⚠️ 该消息包含机器人令牌，已被删除（如果此聊天允许）。切勿在此发布令牌：要添加机器人，请在与 @{manager} 的私聊中单独发送令牌。',
    'manager.onboarded':
      '✅ @{username} 已加入平台：套餐 {plan}，提现功能{payouts}。用户现在即可使用。/mybots 列出您的机器人，/usage 查看用量。',
    'manager.updated': '✅ @{username} 本来就是您的：其令牌和设置已更新（套餐 {plan}，提现功能{payouts}）。',
    'manager.on': '开启',
    'manager.off': '关闭',
    'manager.invalid_token': '❌ Telegram 不接受此令牌。请在 @BotFather 中核对（/token）后重新发送。',
    'manager.taken': '❌ 该机器人已由另一位运营者托管在平台上：只有他们可以更改。',
    'manager.unavailable': '⏳ 设置机器人暂时失败（步骤：{step}）。请一分钟后重新发送令牌。',
    'manager.refused': '❌ 设置在步骤 {step} 被拒绝（{code}）。请在 @BotFather 中检查机器人后重新发送令牌。',
    'manager.sealed_rejected': '❌ 无法在此打开您的令牌。请重新发送。',
    'manager.bots.none': '您在平台上还没有机器人。/addbot 说明如何添加。',
    'manager.bots.title': '🤖 <b>您的机器人</b>',
    'manager.bots.line': '• @{username}（<code>{id}</code>）：{status}，套餐 {plan}',
    'manager.status.active': '🟢 运行中',
    'manager.status.revoked': '🔴 令牌已撤销',
    'manager.status.removed': '⚪ 已移除',
    'manager.remove.usage': '请发送 /removebot 加上机器人 ID（见 /mybots）。',
    'manager.remove.confirm':
      '要将机器人 <code>{id}</code> 从平台移除吗？其 webhook 将被删除，机器人停止回复。其数据保留 30 天：重新发送令牌即可恢复。',
    'manager.remove.yes': '🗑 移除',
    'manager.remove.no': '保留',
    'manager.remove.kept': '未移除任何机器人。',
    'manager.remove.working': '正在移除机器人 {id}…',
    'manager.removed': '🗑 @{username} 已从平台移除。其数据保留至 UTC {date}。',
    'manager.remove.not_yours': '❌ 您在此没有 ID 为 {id} 的机器人。',
    'manager.remove.already': '机器人 {id} 已经移除。',
    'manager.remove.unavailable': '⏳ 移除机器人 {id} 暂时失败。请一分钟后再试。',
    'manager.command.addbot': '将您自己的机器人添加到平台',
    'manager.command.mybots': '您在平台上的机器人',
    'manager.command.usage': '您的机器人的套餐用量',
    'manager.command.removebot': '移除您的一个机器人',
  },
);

export type ManagerMessageKey = CatalogKey<typeof managerMessages>;

/** The manager's translator, over its texts and the quota texts its `/usage` shows. */
export const managerTranslator = /* @__PURE__ */ translators([managerMessages, quotaMessages]);
