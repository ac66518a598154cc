/**
 * Job envelopes for the fuzzers: every job type the platform defines (the `JobType`s of
 * core/*), an arbitrary of valid payloads for each (written from its schema), record bodies
 * that start from valid envelopes and break them, and the oracle saying what a consumer must do
 * with a body (run it, or park it with which reason).
 */
import fc from 'fast-check';
import { ADMIN_EVENT_KINDS, AdminEventJob } from '../../core/desk/admin/events.js';
import { AdminStatsJob, UserSeenJob } from '../../core/desk/admin/stats.js';
import { AdminBlockJob, AdminUserJob } from '../../core/desk/admin/users.js';
import { AiReplyJob, AiResetJob } from '../../core/desk/assistant/jobs.js';
import {
  BroadcastCancelJob,
  BroadcastPageJob,
  BroadcastSendJob,
  BroadcastStartJob,
} from '../../core/desk/broadcasts/jobs.js';
import {
  DepositCheckJob,
  DepositCreditJob,
  DepositDecideJob,
  DepositPollJob,
  DepositRequestJob,
} from '../../core/desk/deposits/jobs.js';
import { LedgerHistoryJob } from '../../core/desk/ledger/jobs.js';
import {
  PayoutDecideJob,
  PayoutPrepareJob,
  PayoutRequestJob,
  PayoutSettleJob,
  PayoutSignJob,
} from '../../core/desk/payouts/jobs.js';
import { TxSendJob } from '../../core/desk/payouts/tx-send.js';
import type { QueueName } from '../../core/desk/settings.js';
import { encodeBase58 } from '../../core/desk/solana/address.js';
import { SecretCheckJob, SecretDeleteJob, SecretListJob, SecretStoreJob } from '../../core/desk/vault/jobs.js';
import { WalletBalanceJob, WalletUnlinkJob, WalletVerifyJob } from '../../core/desk/wallets/jobs.js';
import {
  WatchAddJob,
  WatchCheckJob,
  WatchLangJob,
  WatchListJob,
  WatchPollJob,
  WatchRemoveJob,
} from '../../core/desk/watches/jobs.js';
import { type JobEnvelope, JobEnvelopeSchema, type JobType } from '../../core/platform/jobs/envelope.js';
import { TelegramSendJob } from '../../core/platform/telegram/send-job.js';
import { UserStatusJob } from '../../core/platform/users/directory.js';
import { hugeString, type Json, mutated, truncated, unicodeText } from './mutate.js';

/** Every job type of the platform. */
export const ALL_JOB_TYPES: readonly JobType<unknown>[] = [
  AiReplyJob,
  AiResetJob,
  AdminUserJob,
  AdminBlockJob,
  AdminStatsJob,
  UserSeenJob,
  AdminEventJob,
  WatchPollJob,
  WatchCheckJob,
  WatchAddJob,
  WatchListJob,
  WatchRemoveJob,
  WatchLangJob,
  UserStatusJob,
  TxSendJob,
  SecretStoreJob,
  SecretListJob,
  SecretDeleteJob,
  SecretCheckJob,
  TelegramSendJob,
  WalletVerifyJob,
  WalletBalanceJob,
  WalletUnlinkJob,
  DepositDecideJob,
  LedgerHistoryJob,
  DepositRequestJob,
  DepositCheckJob,
  DepositPollJob,
  DepositCreditJob,
  PayoutRequestJob,
  PayoutDecideJob,
  PayoutPrepareJob,
  PayoutSignJob,
  PayoutSettleJob,
  BroadcastStartJob,
  BroadcastPageJob,
  BroadcastSendJob,
  BroadcastCancelJob,
] as JobType<unknown>[];

export const JOB_TYPES_BY_NAME: ReadonlyMap<string, JobType<unknown>> = new Map(ALL_JOB_TYPES.map((t) => [t.type, t]));

/** The job types a queue's worker runs. */
export const jobTypesOf = (queue: QueueName): JobType<unknown>[] => ALL_JOB_TYPES.filter((t) => t.queue === queue);

/**
 * Why a queued envelope is garbage (not an envelope, an unknown type, a bad payload, the wrong
 * queue, or, when `tenants` are given, for none of them); undefined if fine.
 */
