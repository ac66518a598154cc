import { Composer } from 'telegraf';
import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { BotContext, SessionData } from '../../../../core/desk/bot/context.js';
import { JOB_BUCKET, MESSAGE_BUCKET, type RateLimitOptions, rateLimit } from '../../../../core/desk/bot/limits.js';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { WalletBalanceJob } from '../../../../core/desk/wallets/jobs.js';
import { ConfigError } from '../../../../core/platform/errors.js';
import type { TurnRunner } from '../../../../core/platform/ingress/process.js';
import type { ValidUpdate } from '../../../../core/platform/ingress/update.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions()));

type Turn = Awaited<ReturnType<TurnRunner>>;
const sessionOf = (turn: Turn) => turn.session as SessionData;
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));
const methods = (turn: Turn) => turn.calls.map((c) => c.method);

const alice = { id: 501, first_name: 'Alice' };
const lin = { id: 502, first_name: '林', language_code: 'zh' };
const group = { id: -100_777, type: 'supergroup', title: 'Traders' };
const addressOf = (n: number) => encodeBase58(new Uint8Array(32).fill(n * 23));
const A = addressOf(1);

/** The scripted clock: message dates are seconds after this (a date in the recent past). */
const T0 = Math.floor(Date.now() / 1000) - 3_600;

/** A text message from `from` dated `second` seconds after T0, in their private chat or `chat`. */
function textAt(from: typeof alice, text: string, second: number, chat?: typeof group): ValidUpdate {
  const update = textUpdate(from, text, chat ? { chat } : {});
  return valid({ ...update, message: { ...update.message, date: T0 + second } });
}

const SLOW_EN = (seconds: number) =>
  `⏳ That is a lot at once! Please give me about ${seconds} seconds, then try again. I skip what you send until then.`;
const SLOW_ZH = (seconds: number) => `⏳ 操作太频繁了！请等待约 ${seconds} 秒后再试。在此之前发送的内容我会略过。`;
const JOBS_EN = (seconds: number) =>
  `⏳ You asked me to check a lot in a short time, so I did not do that one. Please try again in about ${seconds} seconds.`;
const JOBS_ZH = (seconds: number) => `⏳ 您短时间内提交的查询太多，这一次没有执行。请约 ${seconds} 秒后再试。`;
const UNKNOWN_EN = 'I did not understand that. Send /menu to see what I can do.';

/** Sends `count` messages at `second`, each turn on the session the previous one left; returns every turn. */
async function flood(
  from: typeof alice,
  session: SessionData,
  count: number,
  second: number,
  { text = '/what', runTurn = run, chat }: { text?: string; runTurn?: TurnRunner; chat?: typeof group } = {},
): Promise<{ turns: Turn[]; session: SessionData }> {
  const turns: Turn[] = [];
  let current = session;
  for (let i = 0; i < count; i++) {
    const turn = await runTurn(textAt(from, text, second, chat), current);
    turns.push(turn);
    current = sessionOf(turn);
  }
  return { turns, session: current };
}

