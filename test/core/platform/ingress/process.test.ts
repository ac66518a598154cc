import { describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { SessionConflictError } from '../../../../core/platform/errors.js';
import { createUpdateProcessor, type TurnRunner } from '../../../../core/platform/ingress/process.js';
import { checkUpdate, type ValidUpdate } from '../../../../core/platform/ingress/update.js';
import { MemoryJobQueue, MemorySessionStore, memoryLogger } from '../../../helpers/fakes.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';
import { textUpdate } from '../../../helpers/updates.js';

const allowed = stageSettings('test').webhook.allowedUpdates;
const valid = (raw: unknown): ValidUpdate => {
  const check = checkUpdate(raw, allowed);
  if (!check.ok) throw new Error(check.detail);
  return check.value;
};

/** A bot that counts updates in the session and sends two chat-visible messages. */
const counting: TurnRunner = async (update, session) => {
  const count = ((session as { count?: number } | undefined)?.count ?? 0) + 1;
  return {
    session: { count },
    calls: [
      { method: 'sendMessage', params: { chat_id: update.chatId, text: `#${count}` } },
      { method: 'sendMessage', params: { chat_id: update.chatId, text: 'second' } },
    ],
    jobs: [],
  };
};

function setup(runTurn: TurnRunner = counting) {
  const store = new MemorySessionStore();
  const queue = new MemoryJobQueue();
  const process = createUpdateProcessor({
    tenant: TEST_TENANT,
    sessions: store,
    ledger: store,
    queue,
    runTurn,
    log: memoryLogger(),
    sleep: async () => {},
  });
  return { store, queue, process };
}

describe('update processor', () => {
  it('applies a redelivered update once and re-sends the same jobs', async () => {
    const { store, queue, process } = setup();
    const update = valid(textUpdate({ id: 1 }, 'hi'));
    const first = await process(update);
    const second = await process(update);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(store.items.get('1:1')?.data).toEqual({ count: 1 });
    expect(queue.sent.map((j) => j.envelope.id)).toEqual([`u${update.updateId}.0`, `u${update.updateId}.0`]);
  });

  it('keeps two chat-visible messages in order in one notify job', async () => {
    const { queue, process } = setup();
    const result = await process(valid(textUpdate({ id: 2 }, 'hi')));
    expect(result.reply).toBeUndefined();
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.queue).toBe('notify');
    expect(queue.sent[0]?.envelope).toMatchObject({ type: 'telegram.send', chatId: 2, userId: 2, attempt: 0 });
    const payload = queue.sent[0]?.envelope.payload as { calls: { params: { text: string } }[] };
    expect(payload.calls.map((c) => c.params.text)).toEqual(['#1', 'second']);
  });

  it('re-runs the bot on fresh data when another update saved first', async () => {
    const { store, process } = setup();
    const original = store.save.bind(store);
    let raced = false;
    store.save = async (save) => {
      if (!raced) {
        raced = true;
        await original({ ...save, data: { count: 10 }, update: { updateId: 1 } });
        throw new SessionConflictError(save.key);
      }
      return original(save);
    };
    await process(valid(textUpdate({ id: 3 }, 'hi')));
    expect(store.items.get('3:3')?.data).toEqual({ count: 11 });
  });

  it('leaves the update re-playable when sending jobs fails after the save', async () => {
    const { store, queue, process } = setup();
    const update = valid(textUpdate({ id: 4 }, 'hi'));
    queue.failNext = 1;
    await expect(process(update)).rejects.toMatchObject({ code: 'sqs.unavailable' });
    const retry = await process(update);
    expect(retry.duplicate).toBe(true);
    expect(store.items.get('4:4')?.data).toEqual({ count: 1 });
    expect(queue.sent).toHaveLength(1);
  });

  it('gives up with a transient error after too many conflicts', async () => {
    const { store, process } = setup();
    store.save = async (save) => {
      throw new SessionConflictError(save.key);
    };
    await expect(process(valid(textUpdate({ id: 5 }, 'hi')))).rejects.toMatchObject({ code: 'session.contended' });
  });

  it('records a sessionless update in the ledger once', async () => {
    const { store, queue, process } = setup(async () => ({
      session: undefined,
      calls: [{ method: 'sendMessage', params: { chat_id: 1, text: 'x' } }],
      jobs: [],
    }));
    const update = { ...valid(textUpdate({ id: 6 }, 'hi')), chatId: null, userId: null };
    expect((await process(update)).duplicate).toBe(false);
    expect((await process(update)).duplicate).toBe(true);
    expect(store.claims.size).toBe(1);
    expect(queue.sent).toHaveLength(0);
  });
});

describe('update processor: the acting user’s own session', () => {
  /** Records what each turn was given, and which session keys were loaded. */
  function recording() {
    const seen: { session: unknown; actor: unknown }[] = [];
    const runTurn: TurnRunner = async (_, session, actor) => {
      seen.push({ session, actor });
      return { session: { n: seen.length }, calls: [], jobs: [] };
    };
    const h = setup(runTurn);
    const loads: string[] = [];
    const load = h.store.load.bind(h.store);
    h.store.load = async (key) => {
      loads.push(key);
      return load(key);
    };
    return { ...h, seen, loads };
  }
  const group = { id: -100_5, type: 'supergroup', title: 'Traders' };

  it('reads nothing more in the user’s private chat, and gives the turn no actor session', async () => {
    const h = recording();
    await h.process(valid(textUpdate({ id: 7 }, 'hi')));
    expect(h.loads).toEqual(['7:7']);
    expect(h.seen).toEqual([{ session: undefined, actor: undefined }]);
  });

  it('reads the user’s private-chat session, once and read only, for an update from a group', async () => {
    const h = recording();
    h.store.items.set('7:7', { data: { blocked: true, lang: 'en' }, version: 3, processed: [] });
    // Another update of the same group session commits first: the turn runs twice, the actor is read once.
    const save = h.store.save.bind(h.store);
    let raced = false;
    h.store.save = async (s) => {
      if (!raced) {
        raced = true;
        h.store.items.set(s.key, { data: { other: true }, version: 1, processed: [] });
      }
      return save(s);
    };
    await h.process(valid(textUpdate({ id: 7 }, '/balance@desk_bot', { chat: group })));
    expect(h.loads.filter((k) => k === '7:7')).toHaveLength(1);
    expect(h.loads.filter((k) => k === `${group.id}:7`)).toHaveLength(2);
    expect(h.seen.map((s) => s.actor)).toEqual([
      { blocked: true, lang: 'en' },
      { blocked: true, lang: 'en' },
    ]);
    // The private session is not written.
    expect(h.store.items.get('7:7')).toMatchObject({ version: 3, data: { blocked: true, lang: 'en' } });
  });
});
