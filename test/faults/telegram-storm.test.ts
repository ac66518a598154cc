import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TELEGRAM_LIMITS } from '../../core/platform/settings.js';
import { type LocalStack, startLocalStack } from '../../local/index.js';
import { printFault, tally } from './report.js';

const USERS = 60;
const BLOCKERS = 12;
/** The peer admits 3 messages a second where the notify worker aims at 30: a 429 storm. */
const STORM = { ...TELEGRAM_LIMITS, messagesPerSecond: 3 };

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ telegramLimits: STORM, onFunctionLog: () => undefined });
});
afterAll(() => stack?.stop());

describe('fault: a Telegram 429 storm, and users blocking the bot while their answer is on its way', () => {
  it('delivers every answer exactly once to those who stayed, and none to those who left', {
    timeout: 240_000,
  }, async () => {
    // The model takes a while, so the blockers are gone before their answers are sent.
    stack.llm.setLatency(2_000);
    const users = Array.from({ length: USERS }, (_, i) => stack.telegram.user(50_000 + i, { first_name: `S${i}` }));
    const blockers = new Set(users.slice(0, BLOCKERS).map((u) => u.id));
    await Promise.all(users.map((user, i) => user.sendText(`Storm question ${i}`)));
    for (const user of users) if (blockers.has(user.id)) await user.block();

    const stayed = users.filter((u) => !blockers.has(u.id));
    const answer = (i: number) => `Local model: you said "Storm question ${i}"`;
    await stack.telegram.waitFor(
      () => stayed.every((user) => user.botMessages().some((m) => m.text.startsWith('Local model'))) || undefined,
      180_000,
    );
    // Give a duplicate, or a late answer to a blocker, the time to show up.
    await new Promise((resolve) => setTimeout(resolve, 5_000));

    const delivered = users.flatMap((user, i) =>
      user
        .botMessages()
        .filter((m) => m.text === answer(i))
        .map(() => String(user.id)),
    );
    const limits = stack.telegramLimits!.stats();
    const refused = stack.telegram
      .calls('sendMessage')
      .filter((c) => c.error?.error_code === 403 && blockers.has(Number(c.params.chat_id)));
    const count = tally(
      'telegram-storm (answers to users who stayed)',
      stayed.map((u) => String(u.id)),
      delivered.filter((id) => !blockers.has(Number(id))),
      { '429s': limits.tooManyRequests, '403s': refused.length, blockers: BLOCKERS },
    );
    printFault(count);
    expect(count).toMatchObject({ in: USERS - BLOCKERS, lost: 0, duplicated: 0 });
    expect(limits.tooManyRequests).toBeGreaterThan(0);
    expect(delivered.filter((id) => blockers.has(Number(id)))).toEqual([]);
    // Each blocker's answer is refused once (403); the sender then stops writing to that chat.
    expect(refused).toHaveLength(BLOCKERS);
  });
});