export function queuedJobProblem(queue: string, body: string, tenants?: readonly string[]): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  const envelope = JobEnvelopeSchema.safeParse(raw);
  if (!envelope.success) return `invalid envelope: ${envelope.error.issues[0]?.path.join('.')}`;
  const { tenant } = envelope.data;
  if (tenants && (tenant === undefined || !tenants.includes(tenant)))
    return `for tenant ${tenant ?? '(none)'}, not ${tenants.join(' or ')}`;
  const type = JOB_TYPES_BY_NAME.get(envelope.data.type);
  if (!type) return `unknown type ${envelope.data.type}`;
  if (type.queue !== queue) return `${type.type} belongs on ${type.queue}, found on ${queue}`;
  const payload = type.payload.safeParse(envelope.data.payload);
  if (!payload.success)
    return `${type.type} payload: ${payload.error.issues[0]?.path.join('.')} ${payload.error.issues[0]?.message}`;
  return undefined;
}

/** Which tenants a worker runs jobs for, and what it does with a job that names none. */
export interface WorkerTenancy {
  /** Whether the worker serves `tenant` (only the deployment's active bots); any tenant when absent. */
  readonly serves?: (tenant: string) => boolean;
  /** A job with no tenant is a schedule's tick, fanned out to every active tenant (the rpc worker); poison elsewhere. */
  readonly fansOut: boolean;
}

/** Whether a queued body is one of the local schedules' ticks (no tenant, no chat): nobody's job but the schedule's. */
export function isScheduleTick(body: string): boolean {
  try {
    const envelope = JobEnvelopeSchema.safeParse(JSON.parse(body));
    return (
      envelope.success &&
      envelope.data.tenant === undefined &&
      envelope.data.chatId === null &&
      (envelope.data.type === WatchPollJob.type || envelope.data.type === DepositPollJob.type)
    );
  } catch {
    return false;
  }
}

/** What a consumer must do with a body: park it with this reason, or run it (undefined). */
export function expectedPoison(
  body: string,
  handled: readonly JobType<unknown>[],
  tenancy: WorkerTenancy,
): string | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return 'job.invalid';
  }
  const envelope = JobEnvelopeSchema.safeParse(raw);
  if (!envelope.success) return 'job.invalid';
  const { tenant } = envelope.data;
  if (tenant === undefined) return tenancy.fansOut ? undefined : 'job.no_tenant';
  if (tenancy.serves && !tenancy.serves(tenant)) return 'tenant.unknown';
  const type = handled.find((t) => t.type === envelope.data.type);
  if (!type) return 'job.unknown_type';
  return type.payload.safeParse(envelope.data.payload).success ? undefined : 'job.invalid_payload';
}

const lang = fc.constantFrom('en', 'zh');
const int = fc.oneof(fc.integer(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 }));
const userId = fc.integer({ min: 1, max: 2 ** 40 });
const chatId = fc.oneof(userId, fc.integer({ min: -1_009_999_999_999, max: -1 }));
const shortId = fc.stringMatching(/^[a-z2-7]{16}$/);
const address = fc.oneof(
  { arbitrary: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58), weight: 4 },
  {
    arbitrary: fc.constantFrom('11111111111111111111111111111111', 'So11111111111111111111111111111111111111112'),
    weight: 1,
  },
  { arbitrary: fc.string({ minLength: 32, maxLength: 44 }), weight: 1 },
);
const username = fc.stringMatching(/^[A-Za-z0-9_]{3,32}$/);
const secretName = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const scope = fc.option(fc.constantFrom('user', 'service'), { nil: undefined });
const adminName = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((s) => s.length <= 64);
const text = (max: number) => unicodeText(Math.min(max, 300)).filter((s) => s.length >= 1 && s.length <= max);
/** Drops keys whose value is undefined (they mean "absent", as in JSON). */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
const rec = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => fc.record(fields).map(defined);

