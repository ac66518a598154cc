import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MESSAGE_BUCKET } from '../core/desk/bot/index.js';
import { TELEGRAM_LIMITS } from '../core/platform/settings.js';
import { DynamoTenantRegistry, scopeToTenant } from '../core/platform/tenants/index.js';
import { DynamoUserDirectory } from '../core/platform/users/index.js';
import { type ApiCall, type LocalBot, type LocalStack, localClientConfig, startLocalStack } from '../local/index.js';
import { eachLimit } from './rpc.js';
import { goalRow, percentile, type Row } from './stats.js';

/**
 * Many bots on one deployment, under the peer's enforcement of Telegram's limits per bot token:
 *
 * - `bots` bots each broadcast to their `users` users at once (an admin's `/broadcast` in each
 *   bot's admin chat, then "Send"). Each bot keeps its own 30 msg/s (its busiest second ÷ 30, the
 *   highest over bots), nobody is missed or messaged twice, and together they send faster than
 *   one bot's 30 msg/s: the limit is per bot, not a budget the deployment shares.
 * - A quiet bot's users keep talking to it while a noisy bot broadcasts to `broadcastUsers`
 *   users: the quiet bot's reply time p99 ÷ its p99 with nothing else running, measured just before.
 *
 * Everything is counted at the peer, which sees every call with the bot it came from.
 */
export interface TenantsBenchOptions {
  /** Bots on the deployment, each broadcasting to its users (at least 2: the noisy and the quiet one). */
  bots: number;
  /** Users of each bot. */
  users: number;
  /** Users the noisy bot broadcasts to while the quiet bot is measured. */
  broadcastUsers: number;
  /** Users of the quiet bot that keep writing to it, one message at a time each. */
  quietUsers: number;
  /** Messages each quiet user sends at least, in each phase (with and without the broadcast). */
  quietRounds: number;
}

/** The admin of every bot (users are shared across bots, as on Telegram), and its operator. */
const ADMIN = 9_100_001;
const FIRST_ADMIN_CHAT = -1_009_100_000_000;
const FIRST_USER = 3_000_000;
const FIRST_QUIET_USER = 8_000_000;
/**
 * What the quiet bot's users send: a command, answered in the webhook response (the chat's slot is
 * free: its users write once every few seconds), and a question to the assistant, answered through
 * the ai and notify queues, which the noisy bot's broadcast fills. Each user sends one kind, waits
 * for the answer and pauses; a question user stops short of the assistant's daily questions.
 */
const PROBES = {
  command: {
    text: () => '/help',
    answered: (_text: string, _n: number) => true,
    // Within the desk's flood limit (a user's sustained message rate): faster, it stops answering
    // until the user slows down, which is the desk's doing, not the other bot's.
    pauseMs: MESSAGE_BUCKET.refillMs + 100,
    max: Number.POSITIVE_INFINITY,
  },
  question: {
    text: (n: number) => `Question ${n}: what is rent exemption?`,
    // Its own answer (the local model quotes the question), not a late one to the question before.
    answered: (text: string, n: number) => text.includes('Local model: you said') && text.includes(`Question ${n}:`),
    pauseMs: 3_000,
    max: 45,
  },
} as const;
type ProbeKind = keyof typeof PROBES;
/** How long a quiet user waits for an answer before counting it as not answered in time (and asking again). */
const ANSWER_WAIT_MS = 60_000;
const PROBE_LABEL: Record<ProbeKind, string> = {
  command: 'reply to /help',
  question: "assistant's answer",
};

/** The sizes issue 17 asks for: 100 bots × 100 users, and a 10,000-user broadcast. */
const ISSUE_SIZE = { sends: 10_000, broadcastUsers: 10_000 } as const;

/** A conservative floor on what the whole local stack sends a second (all its functions and emulators on this machine). */
const LOCAL_MSGS_PER_SECOND = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const textOf = (bot: number, round: string) => `News from bot ${bot} (${round}): fees go down on Monday.`;

