import { describe, expect, it } from 'vitest';
import { LOCAL_ADMIN_CHAT_ID, LOCAL_ADMIN_USER_ID, localTelegramIdentity } from '../../../local/stack/identity.js';
import { localSecrets } from '../../../local/stack/wiring.js';
import { SECRETS } from '../../../stacks/manifest.js';

describe('localSecrets', () => {
  it('gives every secret of the manifest a local value', () => {
    const bot = localTelegramIdentity();
    const secrets = localSecrets(bot, {
      solanaRpcUrls: '[]',
      priceUrls: 'P',
      treasuryAddress: 'T',
      intakePublicKey: 'K',
      aiApiKey: 'A',
    });
    expect(Object.keys(secrets).sort()).toEqual([...SECRETS].sort());
    expect(secrets).toMatchObject({
      TELEGRAM_BOT_TOKEN: bot.token,
      TELEGRAM_WEBHOOK_SECRET: bot.webhookSecret,
      ADMIN_CHAT_ID: String(LOCAL_ADMIN_CHAT_ID),
      ADMIN_USER_IDS: String(LOCAL_ADMIN_USER_ID),
      TREASURY_ADDRESS: 'T',
      PRICE_URLS: 'P',
    });
  });
});
