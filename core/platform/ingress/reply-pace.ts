import { TransientError } from '../errors.js';
import { TELEGRAM_LIMITS, type TelegramLimits } from '../settings.js';
import { type ChatPaceStore, chatKind, keepRecent, nextChatSlot } from '../telegram/index.js';

/** Where a turn's new messages to its chat go: the webhook response, or the notify queue. */
export type ReplyRoute = 'response' | 'queue';

/**
 * Decides where the reply to an update of `chat` goes. `waitingFor`: the newest update of the
 * session whose replies went to the queue, if any; the reply follows them until they are out.
 */
export type ReplyPacer = (chat: number, waitingFor: number | undefined) => Promise<ReplyRoute>;

const ATTEMPTS = 10;

/**
 * The webhook's side of the per-chat pace the notify sender keeps (`pace#<chat>`, see
 * `createSender`). A reply carried in the webhook response cannot be retried (Telegram drops it
 * on a 429), so a new message goes there only when the chat's slot is free now and the replies
 * this session queued before have all taken their slots (the sender marks `through`); it then
 * takes the slot, in one conditional write, so the sender's next message keeps its distance.
 * Otherwise it goes to the notify queue, FIFO per chat, after what is already there.
 *
 * Cost: one read of the chat's pace item per update that sends a new message, and one write when
 * that message rides in the response; nothing for other updates (button answers, edits, silence).
 * A save lost to a concurrent sender reads again.
 */
export function createReplyPacer(
  pace: ChatPaceStore,
  limits: TelegramLimits = TELEGRAM_LIMITS,
  now: () => number = Date.now,
): ReplyPacer {
  return async function route(chat, waitingFor) {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const { recent, version, through } = await pace.load(chat);
      const at = now();
      const caughtUp = waitingFor === undefined || (through !== undefined && through >= waitingFor);
      if (!caughtUp || nextChatSlot(recent, chatKind(chat), at, limits) > at) return 'queue';
      if (await pace.save(chat, keepRecent([...recent, at], at, limits), version, through)) return 'response';
    }
    throw new TransientError('telegram.chat_contended', `Chat ${chat} stayed contended`);
  };
}