describe('rateLimit, messages', () => {
  it('answers a burst of 20 messages, then refuses the 21st with one friendly message', async () => {
    const { turns, session } = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst + 1, 0);
    for (const turn of turns.slice(0, -1)) expect(texts(turn)).toEqual([UNKNOWN_EN]);
    const refused = turns.at(-1)!;
    expect(methods(refused)).toEqual(['sendMessage']);
    expect(refused.calls[0]?.params).toEqual({ chat_id: alice.id, text: SLOW_EN(3) });
    expect(refused.jobs).toEqual([]);
    expect(session).toEqual({
      lang: 'en',
      joined: true,
      limits: { at: T0 * 1000, messages: 0, jobs: JOB_BUCKET.burst, noticeAt: T0 * 1000 },
    });
  });

  it('says it in Chinese to a user whose Telegram is in Chinese', async () => {
    const { turns } = await flood(lin, { joined: true }, MESSAGE_BUCKET.burst + 1, 0);
    expect(texts(turns.at(-1)!)).toEqual([SLOW_ZH(3)]);
  });

  it('ignores further messages silently, running nothing, until a token has refilled', async () => {
    const drained = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst + 1, 0);
    // Commands, addresses and chatter alike: no reply, no job, no change but the bucket's.
    let session = drained.session;
    for (const [text, second] of [
      ['/help', 0],
      [A, 1],
      ['/balance', 2],
      ['hello', 2],
    ] as const) {
      const turn = await run(textAt(alice, text, second), session);
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
      const { limits, ...rest } = sessionOf(turn);
      expect(rest).toEqual({ lang: 'en', joined: true });
      expect(limits?.messages).toBeLessThan(1);
      session = sessionOf(turn);
    }
    // A token every 3 s: at 3 s one message goes through, and the next is refused without a word.
    const refilled = await run(textAt(alice, '/help', 3), session);
    expect(texts(refilled)[0]).toContain('<b>Help</b>');
    const again = await run(textAt(alice, 'hello', 3), sessionOf(refilled));
    expect(again.calls).toEqual([]);
  });

  it('says how long to wait, to the next whole second', async () => {
    const { session } = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst, 0);
    // 2 s later two thirds of a token are back: one more second to wait.
    const turn = await run(textAt(alice, 'hello', 2), session);
    expect(texts(turn)).toEqual([SLOW_EN(1)]);
  });

  it('restores the whole burst after a minute, and speaks up again once the bucket could have refilled', async () => {
    const first = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst + 1, 0);
    const later = await flood(alice, first.session, MESSAGE_BUCKET.burst + 1, 60);
    for (const turn of later.turns.slice(0, -1)) expect(texts(turn)).toEqual([UNKNOWN_EN]);
    expect(texts(later.turns.at(-1)!)).toEqual([SLOW_EN(3)]);
  });

  it('never replies twice within the minute, however the user spreads the flood', async () => {
    let { session } = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst + 1, 0);
    let notices = 0;
    let answered = 0;
    // Five messages a second for 50 s: one gets through every 3 s.
    for (let second = 1; second <= 50; second++) {
      const { turns, session: next } = await flood(alice, session, 5, second);
      session = next;
      for (const turn of turns) {
        if (texts(turn).some((t) => t.startsWith('⏳'))) notices++;
        else if (turn.calls.length > 0) answered++;
      }
    }
    expect(notices).toBe(0);
    expect(answered).toBe(16);
  });

  it('refuses a button press by answering it with the reason, every time, adding nothing to the chat', async () => {
    const empty = { at: Date.now(), messages: 0, jobs: JOB_BUCKET.burst, noticeAt: Date.now() };
    for (const [session, text] of [
      [{ lang: 'en', joined: true, limits: empty }, SLOW_EN(3)],
      [{ lang: 'zh', joined: true, limits: empty }, SLOW_ZH(3)],
    ] as const) {
      const turn = await run(valid(callbackUpdate(alice, 'menu:help', 7)), session);
      expect(turn.calls).toEqual([{ method: 'answerCallbackQuery', params: expect.objectContaining({ text }) }]);
      expect(turn.jobs).toEqual([]);
    }
  });

  it('counts button presses like messages', async () => {
    let session: SessionData = { lang: 'en', joined: true };
    for (let i = 0; i < MESSAGE_BUCKET.burst; i++) {
      const turn = await run(valid(callbackUpdate(alice, 'menu:help', 7)), session);
      expect(methods(turn)).toEqual(['answerCallbackQuery', 'editMessageText']);
      session = sessionOf(turn);
    }
    const refused = await run(valid(callbackUpdate(alice, 'menu:help', 7)), session);
    expect(methods(refused)).toEqual(['answerCallbackQuery']);
    expect(String(refused.calls[0]?.params.text)).toMatch(/^⏳ That is a lot at once!/);
  });

  it('lets the answer to a pending /setsecret through when the bucket is empty: it must be deleted and stored', async () => {
    const { session } = await flood(alice, { lang: 'en', joined: true }, MESSAGE_BUCKET.burst, 0, {
      text: '/setsecret api',
    });
    expect(session.secretPrompt?.name).toBe('api');
    expect(session.limits?.messages).toBe(0);
    // Asking again is not a value: it is refused like any other message.
    const asked = await run(textAt(alice, '/setsecret other', 0), session);
    expect(texts(asked)).toEqual([SLOW_EN(3)]);
    expect(sessionOf(asked).secretPrompt?.name).toBe('api');
    const update = textAt(alice, 'sk-value-123456', 0);
    const turn = await run(update, session);
    expect(methods(turn)).toEqual(['deleteMessage', 'sendMessage']);
    expect(turn.jobs.map((j) => j.job.type)).toEqual(['secret.store']);
    expect(sessionOf(turn).secretPrompt).toBeUndefined();
    expect(sessionOf(turn).limits?.messages).toBe(0);
  });
});

