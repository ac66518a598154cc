import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LogLine, startLocalStack } from '../../local/index.js';

/**
 * The inputs real users send that no flow asks for: each is delivered by the Telegram peer as
 * Telegram would, and the bot must answer 200 at once (no redelivery storm), say something sensible
 * or nothing, and log no error.
 */
let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  // The user has started the bot, so it may write to them.
  const user = stack.telegram.user(USER.id, {
    first_name: USER.first_name,
    username: USER.username,
    language_code: 'en',
  });
  await user.sendText('/start');
  await stack.telegram.waitFor(() => user.botMessages()[0], 20_000);
});
afterAll(() => stack?.stop());

const USER = { id: 951, is_bot: false, first_name: 'Odd', username: 'odd_user', language_code: 'en' };
const CHAT = { id: USER.id, type: 'private' as const, first_name: 'Odd' };
let messageId = 10_000;

/** Delivers a raw update from the user and waits until the webhook answered it. */
async function deliver(fields: Record<string, unknown>) {
  const updateId = stack.telegram.store.nextUpdateId();
  stack.telegram.enqueue({ update_id: updateId, ...fields } as never);
  const delivery = await stack.telegram.waitFor(
    () => stack.telegram.deliveries().find((d) => d.update_id === updateId && d.status !== undefined),
    20_000,
  );
  return delivery;
}

const message = (extra: Record<string, unknown>) => ({
  message: { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: CHAT, from: USER, ...extra },
});

const replies = () => stack.telegram.sent(USER.id).map((m) => m.text);
async function nextReply(after: number): Promise<string> {
  return (await stack.telegram.waitFor(() => replies()[after], 20_000))!;
}

describe('awkward inputs on the local stack', () => {
  it('answers stickers, photos, voice, documents and locations in a private chat with a pointer to the menu', async () => {
    const before = replies().length;
    const kinds = [
      {
        sticker: {
          file_id: 's1',
          file_unique_id: 'u1',
          type: 'regular',
          width: 512,
          height: 512,
          is_animated: false,
          is_video: false,
        },
      },
      { photo: [{ file_id: 'p1', file_unique_id: 'u2', width: 90, height: 90 }], caption: 'look' },
      { voice: { file_id: 'v1', file_unique_id: 'u3', duration: 3 } },
      { document: { file_id: 'd1', file_unique_id: 'u4', file_name: 'keys.txt' } },
      { location: { latitude: 1.5, longitude: 2.5 } },
    ];
    for (const kind of kinds) expect((await deliver(message(kind))).status).toBe(200);
    for (let i = 0; i < kinds.length; i++) {
      expect(await nextReply(before + i)).toBe('I did not understand that. Send /menu to see what I can do.');
    }
  });

  it('takes an edited message as nothing new, and a forwarded message like a typed one', async () => {
    const before = replies().length;
    const edited = {
      edited_message: { ...message({ text: '/start' }).message, edit_date: Math.floor(Date.now() / 1000) },
    };
    expect((await deliver(edited)).status).toBe(200);
    const forwarded = message({
      text: 'not an address at all, just chatter 🙂',
      forward_origin: { type: 'hidden_user', sender_user_name: 'Someone', date: 1 },
    });
    expect((await deliver(forwarded)).status).toBe(200);
    // Forwarded text is a question for the assistant, like typed text (the local LLM peer answers).
    expect(await nextReply(before)).toBe('Local model: you said "not an address at all, just chatter 🙂"');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(replies()).toHaveLength(before + 1);
  });

  it('survives very long text, emoji and junk addresses', async () => {
    const before = replies().length;
    expect((await deliver(message({ text: 'x'.repeat(4_096) }))).status).toBe(200);
    expect(await nextReply(before)).toBe(`Local model: you said "${'x'.repeat(200)}"`);
    expect((await deliver(message({ text: '🚀🌕💎🙌'.repeat(50) }))).status).toBe(200);
    expect(await nextReply(before + 1)).toContain('Local model: you said "🚀🌕💎🙌');
    // An Ethereum address and a Solana address with a character base58 does not have.
    expect((await deliver(message({ text: '0x52908400098527886E0F7030069857D2E4169EE7' }))).status).toBe(200);
    expect(await nextReply(before + 2)).toContain('not a Solana address');
    expect((await deliver(message({ text: '0OIl1111111111111111111111111111111111111111' }))).status).toBe(200);
    expect(await nextReply(before + 3)).toContain('not a Solana address');
  });

  it('keeps going when the user blocks the bot in the middle of a flow', async () => {
    const user = stack.telegram.user(952, { first_name: 'Gone' });
    await user.sendText('/start');
    await stack.telegram.waitFor(() => user.botMessages()[0], 20_000);
    // A chain question is on its way when the user blocks the bot: its answer meets a 403.
    await user.sendText(`/balance ${stack.solana.treasury!.address}`);
    await user.block();
    await stack.telegram.waitFor(
      () => stack.telegram.calls('sendMessage').find((c) => c.params.chat_id === 952 && c.error?.error_code === 403),
      30_000,
    );
    await user.unblock();
    await user.sendText('/help');
    await stack.telegram.waitFor(() => user.botMessages().find((m) => m.text.includes('Help')), 20_000);
  });

  it('logs no error for any of it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const errors = logs.filter((line) => line.line.includes('"level":"error"'));
    expect(errors).toEqual([]);
    expect(stack.telegram.deliveries().filter((d) => d.status !== undefined && d.status !== 200)).toEqual([]);
  });
});