/** Polls `done` every 250 ms until it holds; throws `what` after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`tenants bench: ${what} within ${(timeoutMs / 1000).toFixed(0)} s`);
    await sleep(250);
  }
}

/** The most calls within any one second (a sliding window over their times, in order). */
export function busiestSecond(times: readonly number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < times.length; last++) {
    while (times[last]! - times[first]! >= 1_000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

/** Each bot's admin chat (its index among the bots, counted down from `FIRST_ADMIN_CHAT`). */
const adminChatOf = (stack: LocalStack, bot: LocalBot) => FIRST_ADMIN_CHAT - stack.bots.indexOf(bot);

/**
 * Onboards `count` bots as `npm run bot:add` does (a few at a time), then gives each its admin group
 * (the bot a member) and writes that chat and its admin into the bot's record, as its operator
 * would set them. (The local stack's onboarding cannot be given the admin chat itself: the peer
 * refuses the admin chat's command menu for a group the new bot is not in yet, and the bot does
 * not exist before onboarding starts.)
 */
async function onboard(stack: LocalStack, dynamo: DynamoDBClient, count: number): Promise<LocalBot[]> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  await eachLimit(indexes, 4, async (i) => {
    // The largest plan: the quiet bot's probes must not run into its own quotas (assistant
    // questions a day, updates an hour) while the other bot broadcasts.
    await stack.addBot({
      username: `tenant_${i}_bot`,
      operator: ADMIN,
      plan: 'business',
      features: { payouts: false },
    });
  });
  const registry = new DynamoTenantRegistry({ client: dynamo, tableName: stack.dynamodb.tableName });
  await eachLimit(stack.bots, 4, async (bot) => {
    const chat = adminChatOf(stack, bot);
    stack.telegram.group(chat, `Admins of @${bot.username}`, { bots: [bot.id] });
    const stored = await registry.read(String(bot.id));
    if (!stored) throw new Error(`tenants bench: @${bot.username} has no record`);
    const record = { ...stored.record, adminChatId: chat, adminUserIds: [ADMIN] };
    if ((await registry.replace(record, stored.version)) !== 'replaced') {
      throw new Error(`tenants bench: @${bot.username}'s record changed meanwhile`);
    }
  });
  return [...stack.bots];
}

/** One bot's admin in its admin chat: `/broadcast <text>`, then "Send" on the confirmation. Resolves once it was pressed. */
async function startBroadcast(stack: LocalStack, bot: LocalBot, text: string): Promise<number> {
  const chat = adminChatOf(stack, bot);
  const group = stack.telegram.group(chat, `Admins of @${bot.username}`);
  const admin = stack.telegram.user(ADMIN, { first_name: 'Ada' });
  const before = stack.telegram.sent(chat, { bot: bot.id }).length;
  await group.sendText(admin, `/broadcast ${text}`);
  const confirm = await stack.telegram.waitFor(
    () =>
      stack.telegram
        .sent(chat, { bot: bot.id })
        .slice(before)
        .find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === 'bc:go')),
    // Every bot's admin asks at once: the last of a hundred first updates waits behind the others.
    180_000,
  );
  await group.pressButton(admin, confirm.message_id, 'bc:go');
  return confirm.message_id;
}

/** The broadcast's progress message, once it reads as finished (`✅ … finished: sent …`). */
function finished(stack: LocalStack, bot: LocalBot, messageId: number): string | undefined {
  const m = stack.telegram.sent(adminChatOf(stack, bot), { bot: bot.id }).find((x) => x.message_id === messageId);
  return m?.text.startsWith('✅') ? m.text : undefined;
}

/** Puts `users` in `bot`'s user directory as active, and has each of them started the bot at the peer. */
async function seedUsers(stack: LocalStack, dynamo: DynamoDBClient, bot: LocalBot, users: readonly number[]) {
  const directory = new DynamoUserDirectory({
    client: scopeToTenant(dynamo, String(bot.id)),
    tableName: stack.dynamodb.tableName,
  });
  await eachLimit(users, 16, (chatId) => directory.upsert({ chatId, active: true, lang: 'en' }));
  for (const chatId of users) stack.telegram.user(chatId).to(bot.id).seed({ started: true });
}

/** What one bot's broadcast sends did: its text to private chats, counted per chat. */
interface Delivery {
  readonly ok: ApiCall[];
  readonly lost: number;
  readonly duplicates: number;
}

function deliveryOf(stack: LocalStack, bot: LocalBot, text: string, users: readonly number[]): Delivery {
  const ok = stack.telegram
    .calls('sendMessage', { bot: bot.id })
    .filter((c) => c.ok && c.params.text === text && typeof c.params.chat_id === 'number' && c.params.chat_id > 0);
  const perChat = new Map<number, number>();
  for (const c of ok) perChat.set(c.params.chat_id as number, (perChat.get(c.params.chat_id as number) ?? 0) + 1);
  return {
    ok,
    lost: users.filter((chat) => !perChat.has(chat)).length,
    duplicates: [...perChat.values()].reduce((sum, n) => sum + n - 1, 0),
  };
}

