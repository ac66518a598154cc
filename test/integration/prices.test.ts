import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  type LogLine,
  type PeerUser,
  startLocalStack,
} from '../../local/index.js';
import { scanQr } from '../helpers/qr.js';

let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
});
afterAll(() => stack?.stop());

/** The bot's answer to `/balance <treasury>` (the treasury holds 1,000 SOL on the local chain). */
async function balance(user: PeerUser): Promise<string> {
  const before = user.botMessages().length;
  await user.sendText(`/balance ${stack.solana.treasury!.address}`);
  const answer = await stack.telegram.waitFor(
    () =>
      user
        .botMessages()
        .slice(before)
        .find((m) => m.text.includes('SOL')),
    20_000,
  );
  return answer.text;
}

describe('balances with their indicative value, on the local stack', () => {
  // First, before any answer is cached: a value needs the source, a balance does not.
  it('still shows the balance when the price source is down, and says the value is unavailable', async () => {
    stack.prices.setOutage('down');
    try {
      const text = await balance(stack.telegram.user(9301, { first_name: 'Dora' }));
      expect(text).toContain('SOL: 1000\n');
      expect(text).not.toContain('≈');
      expect(text).toContain('Value in USD unavailable right now (price source unreachable).');
      expect(stack.prices.requests()).toBeGreaterThan(0);
      // Logged as a warning naming the source by its origin, never as an error.
      const warned = logs.filter((l) => l.line.includes('prices.bad_answer'));
      expect(warned.length).toBeGreaterThan(0);
      expect(logs.some((l) => /"level":"error"/.test(l.line) && l.line.includes('prices.'))).toBe(false);
    } finally {
      stack.prices.reset();
    }
  });

  it('shows /balance in USD, marked indicative, for an English user', async () => {
    const text = await balance(stack.telegram.user(9302, { first_name: 'Ed', language_code: 'en' }));
    expect(text).toContain('SOL: 1000 ≈ $150,000.00');
    expect(text).toContain('≈ values are indicative, at market prices; not a quote.');
    expect(text).not.toContain('¥');
  });

  it('adds CNY for a 中文 user, from the same cached answer', async () => {
    const asked = stack.prices.requests();
    const text = await balance(stack.telegram.user(9303, { first_name: '张', language_code: 'zh-hans' }));
    expect(text).toContain('SOL：1000 ≈ $150,000.00 / ¥1,080,000.00');
    expect(text).toContain('≈ 为按市场价估算的参考价值，并非报价。');
    // Shared through the cache for a minute: the second balance asked the source nothing.
    expect(stack.prices.requests()).toBe(asked);
  });
});

describe('/treasury in the admin chat', () => {
  const group = () => stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');

  it('shows the admin the treasury address as a QR code that scans to it, with the address to copy', async () => {
    const admin = stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });
    const before = stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).length;
    await group().sendText(admin, '/treasury');
    const photo = await stack.telegram.waitFor(
      () =>
        stack.telegram
          .sent(LOCAL_ADMIN_CHAT_ID)
          .slice(before)
          .find((m) => m.photo !== undefined),
      20_000,
    );
    const treasury = stack.solana.treasury!.address;
    const image = stack.telegram.file(photo.photo!.at(-1)!.file_id);
    expect(scanQr(image!)?.text).toBe(treasury);
    expect(photo.caption).toContain('Treasury address');
    expect(photo.caption).toContain(treasury);
    expect(photo.entities?.some((e) => e.type === 'code')).toBe(true);
  });

  it('refuses anyone else in the admin chat, and is unknown elsewhere', async () => {
    const outsider = stack.telegram.user(9304, { first_name: 'Eve' });
    const before = stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).length;
    await group().sendText(outsider, '/treasury');
    const refusal = await stack.telegram.waitFor(() => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID)[before], 20_000);
    expect(refusal.photo).toBeUndefined();
    expect(refusal.text).toContain('only the bot’s admins');
    const sent = outsider.botMessages().length;
    await outsider.sendText('/treasury');
    const answer = await stack.telegram.waitFor(() => outsider.botMessages()[sent], 20_000);
    expect(answer.photo).toBeUndefined();
    expect(answer.text).not.toContain(stack.solana.treasury!.address);
  });
});
