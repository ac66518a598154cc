/**
 * Withdrawal safety (the confirmation screen, the cooling-off period, cancelling, states in /history), in English and Simplified Chinese (the type checker requires both), split by who says
 * each text so a function's bundle carries only its own (core/desk/i18n.ts).
 */
import { catalog } from '../../platform/i18n/index.js';

/** Said by the webhook (the conversation). */
export const withdrawConversationMessages = /* @__PURE__ */ catalog(
  {
    'withdraw.confirm':
      '📤 <b>Confirm your withdrawal</b>\nAmount: <b>{sol} SOL</b>\nNetwork fee: {fee} SOL (paid by the desk)\nTo: <code>{wallet}</code>\n\nCheck the address: a payout cannot be undone. This confirmation is valid for {minutes} minutes.',
    'withdraw.confirm_button': '✅ Confirm withdrawal',
    'withdraw.cancel_button': '✖ Cancel',
    'withdraw.draft_cancelled': 'Withdrawal cancelled. Nothing was taken from your balance.',
    'withdraw.draft_expired': 'That confirmation has expired. Send /withdraw again.',
    'withdraw.cancelling': 'Cancelling…',
  } as const,
  {
    'withdraw.confirm':
      '📤 <b>确认提现</b>\n金额：<b>{sol} SOL</b>\n网络手续费：{fee} SOL（由平台支付）\n收款地址：<code>{wallet}</code>\n\n请核对地址：提现一旦发出无法撤回。此确认在 {minutes} 分钟内有效。',
    'withdraw.confirm_button': '✅ 确认提现',
    'withdraw.cancel_button': '✖ 取消',
    'withdraw.draft_cancelled': '已取消提现，余额未被扣除。',
    'withdraw.draft_expired': '该确认已过期，请重新发送 /withdraw。',
    'withdraw.cancelling': '正在取消…',
  },
);

/** Said by the workers (jobs). */
export const withdrawJobMessages = /* @__PURE__ */ catalog(
  {
    'withdraw.cooling':
      '🕒 Withdrawal <code>{id}</code>: <b>{sol} SOL</b> to <code>{wallet}</code>. This is your first withdrawal to this address, so it waits until {until} UTC before the admins see it. If you did not ask for it, cancel it now.',
    'withdraw.cancel_payout': '✖ Cancel withdrawal {id}',
    'withdraw.cancelled': '↩️ Withdrawal <code>{id}</code> was cancelled: {sol} SOL are back in your balance.',
    'withdraw.not_cancellable': 'Withdrawal <code>{id}</code> can no longer be cancelled: it is {status}.',
    'ledger.payout': '   ↳ <code>{id}</code> {status}',
    'payout.status.cooling': 'waiting out its cooling-off period',
    'payout.status.requested': 'waiting for an admin',
    'payout.status.approved': 'approved, being sent',
    'payout.status.sent': 'sent, waiting for the chain',
    'payout.status.paid': 'paid',
    'payout.status.rejected': 'rejected',
    'payout.status.cancelled': 'cancelled by you',
    'payout.status.failed': 'failed (refunded)',
  } as const,
  {
    'withdraw.cooling':
      '🕒 提现 <code>{id}</code>：<b>{sol} SOL</b> 到 <code>{wallet}</code>。这是您第一次提现到该地址，因此会等到 {until} UTC 后才交给管理员审批。如果不是您本人操作，请立即取消。',
    'withdraw.cancel_payout': '✖ 取消提现 {id}',
    'withdraw.cancelled': '↩️ 提现 <code>{id}</code> 已取消：{sol} SOL 已退回您的余额。',
    'withdraw.not_cancellable': '提现 <code>{id}</code> 已无法取消：当前状态为{status}。',
    'ledger.payout': '   ↳ <code>{id}</code> {status}',
    'payout.status.cooling': '冷静期中',
    'payout.status.requested': '等待管理员审批',
    'payout.status.approved': '已批准，正在发送',
    'payout.status.sent': '已发送，等待链上确认',
    'payout.status.paid': '已到账',
    'payout.status.rejected': '已拒绝',
    'payout.status.cancelled': '已由您取消',
    'payout.status.failed': '失败（已退款）',
  },
);
