import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { autoRetry } from '@grammyjs/auto-retry';
import { apiThrottler } from '@grammyjs/transformer-throttler';
import { Api } from 'grammy';
import { type AdminEvent, adminEvent } from '../core/desk/admin/index.js';
import { BroadcastStartJob, DynamoBroadcastStore } from '../core/desk/broadcasts/index.js';
import { fifoQueues } from '../core/desk/settings.js';
import { type JobDraft, SqsJobQueue, sealJobs } from '../core/platform/jobs/index.js';
import { TELEGRAM_LIMITS } from '../core/platform/settings.js';
import { HttpChatGateway } from '../core/platform/telegram/index.js';
import { scopeToTenant } from '../core/platform/tenants/index.js';
import { DynamoUserDirectory } from '../core/platform/users/index.js';
import {
  type ApiCall,
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  localClientConfig,
  startLocalStack,
} from '../local/index.js';

import { eachLimit } from './rpc.js';
import { formatNumber, goalRow, type Row } from './stats.js';

/**
 * Telegram sending under the peer's enforcement of Telegram's limits: a broadcast to N users by
 * our notify worker, the same broadcast by the usual grammY setup (auto-retry + throttler) beside
 * it, and a burst of admin events. Rates are ÷ Telegram's 30 msg/s; everything is counted at the
 * peer, which sees every call.
 */
export interface TelegramBenchOptions {
  /** Users the broadcast goes to (1% of them have blocked the bot). */
  users: number;
}

const BLOCKED_EVERY = 100;
const TEXT = 'Hello from the wallet desk: our fees go down on Monday.';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a broadcast achieved, counted at the peer over private-chat `sendMessage` calls. */
interface SendFigures {
  readonly delivered: number;
  readonly ratePerSecond: number;
  readonly tooManyRequests: number;
  readonly attempts: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly seconds: number;
  /** The rate over the middle 80% of the sends (without ramp-up and tail). */
  readonly steadyRatePerSecond: number;
}

function figures(stack: LocalStack, fromSeq: number, expected: ReadonlySet<number>, limited: number): SendFigures {
  const sends = stack.telegram
    .calls('sendMessage')
    .filter((c: ApiCall) => c.seq > fromSeq && typeof c.params.chat_id === 'number' && c.params.chat_id > 0);
  const ok = sends.filter((c) => c.ok);
  const perChat = new Map<number, number>();
  for (const c of ok) perChat.set(c.params.chat_id as number, (perChat.get(c.params.chat_id as number) ?? 0) + 1);
  const seconds = ok.length > 1 ? (ok.at(-1)!.at - ok[0]!.at) / 1000 : 0;
  const a = ok[Math.floor(ok.length * 0.1)];
  const b = ok[Math.floor(ok.length * 0.9)];
  const steadyRatePerSecond =
    a && b && b.at > a.at ? (Math.floor(ok.length * 0.9) - Math.floor(ok.length * 0.1)) / ((b.at - a.at) / 1000) : 0;
  return {
    delivered: ok.length,
    ratePerSecond: seconds > 0 ? (ok.length - 1) / seconds : 0,
    tooManyRequests: limited,
    attempts: sends.length,
    lost: [...expected].filter((chat) => !perChat.has(chat)).length,
    duplicates: [...perChat.values()].reduce((sum, n) => sum + (n - 1), 0),
    seconds,
    steadyRatePerSecond,
  };
}

function rows(tag: string, f: SendFigures, expected: number, goals: boolean): Row[] {
  const judge = (label: string, met: (r: number) => boolean) =>
    goals ? { label, met } : { label: '(baseline)', met: () => true };
  return [
    goalRow(
      `${tag}: msg/s ÷ 30`,
      f.ratePerSecond,
      TELEGRAM_LIMITS.messagesPerSecond,
      'msg/s',
      judge('≥ 0.95', (r) => r >= 0.95),
    ),
    goalRow(
      `${tag}: 429s ÷ sends`,
      f.tooManyRequests,
      Math.max(1, f.attempts),
      'calls',
      judge('≤ 0.005', (r) => r <= 0.005),
    ),
    goalRow(
      `${tag}: users not reached`,
      f.lost,
      expected,
      'users',
      judge('= 0', (r) => r === 0),
    ),
    goalRow(
      `${tag}: duplicate messages`,
      f.duplicates,
      expected,
      'msgs',
      judge('= 0', (r) => r === 0),
    ),
  ];
}

