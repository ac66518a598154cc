import { describe, expect, it } from 'vitest';
import { AiReplyJob, AiResetJob } from '../../../../core/desk/assistant/jobs.js';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { KEYPAIR_BASE58 } from '../../../helpers/secrets.js';
import { turnRunner, validUpdate as valid, withoutLimits } from '../../../helpers/turns.js';
import { textUpdate } from '../../../helpers/updates.js';

const run = withoutLimits(turnRunner(createBot(testBotOptions())));
type Turn = Awaited<ReturnType<typeof run>>;
const methods = (turn: Turn) => turn.calls.map((c) => c.method);
const texts = (turn: Turn) => turn.calls.filter((c) => c.method === 'sendMessage').map((c) => String(c.params.text));

const alice = { id: 501, first_name: 'Alice' };
const group = { id: -100_777, type: 'group', title: 'Traders' };
const EN: SessionData = { lang: 'en', joined: true };
const ZH: SessionData = { lang: 'zh', joined: true };
const say = (text: string, session: SessionData = EN, chat?: typeof group) =>
  run(valid(textUpdate(alice, text, chat ? { chat } : {})), session);

/** Secrets of each kind: a base58 Solana secret key, a recovery phrase, an API key. */
const SECRET_KEY = KEYPAIR_BASE58;
const PHRASE = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
const API_KEY = `sk-${'a1B2c3D4'.repeat(4)}`;

describe('assistant (webhook side)', () => {
  it('queues free text in a private chat as a question, in the user’s language, and shows typing at once', async () => {
    const turn = await say('How do staking rewards work?', ZH);
    expect(methods(turn)).toEqual(['sendChatAction']);
    expect(turn.calls[0]!.params).toEqual({ chat_id: alice.id, action: 'typing' });
    expect(turn.jobs).toEqual([
      {
        job: AiReplyJob,
        payload: { text: 'How do staking rewards work?', lang: 'zh' },
        chatId: alice.id,
        userId: alice.id,
      },
    ]);
  });

  it('leaves group chatter alone', async () => {
    const turn = await say('gm, what is SOL at?', EN, group);
    expect(turn.calls).toEqual([]);
    expect(turn.jobs).toEqual([]);
  });

  it('does not take commands, addresses or pending flows as questions', async () => {
    expect((await say('/nonsense')).jobs).toEqual([]);
    // A wallet's address is linked (a mint's is refused with its reason): neither is a question.
    const address = await say('GmaDrppBC7P5ARKV8g3djiwP89vz1jLK23V2GBjuAEGB');
    expect(address.jobs.map((j) => j.job.type)).toEqual(['wallet.verify']);
    expect((await say('So11111111111111111111111111111111111111112')).jobs).toEqual([]);
    const rename = await say('Savings', {
      ...EN,
      wallets: [{ address: 'So11111111111111111111111111111111111111112' }],
      walletPrompt: { address: 'So11111111111111111111111111111111111111112', since: Math.floor(Date.now() / 1000) },
    });
    expect(rename.jobs.map((j) => j.job.type)).not.toContain('ai.reply');
  });

  it.each([
    ['a private key', SECRET_KEY, 'private key'],
    ['a recovery phrase', PHRASE, 'recovery phrase'],
    ['an API key', `my key is ${API_KEY}`, 'API key or token'],
  ])('deletes %s at once, warns, and queues nothing', async (_, text, kind) => {
    const turn = await say(text);
    expect(methods(turn)).toEqual(['deleteMessage', 'sendMessage']);
    expect(texts(turn)[0]).toContain(`looks like a ${kind}`);
    expect(turn.jobs).toEqual([]);
    expect(JSON.stringify(turn)).not.toContain(text.slice(-20));
  });

  it('resets the conversation with /reset, in a private chat only', async () => {
    const turn = await say('/reset');
    expect(texts(turn)).toEqual(['🧹 Done: I have forgotten our conversation. Your next question starts afresh.']);
    expect(turn.jobs).toEqual([{ job: AiResetJob, payload: {}, chatId: alice.id, userId: alice.id }]);
    const inGroup = await say('/reset@desk_bot', EN, group);
    expect(texts(inGroup)).toEqual(['Ask me in a private chat: the assistant answers there only.']);
    expect(inGroup.jobs).toEqual([]);
  });

  it('answers /reset in Chinese for a Chinese user', async () => {
    expect(texts(await say('/reset', ZH))[0]).toContain('我已忘记我们之前的对话');
  });
});
