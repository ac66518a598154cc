import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { encodeBase58 } from '../../../../core/desk/solana/address.js';
import { parseThreshold } from '../../../../core/desk/watches/conversation.js';
import { WATCH_CALLBACK, watchId } from '../../../../core/desk/watches/jobs.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions()));

type Turn = Awaited<ReturnType<typeof run>>;
const methods = (turn: Turn) => turn.calls.map((c) => c.method);
const texts = (turn: Turn) => turn.calls.map((c) => String(c.params.text ?? ''));

const alice = { id: 501, first_name: 'Alice' };
const group = { id: -100_777, type: 'group', title: 'Traders' };
const A = encodeBase58(new Uint8Array(32).fill(23));
const EN: SessionData = { lang: 'en', joined: true };
const ZH: SessionData = { lang: 'zh', joined: true };

const say = (text: string, session: SessionData, chat?: typeof group) =>
  run(valid(textUpdate(alice, text, chat ? { chat } : {})), session);
const press = (data: string, session: SessionData, messageId = 7) =>
  run(valid(callbackUpdate(alice, data, messageId)), session);

/** The one job a turn queued, as the rpc worker will receive it. */
function onlyJob(turn: Turn) {
  expect(turn.jobs).toHaveLength(1);
  const [job] = turn.jobs;
  return {
    type: job!.job.type,
    queue: job!.job.queue,
    payload: job!.payload,
    chatId: job!.chatId,
    userId: job!.userId,
  };
}

describe('parseThreshold', () => {
  it.each([
    [undefined, 0n],
    ['0', 0n],
    ['0.0', 0n],
    ['0,000', 0n],
    ['0.5', 500_000_000n],
    ['1,5', 1_500_000_000n],
    ['2', 2_000_000_000n],
    ['0.000000001', 1n],
    ['.5', 500_000_000n],
  ])('reads %s as %s lamports', (text, lamports) => {
    expect(parseThreshold(text)).toEqual({ ok: true, lamports });
  });

  it.each([
    ['-1', 'not_positive'],
    ['abc', 'not_number'],
    ['1e3', 'not_number'],
    ['0.0000000001', 'too_many_decimals'],
    ['1.2.3', 'not_number'],
    ['½', 'not_number'],
    ['1 000', 'not_number'],
    ['+1', 'not_number'],
    ['123456789012', 'too_large'],
  ])('refuses %s (%s)', (text, problem) => {
    expect(parseThreshold(text)).toEqual({ ok: false, problem });
  });
});