/** Every bot broadcasts to its users at once. */
async function everyBotBroadcasts(stack: LocalStack, bots: readonly LocalBot[], users: readonly number[]) {
  stack.telegramLimits?.reset();
  const progress = await Promise.all(bots.map((bot) => startBroadcast(stack, bot, textOf(bot.id, 'all'))));
  // Each bot needs users ÷ 30 s at least; the local stack itself sends a few dozen messages a second
  // at most on a small machine. A broadcast not finished by then is counted as it stands (its users
  // not reached yet show as lost).
  const timeoutMs =
    Math.max(users.length / TELEGRAM_LIMITS.messagesPerSecond, (bots.length * users.length) / LOCAL_MSGS_PER_SECOND) *
      3_000 +
    60_000;
  const allDone = () => bots.every((bot, i) => finished(stack, bot, progress[i]!));
  await until(allDone, timeoutMs, 'not every broadcast finished').catch(() => undefined);
  const unfinished = bots.filter((bot, i) => !finished(stack, bot, progress[i]!)).length;
  await sleep(2_000); // redeliveries, if any, would show up as duplicates
  const deliveries = bots.map((bot) => deliveryOf(stack, bot, textOf(bot.id, 'all'), users));
  const times = deliveries.flatMap((d) => d.ok.map((c) => c.at)).sort((a, b) => a - b);
  const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
  const busiest = deliveries.map((d) => busiestSecond(d.ok.map((c) => c.at)));
  // When each bot's sending began (s after the first bot's) and how long it took: staggered starts or slow sends.
  const spans = deliveries
    .filter((d) => d.ok.length > 0)
    .map((d) => ({ from: (d.ok[0]!.at - times[0]!) / 1000, seconds: (d.ok.at(-1)!.at - d.ok[0]!.at) / 1000 }));
  return {
    delivered: times.length,
    seconds,
    aggregate: seconds > 0 ? (times.length - 1) / seconds : 0,
    busiest: Math.max(...busiest),
    busiestTogether: busiestSecond(times),
    lost: deliveries.reduce((sum, d) => sum + d.lost, 0),
    duplicates: deliveries.reduce((sum, d) => sum + d.duplicates, 0),
    tooManyRequests: stack.telegramLimits?.stats().tooManyRequests ?? 0,
    unfinished,
    timeoutSeconds: timeoutMs / 1000,
    startedWithin: Math.max(0, ...spans.map((span) => span.from)),
    sendingSeconds: {
      p50: percentile(
        spans.map((span) => span.seconds),
        50,
      ),
      max: Math.max(0, ...spans.map((span) => span.seconds)),
    },
  };
}

/** Reply times of the quiet bot, by probe kind: each user writes, waits for the answer, pauses, writes again, `rounds` times and until `stop()`. */
async function quietReplies(
  stack: LocalStack,
  quiet: LocalBot,
  users: ReadonlyArray<{ readonly id: number; readonly kind: ProbeKind }>,
  rounds: number,
  stop: () => boolean,
  /** Messages each quiet user sent so far (the assistant answers 50 questions a day). */
  asked: Map<number, number>,
) {
  const times: Record<ProbeKind, number[]> = { command: [], question: [] };
  // Answers not seen within ANSWER_WAIT_MS: counted at that wait in the percentiles, and reported.
  const late: Record<ProbeKind, number> = { command: 0, question: 0 };
  const fromSeq = stack.telegram.calls().at(-1)?.seq ?? 0;
  await Promise.all(
    users.map(async ({ id, kind }) => {
      const probe = PROBES[kind];
      const user = stack.telegram.user(id).to(quiet.id);
      for (let round = 0; (round < rounds || !stop()) && asked.get(id)! < probe.max; round++) {
        const n = asked.get(id)! + 1;
        asked.set(id, n);
        const before = user.botMessages().length;
        const started = performance.now();
        await user.sendText(probe.text(n));
        const answered = await stack.telegram
          .waitFor(
            () =>
              user
                .botMessages()
                .slice(before)
                .some((m) => probe.answered(m.text, n)),
            ANSWER_WAIT_MS,
          )
          .then(
            () => true,
            () => false,
          );
        if (!answered) late[kind]++;
        times[kind].push(answered ? performance.now() - started : ANSWER_WAIT_MS);
        await sleep(probe.pauseMs);
      }
    }),
  );
  const commandChats = users.filter((u) => u.kind === 'command').map((u) => u.id);
  const answers = stack.telegram
    .calls('sendMessage', { bot: quiet.id })
    .filter((c) => c.seq > fromSeq && c.ok && commandChats.includes(c.params.chat_id as number));
  return { times, late, inResponse: answers.filter((c) => c.viaWebhookResponse).length, answers: answers.length };
}

