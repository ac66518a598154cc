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

  it('hosts the tenant bots it is given beside the local bot, the local bot staying the default', async () => {
    const tenant = { token: '777:tenant', bot: { id: 777, username: 'tenant_bot', first_name: 'Tenant' } };
    const telegram = await startStackTelegram({ bot, bots: [tenant] });
    try {
      const me = (await (await fetch(`${telegram.peer.apiRoot}/bot${tenant.token}/getMe`)).json()) as {
        result: { id: number };
      };
      expect(me.result.id).toBe(777);
      expect(telegram.peer.bot().id).toBe(bot.id);
      expect(telegram.peer.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins').botIds).toEqual([bot.id]);
    } finally {
      await telegram.stop();
    }
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
