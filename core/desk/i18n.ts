/**
 * The desk's message catalogs. Every string a user sees lives here or in a feature's catalog, in
 * English and Simplified Chinese, written for Telegram's HTML parse mode. Parameters are
 * HTML-escaped when substituted, so user-supplied text can never inject markup.
 *
 * Texts are split by who says them: the webhook (its answers to updates: the conversation), the
 * workers (what jobs send), or both. Each key is defined once, in one catalog; the webhook's
 * translator covers its catalogs and the shared ones, the workers' theirs and the shared ones. The
 * calls are pure, so a bundle carries only the catalogs its translator uses.
 */
import { type CatalogKey, catalog, type Translate as PlatformTranslate, translators } from '../platform/i18n/index.js';
import { adminConversationMessages, adminJobMessages, adminSharedMessages } from './admin/catalog.js';
import { statsMessages } from './admin/stats-catalog.js';
import { aiConversationMessages, aiJobMessages, aiSharedMessages } from './assistant/catalog.js';
import { commandMessages } from './bot/commands-catalog.js';
import { limitMessages } from './bot/limits-catalog.js';
import { depositConversationMessages, depositJobMessages } from './deposits/catalog.js';
import { withdrawConversationMessages, withdrawJobMessages } from './payouts/catalog.js';
import { priceMessages } from './prices/catalog.js';
import { watchConversationMessages, watchJobMessages } from './watches/catalog.js';

/** Texts both the webhook and the workers say. */
const sharedMessages = /* @__PURE__ */ catalog(
  {
    'lang.name': 'English',
    'address.not_base58': 'That is not a Solana address: it has characters base58 does not use.',
    'address.wrong_length': 'That is not a Solana address: it has the wrong length.',
    'address.off_curve':
      'That address is off the ed25519 curve (a program-derived address, PDA): no key signs for it, so it is not a wallet.',
    'address.program': 'That is the address of the {name} program, not a wallet: nobody holds a key for it.',
    'address.mint': 'That is the address of the {name} token mint, not a wallet.',
    'amount.not_number':
      '<code>{text}</code> is not an amount of SOL. Write digits with at most one decimal point, like 1.5: from {min} to {max} SOL, at most 9 decimals.',
    'amount.not_positive': 'An amount must be more than 0 SOL: from {min} to {max} SOL, at most 9 decimals.',
    'amount.too_many_decimals':
      '<code>{text}</code> has more than 9 decimals: the smallest amount of SOL is 0.000000001 (1 lamport). Use from {min} to {max} SOL.',
    'amount.too_small':
      '<code>{text}</code> SOL is below the minimum of {min} SOL (the maximum is {max} SOL, at most 9 decimals).',
    'amount.too_large':
      '<code>{text}</code> SOL is above the maximum of {max} SOL (the minimum is {min} SOL, at most 9 decimals).',
    'broadcast.cancel': '⏹ Cancel',
    'secret.too_long': 'That value is too long (at most {max} bytes). Nothing was stored.',
  } as const,
  {
    'lang.name': '中文',
    'address.not_base58': '这不是 Solana 地址：包含 base58 不使用的字符。',
    'address.wrong_length': '这不是 Solana 地址：长度不正确。',
    'address.off_curve': '该地址不在 ed25519 曲线上（程序派生地址，PDA）：没有私钥能为它签名，所以它不是钱包。',
    'address.program': '这是 {name} 程序的地址，不是钱包：没有人持有它的私钥。',
    'address.mint': '这是 {name} 代币铸造账户的地址，不是钱包。',
    'amount.not_number':
      '<code>{text}</code> 不是有效的 SOL 数量。请只用数字和最多一个小数点，例如 1.5：范围 {min} 到 {max} SOL，最多 9 位小数。',
    'amount.not_positive': '数量必须大于 0 SOL：范围 {min} 到 {max} SOL，最多 9 位小数。',
    'amount.too_many_decimals':
      '<code>{text}</code> 超过 9 位小数：SOL 的最小单位是 0.000000001（1 lamport）。请输入 {min} 到 {max} SOL。',
    'amount.too_small': '<code>{text}</code> SOL 低于最小值 {min} SOL（最大 {max} SOL，最多 9 位小数）。',
    'amount.too_large': '<code>{text}</code> SOL 超过最大值 {max} SOL（最小 {min} SOL，最多 9 位小数）。',
    'broadcast.cancel': '⏹ 取消',
    'secret.too_long': '该值太长（最多 {max} 字节），未保存。',
  },
);

