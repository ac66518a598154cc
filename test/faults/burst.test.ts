import { BatchGetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionDataSchema } from '../../core/desk/bot/context.js';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { printFault, tally } from './report.js';

const USERS = 1_000;
const PER_USER = 5;
const UNKNOWN = 'I did not understand that. Send /menu to see what I can do.';

let stack: LocalStack;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined });
  dynamo = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 3 });
});
afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
});

/** Every session item of `ids` (one private chat each): its data, version and processed update ids. */
async function sessions(ids: readonly number[]) {
  const found = new Map<number, { data: unknown; version: number; processed: number[] }>();
  for (let i = 0; i < ids.length; i += 100) {
    const keys = ids.slice(i, i + 100).map((id) => ({ pk: { S: `session#${id}:${id}` }, sk: { S: 'session' } }));
    let request: Record<string, { Keys: typeof keys; ConsistentRead: boolean }> | undefined = {
      [stack.dynamodb.tableName]: { Keys: keys, ConsistentRead: true },
    };
    while (request && Object.keys(request).length > 0) {
      const { Responses = {}, UnprocessedKeys } = await dynamo.send(new BatchGetItemCommand({ RequestItems: request }));
      for (const item of Responses[stack.dynamodb.tableName] ?? []) {
        const id = Number(/^session#(\d+):/.exec(item.pk!.S!)![1]);
        found.set(id, {
          data: JSON.parse(item.data?.S ?? 'null'),
          version: Number(item.version?.N),
          processed: (JSON.parse(item.processed?.S ?? '[]') as { updateId: number }[]).map((p) => p.updateId),
        });
      }
      request = UnprocessedKeys as typeof request;
    }
  }
  return found;
}

describe('fault: a burst of 5,000 updates from 1,000 users', () => {
  it('processes every update once, answers each once, and leaves every session consistent', {
    timeout: 300_000,
  }, async () => {
    const users = Array.from({ length: USERS }, (_, i) => stack.telegram.user(30_000 + i, { first_name: `B${i}` }));
    // Every user's chat is known first (its /start), so the burst is the only thing left to count.
    const sent: { chat: number; update: number }[] = [];
    await Promise.all(
      users.map(async (user) => {
        for (let n = 0; n < PER_USER; n++) {
          const update = await user.sendText(`/burst${n}`);
          sent.push({ chat: user.id, update: update.update_id });
        }
      }),
    );
    await stack.telegram.idle(240_000);

    const answers = users.flatMap((user) => user.botMessages().map((m) => `${user.id}:${m.text}`));
    const stored = await sessions(users.map((u) => u.id));
    const processed = [...stored.entries()].flatMap(([id, s]) => s.processed.map((update) => `${id}:${update}`));
    const updates = tally(
      'burst (updates applied to sessions)',
      sent.map((s) => `${s.chat}:${s.update}`),
      processed,
      { users: USERS, deliveries: stack.telegram.deliveries().length },
    );
    printFault(updates);
    expect(updates).toMatchObject({ in: USERS * PER_USER, lost: 0, duplicated: 0 });

    // One answer per update: "did not understand" five times in each chat, never more.
    const replies = tally(
      'burst (answers)',
      sent.map((s) => `${s.chat}:${s.update}`),
      users.flatMap((user) => {
        const ids = sent.filter((s) => s.chat === user.id).map((s) => s.update);
        return user
          .botMessages()
          .filter((m) => m.text === UNKNOWN)
          .map((_, i) => `${user.id}:${ids[i] ?? `extra${i}`}`);
      }),
    );
    printFault(replies);
    expect(replies).toMatchObject({ lost: 0, duplicated: 0 });
    expect(answers).toHaveLength(USERS * PER_USER);

    // Each session was saved once per update (its version), and holds valid data only.
    for (const [, session] of stored) {
      expect(session.version).toBe(PER_USER);
      expect(SessionDataSchema.safeParse(session.data).success).toBe(true);
    }
    expect(stored.size).toBe(USERS);
  });
});
