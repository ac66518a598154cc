/**
 * Fuzzing the webhook with real and broken Telegram updates.
 *
 * The object graph is the production one: `composeWebhook(webhookConfig(env), log)`, over a local
 * stack with functions off (dynalite for sessions and update claims, fauxqs for the queues), so a
 * case exercises the real bot, the real DynamoDB conditional writes and the real SQS batches. It
 * costs a few milliseconds per update, so a few hundred cases fit in the time budget.
 *
 * Properties, for any case (a cast and a few deliveries, see `updates.ts`):
 * - with the right secret the answer is 200, or 413 for a body over the limit, never 5xx, and the
 *   handler never throws; a real (unmutated) update never ends in a bot error (`update.failed`);
 * - a reply in the response body is a Bot API call Telegram would accept as to its shape, aimed at
 *   the update's chat (or answering its callback query); a redelivered update gets the same reply;
 * - every session stored afterwards parses with `SessionDataSchema` unchanged, with a valid list of
 *   processed updates; every update claim holds a valid outbox;
 * - every job queued parses with `JobEnvelopeSchema` and its type's payload schema, on its type's
 *   queue, and the calls of a `telegram.send` are valid Bot API calls too;
 * - with a wrong or missing secret (the deployment's master secret and another bot's are wrong too),
 *   or the right one on a path naming no bot the deployment serves, the answer is 401 and nothing
 *   is stored or queued.
 *
 * `FUZZ_RUNS` raises the number of cases (default 200, plus 100 for the secret); `FUZZ_SEED`
 * replays a failure's seed (fast-check prints it with the counterexample).
 */

import { isDeepStrictEqual } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { SessionDataSchema } from '../../core/desk/bot/context.js';
import { QUEUE_NAMES } from '../../core/desk/settings.js';
import { checkUpdate } from '../../core/platform/ingress/update.js';
import type { WebhookRequest, WebhookResponse } from '../../core/platform/ingress/webhook.js';
import { createLogger } from '../../core/platform/log.js';
import { webhookSecretOf } from '../../core/platform/onboarding/index.js';
import { OutboxSchema, ProcessedUpdateSchema } from '../../core/platform/sessions/store.js';
import { TelegramSendJob } from '../../core/platform/telegram/send-job.js';
import { composeWebhook } from '../../functions/lib/compose.js';
import { webhookConfig } from '../../functions/lib/config.js';
import { drainQueue, type FuzzStack, readItem, startFuzzStack } from '../helpers/fuzz-stack.js';
import { homeScope, homeTenant } from '../helpers/tenants.js';
import { botApiProblem } from './bot-api.js';
import { isScheduleTick, queuedJobProblem } from './jobs.js';
import type { Json } from './mutate.js';
import { type Case, caseArb, castArb, type Delivery, FUZZ_BOT, updateArb } from './updates.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const options = (numRuns: number) => ({ numRuns, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true });

let fuzz: FuzzStack;
let webhook: (request: WebhookRequest) => Promise<WebhookResponse>;
/** The stack's own bot: the path names it, and its derived secret opens it. */
let botId: string;
let secret: string;
let masterSecret: string;
let dynamo: DynamoDBClient;
let limit: number;
let allowed: readonly string[];
/** Warnings and errors the webhook logged, and the updates it found already applied; newest last. */
const problems: { level: string; event: string; [field: string]: unknown }[] = [];

beforeAll(async () => {
  fuzz = await startFuzzStack();
  const config = webhookConfig(process.env);
  botId = homeTenant(fuzz.stack);
  // The stack's own bot's items, as the webhook stores them (`t<botId>/session#…`).
  dynamo = homeScope(fuzz.stack, fuzz.dynamo);
  masterSecret = config.telegram.webhookSecret;
  secret = webhookSecretOf(masterSecret, botId);
  limit = config.settings.webhook.maxBodyBytes;
  allowed = config.settings.webhook.allowedUpdates;
  const log = createLogger({
    service: 'webhook-fuzz',
    level: 'info',
    secrets: [config.telegram.token, masterSecret, secret],
    write: (line) => {
      const entry = JSON.parse(line) as (typeof problems)[number];
      if (entry.level !== 'info' || entry.duplicate === true) problems.push(entry);
    },
  });
  webhook = composeWebhook(config, log);
});
afterAll(() => fuzz?.stop());

const SessionProcessedSchema = z.array(ProcessedUpdateSchema);

