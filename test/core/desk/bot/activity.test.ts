import { describe, expect, it } from 'vitest';
import { createBot } from '../../../../core/desk/bot/bot.js';
import type { SessionData } from '../../../../core/desk/bot/context.js';
import { testBotOptions } from '../../../helpers/bot-options.js';
import { turnRunner, validUpdate as valid } from '../../../helpers/turns.js';
import { textUpdate } from '../../../helpers/updates.js';

const run = turnRunner(createBot(testBotOptions({ reportActivity: true })));
const alice = { id: 601, first_name: 'Alice' };
const seenJobs = (turn: { jobs: { job: { type: string } }[] }) => turn.jobs.filter((j) => j.job.type === 'user.seen');

describe('activity (users seen, for /stats)', () => {
  it('reports a private chat user as seen once, then not again within the hour', async () => {
    const first = await run(valid(textUpdate(alice, '/help')), { lang: 'en', joined: true });
    expect(seenJobs(first)).toHaveLength(1);
    expect(seenJobs(first)[0]).toMatchObject({ userId: alice.id, chatId: null });
    const session = first.session as SessionData;
    expect(session.seenAt).toBeGreaterThan(0);
    const second = await run(valid(textUpdate(alice, '/help')), session);
    expect(seenJobs(second)).toEqual([]);
    const hourLater = await run(valid(textUpdate(alice, '/help')), { ...session, seenAt: session.seenAt! - 3_600_001 });
    expect(seenJobs(hourLater)).toHaveLength(1);
  });

  it('does not count group chatter', async () => {
    const group = { id: -100_5, type: 'group', title: 'Traders' };
    const turn = await run(valid(textUpdate(alice, 'hello all', { chat: group })), {});
    expect(seenJobs(turn)).toEqual([]);
  });
});
