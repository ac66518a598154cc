/**
 * Message catalogs. Every string a user sees lives here, in English and Simplified Chinese,
 * written for Telegram's HTML parse mode. Parameters are HTML-escaped when substituted, so
 * user-supplied text can never inject markup.
 */
import { adminMessages } from '../admin/catalog.js';
import { statsMessages } from '../admin/stats-catalog.js';
import { aiMessages } from '../assistant/catalog.js';
import { limitMessages } from '../bot/limits-catalog.js';
import { depositMessages } from '../deposits/catalog.js';
import { withdrawMessages } from '../payouts/catalog.js';
import { watchMessages } from '../watches/catalog.js';

export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];

const coreEn = {
  'lang.prompt': 'Choose your language / 选择语言',
  'lang.saved': 'Language set to English.',
  'lang.name': 'English',
  'menu.title': '<b>Solana wallet desk</b>\nHello, {name}! What would you like to do?',
  'menu.help': '❓ Help',
  'menu.language': '🌐 Language',
  'menu.back': '⬅️ Back',
  'menu.wallets': '👛 Wallets',
  'help.text':
    '<b>Help</b>\nSend a Solana address to link it as your wallet (up to {max}).\n/start – start or restart\n/menu – main menu\n/wallets – your linked wallets: rename, remove, balance\n/lang – change language\n/help – this help\n/balance – balances of your linked wallets\n/balance &lt;address…&gt; – SOL and token balances of any addresses\n/verify &lt;address&gt; – what an address is on chain\n/deposit [SOL] – a deposit request (Solana Pay) that only you can be credited for\n/history – your internal balance and its ledger\n/withdraw &lt;SOL&gt; &lt;wallet&gt; – withdraw to a verified wallet\n/secrets – your stored secrets (masked)\n/setsecret &lt;name&gt; – store a secret (I delete your message)\n/checksecret, /delsecret &lt;name&gt; – check or delete one\n/watch &lt;address&gt; [SOL] – alert me when its balance moves\n/watches – your watches\n\n💬 Anything else you write goes to the assistant, which answers questions about Solana and this bot (it cannot see your wallets or secrets, nor move funds).\n/reset – make the assistant forget our conversation',
  'button.stale': 'This button is no longer valid. Send /menu for a fresh menu.',
  'text.unknown': 'I did not understand that. Send /menu to see what I can do.',
  'address.not_base58': 'That is not a Solana address: it has characters base58 does not use.',
  'address.wrong_length': 'That is not a Solana address: it has the wrong length.',
  'address.off_curve':
    'That address is a program-derived address (PDA): no wallet can sign for it, so it cannot be yours to deposit from.',
  'chain.checking': 'Checking the chain…',
  'verify.none': '<code>{address}</code> has no account on chain yet (0 SOL). It appears once it receives SOL.',
  'verify.wallet': '✅ <code>{address}</code> is a wallet (system account) holding <b>{sol} SOL</b>.',
  'verify.pda': '<code>{address}</code> is a system account off the ed25519 curve (a PDA) holding {sol} SOL.',
  'verify.program': '<code>{address}</code> is a program, not a wallet.',
  'verify.token_account': '<code>{address}</code> is a token account ({program}), not a wallet.',
  'verify.mint': '<code>{address}</code> is a token mint ({program}), not a wallet.',
  'verify.owned': '<code>{address}</code> is a data account of program <code>{owner}</code> holding {sol} SOL.',
  'balance.usage':
    'Send /balance followed by one or more Solana addresses, or link your wallet first by sending its address.',
  'balance.title': '<b>Balance</b> of <code>{address}</code>',
  'balance.sol': 'SOL: <b>{sol}</b>',
  'balance.token': '{symbol}: <b>{amount}</b>',
  'balance.no_tokens': 'No tokens.',
  'balance.total': '<b>Total: {sol} SOL</b> in {count} wallets',
  'wallet.linked': '👛 Linked <code>{address}</code> (wallet {count} of {max}). Checking it on chain…',
  'wallet.already': '<code>{address}</code> is already linked. See /wallets.',
  'wallet.limit': 'You already have {max} linked wallets. Remove one in /wallets first.',
  'wallet.private': 'Wallets are linked and managed in a private chat with me.',
  'wallets.title': '👛 <b>Your wallets</b> ({count} of {max})\nPick one, or send another Solana address to link it.',
  'wallets.none': '👛 You have no linked wallets yet. Send a Solana address to link one.',
  'wallet.screen': '👛 <b>Wallet {number}</b>\nAddress: <code>{address}</code>\nLabel: {label}',
  'wallet.no_label': 'none',
  'wallet.rename': '✏️ Rename',
  'wallet.remove': '🗑 Remove',
  'wallet.balance': '💰 Balance',
  'wallet.cancel': '✖ Cancel',
  'wallet.rename_prompt':
    '✏️ Send the new label for <code>{address}</code> (1 to {max} characters), or /cancel to keep the current one.',
  'wallet.label_invalid': 'A label is 1 to {max} characters. Send a shorter one, or /cancel.',
  'wallet.renamed': '✏️ Label saved.',
  'wallet.rename_cancelled': 'Cancelled. The label was not changed.',
  'wallet.gone': 'That wallet is no longer linked. Send /wallets to see your wallets.',
  'wallet.remove_confirm':
    '🗑 Remove <code>{address}</code> from your wallets? Withdrawals can then no longer go to it.',
  'wallet.remove_yes': '✅ Yes, remove',
  'wallet.remove_no': '✖ No',
  'wallet.removed': 'Wallet removed.',
  'tx.confirmed': '✅ Transaction confirmed: <code>{signature}</code>',
  'tx.failed': '❌ Transaction failed on chain: <code>{signature}</code>',
  'tx.expired': '⌛ Transaction expired without landing (nothing was sent twice): <code>{signature}</code>',
  'watch.changed': '🔔 <b>Balance changed</b>\n<code>{address}</code>\n{old} SOL → <b>{new} SOL</b> ({delta} SOL)',
  'broadcast.usage': 'Send /broadcast followed by the message for every user (formatting is kept).',
  'broadcast.confirm': '📣 The message above goes to every active user. Send it?',
  'broadcast.send': '📣 Send',
  'broadcast.discard': '✖ Discard',
  'broadcast.discarded': 'Broadcast discarded.',
  'broadcast.queued': '⏳ Broadcast {id} is starting…',
  'broadcast.progress': '📣 Broadcast {id}: sent {sent} / {total}, {blocked} blocked, {failed} failed',
  'broadcast.done': '✅ Broadcast {id} finished: sent {sent} / {total}, {blocked} blocked, {failed} failed',
  'broadcast.cancelled': '⏹ Broadcast {id} cancelled: sent {sent} / {total}, {blocked} blocked, {failed} failed',
  'broadcast.cancel': '⏹ Cancel',
  'broadcast.cancelling': 'Cancelling…',
  'withdraw.usage':
    'Send /withdraw &lt;amount in SOL&gt; &lt;wallet&gt;, to one of your verified wallets (verify one with /verify &lt;address&gt;).',
  'withdraw.private': 'Withdrawals are made in a private chat with me.',
  'withdraw.checking': '⏳ Checking your withdrawal request…',
  'withdraw.limits': 'A withdrawal must be between {min} and {max} SOL.',
  'withdraw.unverified':
    '<code>{wallet}</code> is not one of your verified wallets. Verify it first with /verify {wallet}.',
  'withdraw.cap': 'That is over your daily withdrawal limit. You can still withdraw {left} SOL today.',
  'withdraw.insufficient': 'Your balance is {balance} SOL: not enough for that withdrawal. Top it up with /deposit.',
  'withdraw.unavailable': 'Withdrawals are paused for the moment. The admins have been told; please try again later.',
  'withdraw.requested':
    '📝 Withdrawal <code>{id}</code> of <b>{sol} SOL</b> to <code>{wallet}</code> is waiting for an admin to approve it.',
  'withdraw.approved': '👍 Withdrawal <code>{id}</code> of {sol} SOL was approved and is being sent.',
  'withdraw.rejected': '🚫 Withdrawal <code>{id}</code> of {sol} SOL was rejected by an admin.',
  'withdraw.paid':
    '✅ Withdrawal <code>{id}</code>: <b>{sol} SOL</b> sent to <code>{wallet}</code>.\n<a href="{link}">View the transaction</a>',
  'withdraw.failed':
    '❌ Withdrawal <code>{id}</code> of {sol} SOL could not be sent; nothing left the treasury. The admins have been told.',
  'payout.deciding': 'Deciding… the outcome follows in this chat.',
  'secret.private': 'Secrets are stored in a private chat with me only.',
  'secret.bad_name': 'A secret name is 1–32 characters: letters, digits, _ or -.',
  'secret.send_value':
    '🔐 Send the value of <b>{name}</b> now, as one message. I delete it as soon as I have it. Send /cancel to stop.',
  'secret.too_long': 'That value is too long (at most {max} bytes). Nothing was stored.',
  'secret.storing': '🔐 Your message was deleted. Storing <b>{name}</b>…',
  'secret.stored': '🔐 Stored <b>{name}</b>: <code>{masked}</code>',
  'secret.limit': 'You already keep {max} secrets. Delete one with /delsecret first.',
  'secret.none': 'You have no stored secrets. Store one with /setsecret &lt;name&gt;.',
  'secret.list_title': '🔐 <b>Your secrets</b>',
  'secret.item': '• <b>{name}</b>  <code>{masked}</code>  ({date})',
  'secret.deleted': '🗑 Deleted <b>{name}</b>.',
  'secret.missing': 'You have no secret named <b>{name}</b>.',
  'secret.check_ok': '✅ <b>{name}</b> opens correctly: {length} characters, <code>{masked}</code>.',
  'secret.check_failed': '⚠️ <b>{name}</b> could not be opened. Store it again with /setsecret {name}.',
  'secret.unavailable': 'The key service is busy right now; your request will be retried shortly.',
  'secret.cancelled': 'Cancelled. Nothing was stored.',
  'ledger.title': '📒 <b>History</b>\nBalance: <b>{balance} SOL</b>',
  'ledger.entry': '{date}  {kind}  <b>{sol} SOL</b>',
  'ledger.empty': 'No entries yet. Send /deposit to add funds.',
  'ledger.kind.deposit': 'deposit',
  'ledger.kind.withdrawal': 'withdrawal',
  'ledger.kind.refund': 'refund',
  'secret.expired':
    'I deleted that message, but the /setsecret request had expired. Nothing was stored; send /setsecret again.',
} as const;