/** JSON with sorted keys and no undefined members: equal texts mean equal data. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** The body as the webhook reads it: base64-decoded if so flagged. */
const rawBytes = (d: Pick<Delivery, 'body' | 'isBase64Encoded'>): Buffer =>
  d.isBase64Encoded ? Buffer.from(d.body ?? '', 'base64') : Buffer.from(d.body ?? '');

function parsedUpdate(d: Pick<Delivery, 'body' | 'isBase64Encoded'>) {
  try {
    return checkUpdate(JSON.parse(rawBytes(d).toString('utf8')), allowed);
  } catch {
    return undefined;
  }
}

/** The request Telegram makes on `path`; `header` is the secret header's value (absent when undefined). */
function request(delivery: Delivery, header: string | undefined, path: string | undefined): WebhookRequest {
  return {
    ...(path === undefined ? {} : { path }),
    headers: {
      'content-type': 'application/json',
      ...(header === undefined ? {} : { 'x-telegram-bot-api-secret-token': header }),
    },
    body: delivery.body,
    isBase64Encoded: delivery.isBase64Encoded,
  };
}

/** Why a stored session is garbage; undefined when it is not. */
function sessionProblem(item: Record<string, string>): string | undefined {
  const data: unknown = JSON.parse(item.data ?? 'null');
  const parsed = SessionDataSchema.safeParse(data);
  if (!parsed.success) return `session data does not parse: ${parsed.error.issues[0]?.path.join('.')}`;
  if (canonical(parsed.data) !== canonical(data)) {
    const stored = data as Record<string, unknown>;
    const read = parsed.data as Record<string, unknown>;
    const changed = [...new Set([...Object.keys(stored), ...Object.keys(read)])]
      .filter((key) => canonical(stored[key]) !== canonical(read[key]))
      .map((key) => `${key}: ${canonical(stored[key])?.slice(0, 120)} read as ${canonical(read[key])?.slice(0, 120)}`);
    return `session data changes when parsed (${changed.join('; ')})`;
  }
  const processed = SessionProcessedSchema.safeParse(JSON.parse(item.processed ?? 'null'));
  if (!processed.success) return `processed list does not parse: ${processed.error.issues[0]?.path.join('.')}`;
  if (!(Number(item.version) >= 1) || !Number.isSafeInteger(Number(item.version))) return `version ${item.version}`;
  for (const entry of processed.data) {
    const reply = entry.outbox?.reply;
    const problem = reply && botApiProblem(reply.method, reply.params);
    if (problem) return `stored reply: ${problem}`;
  }
  return undefined;
}

/** Problems with what a delivery left behind: its session or claim, and every queued job. */
async function storedProblems(delivery: Delivery): Promise<string[]> {
  const found: string[] = [];
  const check = parsedUpdate(delivery);
  if (check?.ok) {
    const { chatId, userId, updateId } = check.value;
    if (chatId !== null && userId !== null) {
      const item = await readItem(dynamo, fuzz.stack.dynamodb.tableName, `session#${chatId}:${userId}`, 'session');
      const problem = item && sessionProblem(item);
      if (problem) found.push(problem);
    } else {
      const claim = await readItem(dynamo, fuzz.stack.dynamodb.tableName, `update#${updateId}`, 'update');
      if (claim && !OutboxSchema.safeParse(JSON.parse(claim.outbox ?? 'null')).success) found.push('claim outbox');
    }
  }
  for (const queue of QUEUE_NAMES) {
    for (const message of await drainQueue(fuzz.sqs, fuzz.stack.sqs.queueUrls[queue])) {
      const body = message.Body ?? '';
      // The local schedule's ticks are not the webhook's doing; every job it queues is its bot's.
      if (isScheduleTick(body)) continue;
      const problem = queuedJobProblem(queue, body, [botId]);
      if (problem) {
        found.push(`queued on ${queue}: ${problem}`);
        continue;
      }
      const envelope = JSON.parse(body) as { type: string; payload: { calls?: { method: string; params: object }[] } };
      if (envelope.type !== TelegramSendJob.type) continue;
      for (const call of envelope.payload.calls ?? []) {
        const callProblem = botApiProblem(call.method, call.params as Record<string, unknown>);
        if (callProblem) found.push(`queued call: ${callProblem}`);
      }
    }
  }
  return found;
}

/** Why a reply in a response body is wrong for the update it answers; undefined when it is not. */
function replyProblem(delivery: Delivery, reply: Record<string, unknown>): string | undefined {
  const { method, ...params } = reply;
  const shape = botApiProblem(method, params);
  if (shape) return shape;
  const check = parsedUpdate(delivery);
  if (!check?.ok) return 'a reply to something that is not a valid update';
  const update = check.value.update as { callback_query?: { id: string } };
  if (method === 'answerCallbackQuery') {
    return params.callback_query_id === update.callback_query?.id ? undefined : 'answers another callback query';
  }
  if (params.inline_message_id !== undefined) return undefined;
  return params.chat_id === check.value.chatId ? undefined : `aimed at chat ${params.chat_id}, not the update's`;
}