/** Texts the webhook says. */
const conversationMessages = /* @__PURE__ */ catalog(
  {
    'lang.prompt': 'Choose your language / 选择语言',
    'lang.saved': 'Language set to English.',
    'menu.title': '<b>Solana wallet desk</b>\nHello, {name}! What would you like to do?',
    'menu.help': '❓ Help',
    'menu.language': '🌐 Language',
    'menu.back': '⬅️ Back',
    'menu.wallets': '👛 Wallets',
    'menu.balance': '💰 Balance',
    'menu.deposit': '📥 Deposit',
    'menu.withdraw': '📤 Withdraw',
    'menu.history': '📒 History',
    'menu.watches': '👁 Watches',
    'menu.assistant': '💬 Assistant',
    'menu.loading': 'One moment…',
    'menu.private': 'Open a private chat with me for this.',
    'menu.assistant_text':
      '💬 <b>Assistant</b>\nJust write your question as a message, in your own words: about Solana, wallets, fees, or how this bot works. It cannot see your wallets or secrets, nor move funds.\nSend /reset to make it forget the conversation.',
    'button.stale': 'This button is no longer valid. Send /menu for a fresh menu.',
    'text.unknown': 'I did not understand that. Send /menu to see what I can do.',
    'chain.checking': 'Checking the chain…',
    'verify.usage':
      'Send /verify &lt;address&gt; to learn what a Solana address is on chain: a wallet, a program, a token mint or a token account.',
    'balance.usage':
      'Send /balance followed by one or more Solana addresses, or link your wallet first by sending its address.',
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
    'broadcast.usage':
      'Send /broadcast followed by the message for every user. Format it in your Telegram app (bold, italic, underline, strikethrough, spoiler, code, links, quotes): the formatting is kept, and you see the message as users will before it goes.',
    'broadcast.too_long': 'The message is {length} characters long; Telegram takes at most 4,096. Nothing was queued.',
    'broadcast.too_many': 'The message has {count} formatted parts; Telegram takes at most 100. Nothing was queued.',
    'broadcast.format_unsupported':
      'Formatting of type "{type}" cannot be broadcast (bold, italic, underline, strikethrough, spoiler, code, pre, links and quotes can). Nothing was queued.',
    'broadcast.format_range':
      'The "{type}" formatting at {offset} (length {length}) lies outside the message ({total} characters). Nothing was queued.',
    'broadcast.format_invalid':
      'The "{type}" formatting is not valid (a link must start with https://, http:// or tg://). Nothing was queued.',
    'broadcast.confirm': '📣 The message above goes to every active user. Send it?',
    'broadcast.send': '📣 Send',
    'broadcast.discard': '✖ Discard',
    'broadcast.discarded': 'Broadcast discarded.',
    'broadcast.queued': '⏳ Broadcast {id} is starting…',
    'broadcast.cancelling': 'Cancelling…',
    'withdraw.usage':
      'Send /withdraw &lt;amount in SOL&gt; &lt;wallet&gt;: from {min} to {max} SOL (at most 9 decimals), to one of your verified wallets (link one by sending its address; see /wallets).',
    'withdraw.private': 'Withdrawals are made in a private chat with me.',
    'withdraw.checking': '⏳ Checking your withdrawal request…',
    'payout.deciding': 'Deciding… the outcome follows in this chat.',
    'secret.private': 'Secrets are stored in a private chat with me only.',
    'secret.bad_name': 'A secret name is 1–32 characters: letters, digits, _ or -.',
    'secret.send_value':
      '🔐 Send the value of <b>{name}</b> now, as one message. I delete it as soon as I have it. Send /cancel to stop.',
    'secret.storing': '🔐 Your message was deleted. Storing <b>{name}</b>…',
    'secret.cancelled': 'Cancelled. Nothing was stored.',
    'secret.expired':
      'I deleted that message, but the /setsecret request had expired. Nothing was stored; send /setsecret again.',
  } as const,
  {
    'lang.prompt': 'Choose your language / 选择语言',
    'lang.saved': '语言已设置为中文。',
    'menu.title': '<b>Solana 钱包服务台</b>\n你好，{name}！请选择操作：',
    'menu.help': '❓ 帮助',
    'menu.language': '🌐 语言',
    'menu.back': '⬅️ 返回',
    'menu.wallets': '👛 钱包',
    'menu.balance': '💰 余额',
    'menu.deposit': '📥 充值',
    'menu.withdraw': '📤 提现',
    'menu.history': '📒 账单',
    'menu.watches': '👁 关注',
    'menu.assistant': '💬 助手',
    'menu.loading': '请稍候…',
    'menu.private': '请在与我的私聊中使用此功能。',
    'menu.assistant_text':
      '💬 <b>助手</b>\n直接用自己的话发送问题即可：关于 Solana、钱包、手续费或本机器人的用法。它看不到您的钱包和密钥，也无法转移资金。\n发送 /reset 让它忘记对话。',
    'button.stale': '此按钮已失效。请发送 /menu 获取新菜单。',
    'text.unknown': '没有理解您的消息。发送 /menu 查看可用功能。',
    'chain.checking': '正在查询链上数据…',
    'verify.usage': '发送 /verify &lt;地址&gt; 查看 Solana 地址在链上是什么：钱包、程序、代币铸造账户还是代币账户。',
    'balance.usage': '请发送 /balance 加上一个或多个 Solana 地址，或先发送钱包地址进行绑定。',
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
    'wallet.rename_prompt':
      '✏️ 请发送 <code>{address}</code> 的新标签（1 到 {max} 个字符），或发送 /cancel 保留原标签。',
    'wallet.label_invalid': '标签为 1 到 {max} 个字符。请发送更短的标签，或发送 /cancel。',
    'wallet.renamed': '✏️ 标签已保存。',
    'wallet.rename_cancelled': '已取消，标签未更改。',
    'wallet.gone': '该钱包已不再绑定。发送 /wallets 查看您的钱包。',
    'wallet.remove_confirm': '🗑 确定从您的钱包中移除 <code>{address}</code>？移除后将无法再提现到该地址。',
    'wallet.remove_yes': '✅ 确认移除',
    'wallet.remove_no': '✖ 取消',
    'wallet.removed': '钱包已移除。',
    'broadcast.usage':
      '发送 /broadcast 加上要发给所有用户的消息。可在 Telegram 应用中设置格式（粗体、斜体、下划线、删除线、剧透、代码、链接、引用）：格式会保留，发送前你会看到用户将收到的样子。',
    'broadcast.too_long': '消息长 {length} 个字符；Telegram 最多接受 4,096 个。未加入队列。',
    'broadcast.too_many': '消息有 {count} 处格式；Telegram 最多接受 100 处。未加入队列。',
    'broadcast.format_unsupported':
      '“{type}”类型的格式不能广播（可用：粗体、斜体、下划线、删除线、剧透、代码、代码块、链接和引用）。未加入队列。',
    'broadcast.format_range':
      '位于 {offset}（长度 {length}）的“{type}”格式超出了消息范围（共 {total} 个字符）。未加入队列。',
    'broadcast.format_invalid': '“{type}”格式无效（链接须以 https://、http:// 或 tg:// 开头）。未加入队列。',
    'broadcast.confirm': '📣 上面的消息将发给所有活跃用户。确认发送？',
    'broadcast.send': '📣 发送',
    'broadcast.discard': '✖ 放弃',
    'broadcast.discarded': '已放弃此次广播。',
    'broadcast.queued': '⏳ 广播 {id} 正在开始…',
    'broadcast.cancelling': '正在取消…',
    'withdraw.usage':
      '发送 /withdraw &lt;SOL 数量&gt; &lt;钱包地址&gt;：{min} 到 {max} SOL（最多 9 位小数），提现到您已验证的钱包（发送钱包地址即可绑定；见 /wallets）。',
    'withdraw.private': '请在与我的私聊中提现。',
    'withdraw.checking': '⏳ 正在检查您的提现申请…',
    'payout.deciding': '处理中…结果将发送到本群。',
    'secret.private': '密钥只能在与我的私聊中保存。',
    'secret.bad_name': '密钥名称为 1–32 个字符：字母、数字、_ 或 -。',
    'secret.send_value': '🔐 现在请把 <b>{name}</b> 的值作为一条消息发送。收到后我会立即删除它。发送 /cancel 取消。',
    'secret.storing': '🔐 您的消息已删除，正在保存 <b>{name}</b>…',
    'secret.cancelled': '已取消，未保存任何内容。',
    'secret.expired': '我已删除那条消息，但 /setsecret 请求已过期，未保存任何内容。请重新发送 /setsecret。',
  },
);

