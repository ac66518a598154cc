import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LogLine, startLocalStack } from '../../local/index.js';
import { allSent } from '../helpers/stack-chat.js';
import { printFault, tally } from './report.js';

const USERS = 20;
const OUTAGE_MS = 8_000;
const ROUNDS = 12;
const UNKNOWN = 'I did not understand that. Send /menu to see what I can do.';

let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    // The `quick` stage: a notify job that failed while the table was gone comes back after 1, 3, 9 s… (5, 15, 45 s… on others).
    stage: 'quick',
    onFunctionLog: (line) => logs.push(line),
    // Telegram keeps redelivering for 24 h; the peer's quick test default would give up within the outage.
    telegramRetry: { initialDelayMs: 250, maxDelayMs: 2_000, maxAttempts: 1_000 },
  });
});
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fault: DynamoDB goes away for 8 s under load', () => {
  it('answers 5xx while it is gone, and after the redeliveries loses nothing and does nothing twice', {
    timeout: 300_000,
  }, async () => {
    const users = Array.from({ length: USERS }, (_, i) => stack.telegram.user(40_000 + i, { first_name: `D${i}` }));
    for (const user of users) await user.sendText('/start');
    await stack.telegram.idle(120_000);
    const before = new Map(users.map((u) => [u.id, u.botMessages().length]));

    // Each user writes every second for 12 s; DynamoDB is down from 2 s to 10 s.
    const sent: string[] = [];
    const load = (async () => {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(
          users.map(async (user) => {
            const update = await user.sendText(`/tick${round}`);
            sent.push(`${user.id}:${update.update_id}`);
          }),
        );
        await sleep(1_000);
      }
    })();
    await sleep(2_000);
    await stack.dynamodb.stop();
    await sleep(OUTAGE_MS);
    await stack.dynamodb.start();
    await load;
    // Every redelivery made, then the replies over a chat's 1 msg/s (the redelivered burst), which go
    // through the notify queue, until it is empty, nothing waiting, delayed or in flight, so a
    // duplicate would have been sent too (or the time is up: the tally then says what is missing).
    await allSent(stack, 120_000).catch(() => undefined);

    const mine = new Set(sent.map((key) => Number(key.split(':')[1])));
    const deliveries = stack.telegram.deliveries().filter((d) => mine.has(d.update_id));
    const failed = deliveries.filter((d) => !d.ok);
    const answered = users.flatMap((user) => {
      const ids = sent.filter((key) => key.startsWith(`${user.id}:`));
      return user
        .botMessages()
        .slice(before.get(user.id))
        .filter((m) => m.text === UNKNOWN)
        .map((_, i) => ids[i] ?? `${user.id}:extra${i}`);
    });
    const count = tally('dynamodb-outage (answers)', sent, answered, {
      'webhook 5xx': failed.filter((d) => (d.status ?? 0) >= 500).length,
      'gave up': deliveries.filter((d) => d.gaveUp).length,
      // Notify jobs that failed while the table was gone: each comes back within seconds.
      'notify retries': logs.filter((l) => l.functionName.endsWith('notifyWorker') && l.line.includes('"job.failed"'))
        .length,
    });
    printFault(count);
    expect(count).toMatchObject({ in: USERS * ROUNDS, lost: 0, duplicated: 0 });
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((d) => d.status === undefined || d.status >= 500)).toBe(true);
    expect(deliveries.some((d) => d.gaveUp)).toBe(false);
  });
});