describe('rateLimit, jobs', () => {
  const balance = (second: number) => textAt(alice, `/balance ${A}`, second);

  it('runs 15 job-making commands at once, then undoes the 16th whole and says why', async () => {
    let session: SessionData = { lang: 'en', joined: true };
    for (let i = 0; i < JOB_BUCKET.burst; i++) {
      const turn = await run(balance(0), session);
      expect(turn.jobs.map((j) => j.job.type)).toEqual([WalletBalanceJob.type]);
      expect(texts(turn)).toEqual(['Checking the chain…']);
      session = sessionOf(turn);
    }
    const refused = await run(balance(0), session);
    // No "Checking the chain…" with no check behind it: only the reason.
    expect(refused.calls).toEqual([{ method: 'sendMessage', params: { chat_id: alice.id, text: JOBS_EN(4) } }]);
    expect(refused.jobs).toEqual([]);
    expect(sessionOf(refused).limits).toMatchObject({ messages: MESSAGE_BUCKET.burst - 16, jobs: 0 });
    // A job token every 4 s.
    const refilled = await run(balance(4), sessionOf(refused));
    expect(refilled.jobs).toHaveLength(1);
  });

  it('undoes the session change of a refused turn too: a wallet is not linked without its check', async () => {
    let session: SessionData = { lang: 'zh', joined: true };
    for (let i = 0; i < JOB_BUCKET.burst; i++) session = sessionOf(await run(balance(0), session));
    const refused = await run(textAt(alice, A, 0), session);
    expect(sessionOf(refused).wallets).toBeUndefined();
    expect(refused.jobs).toEqual([]);
    expect(texts(refused)).toEqual([JOBS_ZH(4)]);
  });

  it('answers a refused button with the reason instead of its usual answer', async () => {
    const limits = { at: Date.now(), messages: MESSAGE_BUCKET.burst, jobs: 0 };
    const session: SessionData = { lang: 'en', joined: true, wallets: [{ address: A }], limits };
    const turn = await run(valid(callbackUpdate(alice, `w:b:0:${A.slice(0, 6)}`, 7)), session);
    expect(turn.calls).toEqual([
      { method: 'answerCallbackQuery', params: expect.objectContaining({ text: JOBS_EN(4) }) },
    ]);
    expect(turn.jobs).toEqual([]);
  });

  it('lets turns that queue nothing through while the job bucket is empty', async () => {
    let session: SessionData = { lang: 'en', joined: true };
    for (let i = 0; i < JOB_BUCKET.burst; i++) session = sessionOf(await run(balance(0), session));
    const turn = await run(textAt(alice, '/help', 0), session);
    expect(texts(turn)[0]).toContain('<b>Help</b>');
  });

  it('sends the job notice at most once a minute, like the message one', async () => {
    let session: SessionData = { lang: 'en', joined: true };
    for (let i = 0; i < JOB_BUCKET.burst + 3; i++) session = sessionOf(await run(balance(0), session));
    const turn = await run(balance(1), session);
    expect(turn.calls).toEqual([]);
    expect(turn.jobs).toEqual([]);
  });
});

describe('rateLimit, groups', () => {
  it('lets group chatter cost nothing and get no answer, even from a user with an empty bucket', async () => {
    let session: SessionData = { lang: 'en' };
    for (let i = 0; i < 40; i++) {
      const turn = await run(textAt(alice, `chatter ${i} ${A}`, 0, group), session);
      expect(turn.calls).toEqual([]);
      expect(turn.jobs).toEqual([]);
      expect(turn.session).toEqual({ lang: 'en' });
      session = sessionOf(turn);
    }
    // Commands for another bot are chatter too.
    const other = await run(textAt(alice, '/help@other_bot', 0, group), session);
    expect(other.calls).toEqual([]);
    expect(other.session).toEqual({ lang: 'en' });
    // Ours are answered and counted, with or without our name (any case).
    const ours = await run(textAt(alice, '/help@Desk_Bot', 0, group), session);
    expect(texts(ours)[0]).toContain('<b>Help</b>');
    expect(sessionOf(ours).limits?.messages).toBe(MESSAGE_BUCKET.burst - 1);

    const drained = await flood(alice, { lang: 'en' }, MESSAGE_BUCKET.burst, 0, { text: '/help', chat: group });
    const chatter = await run(textAt(alice, 'anyone here?', 0, group), drained.session);
    expect(chatter.calls).toEqual([]);
    expect(chatter.session).toEqual(drained.session);
    const command = await run(textAt(alice, '/help', 0, group), drained.session);
    expect(command.calls).toEqual([{ method: 'sendMessage', params: { chat_id: group.id, text: SLOW_EN(3) } }]);
  });
});