/** Texts the workers say. */
const jobMessages = /* @__PURE__ */ catalog(
  {
    'verify.none': '<code>{address}</code> has no account on chain yet (0 SOL). It appears once it receives SOL.',
    'verify.wallet': '✅ <code>{address}</code> is a wallet (system account) holding <b>{sol} SOL</b>.',
    'verify.pda': '<code>{address}</code> is a system account off the ed25519 curve (a PDA) holding {sol} SOL.',
    'verify.program': '<code>{address}</code> is a program, not a wallet.',
    'verify.token_account': '<code>{address}</code> is a token account ({program}), not a wallet.',
    'verify.mint': '<code>{address}</code> is a token mint ({program}), not a wallet.',
    'verify.owned': '<code>{address}</code> is a data account of program <code>{owner}</code> holding {sol} SOL.',
    'balance.title': '<b>Balance</b> of <code>{address}</code>',
    'balance.sol': 'SOL: <b>{sol}</b>',
    'balance.token': '{symbol}: <b>{amount}</b>',
    'balance.no_tokens': 'No tokens.',
    'balance.total': '<b>Total: {sol} SOL</b> in {count} wallets',
    'wallet.unlinked':
      'So I unlinked it: only wallets can be linked, and it no longer takes one of your {max} wallet slots. Send the address of a wallet you hold instead.',
    'tx.confirmed': '✅ Transaction confirmed: <code>{signature}</code>',
    'tx.failed': '❌ Transaction failed on chain: <code>{signature}</code>',
    'tx.expired': '⌛ Transaction expired without landing (nothing was sent twice): <code>{signature}</code>',
    'watch.changed': '🔔 <b>Balance changed</b>\n<code>{address}</code>\n{old} SOL → <b>{new} SOL</b> ({delta} SOL)',
    'broadcast.progress': '📣 Broadcast {id}: sent {sent} / {total}, {blocked} blocked, {failed} failed',
    'broadcast.done': '✅ Broadcast {id} finished: sent {sent} / {total}, {blocked} blocked, {failed} failed',
    'broadcast.cancelled': '⏹ Broadcast {id} cancelled: sent {sent} / {total}, {blocked} blocked, {failed} failed',
    'withdraw.unverified':
      '<code>{wallet}</code> is not one of your verified wallets. Verify it first with /verify {wallet}.',
    'withdraw.cap': 'That is over your daily withdrawal limit. You can still withdraw {left} SOL today.',
    'withdraw.insufficient': 'Your balance is {balance} SOL: not enough for that withdrawal. Top it up with /deposit.',
    'withdraw.unavailable': 'Withdrawals are paused for the moment. The admins have been told; please try again later.',
    'withdraw.requested':
      '📝 Withdrawal <code>{id}</code> of <b>{sol} SOL</b> to <code>{wallet}</code> is waiting for an admin to approve it.',
    'withdraw.approved': '👍 Withdrawal <code>{id}</code> of {sol} SOL was approved and is being sent.',
    'withdraw.rejected': '🚫 Withdrawal <code>{id}</code> of {sol} SOL was rejected by an admin.',
    'withdraw.paid': '✅ Withdrawal <code>{id}</code>: <b>{sol} SOL</b> sent to <code>{wallet}</code>.',
    'withdraw.paid_link': '<a href="{link}">View the transaction</a>',
    'withdraw.failed':
      '❌ Withdrawal <code>{id}</code> of {sol} SOL could not be sent; nothing left the treasury. The admins have been told.',
    'secret.stored': '🔐 Stored <b>{name}</b>: <code>{masked}</code>',
    'secret.limit': 'You already keep {max} secrets. Delete one with /delsecret first.',
    'secret.quota':
      '🔐 Not stored: this bot cannot store more right now. Delete a secret you no longer need with /delsecret, or try again later.',
    'secret.none': 'You have no stored secrets. Store one with /setsecret &lt;name&gt;.',
    'secret.list_title': '🔐 <b>Your secrets</b>',
    'secret.item': '• <b>{name}</b>  <code>{masked}</code>  ({date})',
    'secret.deleted': '🗑 Deleted <b>{name}</b>.',
    'secret.missing': 'You have no secret named <b>{name}</b>.',
    'secret.check_ok': '✅ <b>{name}</b> opens correctly: {length} characters, <code>{masked}</code>.',
    'secret.check_failed': '⚠️ <b>{name}</b> could not be opened. Store it again with /setsecret {name}.',
    'ledger.title': '📒 <b>History</b>\nBalance: <b>{balance} SOL</b>',
    'ledger.entry': '{date}  {kind}  <b>{sol} SOL</b>',
    'ledger.empty': 'No entries yet. Send /deposit to add funds.',
    'ledger.kind.deposit': 'deposit',
    'ledger.kind.withdrawal': 'withdrawal',
    'ledger.kind.refund': 'refund',
  } as const,
  {
    'verify.none': '<code>{address}</code> 在链上还没有账户（0 SOL）。收到 SOL 后才会出现。',
    'verify.wallet': '✅ <code>{address}</code> 是钱包（系统账户），余额 <b>{sol} SOL</b>。',
    'verify.pda': '<code>{address}</code> 是不在 ed25519 曲线上的系统账户（PDA），余额 {sol} SOL。',
    'verify.program': '<code>{address}</code> 是程序，不是钱包。',
    'verify.token_account': '<code>{address}</code> 是代币账户（{program}），不是钱包。',
    'verify.mint': '<code>{address}</code> 是代币铸造账户（{program}），不是钱包。',
    'verify.owned': '<code>{address}</code> 是程序 <code>{owner}</code> 的数据账户，余额 {sol} SOL。',
    'balance.title': '<code>{address}</code> 的<b>余额</b>',
    'balance.sol': 'SOL：<b>{sol}</b>',
    'balance.token': '{symbol}：<b>{amount}</b>',
    'balance.no_tokens': '没有代币。',
    'balance.total': '<b>合计：{sol} SOL</b>，共 {count} 个钱包',
    'wallet.unlinked': '因此我已解除绑定：只能绑定钱包，它不再占用您的 {max} 个钱包名额。请改为发送您持有的钱包地址。',
    'tx.confirmed': '✅ 交易已确认：<code>{signature}</code>',
    'tx.failed': '❌ 交易在链上执行失败：<code>{signature}</code>',
    'tx.expired': '⌛ 交易已过期且未上链（未重复发送）：<code>{signature}</code>',
    'watch.changed': '🔔 <b>余额变动</b>\n<code>{address}</code>\n{old} SOL → <b>{new} SOL</b>（{delta} SOL）',
    'broadcast.progress': '📣 广播 {id}：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
    'broadcast.done': '✅ 广播 {id} 已完成：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
    'broadcast.cancelled': '⏹ 广播 {id} 已取消：已发送 {sent} / {total}，{blocked} 人已屏蔽，{failed} 条失败',
    'withdraw.unverified': '<code>{wallet}</code> 不是您已验证的钱包。请先用 /verify {wallet} 验证。',
    'withdraw.cap': '已超过您的每日提现额度。今天还可提现 {left} SOL。',
    'withdraw.insufficient': '您的余额为 {balance} SOL，不足以提现该金额。请用 /deposit 充值。',
    'withdraw.unavailable': '提现暂时暂停，已通知管理员，请稍后再试。',
    'withdraw.requested': '📝 提现 <code>{id}</code>：<b>{sol} SOL</b> 到 <code>{wallet}</code>，正在等待管理员审批。',
    'withdraw.approved': '👍 提现 <code>{id}</code>（{sol} SOL）已获批准，正在发送。',
    'withdraw.rejected': '🚫 提现 <code>{id}</code>（{sol} SOL）已被管理员拒绝。',
    'withdraw.paid': '✅ 提现 <code>{id}</code>：<b>{sol} SOL</b> 已发送到 <code>{wallet}</code>。',
    'withdraw.paid_link': '<a href="{link}">查看交易</a>',
    'withdraw.failed': '❌ 提现 <code>{id}</code>（{sol} SOL）发送失败，资金未离开金库。已通知管理员。',
    'secret.stored': '🔐 已保存 <b>{name}</b>：<code>{masked}</code>',
    'secret.limit': '您已保存 {max} 个密钥，请先用 /delsecret 删除一个。',
    'secret.quota': '🔐 未保存：本机器人目前无法存储更多内容。请用 /delsecret 删除不再需要的密钥，或稍后再试。',
    'secret.none': '您还没有保存任何密钥。用 /setsecret &lt;名称&gt; 保存。',
    'secret.list_title': '🔐 <b>您的密钥</b>',
    'secret.item': '• <b>{name}</b>  <code>{masked}</code>  （{date}）',
    'secret.deleted': '🗑 已删除 <b>{name}</b>。',
    'secret.missing': '您没有名为 <b>{name}</b> 的密钥。',
    'secret.check_ok': '✅ <b>{name}</b> 可以正常解开：{length} 个字符，<code>{masked}</code>。',
    'secret.check_failed': '⚠️ <b>{name}</b> 无法解开。请用 /setsecret {name} 重新保存。',
    'ledger.title': '📒 <b>账单</b>\n余额：<b>{balance} SOL</b>',
    'ledger.entry': '{date}  {kind}  <b>{sol} SOL</b>',
    'ledger.empty': '暂无记录。发送 /deposit 充值。',
    'ledger.kind.deposit': '充值',
    'ledger.kind.withdrawal': '提现',
    'ledger.kind.refund': '退款',
  },
);

