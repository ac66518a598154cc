import { describe, expect, it } from 'vitest';
import { botIdOf, LOCAL_ADMIN_CHAT_ID, localTelegramIdentity } from '../../../local/stack/identity.js';
import { startStackTelegram } from '../../../local/stack/telegram.js';
import { reachable } from './reachable.js';

const identity = localTelegramIdentity();
const bot = { ...identity, id: botIdOf(identity.token) };

describe('startStackTelegram', () => {
  it('starts the peer for the bot, with the admin group and no limits by default, and stops it', async () => {
    const telegram = await startStackTelegram({ bot });
    try {
      expect(telegram.limiter).toBeUndefined();
      const me = (await (await fetch(`${telegram.peer.apiRoot}/bot${bot.token}/getMe`)).json()) as {
        result: { id: number; username: string };
      };
      expect(me.result).toMatchObject({ id: bot.id, username: bot.botUsername });
      expect(telegram.peer.store.chat(LOCAL_ADMIN_CHAT_ID)).toBeDefined();
    } finally {
      await telegram.stop();
    }
    expect(await reachable(telegram.peer.apiRoot)).toBe(false);
  });

  it("puts Telegram's flood limits on the peer when asked", async () => {
    const telegram = await startStackTelegram({ bot, limits: true });
    try {
      expect(telegram.limiter).toBeDefined();
    } finally {
      await telegram.stop();
    }
  });
});