/** A Bot API call the sender makes: mostly the ones the bot makes, to random chats. */
const telegramCall = fc.oneof(
  {
    arbitrary: rec({
      method: fc.constant('sendMessage'),
      params: rec({
        chat_id: chatId,
        text: text(4_096),
        parse_mode: fc.option(fc.constant('HTML'), { nil: undefined }),
      }),
    }),
    weight: 4,
  },
  {
    arbitrary: rec({
      method: fc.constant('sendChatAction'),
      params: rec({ chat_id: chatId, action: fc.constant('typing') }),
    }),
    weight: 1,
  },
  {
    arbitrary: rec({
      method: fc.constant('editMessageText'),
      params: rec({ chat_id: chatId, message_id: fc.nat(), text: text(100) }),
    }),
    weight: 1,
  },
  {
    arbitrary: rec({
      method: fc.constant('answerCallbackQuery'),
      params: rec({ callback_query_id: fc.string({ minLength: 1 }) }),
    }),
    weight: 1,
  },
  {
    arbitrary: rec({
      method: fc.stringMatching(/^[a-zA-Z]{3,20}$/),
      params: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 })),
    }),
    weight: 1,
  },
);

/** Valid payloads of every job type, from its schema. */
export const PAYLOADS: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  'ai.reply': rec({ text: text(4_096), lang }),
  'ai.reset': fc.constant({}),
  'admin.user': rec({ target: fc.oneof(rec({ id: userId }), rec({ username })), lang }),
  'admin.block': rec({
    target: fc.oneof(rec({ id: userId }), rec({ username })),
    block: fc.boolean(),
    lang,
  }),
  'admin.stats': rec({ lang }),
  'user.seen': fc.constant({}),
  'admin.event': rec({
    kind: fc.constantFrom(...ADMIN_EVENT_KINDS),
    userId: fc.option(userId, { nil: null }),
    facts: fc.array(
      fc.tuple(
        fc.string({ maxLength: 32 }),
        unicodeText(200).filter((s) => s.length <= 200),
      ),
      { maxLength: 8 },
    ),
    actions: fc.option(
      fc.array(
        rec({ text: fc.string({ minLength: 1, maxLength: 32 }), data: fc.stringMatching(/^[a-z:0-9]{1,64}$/) }),
        { maxLength: 4 },
      ),
      { nil: undefined },
    ),
  }),
  'watch.poll': fc.constant({}),
  'watch.check': rec({ addresses: fc.array(address, { minLength: 1, maxLength: 5 }) }),
  'watch.add': rec({ address, thresholdLamports: fc.stringMatching(/^\d{1,20}$/), lang }),
  'watch.list': rec({ lang }),
  'watch.remove': rec({ watch: shortId, lang, messageId: fc.option(fc.nat(), { nil: undefined }) }),
  'watch.lang': rec({ lang }),
  'user.status': rec({
    active: fc.boolean(),
    lang: fc.option(lang, { nil: undefined }),
    username: fc.option(username, { nil: undefined }),
  }),
  'tx.send': rec({
    // Random wire bytes: mostly not a transaction at all, sometimes one with a signature-shaped head.
    transaction: fc
      .oneof(
        fc.uint8Array({ minLength: 1, maxLength: 1_232 }),
        fc.uint8Array({ minLength: 64, maxLength: 300 }).map((b) => Uint8Array.from([1, ...b])),
      )
      .map((bytes) => Buffer.from(bytes).toString('base64')),
    // Small heights have passed already on the local chain: such a transaction expires at once.
    lastValidBlockHeight: fc.nat({ max: 50 }),
    notify: fc.option(rec({ chatId, lang }), { nil: undefined }),
    payoutId: fc.option(shortId, { nil: undefined }),
  }),
  'secret.store': rec({
    name: secretName,
    sealed: fc.oneof(fc.base64String({ minLength: 4, maxLength: 400 }), fc.string({ minLength: 1, maxLength: 100 })),
    lang,
    scope,
  }),
  'secret.list': rec({ lang, scope }),
  'secret.delete': rec({ name: secretName, lang, scope }),
  'secret.check': rec({ name: secretName, lang, scope }),
  'telegram.send': rec({ calls: fc.array(telegramCall, { minLength: 1, maxLength: 2 }) }),
  'wallet.verify': rec({ address, lang }),
  'wallet.balance': rec({ addresses: fc.array(address, { minLength: 1, maxLength: 10 }), lang }),
  'wallet.unlink': rec({ address }),
  'deposit.decide': rec({ depositId: shortId, approve: fc.boolean(), adminId: int, adminName }),
  'ledger.history': rec({ lang }),
  'deposit.request': rec({
    reference: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58),
    lamports: fc.option(fc.stringMatching(/^\d{1,20}$/), { nil: null }),
    lang,
  }),
  'deposit.check': rec({ reference: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58), lang }),
  'deposit.poll': fc.constant({}),
  'deposit.credit': rec({
    deposit: fc.oneof(shortId, fc.uint8Array({ minLength: 64, maxLength: 64 }).map(encodeBase58)),
    userId: fc.integer({ min: 1, max: 2 ** 40 }),
    adminId: int,
    adminName,
  }),
  'payout.request': rec({ wallet: address, lamports: fc.stringMatching(/^[1-9]\d{0,19}$/), lang }),
  'payout.decide': rec({ payoutId: shortId, approve: fc.boolean(), adminId: int, adminName }),
  'payout.prepare': rec({ payoutId: shortId }),
  'payout.sign': rec({
    payoutId: shortId,
    attempt: fc.integer({ min: 1, max: 5 }),
    blockhash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map(encodeBase58),
    lastValidBlockHeight: fc.nat(),
  }),
  'payout.settle': rec({
    payoutId: shortId,
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }).map(encodeBase58),
    outcome: fc.constantFrom('confirmed', 'failed', 'expired'),
  }),
  'broadcast.start': rec({
    id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    // Formatting a broadcast keeps, each entity inside its text (UTF-16 code units).
    message: text(4_096).chain((body) =>
      rec({
        text: fc.constant(body),
        entities: fc.array(
          fc.nat({ max: body.length - 1 }).chain((offset) =>
            rec({
              type: fc.constantFrom('bold', 'italic', 'code'),
              offset: fc.constant(offset),
              length: fc.integer({ min: 1, max: body.length - offset }),
            }),
          ),
          { maxLength: 3 },
        ),
      }),
    ),
    adminChatId: chatId,
    progressMessageId: fc.nat(),
    lang,
  }),
  'broadcast.page': rec({
    id: fc.string({ maxLength: 40 }),
    cursor: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
    page: fc.nat({ max: 100 }),
    wait: fc.option(fc.nat({ max: 10 }), { nil: undefined }),
  }),
  'broadcast.send': rec({ id: fc.string({ maxLength: 40 }) }),
  'broadcast.cancel': rec({ id: fc.string({ maxLength: 40 }) }),
};