/** What an update could have written: its session and its update claim, as stored now. */
async function touched(delivery: Delivery) {
  const check = parsedUpdate(delivery);
  if (!check?.ok) return undefined;
  const { chatId, userId, updateId } = check.value;
  const table = fuzz.stack.dynamodb.tableName;
  return {
    session: await readItem(dynamo, table, `session#${chatId}:${userId}`, 'session'),
    claim: await readItem(dynamo, table, `update#${updateId}`, 'update'),
  };
}

/** Plays one case; returns what went wrong, step by step (empty when nothing did). */
async function play(c: Case): Promise<string[]> {
  const failures: string[] = [];
  let previous: { delivery: Delivery; response: WebhookResponse } | undefined;
  for (const [index, step] of c.steps.entries()) {
    const delivery = 'redeliver' in step ? previous?.delivery : step.delivery;
    if (!delivery) continue;
    const where = `step ${index} (${'redeliver' in step ? 'redelivery' : delivery.label})`;
    const logged = problems.length;
    const response = await webhook(request(delivery, secret, `/telegram/${botId}`));
    const expected = rawBytes(delivery).byteLength > limit ? 413 : 200;
    if (response.statusCode !== expected)
      failures.push(`${where}: status ${response.statusCode}, expected ${expected}`);
    let reply: Record<string, unknown>;
    try {
      reply = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      failures.push(`${where}: response body is not JSON`);
      continue;
    }
    // An update id seen before is a redelivery by definition: its stored reply is the right answer.
    const duplicate = problems.slice(logged).some((line) => line.event === 'update.processed' && line.duplicate);
    if (reply.method !== undefined && !duplicate) {
      const problem = replyProblem(delivery, reply);
      if (problem) failures.push(`${where}: reply ${problem}`);
    } else if (reply.method !== undefined) {
      const { method, ...params } = reply;
      const problem = botApiProblem(method, params);
      if (problem) failures.push(`${where}: reply ${problem}`);
    }
    if ('redeliver' in step && previous && JSON.parse(previous.response.body).method !== undefined) {
      if (!isDeepStrictEqual(JSON.parse(previous.response.body), reply)) failures.push(`${where}: another reply`);
    }
    const isReal = delivery.label === 'json' || delivery.label === 'base64';
    const botErrors = problems.slice(logged).filter((line) => line.event === 'update.failed');
    if (isReal && botErrors.length > 0) failures.push(`${where}: bot error ${JSON.stringify(botErrors[0]?.error)}`);
    for (const problem of await storedProblems(delivery)) failures.push(`${where}: ${problem}`);
    previous = { delivery, response };
  }
  return failures;
}

const ANN = { id: 4_242, is_bot: false as const, first_name: 'Ann' };
const ANN_CHAT = { id: ANN.id, type: 'private', first_name: 'Ann' };

/** A case of one JSON delivery of `update`, from Ann. */
function caseOf(label: string, update: Record<string, unknown>): Case {
  return {
    cast: {
      users: [ANN],
      groups: [{ id: -5, type: 'group', title: 'g' }],
      channel: { id: -1_000_000_000_001, type: 'channel', title: 'c' },
      addresses: ['11111111111111111111111111111111'],
      bot: FUZZ_BOT,
    },
    steps: [{ delivery: { label, body: JSON.stringify(update), isBase64Encoded: false }, update: update as Json }],
  };
}

/**
 * A known failure (found by the property above): an update carrying two kinds. `checkUpdate`
 * validates the first allowed kind it meets (`edited_message`, in a group) and keys the session
 * by that chat, while telegraf runs the bot on `message` (a private chat), which nobody validated:
 * the reply goes to the private chat and its state lands in the group's session.
 */
const twoKinds = () =>
  caseOf('two kinds', {
    update_id: 7_001,
    edited_message: {
      message_id: 1,
      date: 1_700_000_000,
      edit_date: 1_700_000_001,
      chat: { id: -5, type: 'group', title: 'g' },
      from: ANN,
      text: 'hi',
    },
    message: { message_id: 2, date: 1_700_000_000, chat: ANN_CHAT, from: ANN, text: '/help' },
  });

