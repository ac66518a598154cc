import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chatNotice,
  DynamoQuotaMeter,
  OPERATOR_NOTICE,
  type OverQuotaUpdate,
  overQuotaAnswer,
  PLANS,
} from '../../../../core/platform/quotas/index.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 11, 7, 14, 59, 0, 500);
const refusal = { resetsAt: Date.UTC(2026, 11, 7, 15) };

describe('overQuotaAnswer', () => {
  it('gives a message one polite message in its chat per window, and tells the operator', () => {
    expect(overQuotaAnswer({ kind: 'message', chat: 42 }, refusal, now)).toEqual({
      toast: false,
      claims: [chatNotice(42), OPERATOR_NOTICE],
      retryAfterSeconds: 60,
    });
  });

  it('answers every button press with the polite toast, and leaves the chat alone', () => {
    expect(overQuotaAnswer({ kind: 'callback' }, refusal, now)).toEqual({
      toast: true,
      claims: [OPERATOR_NOTICE],
      retryAfterSeconds: 60,
    });
  });

  it('answers nothing to an update no one waits on, but still tells the operator', () => {
    expect(overQuotaAnswer({ kind: 'other' }, refusal, now)).toEqual({
      toast: false,
      claims: [OPERATOR_NOTICE],
      retryAfterSeconds: 60,
    });
  });

  it('asks for at least a second, even at or past the window end', () => {
    expect(overQuotaAnswer({ kind: 'other' }, refusal, refusal.resetsAt).retryAfterSeconds).toBe(1);
    expect(overQuotaAnswer({ kind: 'other' }, refusal, refusal.resetsAt + 5_000).retryAfterSeconds).toBe(1);
    expect(overQuotaAnswer({ kind: 'other' }, refusal, refusal.resetsAt - 1).retryAfterSeconds).toBe(1);
    expect(overQuotaAnswer({ kind: 'other' }, refusal, refusal.resetsAt - 1_001).retryAfterSeconds).toBe(2);
  });
});

describe('an over-quota bot flooded with updates (with the meter on the local table)', () => {
  let local: LocalTable;
  let clock = Math.ceil(Date.now() / HOUR) * HOUR + 48 * HOUR;
  beforeAll(async () => {
    local = await startLocalTable('over-quota');
  });
  afterAll(() => local.stop());

  /** Counts each update as the webhook would, and returns what was sent: polite messages by chat, toasts, operator notices. */
  async function deliver(meter: DynamoQuotaMeter, updates: readonly OverQuotaUpdate[]) {
    const sent = { messages: [] as (number | string)[], toasts: 0, operator: 0, processed: 0 };
    await Promise.all(
      updates.map(async (update) => {
        const counted = await meter.consume('updatesPerHour');
        if (counted.ok) {
          sent.processed++;
          return;
        }
        const answer = overQuotaAnswer(update, counted, clock);
        const claimed = await meter.claimNotices('updatesPerHour', answer.claims);
        if (answer.toast) sent.toasts++;
        if (update.kind === 'message' && claimed.includes(chatNotice(update.chat))) sent.messages.push(update.chat);
        if (claimed.includes(OPERATOR_NOTICE)) sent.operator++;
      }),
    );
    return sent;
  }

  it('answers each chat once and the operator once per window, not once per message, and again in the next window', async () => {
    const meter = new DynamoQuotaMeter({
      ...local,
      plan: { ...PLANS.free, limits: { ...PLANS.free.limits, updatesPerHour: 5 } },
      now: () => clock,
    });
    const flood: OverQuotaUpdate[] = [
      ...Array.from({ length: 30 }, (_, i): OverQuotaUpdate => ({ kind: 'message', chat: i % 3 })),
      ...Array.from({ length: 4 }, (): OverQuotaUpdate => ({ kind: 'callback' })),
      { kind: 'other' },
    ];
    // The hour's five updates go through; then the flood is all refused, at once.
    expect(await deliver(meter, flood.slice(0, 5))).toEqual({ messages: [], toasts: 0, operator: 0, processed: 5 });
    const first = await deliver(meter, flood);
    expect({ ...first, messages: first.messages.sort() }).toEqual({
      messages: [0, 1, 2],
      toasts: 4,
      operator: 1,
      processed: 0,
    });
    expect(await deliver(meter, flood)).toEqual({ messages: [], toasts: 4, operator: 0, processed: 0 });
    clock += HOUR;
    expect(await deliver(meter, flood.slice(0, 5))).toMatchObject({ processed: 5 });
    const next = await deliver(meter, flood);
    expect({ ...next, messages: next.messages.sort() }).toEqual({
      messages: [0, 1, 2],
      toasts: 4,
      operator: 1,
      processed: 0,
    });
  });
});