describe('rateLimit, the session field', () => {
  it('stays small after a long flood', async () => {
    const { session } = await flood(alice, { lang: 'en', joined: true }, 60, 7);
    expect(JSON.stringify(session.limits).length).toBeLessThan(100);
  });

  it.each([
    ['not an object', 'full'],
    ['negative tokens', { at: 0, messages: -5, jobs: 0 }],
    ['tokens beyond any bucket', { at: 0, messages: 1e9, jobs: 0 }],
    ['a time that is not a whole ms', { at: 1.5, messages: 0, jobs: 0 }],
    ['a missing field', { at: 0, messages: 0 }],
    ['a time far in the future', { at: (T0 + 86_400) * 1000, messages: 0, jobs: 0 }],
  ])('starts a fresh bucket, keeping the rest of the session, from %s', async (_, limits) => {
    const turn = await run(textAt(alice, '/help', 0), { lang: 'zh', joined: true, limits } as unknown);
    expect(texts(turn)[0]).toContain('<b>帮助</b>');
    expect(turn.session).toEqual({
      lang: 'zh',
      joined: true,
      limits: { at: T0 * 1000, messages: MESSAGE_BUCKET.burst - 1, jobs: JOB_BUCKET.burst },
    });
  });

  it('neither refills nor goes back in time for a message dated before the last count', async () => {
    const limits = { at: (T0 + 10) * 1000 + 400, messages: 0.5, jobs: 3 };
    const turn = await run(textAt(alice, 'hello', 9), { lang: 'en', joined: true, limits });
    expect(sessionOf(turn).limits).toEqual({ ...limits, noticeAt: limits.at });
    expect(texts(turn)).toEqual([SLOW_EN(2)]);
  });
});

/** A bot of one command that queues `n` jobs, behind a limiter with the given options. */
function jobBot(options: RateLimitOptions): TurnRunner {
  const bot = new Composer<BotContext>();
  bot.use(rateLimit(options));
  bot.command('jobs', (ctx) => {
    for (let i = 0; i < Number(ctx.args[0]); i++) {
      ctx.enqueue({ job: WalletBalanceJob, payload: { addresses: [A], lang: 'en' }, chatId: ctx.chat.id, userId: 1 });
    }
    return ctx.reply('queued');
  });
  bot.action('tap', (ctx) => ctx.answerCbQuery('tapped'));
  return turnRunner(bot);
}

describe('rateLimit options', () => {
  it('takes its buckets from the options', async () => {
    const small = jobBot({ messages: { burst: 2, refillMs: 1_000 }, jobs: { burst: 3, refillMs: 10_000 } });
    const { turns, session } = await flood(alice, {}, 3, 0, { text: '/jobs 1', runTurn: small });
    expect(turns.map(texts)).toEqual([['queued'], ['queued'], [SLOW_EN(1)]]);
    // Two jobs left in a bucket of 3: a turn asking for three is undone.
    const tooMany = await small(textAt(alice, '/jobs 3', 1), session);
    expect(tooMany.jobs).toEqual([]);
    expect(texts(tooMany)).toEqual([]);
    expect(sessionOf(tooMany).limits).toMatchObject({ jobs: 1.1 });
  });

  it('runs a turn that queues more than a whole bucket once the bucket is full, emptying it', async () => {
    const small = jobBot({ jobs: { burst: 3, refillMs: 10_000 } });
    const turn = await small(textAt(alice, '/jobs 5', 0), {});
    expect(turn.jobs).toHaveLength(5);
    expect(sessionOf(turn).limits?.jobs).toBe(0);
  });

  it('never limits exempt users and leaves their session alone', async () => {
    const exempt = jobBot({ messages: { burst: 1, refillMs: 60_000 }, exemptUserIds: new Set([alice.id]) });
    const { turns, session } = await flood(alice, {}, 30, 0, { text: '/jobs 2', runTurn: exempt });
    expect(turns.every((t) => texts(t)[0] === 'queued' && t.jobs.length === 2)).toBe(true);
    expect(session).toEqual({});
  });

  it('dates button presses by its clock', async () => {
    let now = 1_000_000;
    const tapped = jobBot({ messages: { burst: 1, refillMs: 5_000 }, now: () => now });
    const press = (session: unknown) => tapped(valid(callbackUpdate(alice, 'tap', 3)), session);
    const first = await press({});
    expect(first.calls[0]?.params.text).toBe('tapped');
    expect(sessionOf(first).limits).toEqual({ at: 1_000_000, messages: 0, jobs: JOB_BUCKET.burst });
    now += 4_000;
    expect((await press(first.session)).calls[0]?.params.text).toBe(SLOW_EN(1));
    now += 1_000;
    expect((await press(first.session)).calls[0]?.params.text).toBe('tapped');
  });

  it('refuses bucket settings the session could not hold', () => {
    for (const messages of [
      { burst: 0, refillMs: 1_000 },
      { burst: 1.5, refillMs: 1_000 },
      { burst: 1001, refillMs: 1_000 },
      { burst: 5, refillMs: 0 },
      { burst: 5, refillMs: Number.NaN },
    ]) {
      expect(() => rateLimit({ messages })).toThrow(ConfigError);
    }
  });
});
