/**
 * Deposits by reference, in English and Simplified Chinese (the type checker requires both), split by who says
 * each text so a function's bundle carries only its own (core/desk/i18n.ts).
 */
import { catalog } from '../../platform/i18n/index.js';

/** Said by the webhook (the conversation). */
export const depositConversationMessages = /* @__PURE__ */ catalog(
  {
    'deposit.preparing': 'Preparing your deposit request…',
    'deposit.checking': 'Looking for your payment…',
    'deposit.usage':
      '💰 Send /deposit &lt;SOL&gt;, like /deposit 1.5 (up to {max} SOL, at most 9 decimals), for a Solana Pay request of that amount, or /deposit alone to let your wallet ask the amount. Each request is yours alone; /history shows what was credited.',
    'deposit.deciding': 'Deciding… the outcome follows in this chat.',
    'deposit.private': 'Deposits are made in a private chat with me.',
  } as const,
  {
    'deposit.preparing': '正在生成您的充值请求…',
    'deposit.checking': '正在查找您的付款…',
    'deposit.usage':
      '💰 发送 /deposit &lt;SOL&gt;，例如 /deposit 1.5（最多 {max} SOL，最多 9 位小数），生成该金额的 Solana Pay 请求；或只发送 /deposit，由钱包询问金额。每个请求只属于您；/history 查看入账记录。',
    'deposit.deciding': '处理中…结果将发送到本群。',
    'deposit.private': '请在与我的私聊中充值。',
  },
);

/** Said by the workers (jobs). */
export const depositJobMessages = /* @__PURE__ */ catalog(
  {
    'deposit.request':
      '💰 <b>Deposit {amount}</b>\nPay this Solana Pay request from any Solana wallet (scan the QR code above, paste the link, or open it on your phone):\n<code>{url}</code>\n\nIt is yours alone: its reference <code>{short}</code> is recorded to your account, so only a payment that carries it is credited, and only to you. Sending SOL to the treasury without it is not credited automatically. The request stays open {hours} h; one request per deposit.\nAfter paying, press the button.',
    'deposit.any_amount': '(any amount)',
    'deposit.qr_caption': 'Scan with a Solana wallet: deposit {amount}, reference {short}.',
    'deposit.paid_button': "✅ I've paid",
    'deposit.none':
      'No finalized payment to this request yet. A payment counts once the chain finalizes it (about 15 seconds after it lands): press the button again in a moment.',
    'deposit.unknown': 'This deposit request is unknown or not yours. Send /deposit for a new one.',
    'deposit.pending': '💰 Received {sol} SOL for your deposit request. An admin will confirm it shortly.',
    'deposit.credited': '✅ Your deposit of {sol} SOL is confirmed and credited. Balance: {balance} SOL',
    'deposit.rejected': 'Your deposit of {sol} SOL was rejected by an admin. Ask them if you think it is yours.',
    'deposit.treasury':
      '🏦 <b>Treasury address</b> (tap to copy). Fund it with SOL before approving payouts. Users deposit with /deposit, whose reference credits them; a plain transfer here is unattributed.\n<code>{address}</code>',
  } as const,
  {
    'deposit.request':
      '💰 <b>充值 {amount}</b>\n请用任意 Solana 钱包支付此 Solana Pay 请求（扫描上方二维码、粘贴链接，或在手机上打开）：\n<code>{url}</code>\n\n此请求仅属于您：其引用 <code>{short}</code> 已记录到您的账户，只有带此引用的付款才会入账，且只入您的账户。不带引用直接转账到金库不会自动入账。请求有效期 {hours} 小时；每次充值请使用新的请求。\n付款后请点击下方按钮。',
    'deposit.any_amount': '（金额不限）',
    'deposit.qr_caption': '用 Solana 钱包扫码：充值 {amount}，引用 {short}。',
    'deposit.paid_button': '✅ 我已付款',
    'deposit.none':
      '尚未找到此请求已最终确认的付款。付款在链上最终确认后（到账后约 15 秒）才会计入，请稍后再点一次按钮。',
    'deposit.unknown': '此充值请求不存在或不属于您。请发送 /deposit 获取新的请求。',
    'deposit.pending': '💰 已收到您的充值 {sol} SOL，管理员将尽快确认。',
    'deposit.credited': '✅ 您的充值 {sol} SOL 已确认入账。余额：{balance} SOL',
    'deposit.rejected': '您的充值 {sol} SOL 被管理员拒绝。如有疑问请联系管理员。',
    'deposit.treasury':
      '🏦 <b>金库地址</b>（点击复制）。批准提现前请先向其转入 SOL。用户请用 /deposit 充值，凭引用入账；直接转到此地址的款项无法归属用户。\n<code>{address}</code>',
  },
);
