import { chatNotice, OPERATOR_NOTICE } from './meter.js';

/** What an update refused for quota asks for an answer: a message in a chat, a button press, or nothing. */
export type OverQuotaUpdate =
  | { readonly kind: 'message'; readonly chat: number | string }
  | { readonly kind: 'callback' }
  | { readonly kind: 'other' };

/** What an over-quota update gets. */
export interface OverQuotaAnswer {
  /** Answer the button press with the polite text (a toast: shown once, nothing left in the chat). */
  readonly toast: boolean;
  /**
   * Notices to claim with `QuotaMeter.claimNotices`: send the polite message to the chat only if
   * its notice (`chatNotice(chat)`) is claimed, and tell the operator only if `OPERATOR_NOTICE` is.
   * So a chat gets one message per window however much it sends, and the operator one notice.
   */
  readonly claims: readonly string[];
  /** When to try again, for the polite text (whole seconds, at least 1). */
  readonly retryAfterSeconds: number;
}

/**
 * Decides the answers to an update refused for quota (`refusal.resetsAt`: the end of the window):
 * a message may get one polite message in its chat per window, a button press always gets the
 * polite toast (every press awaits an answer, and a toast is no spam), any other update (a member
 * change, an inline query) nothing; the operator is told once per window, whichever comes first.
 */
export function overQuotaAnswer(
  update: OverQuotaUpdate,
  refusal: { readonly resetsAt: number },
  now: number,
): OverQuotaAnswer {
  return {
    toast: update.kind === 'callback',
    claims: update.kind === 'message' ? [chatNotice(update.chat), OPERATOR_NOTICE] : [OPERATOR_NOTICE],
    retryAfterSeconds: Math.max(1, Math.ceil((refusal.resetsAt - now) / 1000)),
  };
}