/** Our broadcast: the notify worker, started by a `broadcast.start` job as the admin's "Send" does. */
async function ourBroadcast(
  stack: LocalStack,
  users: number[],
  expected: Set<number>,
  queue: SqsJobQueue,
  dynamo: DynamoDBClient,
) {
  const gateway = new HttpChatGateway({ apiRoot: stack.telegram.apiRoot, token: stack.bot.token });
  const progress = (await gateway.call({
    method: 'sendMessage',
    params: { chat_id: LOCAL_ADMIN_CHAT_ID, text: 'Broadcast preview' },
  })) as { message_id: number };
  stack.telegramLimits?.reset();
  const fromSeq = stack.telegram.calls().at(-1)?.seq ?? 0;
  const draft: JobDraft = {
    job: BroadcastStartJob,
    payload: {
      id: 'bench',
      message: { text: TEXT, entities: [] },
      adminChatId: LOCAL_ADMIN_CHAT_ID,
      progressMessageId: progress.message_id,
      lang: 'en',
    },
    chatId: null,
    // Only an admin's `broadcast.start` runs: the admin pressed "Send".
    userId: LOCAL_ADMIN_USER_ID,
  };
  await queue.send(
    sealJobs([draft], { idPrefix: 'bench-broadcast', traceId: 'bench', tenant: String(stack.bot.id), now: new Date() }),
  );
  const store = new DynamoBroadcastStore({ client: dynamo, tableName: stack.dynamodb.tableName });
  const deadline = Date.now() + (users.length / TELEGRAM_LIMITS.messagesPerSecond) * 3_000 + 60_000;
  while (Date.now() < deadline && (await store.get('bench'))?.status !== 'done') await sleep(1_000);
  await sleep(2_000); // redeliveries, if any, would show up as duplicates
  const b = await store.get('bench');
  if (b?.status !== 'done') throw new Error(`our broadcast did not finish: ${b ? b.status : 'never started'}`);
  const stats = stack.telegramLimits?.stats();
  return {
    figures: figures(stack, fromSeq, expected, stats?.tooManyRequests ?? 0),
    broadcast: b,
    limitedBy: stats?.tooManyRequestsBy,
    runner: stack.runner?.stats().queues.notify,
  };
}

/** The usual grammY setup: one process, the throttler's queues and auto-retry, every send at once. */
async function grammyBroadcast(stack: LocalStack, users: number[], expected: Set<number>) {
  const api = new Api(stack.bot.token, { apiRoot: stack.telegram.apiRoot });
  api.config.use(apiThrottler());
  api.config.use(autoRetry());
  stack.telegramLimits?.reset();
  const fromSeq = stack.telegram.calls().at(-1)?.seq ?? 0;
  const results = await Promise.allSettled(users.map((chat) => api.sendMessage(chat, TEXT)));
  const failed = results.filter((r) => r.status === 'rejected').length;
  return {
    figures: figures(stack, fromSeq, expected, stack.telegramLimits?.stats().tooManyRequests ?? 0),
    failed,
  };
}

