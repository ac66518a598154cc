import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, type LogLine, startLocalStack } from '../../local/index.js';
import { printFault, tally } from './report.js';

const USERS = 40;
const OUTAGE_MS = 30_000;
const UNKNOWN = 'I did not understand that. Send /menu to see what I can do.';

let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    onFunctionLog: (line) => logs.push(line),
    // Telegram keeps redelivering for 24 h; the peer's quick test default would give up within the outage.
    telegramRetry: { initialDelayMs: 250, maxDelayMs: 4_000, maxAttempts: 1_000 },
  });
});
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fault: DynamoDB goes away for 30 s under load', () => {
  it('answers 5xx while it is gone, and after the redeliveries loses nothing and does nothing twice', {
    timeout: 300_000,
  }, async () => {
    const users = Array.from({ length: USERS }, (_, i) => stack.telegram.user(40_000 + i, { first_name: `D${i}` }));
    for (const user of users) await user.sendText('/start');
    await stack.telegram.idle(120_000);
    const before = new Map(users.map((u) => [u.id, u.botMessages().length]));

    // Each user writes every 2.5 s for 40 s; DynamoDB is down from 5 s to 35 s.
    const sent: string[] = [];
    const load = (async () => {
      for (let round = 0; round < 16; round++) {
        await Promise.all(
          users.map(async (user) => {
            const update = await user.sendText(`/tick${round}`);
            sent.push(`${user.id}:${update.update_id}`);
          }),
        );
        await sleep(2_500);
      }
    })();
    await sleep(5_000);
    await stack.dynamodb.stop();
    await sleep(OUTAGE_MS);
    await stack.dynamodb.start();
    await load;
    await stack.telegram.idle(120_000);
    // Replies over a chat's 1 msg/s (the redelivered burst) go through the notify queue: wait until
    // every user has as many answers as messages (or the time is up: the tally then says what is
    // missing), then a moment more, for a duplicate to show.
    const answers = () =>
      users.reduce(
        (n, user) =>
          n +
          user
            .botMessages()
            .slice(before.get(user.id))
            .filter((m) => m.text === UNKNOWN).length,
        0,
      );
    await stack.telegram.waitFor(() => answers() >= USERS * 16, 120_000).catch(() => undefined);
    await sleep(2_000);

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
    expect(count).toMatchObject({ in: USERS * 16, lost: 0, duplicated: 0 });
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((d) => d.status === undefined || d.status >= 500)).toBe(true);
    expect(deliveries.some((d) => d.gaveUp)).toBe(false);
  });
});
