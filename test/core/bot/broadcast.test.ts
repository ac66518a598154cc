import { describe, expect, it } from 'vitest';
import { createBot } from '../../../core/bot/bot.js';
import { broadcastFrom } from '../../../core/bot/broadcast.js';
import { testBotOptions } from '../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../helpers/turns.js';
import { textUpdate } from '../../helpers/updates.js';

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

  it('is refused outside the admin chat, with nothing drafted', async () => {
    const turn = await run(valid(textUpdate(admin, '/broadcast hi')), { joined: true });
    expect(turn.calls.map((c) => c.params.text)).toEqual(['This command works only in the admin chat.']);
    expect(turn.session).not.toHaveProperty('broadcastDraft');
  });
});
