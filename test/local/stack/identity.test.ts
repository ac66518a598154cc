import { describe, expect, it } from 'vitest';
import { botIdOf, LOCAL_BOT_ID, localTelegramIdentity } from '../../../local/stack/identity.js';

describe('the local bot identity', () => {
  it('makes a token in Telegram’s format and a fresh webhook secret each time', () => {
    const a = localTelegramIdentity();
    const b = localTelegramIdentity();
    expect(a.token).toMatch(/^123456789:LOCAL[\w-]+$/);
    expect(botIdOf(a.token)).toBe(LOCAL_BOT_ID);
    expect(a.webhookSecret).toMatch(/^local-whs-/);
    expect(a.webhookSecret).not.toBe(b.webhookSecret);
  });

  it('refuses a token that does not start with a bot id', () => {
    expect(() => botIdOf('nope:secret')).toThrow('starts with the bot id');
    expect(() => botIdOf('-5:secret')).toThrow();
  });
});