export async function benchTenants(options: TenantsBenchOptions): Promise<{ rows: Row[]; notes: string[] }> {
  if (options.bots < 2) throw new Error('the tenants bench needs at least 2 bots (a noisy and a quiet one)');
  const startedAt = performance.now();
  const stack = await startLocalStack({ telegramLimits: true, onFunctionLog: () => {} });
  const dynamo = new DynamoDBClient(localClientConfig(stack.dynamodb.endpoint));
  try {
    const bots = await onboard(stack, dynamo, options.bots);
    const onboardedAt = performance.now();
    const users = Array.from({ length: options.users }, (_, i) => FIRST_USER + i);
    await eachLimit(bots, 4, (bot) => seedUsers(stack, dynamo, bot, users));

    const all = await everyBotBroadcasts(stack, bots, users);
    const expected = bots.length * users.length;

    // The noisy bot gets more users; the quiet bot's users start it first (not measured).
    const [noisy, quiet] = [bots[0]!, bots[1]!];
    // Every user of the noisy bot so far is in it too.
    const broadcastUsers = Array.from(
      { length: Math.max(options.broadcastUsers, users.length) },
      (_, i) => FIRST_USER + i,
    );
    await seedUsers(stack, dynamo, noisy, broadcastUsers.slice(users.length));
    const quietUsers = Array.from({ length: options.quietUsers }, (_, i) => ({
      id: FIRST_QUIET_USER + i,
      kind: (i % 2 === 0 ? 'command' : 'question') as ProbeKind,
    }));
    const asked = new Map(quietUsers.map(({ id }) => [id, 0]));
    await Promise.all(quietUsers.map(({ id }) => stack.telegram.user(id).to(quiet.id).sendText('/start')));
    await stack.telegram.waitFor(
      () => quietUsers.every(({ id }) => stack.telegram.user(id).to(quiet.id).botMessages().length > 0),
      60_000,
    );
    await quietReplies(stack, quiet, quietUsers, 1, () => true, asked);
    const alone = await quietReplies(stack, quiet, quietUsers, options.quietRounds, () => true, asked);
    const progress = await startBroadcast(stack, noisy, textOf(noisy.id, 'noisy'));
    const broadcastStarted = performance.now();
    let done = false;
    let broadcastEnded = 0;
    // The quiet users stop once the broadcast finished, or failed to.
    const watching = until(
      () => finished(stack, noisy, progress) !== undefined,
      (broadcastUsers.length / TELEGRAM_LIMITS.messagesPerSecond) * 3_000 + 60_000,
      'the noisy broadcast did not finish',
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    void watching.then(() => {
      done = true;
      broadcastEnded = performance.now();
    });
    const during = await quietReplies(stack, quiet, quietUsers, options.quietRounds, () => done, asked);
    const failure = await watching;
    if (failure) throw failure;
    const broadcastSeconds = (broadcastEnded - broadcastStarted) / 1000;
    await sleep(2_000);
    const noisyDelivery = deliveryOf(stack, noisy, textOf(noisy.id, 'noisy'), broadcastUsers);
    const noisyBusiest = busiestSecond(noisyDelivery.ok.map((c) => c.at));

    const size = `${bots.length} bots × ${users.length.toLocaleString('en-US')} users`;
    return {
      rows: [
        goalRow(
          `tenants ${size}: busiest second of a bot ÷ 30 (max over bots)`,
          all.busiest,
          TELEGRAM_LIMITS.messagesPerSecond,
          'msg/s',
          {
            label: '≤ 1',
            met: (r) => r <= 1,
          },
        ),
        goalRow(
          `tenants ${size}: 429s ÷ messages delivered`,
          all.tooManyRequests,
          Math.max(1, all.delivered),
          'calls',
          {
            label: '≤ 0.005',
            met: (r) => r <= 0.005,
          },
        ),
        goalRow(`tenants ${size}: users not reached`, all.lost, expected, 'msgs', {
          label: '= 0',
          met: (r) => r === 0,
        }),
        goalRow(`tenants ${size}: duplicate messages`, all.duplicates, expected, 'msgs', {
          label: '= 0',
          met: (r) => r === 0,
        }),
        goalRow(
          `tenants ${size}: all bots' busiest second together ÷ one bot's 30`,
          all.busiestTogether,
          TELEGRAM_LIMITS.messagesPerSecond,
          'msg/s',
          { label: '> 1', met: (r) => r > 1 },
        ),
        goalRow(
          `tenants ${size}: all bots' msg/s ÷ one bot's 30`,
          all.aggregate,
          TELEGRAM_LIMITS.messagesPerSecond,
          'msg/s',
          {
            label: '> 1',
            met: (r) => r > 1,
          },
        ),
        ...(['command', 'question'] as const).map((kind) =>
          goalRow(
            `tenants: quiet bot's ${PROBE_LABEL[kind]} p99 during a ${broadcastUsers.length.toLocaleString('en-US')}-user broadcast ÷ without`,
            percentile(during.times[kind], 99),
            percentile(alone.times[kind], 99),
            'ms',
            { label: '≤ 2', met: (r) => r <= 2 },
          ),
        ),
      ],
      notes: [
        ...(bots.length * users.length < ISSUE_SIZE.sends || broadcastUsers.length < ISSUE_SIZE.broadcastUsers
          ? [
              `tenants: scaled down from 100 bots × 100 users and a 10,000-user broadcast, which this machine does not finish in a few minutes; set BENCH_TENANT_BOTS, BENCH_TENANT_USERS and BENCH_TENANT_BROADCAST_USERS for more`,
            ]
          : []),
        `tenants: ${bots.length} bots onboarded in ${((onboardedAt - startedAt) / 1000).toFixed(1)} s (stack start included); every bot broadcast to ${users.length} users: ${all.delivered} of ${expected} delivered in ${all.seconds.toFixed(1)} s (${all.aggregate.toFixed(1)} msg/s together, busiest second of one bot ${all.busiest} msgs; the last bot began sending ${all.startedWithin.toFixed(1)} s after the first, each bot sent its messages in p50 ${all.sendingSeconds.p50.toFixed(1)} s, max ${all.sendingSeconds.max.toFixed(1)} s), ${all.tooManyRequests} 429s, ${all.lost} lost, ${all.duplicates} duplicates${all.unfinished > 0 ? `; ${all.unfinished} of ${bots.length} broadcasts had not finished after ${all.timeoutSeconds.toFixed(0)} s` : ''}`,
        ...(['command', 'question'] as const).map(
          (kind) =>
            `tenants: quiet bot's ${PROBE_LABEL[kind]}, ${quietUsers.filter((u) => u.kind === kind).length} users: alone p50 ${percentile(alone.times[kind], 50).toFixed(0)} ms, p99 ${percentile(alone.times[kind], 99).toFixed(0)} ms (${alone.times[kind].length} answers); during the noisy broadcast p50 ${percentile(during.times[kind], 50).toFixed(0)} ms, p99 ${percentile(during.times[kind], 99).toFixed(0)} ms (${during.times[kind].length} answers)${alone.late[kind] + during.late[kind] > 0 ? `; not answered within ${ANSWER_WAIT_MS / 1000} s: ${alone.late[kind]} alone, ${during.late[kind]} during (counted at ${ANSWER_WAIT_MS / 1000} s)` : ''}`,
        ),
        `tenants: quiet bot's command replies in the webhook response: ${alone.inResponse}/${alone.answers} alone, ${during.inResponse}/${during.answers} during the broadcast (the rest went through the notify queue). Every function and emulator of the local stack shares this machine's cores: part of the slowdown is CPU that Lambda would not share.`,
        `tenants: noisy broadcast to ${broadcastUsers.length} users: ${noisyDelivery.ok.length} delivered in ${broadcastSeconds.toFixed(1)} s, busiest second ${noisyBusiest} msgs, ${noisyDelivery.lost} lost, ${noisyDelivery.duplicates} duplicates`,
      ],
    };
  } finally {
    dynamo.destroy();
    await stack.stop();
  }
}