/** 100 admin events within 5 s: messages the admin chat receives once their digests are out. */
async function adminBurst(stack: LocalStack, queue: SqsJobQueue) {
  const fromSeq = stack.telegram.calls().at(-1)?.seq ?? 0;
  const kinds: AdminEvent['kind'][] = ['user.new', 'wallet.verified', 'deposit.found', 'withdrawal.requested', 'error'];
  for (let batch = 0; batch < 10; batch++) {
    const drafts = Array.from({ length: 10 }, (_, i) => {
      const n = batch * 10 + i;
      return adminEvent({
        kind: kinds[n % kinds.length]!,
        userId: 10_000 + n,
        facts: [
          ['user', String(10_000 + n)],
          ['amount', `${(n / 10).toFixed(1)} SOL`],
        ],
      });
    });
    await queue.send(
      sealJobs(drafts, {
        idPrefix: `bench-admin-${batch}`,
        traceId: 'bench',
        tenant: String(stack.bot.id),
        now: new Date(),
      }),
    );
    await sleep(300);
  }
  // Digest windows are 5 s; the openers come back when theirs end.
  const adminMessages = () =>
    stack.telegram
      .calls('sendMessage')
      .filter(
        (c) =>
          c.seq > fromSeq &&
          c.ok &&
          c.params.chat_id === LOCAL_ADMIN_CHAT_ID &&
          String(c.params.text).includes('Admin digest'),
      );
  const shown = () =>
    adminMessages().reduce((sum, c) => sum + (String(c.params.text).match(/\n[👤✅💰💸⚠]/gu)?.length ?? 0), 0);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && shown() < 100) await sleep(500);
  await sleep(2_000);
  return { messages: adminMessages().length, shown: shown() };
}

export async function benchTelegram(options: TelegramBenchOptions): Promise<{ rows: Row[]; notes: string[] }> {
  const stack = await startLocalStack({ telegramLimits: true, onFunctionLog: () => {} });
  // The stack's own bot's items: its users and its broadcast.
  const dynamo = scopeToTenant(new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint)), String(stack.bot.id));
  const sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
  try {
    const queue = new SqsJobQueue({ client: sqs, queueUrls: stack.sqs.queueUrls, fifo: fifoQueues(stack.settings) });
    const users = Array.from({ length: options.users }, (_, i) => 1_000_000 + i);
    const expected = new Set(users.filter((_, i) => i % BLOCKED_EVERY !== 0));
    const directory = new DynamoUserDirectory({ client: dynamo, tableName: stack.dynamodb.tableName });
    await eachLimit(users, 16, (chatId) => directory.upsert({ chatId, active: true, lang: 'en' }));
    for (const [i, chatId] of users.entries()) {
      stack.telegram.user(chatId).seed({ started: true, blocked: i % BLOCKED_EVERY === 0 });
    }

    const ours = await ourBroadcast(stack, users, expected, queue, dynamo);
    // The grammY run goes to the same users; those who blocked the bot are 403s there too.
    const theirs = await grammyBroadcast(stack, users, expected);
    const admin = await adminBurst(stack, queue);

    const n = formatNumber(options.users);
    return {
      rows: [
        ...rows(`broadcast ${n} (ours)`, ours.figures, expected.size, true),
        ...rows(`broadcast ${n} (grammY throttler + auto-retry)`, theirs.figures, expected.size, false),
        goalRow('100 admin events in 3 s: admin messages', admin.messages, 100, 'msgs', {
          label: '≤ 2 msgs',
          met: () => admin.messages <= 2 && admin.shown === 100,
        }),
      ],
      notes: [
        `broadcast (ours): ${ours.figures.delivered} delivered in ${ours.figures.seconds.toFixed(1)} s (steady ${ours.figures.steadyRatePerSecond.toFixed(1)} msg/s), ${ours.figures.tooManyRequests} 429s (${JSON.stringify(ours.limitedBy)}); final counts ${JSON.stringify(ours.broadcast?.counts)} of ${ours.broadcast?.total}`,
        `notify poller: ${JSON.stringify(ours.runner)}`,
        `broadcast (grammY): ${theirs.figures.delivered} delivered in ${theirs.figures.seconds.toFixed(1)} s, ${theirs.figures.tooManyRequests} 429s, ${theirs.failed} sends rejected (blocked users included)`,
        `admin burst: ${admin.shown} of 100 events shown in ${admin.messages} message(s)`,
      ],
    };
  } finally {
    dynamo.destroy();
    sqs.destroy();
    await stack.stop();
  }
}