/** Every catalog: the core strings, then each feature's (`core/i18n/<feature>.ts`). */
const en = {
  ...coreEn,
  ...aiMessages.en,
  ...watchMessages.en,
  ...withdrawMessages.en,
  ...adminMessages.en,
  ...depositMessages.en,
  ...statsMessages.en,
  ...limitMessages.en,
};

export type MessageKey = keyof typeof en;

const coreZh: Record<keyof typeof coreEn, string> = {
  'lang.prompt': 'Choose your language / 选择语言',
  'lang.saved': '语言已设置为中文。',
  'lang.name': '中文',
  'menu.title': '<b>Solana 钱包服务台</b>\n你好，{name}！请选择操作：',
  'menu.help': '❓ 帮助',
  'menu.language': '🌐 语言',
  'menu.back': '⬅️ 返回',
  'menu.wallets': '👛 钱包',
  'help.text':
    '<b>帮助</b>\n发送 Solana 地址即可绑定为您的钱包（最多 {max} 个）。\n/start – 开始或重新开始\n/menu – 主菜单\n/wallets – 已绑定的钱包：重命名、移除、查询余额\n/lang – 切换语言\n/help – 查看帮助\n/balance – 查询已绑定钱包的余额\n/balance &lt;地址…&gt; – 查询任意地址的 SOL 和代币余额\n/verify &lt;地址&gt; – 查看地址在链上的类型\n/deposit [SOL] – 生成只属于您的充值请求（Solana Pay）\n/history – 内部余额及流水\n/withdraw &lt;SOL&gt; &lt;钱包&gt; – 提现到已验证的钱包\n/secrets – 已保存的密钥（已遮盖）\n/setsecret &lt;名称&gt; – 保存密钥（我会删除您的消息）\n/checksecret、/delsecret &lt;名称&gt; – 检查或删除\n/watch &lt;地址&gt; [SOL] – 余额变动时提醒我\n/watches – 我的监控\n\n💬 您写的其他内容会交给助手，它能回答关于 Solana 和本机器人的问题（它看不到您的钱包和密钥，也无法转移资金）。\n/reset – 让助手忘记我们的对话',
  'button.stale': '此按钮已失效。请发送 /menu 获取新菜单。',
  'text.unknown': '没有理解您的消息。发送 /menu 查看可用功能。',
  'address.not_base58': '这不是 Solana 地址：包含 base58 不使用的字符。',
  'address.wrong_length': '这不是 Solana 地址：长度不正确。',
  'address.off_curve': '该地址是程序派生地址（PDA）：没有钱包可以为它签名，不能用它充值。',
  'chain.checking': '正在查询链上数据…',
  'verify.none': '<code>{address}</code> 在链上还没有账户（0 SOL）。收到 SOL 后才会出现。',
  'verify.wallet': '✅ <code>{address}</code> 是钱包（系统账户），余额 <b>{sol} SOL</b>。',
  'verify.pda': '<code>{address}</code> 是不在 ed25519 曲线上的系统账户（PDA），余额 {sol} SOL。',
  'verify.program': '<code>{address}</code> 是程序，不是钱包。',
  'verify.token_account': '<code>{address}</code> 是代币账户（{program}），不是钱包。',
  'verify.mint': '<code>{address}</code> 是代币铸造账户（{program}），不是钱包。',
  'verify.owned': '<code>{address}</code> 是程序 <code>{owner}</code> 的数据账户，余额 {sol} SOL。',
  'balance.usage': '请发送 /balance 加上一个或多个 Solana 地址，或先发送钱包地址进行绑定。',
  'balance.title': '<code>{address}</code> 的<b>余额</b>',
  'balance.sol': 'SOL：<b>{sol}</b>',
  'balance.token': '{symbol}：<b>{amount}</b>',
  'balance.no_tokens': '没有代币。',
  'balance.total': '<b>合计：{sol} SOL</b>，共 {count} 个钱包',
  'wallet.linked': '👛 已绑定 <code>{address}</code>（第 {count} 个，共可绑定 {max} 个）。正在查询链上数据…',
  'wallet.already': '<code>{address}</code> 已经绑定。发送 /wallets 查看。',
  'wallet.limit': '您已绑定 {max} 个钱包。请先在 /wallets 中移除一个。',
  'wallet.private': '请在与我的私聊中绑定和管理钱包。',
  'wallets.title': '👛 <b>您的钱包</b>（{count} / {max}）\n请选择一个钱包，或发送新的 Solana 地址进行绑定。',
  'wallets.none': '👛 您还没有绑定钱包。发送 Solana 地址即可绑定。',
  'wallet.screen': '👛 <b>钱包 {number}</b>\n地址：<code>{address}</code>\n标签：{label}',
  'wallet.no_label': '无',
  'wallet.rename': '✏️ 重命名',
  'wallet.remove': '🗑 移除',
  'wallet.balance': '💰 余额',
  'wallet.cancel': '✖ 取消',
  'wallet.rename_prompt': '✏️ 请发送 <code>{address}</code> 的新标签（1 到 {max} 个字符），或发送 /cancel 保留原标签。',
  'wallet.label_invalid': '标签为 1 到 {max} 个字符。请发送更短的标签，或发送 /cancel。',
  'wallet.renamed': '✏️ 标签已保存。',
  'wallet.rename_cancelled': '已取消，标签未更改。',
  'wallet.gone': '该钱包已不再绑定。发送 /wallets 查看您的钱包。',
  'wallet.remove_confirm': '🗑 确定从您的钱包中移除 <code>{address}</code>？移除后将无法再提现到该地址。',
  'wallet.remove_yes': '✅ 确认移除',
  'wallet.remove_no': '✖ 取消',
  'wallet.removed': '钱包已移除。',
  'tx.confirmed': '✅ 交易已确认：<code>{signature}</code>',
  'tx.failed': '❌ 交易在链上执行失败：<code>{signature}</code>',
  'tx.expired': '⌛ 交易已过期且未上链（未重复发送）：<code>{signature}</code>',
  'watch.changed': '🔔 <b>余额变动</b>\n<code>{address}</code>\n{old} SOL → <b>{new} SOL</b>（{delta} SOL）',
  'broadcast.usage': '发送 /broadcast 加上要发给所有用户的消息（保留格式）。',
  'broadcast.confirm': '📣 上面的消息将发给所有活跃用户。确认发送？',
  'broadcast.send': '📣 发送',
  'broadcast.discard': '✖ 放弃',
  'broadcast.discarded': '已放弃此次广播。',
  'broadcast.queued': '⏳ 广播 {id} 正在开始…',
  'broadcast.progress': '📣 广播 {id}：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
  'broadcast.done': '✅ 广播 {id} 已完成：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
  'broadcast.cancelled': '⏹ 广播 {id} 已取消：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
  'broadcast.cancel': '⏹ 取消',
  'broadcast.cancelling': '正在取消…',
  'withdraw.usage':
    '发送 /withdraw &lt;SOL 数量&gt; &lt;钱包地址&gt;，提现到您已验证的钱包（先用 /verify &lt;地址&gt; 验证）。',
  'withdraw.private': '请在与我的私聊中提现。',
  'withdraw.checking': '⏳ 正在检查您的提现申请…',
  'withdraw.limits': '单笔提现需在 {min} 到 {max} SOL 之间。',
  'withdraw.unverified': '<code>{wallet}</code> 不是您已验证的钱包。请先用 /verify {wallet} 验证。',
  'withdraw.cap': '已超过您的每日提现额度。今天还可提现 {left} SOL。',
  'withdraw.insufficient': '您的余额为 {balance} SOL，不足以提现该金额。请用 /deposit 充值。',
  'withdraw.unavailable': '提现暂时暂停，已通知管理员，请稍后再试。',
  'withdraw.requested': '📝 提现 <code>{id}</code>：<b>{sol} SOL</b> 到 <code>{wallet}</code>，正在等待管理员审批。',
  'withdraw.approved': '👍 提现 <code>{id}</code>（{sol} SOL）已获批准，正在发送。',
  'withdraw.rejected': '🚫 提现 <code>{id}</code>（{sol} SOL）已被管理员拒绝。',
  'withdraw.paid':
    '✅ 提现 <code>{id}</code>：<b>{sol} SOL</b> 已发送到 <code>{wallet}</code>。\n<a href="{link}">查看交易</a>',
  'withdraw.failed': '❌ 提现 <code>{id}</code>（{sol} SOL）发送失败，资金未离开金库。已通知管理员。',
  'payout.deciding': '处理中…结果将发送到本群。',
  'secret.private': '密钥只能在与我的私聊中保存。',
  'secret.bad_name': '密钥名称为 1–32 个字符：字母、数字、_ 或 -。',
  'secret.send_value': '🔐 现在请把 <b>{name}</b> 的值作为一条消息发送。收到后我会立即删除它。发送 /cancel 取消。',
  'secret.too_long': '该值太长（最多 {max} 字节），未保存。',
  'secret.storing': '🔐 您的消息已删除，正在保存 <b>{name}</b>…',
  'secret.stored': '🔐 已保存 <b>{name}</b>：<code>{masked}</code>',
  'secret.limit': '您已保存 {max} 个密钥，请先用 /delsecret 删除一个。',
  'secret.none': '您还没有保存任何密钥。用 /setsecret &lt;名称&gt; 保存。',
  'secret.list_title': '🔐 <b>您的密钥</b>',
  'secret.item': '• <b>{name}</b>  <code>{masked}</code>  （{date}）',
  'secret.deleted': '🗑 已删除 <b>{name}</b>。',
  'secret.missing': '您没有名为 <b>{name}</b> 的密钥。',
  'secret.check_ok': '✅ <b>{name}</b> 可以正常解开：{length} 个字符，<code>{masked}</code>。',
  'secret.check_failed': '⚠️ <b>{name}</b> 无法解开。请用 /setsecret {name} 重新保存。',
  'secret.unavailable': '密钥服务暂时繁忙，您的请求稍后会自动重试。',
  'secret.cancelled': '已取消，未保存任何内容。',
  'ledger.title': '📒 <b>账单</b>\n余额：<b>{balance} SOL</b>',
  'ledger.entry': '{date}  {kind}  <b>{sol} SOL</b>',
  'ledger.empty': '暂无记录。发送 /deposit 充值。',
  'ledger.kind.deposit': '充值',
  'ledger.kind.withdrawal': '提现',
  'ledger.kind.refund': '退款',
  'secret.expired': '我已删除那条消息，但 /setsecret 请求已过期，未保存任何内容。请重新发送 /setsecret。',
};

const zh: Record<MessageKey, string> = {
  ...coreZh,
  ...aiMessages.zh,
  ...watchMessages.zh,
  ...withdrawMessages.zh,
  ...adminMessages.zh,
  ...depositMessages.zh,
  ...statsMessages.zh,
  ...limitMessages.zh,
};

const CATALOGS: Record<Language, Record<MessageKey, string>> = { en, zh };

/** Escapes text for Telegram HTML: only `&`, `<`, `>` and `"` need it. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

/** A translator for one language; unknown `{placeholders}` are left visible so they get noticed. */
export function translator(language: Language): Translate {
  const catalog = CATALOGS[language];
  return (key, params = {}) =>
    catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? escapeHtml(String(params[name])) : whole,
    );
}

/** Picks the user's language: their choice, else their Telegram client's, else English. */
export function pickLanguage(chosen: Language | undefined, clientLanguage: string | undefined): Language {
  if (chosen) return chosen;
  return clientLanguage?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