/** Every catalog the webhook says (its own, then those it shares with the workers). */
export const CONVERSATION_CATALOGS = [
  conversationMessages,
  aiConversationMessages,
  watchConversationMessages,
  withdrawConversationMessages,
  adminConversationMessages,
  depositConversationMessages,
  limitMessages,
  commandMessages,
  sharedMessages,
  aiSharedMessages,
  adminSharedMessages,
] as const;

/** Every catalog the workers say (their own, then those they share with the webhook). */
export const JOB_CATALOGS = [
  jobMessages,
  aiJobMessages,
  watchJobMessages,
  withdrawJobMessages,
  adminJobMessages,
  depositJobMessages,
  priceMessages,
  statsMessages,
  sharedMessages,
  aiSharedMessages,
  adminSharedMessages,
] as const;

/** A key of a text the webhook says. */
export type ConversationKey = CatalogKey<(typeof CONVERSATION_CATALOGS)[number]>;
/** A key of a text the workers say. */
export type JobKey = CatalogKey<(typeof JOB_CATALOGS)[number]>;
/** A key of a text both say. */
export type SharedKey = ConversationKey & JobKey;

/** The webhook's translator, by language. */
export const conversationTranslator = /* @__PURE__ */ translators(CONVERSATION_CATALOGS);
/** The workers' translator, by language. */
export const jobTranslator = /* @__PURE__ */ translators(JOB_CATALOGS);

export type ConversationTranslate = PlatformTranslate<ConversationKey>;
export type JobTranslate = PlatformTranslate<JobKey>;
/** A translator of the texts both say: what code run by both the webhook and the workers takes. */
export type Translate = PlatformTranslate<SharedKey>;
