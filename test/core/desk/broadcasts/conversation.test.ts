import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import { broadcastFrom } from '../../../../core/desk/broadcasts/conversation.js';
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
      text: 'Hello 🌍 *world*',
      entities: [{ type: 'bold', offset: 9, length: 7 }],
    });
  });

  it('clips an entity that starts inside the command and drops one that ends there', () => {
    const text = '/broadcast@desk_bot  hi there';
    const entities = [
      { type: 'italic', offset: 5, length: 20 },
      { type: 'underline', offset: 0, length: 4 },
    ];
    expect(broadcastFrom(text, entities)).toEqual({
      text: 'hi there',
      entities: [{ type: 'italic', offset: 0, length: 4 }],
    });
  });

  it('refuses a command with nothing after it, or another command', () => {
    expect(broadcastFrom('/broadcast   ')).toBeUndefined();
    expect(broadcastFrom('/broadcasting now')).toBeUndefined();
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
