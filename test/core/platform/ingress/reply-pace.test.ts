import { describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { TransientError } from '../../../../core/platform/errors.js';
import { createUpdateProcessor, type TurnRunner } from '../../../../core/platform/ingress/process.js';
import { createReplyPacer } from '../../../../core/platform/ingress/reply-pace.js';
import { checkUpdate, type ValidUpdate } from '../../../../core/platform/ingress/update.js';
import { TELEGRAM_LIMITS } from '../../../../core/platform/settings.js';
import { containerPacers } from '../../../../core/platform/telegram/pacing.js';
import { createSender } from '../../../../core/platform/telegram/sender.js';
import { MemoryJobQueue, MemorySessionStore, memoryLogger } from '../../../helpers/fakes.js';
import { FakeClock, MemoryPace, MemoryProgress, ScriptedGateway } from '../../../helpers/notify-fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';
import { callbackUpdate, textUpdate } from '../../../helpers/updates.js';

const allowed = stageSettings('test').webhook.allowedUpdates;
const valid = (raw: unknown): ValidUpdate => {
  const check = checkUpdate(raw, allowed);
  if (!check.ok) throw new Error(check.detail);
  return check.value;
};

/** Answers a message with one message; a button press with its answer and one message. */
const replying: TurnRunner = async (update) => {
  const reply = { method: 'sendMessage', params: { chat_id: update.chatId, text: `re ${update.updateId}` } };
  if (update.kind !== 'callback_query') return { session: {}, calls: [reply], jobs: [] };
  const id = (update.update.callback_query as { id: string }).id;
  return {
    session: {},
    calls: [{ method: 'answerCallbackQuery', params: { callback_query_id: id } }, reply],
    jobs: [],
  };
};

function setup(runTurn: TurnRunner = replying) {
  const clock = new FakeClock();
  const pace = new MemoryPace();
  const store = new MemorySessionStore();
  const queue = new MemoryJobQueue();
  const process = createUpdateProcessor({
    tenant: TEST_TENANT,
    sessions: store,
    ledger: store,
    queue,
    runTurn,
    pacer: createReplyPacer(pace, TELEGRAM_LIMITS, () => clock.now()),
    log: memoryLogger(),
    sleep: async () => {},
  });
  const deliver = createSender({
    gateway: new ScriptedGateway(clock),
    progress: new MemoryProgress(),
    pace,
    pacers: containerPacers(TELEGRAM_LIMITS, 1, clock),
    directory: { setActive: async () => {} },
    clock,
  });
  /** Delivers the jobs queued so far, as the notify worker would. */
  const drain = async () => {
    for (const { envelope } of queue.sent.splice(0)) {
      const payload = envelope.payload as { calls: never[]; update?: number };
      await deliver(envelope.id, payload.calls, memoryLogger(), { update: payload.update });
    }
  };
  return { clock, pace, store, queue, process, drain };
}

const queuedTexts = (queue: MemoryJobQueue) =>
  queue.sent.flatMap((j) =>
    (j.envelope.payload as { calls: { params: { text?: string } }[] }).calls.map((c) => c.params.text),
  );

describe('replies within the chat’s rate', () => {
  it('carries a reply in the webhook response when the chat’s slot is free, and takes the slot', async () => {
    const { clock, pace, queue, process } = setup();
    const result = await process(valid(textUpdate({ id: 7 }, 'hi')));
    expect(result.reply?.method).toBe('sendMessage');
    expect(queue.sent).toEqual([]);
    expect((await pace.load(7)).recent).toEqual([clock.now()]);
  });

  it('queues a reply that would exceed 1 msg/s, and the chat’s later replies after it, in order', async () => {
    const { clock, pace, store, queue, process, drain } = setup();
    const first = valid(textUpdate({ id: 8 }, 'one'));
    const second = valid(textUpdate({ id: 8 }, 'two'));
    expect((await process(first)).reply).toBeDefined();
    clock.time += 500;
    const queued = await process(second);
    expect(queued.reply).toBeUndefined();
    expect(queue.sent.map((j) => j.envelope.payload)).toEqual([
      {
        calls: [{ method: 'sendMessage', params: { chat_id: 8, text: `re ${second.updateId}` } }],
        update: second.updateId,
      },
    ]);
    expect(store.items.get('8:8')?.processed.at(-1)).toMatchObject({ updateId: second.updateId, repliesQueued: true });

    // Two seconds on, the slot is free, but the queued reply has not gone out: this one follows it.
    clock.time += 2_000;
    const third = valid(textUpdate({ id: 8 }, 'three'));
    expect((await process(third)).reply).toBeUndefined();
    expect(queuedTexts(queue)).toEqual([`re ${second.updateId}`, `re ${third.updateId}`]);

    // Once the sender has taken the last queued reply's slot, replies ride in the response again.
    await drain();
    expect((await pace.load(8)).through).toBe(third.updateId);
    clock.time += 2_000;
    expect((await process(valid(textUpdate({ id: 8 }, 'four')))).reply).toBeDefined();
  });

  it('still answers a button press in the response when its message must wait', async () => {
    const { clock, queue, process } = setup();
    await process(valid(textUpdate({ id: 9 }, 'menu')));
    clock.time += 100;
    const press = valid(callbackUpdate({ id: 9 }, 'menu:help'));
    const result = await process(press);
    expect(result.reply?.method).toBe('answerCallbackQuery');
    expect(queuedTexts(queue)).toEqual([`re ${press.updateId}`]);
  });

  it('re-sends a redelivered update’s queued reply as the same job, and takes no second slot', async () => {
    const { clock, pace, queue, process } = setup();
    await process(valid(textUpdate({ id: 10 }, 'one')));
    clock.time += 100;
    const update = valid(textUpdate({ id: 10 }, 'two'));
    const first = await process(update);
    const again = await process(update);
    expect(again).toEqual({ reply: first.reply, duplicate: true });
    expect(queue.sent.map((j) => j.envelope.id)).toEqual([`u${update.updateId}.0`, `u${update.updateId}.0`]);
    expect((await pace.load(10)).recent).toHaveLength(1);
  });

  it('keeps a taken slot across the re-runs of an update whose session save lost a race', async () => {
    let runs = 0;
    const { clock, pace, store, process } = setup(async (update, session) => {
      runs++;
      // Another update of the session commits while the first run is under way.
      if (runs === 1) {
        await store.save({ key: '11:11', data: {}, expectedVersion: 0, update: { updateId: 1 }, processed: [] });
      }
      return replying(update, session);
    });
    const result = await process(valid(textUpdate({ id: 11 }, 'hi')));
    expect(runs).toBe(2);
    expect(result.reply?.method).toBe('sendMessage');
    expect((await pace.load(11)).recent).toEqual([clock.now()]);
  });

  it('reads the chat’s slot again when a sender saved first, and gives up with a transient error', async () => {
    const pace = new MemoryPace();
    let conflicts = 0;
    const racing = Object.assign(Object.create(pace) as MemoryPace, {
      save: async () => {
        conflicts++;
        return false;
      },
    });
    const route = createReplyPacer(racing, TELEGRAM_LIMITS, () => 0);
    await expect(route(12, undefined)).rejects.toBeInstanceOf(TransientError);
    expect(conflicts).toBe(10);
  });

  it('queues without a write when the slot is taken, for groups at 20 a minute too', async () => {
    const pace = new MemoryPace();
    const at = 1_000_000;
    await pace.save(
      -5,
      Array.from({ length: 20 }, (_, i) => at - 30_000 + i),
      0,
    );
    const route = createReplyPacer(pace, TELEGRAM_LIMITS, () => at);
    expect(await route(-5, undefined)).toBe('queue');
    expect((await pace.load(-5)).version).toBe(1);
  });
});
