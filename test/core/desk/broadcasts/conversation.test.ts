import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { broadcastFrom } from '../../../../core/desk/broadcasts/message.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { callbackUpdate, pressIn, textUpdate } from '../../../helpers/updates.js';

const ADMIN_CHAT = -1001;
const run = turnRunner(createBot(testBotOptions({ adminChatId: ADMIN_CHAT })));

const admin = { id: 900, first_name: 'Ada' };
const adminChat = { id: ADMIN_CHAT, type: 'supergroup', title: 'Desk admins' };

describe('broadcastFrom', () => {
  it('takes the text after the command and shifts the entities inside it', () => {
    const text = '/broadcast Hello 🌍 *world*';
    const entities = [
      { type: 'bot_command', offset: 0, length: 10 },
      { type: 'bold', offset: 20, length: 7 },
    ];
    expect(broadcastFrom(text, entities)).toEqual({
      ok: true,
      message: { text: 'Hello 🌍 *world*', entities: [{ type: 'bold', offset: 9, length: 7 }] },
    });
  });

  it('clips an entity that starts inside the command and drops one that ends there', () => {
    const text = '/broadcast@desk_bot  hi there';
    const entities = [
      { type: 'italic', offset: 5, length: 20 },
      { type: 'underline', offset: 0, length: 4 },
    ];
    expect(broadcastFrom(text, entities)).toEqual({
      ok: true,
      message: { text: 'hi there', entities: [{ type: 'italic', offset: 0, length: 4 }] },
    });
  });

  it('refuses a command with nothing after it, or another command', () => {
    expect(broadcastFrom('/broadcast   ')).toEqual({ ok: false, problem: 'usage' });
    expect(broadcastFrom('/broadcasting now')).toEqual({ ok: false, problem: 'usage' });
  });

  it('counts offsets in UTF-16 code units after the command: emoji and Chinese before the formatted part', () => {
    const body = '🎉 新功能 👨‍👩‍👧 <b> & ';
    const text = `/broadcast ${body}now live, see docs`;
    const at = 11 + body.length; // UTF-16 units: each emoji is 2 or more, each Chinese character 1
    const entities = [
      { type: 'bot_command', offset: 0, length: 10 },
      { type: 'bold', offset: at, length: 8 },
      { type: 'text_link', offset: at + 14, length: 4, url: 'https://example.com/docs' },
      { type: 'url', offset: 0, length: 1 }, // detected by Telegram in every copy: left to it
    ];
    const draft = broadcastFrom(text, entities);
    expect(draft).toEqual({
      ok: true,
      message: {
        text: `${body}now live, see docs`,
        entities: [
          { type: 'bold', offset: body.length, length: 8 },
          { type: 'text_link', offset: body.length + 14, length: 4, url: 'https://example.com/docs' },
        ],
      },
    });
    const message = draft.ok ? draft.message : undefined;
    expect(message?.text.slice(body.length, body.length + 8)).toBe('now live');
    expect(message?.text.slice(body.length + 14, body.length + 18)).toBe('docs');
  });

  it('keeps only what a broadcast may carry: pre with its language, and no fields Telegram did not define', () => {
    const draft = broadcastFrom('/broadcast x = 1', [{ type: 'pre', offset: 11, length: 5, language: 'ts', extra: 1 }]);
    expect(draft).toEqual({
      ok: true,
      message: { text: 'x = 1', entities: [{ type: 'pre', offset: 0, length: 5, language: 'ts' }] },
    });
  });

  it('refuses malformed, out-of-range, unsupported or unsafe formatting with its reason, never clipping it', () => {
    const text = '/broadcast hello';
    expect(broadcastFrom(text, [{ type: 'bold', offset: 11, length: 6 }])).toEqual({
      ok: false,
      problem: 'out_of_range',
      type: 'bold',
      offset: 0,
      length: 6,
      textLength: 5,
    });
    expect(broadcastFrom(text, [{ type: 'bold', offset: -1, length: 3 }])).toMatchObject({ problem: 'out_of_range' });
    expect(broadcastFrom(text, [{ type: 'italic', offset: 11, length: 0 }])).toMatchObject({ problem: 'out_of_range' });
    expect(broadcastFrom(text, [{ type: 'custom_emoji', offset: 11, length: 2, custom_emoji_id: '1' }])).toEqual({
      ok: false,
      problem: 'unsupported',
      type: 'custom_emoji',
    });
    expect(broadcastFrom(text, [{ type: 'text_mention', offset: 11, length: 5, user: { id: 1 } }])).toMatchObject({
      problem: 'unsupported',
    });
    expect(broadcastFrom(text, [{ type: 'text_link', offset: 11, length: 5, url: 'javascript:alert(1)' }])).toEqual({
      ok: false,
      problem: 'invalid',
      type: 'text_link',
    });
    expect(broadcastFrom(text, [{ type: 'pre', offset: 11, length: 5, language: '<b>' }])).toMatchObject({
      problem: 'invalid',
    });
    expect(broadcastFrom(text, [{ type: 'bold', offset: '11', length: 5 }])).toMatchObject({ problem: 'invalid' });
    expect(broadcastFrom(text, 'not a list')).toMatchObject({ problem: 'invalid', type: 'entities' });
    const many = Array.from({ length: 101 }, () => ({ type: 'bold', offset: 11, length: 1 }));
    expect(broadcastFrom(text, many)).toEqual({ ok: false, problem: 'too_many', count: 101 });
    expect(broadcastFrom(`/broadcast ${'x'.repeat(4097)}`)).toEqual({ ok: false, problem: 'too_long', length: 4097 });
  });
});