/**
 * A known failure (found by the property above): a message dated before 1970. `checkUpdate` takes
 * any integer date; abuse control counts time by it and stores `limits.at` < 0, which the session
 * schema refuses (it reads back as no limits at all). The same happens with an `edit_date` that is
 * not a number (not validated at all: `at` is stored as null).
 */
const negativeDate = () =>
  caseOf('mutated json', {
    update_id: 7_002,
    message: { message_id: 3, date: -1, chat: ANN_CHAT, from: ANN, text: 'hi' },
  });

describe('webhook (fuzzed)', () => {
  it('generates real updates of every type, which the platform accepts or ignores as unsupported', () => {
    const updates = fc.sample(
      castArb.chain((cast) => updateArb(cast, fc.nat())),
      { numRuns: 500, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    const kinds = new Set(updates.flatMap((u) => Object.keys(u).filter((k) => k !== 'update_id')));
    expect(kinds.size).toBeGreaterThanOrEqual(20);
    const malformed = updates
      .map((u) => checkUpdate(u, allowed))
      .filter((check) => !check.ok && check.reason === 'malformed');
    expect(malformed).toEqual([]);
  });

  it(
    'answers 200 (413 over the limit), stores only valid sessions, queues only valid jobs, replies with valid calls',
    async () => {
      await fc.assert(
        fc.asyncProperty(caseArb(limit), async (c) => {
          const failures = await play(c);
          expect(failures).toEqual([]);
        }),
        options(RUNS),
      );
    },
    60_000 + RUNS * 100,
  );

  it('runs the bot on the kind it validated, for an update that carries two kinds', async () => {
    expect(await play(twoKinds())).toEqual([]);
  });

  it('stores a session that reads back unchanged, for a message dated before 1970', async () => {
    expect(await play(negativeDate())).toEqual([]);
  });

  it(
    "answers 401 and stores nothing without the bot's own secret on the bot's own path",
    async () => {
      // Named, not shown: a counterexample must not print the secret.
      const variants: Record<string, () => string | undefined> = {
        absent: () => undefined,
        empty: () => '',
        blank: () => ' ',
        'another value': () => 'wrong',
        'one character more': () => `${secret}x`,
        'one character less': () => secret.slice(0, -1),
        'upper case': () => secret.toUpperCase(),
        'leading space': () => ` ${secret}`,
        'trailing newline': () => `${secret}\n`,
        // Each bot has its own secret: the deployment's, or another bot's, opens nothing.
        "the deployment's master secret": () => masterSecret,
        "another bot's secret": () => webhookSecretOf(masterSecret, '42'),
      };
      // The right secret on a path naming no bot the deployment serves, or no bot at all.
      const paths: Record<string, () => string | undefined> = {
        'no path': () => undefined,
        'the old single-bot path': () => '/telegram',
        'a bot the deployment does not serve': () => '/telegram/42',
        "the bot's id with a leading zero": () => `/telegram/0${botId}`,
        "the bot's path with more after it": () => `/telegram/${botId}/x`,
      };
      const wrong = fc.oneof(
        fc.constantFrom(...Object.keys(variants)).map((header) => ({ header })),
        fc.constantFrom(...Object.keys(paths)).map((path) => ({ path })),
        fc.string({ maxLength: 300 }).map((random) => ({ random })),
      );
      await fc.assert(
        fc.asyncProperty(caseArb(limit, 1), wrong, async (c, variant) => {
          const header =
            'header' in variant ? variants[variant.header]!() : 'random' in variant ? variant.random : secret;
          const path = 'path' in variant ? paths[variant.path]!() : `/telegram/${botId}`;
          fc.pre(header !== secret || path !== `/telegram/${botId}`);
          const step = c.steps[0]!;
          if ('redeliver' in step) return;
          // Whatever is queued from here on is new.
          for (const queue of QUEUE_NAMES) await drainQueue(fuzz.sqs, fuzz.stack.sqs.queueUrls[queue]);
          const before = await touched(step.delivery);
          const response = await webhook(request(step.delivery, header, path));
          expect(response.statusCode).toBe(401);
          expect(await touched(step.delivery)).toEqual(before);
          for (const queue of QUEUE_NAMES) {
            const queued = await drainQueue(fuzz.sqs, fuzz.stack.sqs.queueUrls[queue]);
            // The local schedule's ticks are the only other producer.
            expect(queued.filter((m) => !isScheduleTick(m.Body ?? ''))).toEqual([]);
          }
        }),
        options(Math.ceil(RUNS / 2)),
      );
    },
    60_000 + RUNS * 50,
  );
});