const jobId = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,128}$/);
const createdAt = fc
  .date({ min: new Date('2001-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Any bot id, or mostly `home` (the deployment's bot) when given. */
const tenantArb = (home?: string): fc.Arbitrary<string> => {
  const any = fc.stringMatching(/^[1-9]\d{0,19}$/);
  return home === undefined
    ? any
    : fc.oneof({ arbitrary: fc.constant(home), weight: 4 }, { arbitrary: any, weight: 1 });
};

/** A valid envelope of one of `types`, for any tenant (mostly `home`, when given). */
export function envelopeArb(types: readonly JobType<unknown>[], home?: string): fc.Arbitrary<JobEnvelope> {
  return fc.constantFrom(...types).chain((type) =>
    fc.record({
      type: fc.constant(type.type),
      tenant: tenantArb(home),
      id: jobId,
      chatId: fc.option(chatId, { nil: null }),
      userId: fc.option(userId, { nil: null }),
      payload: PAYLOADS[type.type] ?? fc.constant({}),
      attempt: fc.nat({ max: 5 }),
      createdAt,
      traceId: fc.string({ minLength: 1, maxLength: 128 }),
    }),
  );
}

/** A record body and how it was made (shown when a property fails). */
export interface Body {
  label: string;
  body: string;
}

/**
 * A JSON text SQS can carry: characters outside what SQS accepts (as the local emulator checks it:
 * BMP only, no U+FFFE/U+FFFF) written as `\\u` escapes, as the platform's own producers do.
 */
export const jsonForSqs = (json: string): string =>
  json.replace(/[\uD800-\uDFFF\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
const SQS_REFUSED = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/g;
/** Raw text SQS can carry: characters it refuses replaced by `?` (no message could hold them). */
export const textForSqs = (text: string): string => text.replace(SQS_REFUSED, '?');

const asJson = (value: unknown): Json => JSON.parse(JSON.stringify(value)) as Json;
const body = (label: string, value: unknown): Body => ({ label, body: jsonForSqs(JSON.stringify(value)) });

/**
 * Bodies a worker may receive (at most what SQS delivers): valid envelopes of its types, the same broken in every way (fields
 * dropped or retyped, ids too long, unknown types, another queue's types, payload damage), not
 * JSON at all, and huge bodies up to what SQS delivers (1 MiB).
 */
export function bodyArb(queue: QueueName, home?: string): fc.Arbitrary<Body> {
  return anyBody(queue, home).filter((b) => Buffer.byteLength(b.body) <= SQS_MAX_MESSAGE_BYTES);
}

/** The largest message SQS holds (body and attributes together). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

function anyBody(queue: QueueName, home: string | undefined): fc.Arbitrary<Body> {
  const own = jobTypesOf(queue);
  const others = ALL_JOB_TYPES.filter((t) => t.queue !== queue);
  const valid = envelopeArb(own, home);
  return fc.oneof(
    { arbitrary: valid.map((e) => body('valid', e)), weight: 6 },
    { arbitrary: mutated(valid.map(asJson)).map((e) => body('mutated envelope', e)), weight: 4 },
    {
      arbitrary: fc
        .tuple(valid, mutated(valid.map((e) => asJson(e.payload))))
        .map(([e, payload]) => body('mutated payload', { ...e, payload })),
      weight: 3,
    },
    {
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom<[string, (e: JobEnvelope) => unknown]>(
            ['id too long', (e) => ({ ...e, id: 'i'.repeat(129) })],
            ['id with spaces', (e) => ({ ...e, id: 'job 1' })],
            ['unknown type', (e) => ({ ...e, type: 'nobody.knows' })],
            ['type not dotted', (e) => ({ ...e, type: 'Wallet' })],
            ['chat id not an integer', (e) => ({ ...e, chatId: 1.5 })],
            ['negative attempt', (e) => ({ ...e, attempt: -1 })],
            ['local time', (e) => ({ ...e, createdAt: '2024-01-01 10:00' })],
            ['trace id too long', (e) => ({ ...e, traceId: 't'.repeat(129) })],
            ['no payload', ({ payload: _, ...rest }) => rest],
            ['no tenant (a tick)', ({ tenant: _, ...rest }) => rest],
            ['tenant not a bot id', (e) => ({ ...e, tenant: `0${e.tenant}` })],
            ['payload null', (e) => ({ ...e, payload: null })],
          ),
        )
        .map(([e, [label, change]]) => body(label, change(e))),
      weight: 3,
    },
    ...(others.length > 0
      ? [{ arbitrary: envelopeArb(others, home).map((e) => body("another queue's job", e)), weight: 2 }]
      : []),
    {
      arbitrary: fc.oneof(
        valid.chain((e) =>
          fc.nat().map((at) => ({ label: 'truncated', body: truncated(jsonForSqs(JSON.stringify(e)), at) || '{' })),
        ),
        fc
          .constantFrom('null', '[]', '{}', '1', '"job"', 'true', 'undefined', '{"type":"wallet.verify"')
          .map((b) => ({ label: 'not an envelope', body: b })),
        unicodeText(500)
          .filter((s) => s.length > 0)
          .map((s) => ({ label: 'text', body: textForSqs(s) })),
      ),
      weight: 2,
    },
    {
      arbitrary: fc
        .tuple(valid, fc.constantFrom(200_000, 1_000_000, 1_047_000, 1_048_000, 1_048_500, 1_048_576), fc.boolean())
        .map(([e, size, inPayload]) => {
          const base = JSON.stringify(inPayload ? { ...e, payload: { junk: '' } } : { ...e, padding: '' });
          const fill = 'j'.repeat(Math.max(0, size - Buffer.byteLength(base)));
          const value = inPayload ? { ...e, payload: { junk: fill } } : { ...e, padding: fill };
          return body(`huge (${size} bytes, ${inPayload ? 'payload' : 'extra field'})`, value);
        }),
      weight: 1,
    },
    { arbitrary: hugeString(100_000, 300_000).map((s) => ({ label: 'huge text', body: textForSqs(s) })), weight: 1 },
  );
}