describe('/broadcast', () => {
  it('previews the message and asks to confirm in the admin chat, keeping the draft', async () => {
    const turn = await run(valid(textUpdate(admin, '/broadcast Fees drop on Monday', { chat: adminChat })), {});
    expect(turn.calls.map((c) => c.params.text)).toEqual([
      'Fees drop on Monday',
      '📣 The message above goes to every active user. Send it?',
    ]);
    expect(turn.session).toMatchObject({ broadcastDraft: { text: 'Fees drop on Monday', entities: [] } });
    expect(turn.jobs).toEqual([]);
  });

  /** `/broadcast …` in the admin chat, with the formatting the admin's client added. */
  const formatted = (text: string, formatting: unknown[], from: typeof admin & { language_code?: string } = admin) => {
    const update = textUpdate(from, text, { chat: adminChat });
    return valid({ ...update, message: { ...update.message, entities: [...update.message.entities!, ...formatting] } });
  };

  it('previews the formatted message exactly as every user gets it: the same text and entities, no parse mode', async () => {
    const turn = await run(
      formatted('/broadcast 新 🎉 fees <drop> & more', [{ type: 'bold', offset: 16, length: 4 }]),
      {},
    );
    const preview = turn.calls[0]!.params;
    expect(preview).toMatchObject({
      text: '新 🎉 fees <drop> & more',
      entities: [{ type: 'bold', offset: 5, length: 4 }],
    });
    expect(preview).not.toHaveProperty('parse_mode');
    expect(turn.session).toMatchObject({ broadcastDraft: { text: preview.text, entities: preview.entities } });
  });

  it('refuses formatting it cannot send, saying why, in the admin’s language, with nothing drafted', async () => {
    const outside = await run(formatted('/broadcast hello', [{ type: 'bold', offset: 11, length: 9 }]), {});
    expect(outside.calls.map((c) => c.params.text)).toEqual([
      'The "bold" formatting at 0 (length 9) lies outside the message (5 characters). Nothing was queued.',
    ]);
    expect(outside.session).not.toHaveProperty('broadcastDraft');
    const zh = await run(
      formatted('/broadcast hello', [{ type: 'custom_emoji', offset: 11, length: 2, custom_emoji_id: '5' }], {
        ...admin,
        language_code: 'zh',
      }),
      {},
    );
    expect(String(zh.calls[0]?.params.text)).toContain('“custom_emoji”类型的格式不能广播');
    expect(zh.jobs).toEqual([]);
  });

  it('is unknown outside the admin chat, even to an admin, with nothing drafted', async () => {
    const turn = await run(valid(textUpdate(admin, '/broadcast hi')), { joined: true });
    expect(turn.calls.map((c) => c.params.text)).toEqual([
      'I did not understand that. Send /menu to see what I can do.',
    ]);
    expect(turn.session).not.toHaveProperty('broadcastDraft');
    expect(turn.jobs).toEqual([]);
  });

  it('refuses a member of the admin chat who is not an admin: no draft, no job', async () => {
    const mallory = { id: 4_242, first_name: 'Mallory' };
    const turn = await run(
      valid(textUpdate(mallory, '/broadcast Claim your airdrop at evil.example', { chat: adminChat })),
      {},
    );
    expect(turn.calls.map((c) => c.params.text)).toEqual(['Sorry, only the bot’s admins can do that.']);
    expect(turn.session).not.toHaveProperty('broadcastDraft');
    expect(turn.jobs).toEqual([]);
  });
});

describe('broadcast buttons', () => {
  const mallory = { id: 4_242, first_name: 'Mallory' };
  const draft = { broadcastDraft: { text: 'Claim your airdrop at evil.example', entities: [] } };

  it('queues broadcast.start naming the admin when an admin sends the draft', async () => {
    const turn = await run(valid(pressIn(adminChat, admin, 'bc:go')), draft);
    expect(turn.jobs.map((j) => [j.job.type, j.userId])).toEqual([['broadcast.start', 900]]);
    expect(turn.jobs[0]?.payload).toMatchObject({ adminChatId: ADMIN_CHAT });
  });

  it.each([
    ['Send', 'bc:go'],
    ['Discard', 'bc:drop'],
    ['Cancel', 'bc:stop:b1234'],
  ])(
    'answers a non-admin pressing %s (forged or on an admin’s message) politely and queues nothing',
    async (_, data) => {
      // Even with a draft of their own in the session (a forged one), nothing is sent or changed.
      const turn = await run(valid(pressIn(adminChat, mallory, data)), draft);
      expect(turn.jobs).toEqual([]);
      expect(turn.calls.map((c) => [c.method, c.params.text])).toEqual([
        ['answerCallbackQuery', 'Sorry, only the bot’s admins can do that.'],
      ]);
      expect(turn.session).toMatchObject(draft);
    },
  );

  it('queues nothing for an admin’s forged Cancel outside the admin chat', async () => {
    const turn = await run(valid(callbackUpdate(admin, 'bc:stop:b1234')), { joined: true });
    expect(turn.jobs).toEqual([]);
    expect(String(turn.calls[0]?.params.text)).toContain('no longer valid');
  });
});
