import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionDataSchema } from '../../core/desk/bot/context.js';
import { DynamoSessionStore } from '../../core/platform/sessions/dynamodb-store.js';
import { type LocalStack, localClientConfig, startLocalStack } from '../../local/index.js';
import { allSent } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';
import { printFault, tally } from './report.js';

/**
 * 100 users writing at once show what 1,000 do (each chat's five updates race each other for its
 * session, and the 500 updates queue up far beyond the webhook's 40 connections, so some may
 * be redelivered) in a tenth of the time; `FAULT_BURST_USERS=1000` runs the 5,000-update burst.
 */
const USERS = Number(process.env.FAULT_BURST_USERS ?? 100);
const PER_USER = 5;
const UNKNOWN = 'I did not understand that. Send /menu to see what I can do.';

let stack: LocalStack;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: () => undefined });
  // The stack's own bot's items, as its webhook stores them.
  dynamo = homeScope(stack, new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 3 }));
});
afterAll(async () => {
  dynamo?.destroy();
  await stack?.stop();
});

/** Every session of `ids` (one private chat each), read as the webhook reads it: its data, version and processed update ids. */
async function sessions(ids: readonly number[]) {
  const store = new DynamoSessionStore({
    client: dynamo,
    tableName: stack.dynamodb.tableName,
    sessionIdleSeconds: 86_400,
    updateDedupeSeconds: 3_600,
  });
  const found = new Map<number, { data: unknown; version: number; processed: number[] }>();
  for (let i = 0; i < ids.length; i += 50) {
    await Promise.all(
      ids.slice(i, i + 50).map(async (id) => {
        const snapshot = await store.load(`${id}:${id}`);
        if (snapshot.version === 0) return;
        found.set(id, {
          data: snapshot.data,
          version: snapshot.version,
          processed: snapshot.processed.map((p) => p.updateId),
        });
      }),
    );
  }
  return found;
}

describe(`fault: a burst of ${USERS * PER_USER} updates from ${USERS} users`, () => {
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
    // Every update delivered, then every answer sent (those over a chat's 1 msg/s go through the notify queue).
    await allSent(stack, 240_000);

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