describe('/watch', () => {
  it('queues watch.add for a valid address with no threshold, and says nothing itself', async () => {
    const turn = await say(`/watch ${A}`, EN);
    expect(onlyJob(turn)).toEqual({
      type: 'watch.add',
      queue: 'rpc',
      payload: { address: A, thresholdLamports: '0', lang: 'en' },
      chatId: alice.id,
      userId: alice.id,
    });
    expect(turn.calls).toEqual([]);
  });

  it.each([
    ['0.5', '500000000'],
    ['1,5', '1500000000'],
    ['1,5 SOL', '1500000000'],
    ['2 sol', '2000000000'],
    ['0', '0'],
  ])('reads the threshold %s as %s lamports', async (amount, lamports) => {
    const turn = await say(`/watch ${A} ${amount}`, ZH);
    expect(onlyJob(turn).payload).toEqual({ address: A, thresholdLamports: lamports, lang: 'zh' });
  });

  it.each([
    ['-1', 'more than 0 SOL'],
    ['abc', 'not an amount of SOL'],
    ['1e3', 'not an amount of SOL'],
    ['0.0000000001', 'more than 9 decimals'],
    ['1.2.3', 'not an amount of SOL'],
    ['<b>9</b>', '<code>&lt;b&gt;9&lt;/b&gt;</code> is not an amount of SOL'],
  ])(
    'refuses the threshold %s, escaped, with its reason and the limits, and queues nothing',
    async (amount, reason) => {
      const turn = await say(`/watch ${A} ${amount}`, EN);
      expect(turn.jobs).toEqual([]);
      expect(texts(turn).join('')).toContain(reason);
      expect(texts(turn).join('')).toContain('0.000000001');
      expect(turn.calls[0]?.params.parse_mode).toBe('HTML');
    },
  );

  it('refuses a bad threshold in Chinese', async () => {
    const turn = await say(`/watch ${A} lots`, ZH);
    expect(texts(turn)).toEqual([
      '<code>lots</code> 不是有效的 SOL 数量。请只用数字和最多一个小数点，例如 1.5：范围 0.000000001 到 1000000000 SOL，最多 9 位小数。',
    ]);
  });

  it.each([
    ['a character base58 does not use', `0x${'a'.repeat(40)}`, 'it has characters base58 does not use'],
    ['the wrong length', 'z'.repeat(44), 'it has the wrong length'],
    ['a cut-off copy', A.slice(0, 30), 'it has the wrong length'],
  ])('explains an address with %s and queues nothing', async (_, address, reason) => {
    const turn = await say(`/watch ${address} 1`, EN);
    expect(turn.jobs).toEqual([]);
    expect(texts(turn)).toEqual([`<code>${address}</code>: That is not a Solana address: ${reason}.`]);
  });

  it.each(['/watch', `/watch ${A} 1 2`, `/watch ${A} 1 SOL extra`])(
    'shows the usage for %s, queueing nothing',
    async (text) => {
      const turn = await say(text, EN);
      expect(turn.jobs).toEqual([]);
      expect(texts(turn)).toEqual([
        'Send /watch &lt;address&gt; to hear about every balance change of any Solana address, or /watch &lt;address&gt; &lt;SOL&gt; to hear only about changes of at least that much. /watches lists your watches.',
      ]);
    },
  );

  it('shows the usage in Chinese', async () => {
    const turn = await say('/watch', ZH);
    expect(texts(turn)).toEqual([
      '发送 /watch &lt;地址&gt; 即可在任意 Solana 地址的余额每次变动时收到通知；发送 /watch &lt;地址&gt; &lt;SOL&gt; 则只在变动不少于该数量时通知。/watches 查看您的关注列表。',
    ]);
  });

  it('points to the private chat when addressed to the bot in a group, and ignores one for another bot', async () => {
    const ours = await say(`/watch@desk_bot ${A}`, { lang: 'en' }, group);
    expect(ours.jobs).toEqual([]);
    expect(texts(ours)).toEqual(['Watches are set up in a private chat with me.']);
    const list = await say('/watches@desk_bot', { lang: 'zh' }, group);
    expect(list.jobs).toEqual([]);
    expect(texts(list)).toEqual(['请在与我的私聊中设置关注。']);
    const theirs = await say(`/watch@other_bot ${A}`, { lang: 'en' }, group);
    expect(theirs.jobs).toEqual([]);
    expect(theirs.calls).toEqual([]);
  });
});

describe('/watches', () => {
  it('queues watch.list in the user’s language and says nothing itself', async () => {
    const turn = await say('/watches', ZH);
    expect(onlyJob(turn)).toEqual({
      type: 'watch.list',
      queue: 'rpc',
      payload: { lang: 'zh' },
      chatId: alice.id,
      userId: alice.id,
    });
    expect(turn.calls).toEqual([]);
  });
});

describe('Remove buttons', () => {
  it('answers the press at once and queues watch.remove with the watch id and the list message', async () => {
    const data = WATCH_CALLBACK.remove(A);
    expect(data).toBe(`wt:rm:${watchId(A)}`);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    const turn = await press(data, EN, 42);
    expect(methods(turn)).toEqual(['answerCallbackQuery']);
    expect(turn.calls[0]?.params.text).toBeUndefined();
    expect(onlyJob(turn)).toEqual({
      type: 'watch.remove',
      queue: 'rpc',
      payload: { watch: watchId(A), lang: 'en', messageId: 42 },
      chatId: alice.id,
      userId: alice.id,
    });
  });

  it.each([
    'wt:rm:',
    'wt:rm:ABCDEFGHIJKLMNOP',
    `wt:rm:${watchId(A)}x`,
    `wt:rm:${watchId(A).slice(1)}`,
    'wt:xx:aaaaaaaaaaaaaaaa',
  ])('answers a malformed button %s as stale and queues nothing', async (data) => {
    const turn = await press(data, ZH);
    expect(methods(turn)).toEqual(['answerCallbackQuery']);
    expect(turn.calls[0]?.params.text).toBe('此按钮已失效。请发送 /menu 获取新菜单。');
    expect(turn.jobs).toEqual([]);
  });

  it('answers a Remove pressed in a group as stale and queues nothing', async () => {
    const base = callbackUpdate(alice, WATCH_CALLBACK.remove(A));
    const inGroup = {
      ...base,
      callback_query: { ...base.callback_query, message: { ...base.callback_query.message, chat: group } },
    };
    const turn = await run(valid(inGroup), { lang: 'en' });
    expect(methods(turn)).toEqual(['answerCallbackQuery']);
    expect(turn.calls[0]?.params.text).toBe('This button is no longer valid. Send /menu for a fresh menu.');
    expect(turn.jobs).toEqual([]);
  });
});
