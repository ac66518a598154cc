import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/platform/errors.js';
import { webhookSecretMatches, webhookSecretOf } from '../../../../core/platform/onboarding/index.js';

const MASTER = 'm'.repeat(43);

describe("a bot's webhook secret", () => {
  it('is base64url(HMAC-SHA256(master, "webhook:" + botId)): what Telegram allows as secret_token', () => {
    const secret = webhookSecretOf(MASTER, '123456');
    expect(secret).toBe(createHmac('sha256', MASTER).update('webhook:123456').digest('base64url'));
    expect(secret).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(webhookSecretOf(MASTER, '123456')).toBe(secret);
  });

  it('differs between bots and between deployments', () => {
    const a = webhookSecretOf(MASTER, '1');
    expect(webhookSecretOf(MASTER, '2')).not.toBe(a);
    expect(webhookSecretOf('n'.repeat(43), '1')).not.toBe(a);
    // No prefix trick: bot 1's secret is not bot 12's or 11's.
    expect(webhookSecretOf(MASTER, '12')).not.toBe(a);
  });

  it("accepts exactly the bot's own secret and refuses another bot's", () => {
    const secret = webhookSecretOf(MASTER, '777');
    expect(webhookSecretMatches(MASTER, '777', secret)).toBe(true);
    expect(webhookSecretMatches(MASTER, '778', secret)).toBe(false);
    expect(webhookSecretMatches(MASTER, '777', webhookSecretOf(MASTER, '778'))).toBe(false);
    expect(webhookSecretMatches(MASTER, '777', undefined)).toBe(false);
    expect(webhookSecretMatches(MASTER, '777', '')).toBe(false);
  });

  it('refuses other encodings of the same bytes and near misses', () => {
    const secret = webhookSecretOf(MASTER, '777');
    const bytes = createHmac('sha256', MASTER).update('webhook:777').digest();
    const variants = [
      bytes.toString('base64'), // standard alphabet, padded
      bytes.toString('base64').replace(/=+$/, ''),
      `${secret}=`,
      bytes.toString('hex'),
      secret.toUpperCase(),
      ` ${secret}`,
      `${secret}\n`,
      secret.slice(0, -1),
      `${secret}A`,
      secret.normalize('NFKC').replace(/A/g, '\uFF21'), // fullwidth A
      encodeURIComponent(secret).replace(/-/g, '%2D'),
    ].filter((variant) => variant !== secret);
    expect(variants.length).toBeGreaterThan(8);
    for (const variant of variants) expect(webhookSecretMatches(MASTER, '777', variant), variant).toBe(false);
  });

  it('refuses a master secret too short to be one, without echoing it', () => {
    const short = 'short-master-secret';
    const error = (() => {
      try {
        webhookSecretOf(short, '1');
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain(short);
  });
});
