/**
 * The stack's Telegram: the Bot API peer for the local bot (its default bot) and any more bots it should
 * host (tenants), with the local bot's admin group and, if asked, Telegram's flood limits (per bot).
 */
import { TELEGRAM_LIMITS, type TelegramLimits } from '../../core/platform/settings.js';
import type { RetryPolicy } from '../telegram/delivery.js';
import {
  type PeerBotOptions,
  startTelegramPeer,
  type TelegramLimiter,
  type TelegramPeer,
  telegramLimits,
} from '../telegram/index.js';
import { LOCAL_ADMIN_CHAT_ID, type LocalTelegramOptions } from './identity.js';

/** The running Telegram peer of a stack. */
export interface StackTelegram {
  readonly peer: TelegramPeer;
  /** The peer's rate limiter when limits are on. */
  readonly limiter: TelegramLimiter | undefined;
  stop(): Promise<void>;
}

/** Starts the peer for `bot` (and `bots`), with `bot`'s admin group `LOCAL_ADMIN_CHAT_ID`. */
export async function startStackTelegram(options: {
  bot: LocalTelegramOptions & { readonly id: number };
  /** More bots the peer hosts beside `bot` (more can be added later with `peer.addBot`). */
  bots?: readonly PeerBotOptions[] | undefined;
  /** `true` for `TELEGRAM_LIMITS`, or other numbers; off when absent or `false`. */
  limits?: boolean | TelegramLimits | undefined;
  retry?: RetryPolicy | undefined;
  /** Where the peer keeps its chats across restarts; not kept when absent. */
  stateFile?: string | undefined;
}): Promise<StackTelegram> {
  const { bot, limits } = options;
  const limiter =
    limits === undefined || limits === false ? undefined : telegramLimits(limits === true ? TELEGRAM_LIMITS : limits);
  const peer = await startTelegramPeer({
    token: bot.token,
    bot: { id: bot.id, username: bot.botUsername, first_name: 'Local Desk' },
    ...(options.bots !== undefined && { bots: options.bots }),
    ...(limiter !== undefined && { admission: limiter }),
    ...(options.retry !== undefined && { retry: options.retry }),
    ...(options.stateFile !== undefined && { stateFile: options.stateFile }),
  });
  peer.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
  return { peer, limiter, stop: () => peer.stop() };
}
