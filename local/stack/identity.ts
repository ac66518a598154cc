/** Who the local bot and its admins are: the identity the Telegram peer and the functions share. */
import { randomBytes } from 'node:crypto';

/** Telegram identity of the local bot. */
export interface LocalTelegramOptions {
  readonly token: string;
  readonly botUsername: string;
  readonly webhookSecret: string;
}

/** The id in the local bot's default token. */
export const LOCAL_BOT_ID = 123_456_789;
/** The admin group of the local bot: admin events and alarms are posted there. */
export const LOCAL_ADMIN_CHAT_ID = -1_001_000_000_001;
/** The local admin (the web chat's admin pane writes and presses buttons as this user). */
export const LOCAL_ADMIN_USER_ID = 1_000;

/** A fresh local bot identity: a token in Telegram's format and a random webhook secret. */
export function localTelegramIdentity(): LocalTelegramOptions {
  return {
    token: `${LOCAL_BOT_ID}:LOCAL${randomBytes(24).toString('base64url')}`,
    botUsername: 'local_desk_bot',
    // Recognisable, so the test run's log grep can find it anywhere it leaked.
    webhookSecret: `local-whs-${randomBytes(32).toString('base64url')}`,
  };
}

/** The bot id a token starts with (`<id>:<secret>`), as Telegram reads it. */
export function botIdOf(token: string): number {
  const id = Number(token.split(':')[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('A bot token starts with the bot id: "<id>:<secret>"');
  return id;
}
