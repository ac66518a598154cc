import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
/** A quiet user waits this long after an answer before writing again (1 msg/s per chat, as Telegram allows). */
const QUIET_PAUSE_MS = 1_100;
const PROBE = '/help';

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
    await stack.addBot({ username: `tenant_${i}_bot`, operator: ADMIN, features: { payouts: false } });
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
    60_000,
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
  const timeoutMs = (users.length / TELEGRAM_LIMITS.messagesPerSecond) * 3_000 + bots.length * 2_000 + 60_000;
  await until(
    () => bots.every((bot, i) => finished(stack, bot, progress[i]!)),
    timeoutMs,
    'not every broadcast finished',
  );
  await sleep(2_000); // redeliveries, if any, would show up as duplicates
  const deliveries = bots.map((bot) => deliveryOf(stack, bot, textOf(bot.id, 'all'), users));
  const times = deliveries.flatMap((d) => d.ok.map((c) => c.at)).sort((a, b) => a - b);
  const seconds = times.length > 1 ? (times.at(-1)! - times[0]!) / 1000 : 0;
  const busiest = deliveries.map((d) => busiestSecond(d.ok.map((c) => c.at)));
  return {
    delivered: times.length,
    seconds,
    aggregate: seconds > 0 ? (times.length - 1) / seconds : 0,
    busiest: Math.max(...busiest),
    lost: deliveries.reduce((sum, d) => sum + d.lost, 0),
    duplicates: deliveries.reduce((sum, d) => sum + d.duplicates, 0),
    tooManyRequests: stack.telegramLimits?.stats().tooManyRequests ?? 0,
  };
}

/** Reply times of the quiet bot: each user writes, waits for the answer, pauses, writes again, until `stop()` and `rounds` each. */
async function quietReplies(
  stack: LocalStack,
  quiet: LocalBot,
  userIds: readonly number[],
  rounds: number,
  stop = () => true,
) {
  const times: number[] = [];
  const fromSeq = stack.telegram.calls().at(-1)?.seq ?? 0;
  await Promise.all(
    userIds.map(async (id) => {
      const user = stack.telegram.user(id).to(quiet.id);
      for (let round = 0; round < rounds || !stop(); round++) {
        const before = user.botMessages().length;
        const started = performance.now();
        await user.sendText(PROBE);
        await stack.telegram.waitFor(() => user.botMessages().length > before, 60_000);
        times.push(performance.now() - started);
        await sleep(QUIET_PAUSE_MS);
      }
    }),
  );
  const answers = stack.telegram
    .calls('sendMessage', { bot: quiet.id })
    .filter((c) => c.seq > fromSeq && c.ok && userIds.includes(c.params.chat_id as number));
  return { times, inResponse: answers.filter((c) => c.viaWebhookResponse).length, answers: answers.length };
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
    const broadcastUsers = Array.from({ length: options.broadcastUsers }, (_, i) => FIRST_USER + i);
    await seedUsers(stack, dynamo, noisy, broadcastUsers.slice(users.length));
    const quietUsers = Array.from({ length: options.quietUsers }, (_, i) => FIRST_QUIET_USER + i);
    await quietReplies(stack, quiet, quietUsers, 1);
    const alone = await quietReplies(stack, quiet, quietUsers, options.quietRounds);
    const progress = await startBroadcast(stack, noisy, textOf(noisy.id, 'noisy'));
    const broadcastStarted = performance.now();
    let done = false;
    const watching = until(
      () => (done = finished(stack, noisy, progress) !== undefined),
      (broadcastUsers.length / TELEGRAM_LIMITS.messagesPerSecond) * 3_000 + 60_000,
      'the noisy broadcast did not finish',
    );
    const during = await quietReplies(stack, quiet, quietUsers, options.quietRounds, () => done);
    await watching;
    const broadcastSeconds = (performance.now() - broadcastStarted) / 1000;
    await sleep(2_000);
    const noisyDelivery = deliveryOf(stack, noisy, textOf(noisy.id, 'noisy'), broadcastUsers);
    const noisyBusiest = busiestSecond(noisyDelivery.ok.map((c) => c.at));

    const size = `${bots.length} bots × ${users.length.toLocaleString('en-US')} users`;
    const p99Alone = percentile(alone.times, 99);
    const p99During = percentile(during.times, 99);
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
        goalRow(`tenants ${size}: users not reached`, all.lost, expected, 'msgs', {
          label: '= 0',
          met: (r) => r === 0,
        }),
        goalRow(`tenants ${size}: duplicate messages`, all.duplicates, expected, 'msgs', {
          label: '= 0',
          met: (r) => r === 0,
        }),
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
        goalRow(
          `tenants: quiet bot's reply p99 during a ${broadcastUsers.length.toLocaleString('en-US')}-user broadcast ÷ without`,
          p99During,
          p99Alone,
          'ms',
          { label: '≤ 2', met: (r) => r <= 2 },
        ),
      ],
      notes: [
        `tenants: ${bots.length} bots onboarded in ${((onboardedAt - startedAt) / 1000).toFixed(1)} s (stack start included); every bot broadcast to ${users.length} users: ${all.delivered} of ${expected} delivered in ${all.seconds.toFixed(1)} s (${all.aggregate.toFixed(1)} msg/s together, busiest second of one bot ${all.busiest} msgs), ${all.tooManyRequests} 429s, ${all.lost} lost, ${all.duplicates} duplicates`,
        `tenants: quiet bot's reply to ${PROBE}, ${quietUsers.length} users: alone p50 ${percentile(alone.times, 50).toFixed(0)} ms, p99 ${p99Alone.toFixed(0)} ms (${alone.times.length} replies, ${alone.inResponse}/${alone.answers} in the webhook response); during the noisy broadcast p50 ${percentile(during.times, 50).toFixed(0)} ms, p99 ${p99During.toFixed(0)} ms (${during.times.length} replies, ${during.inResponse}/${during.answers} in the webhook response)`,
        `tenants: noisy broadcast to ${broadcastUsers.length} users: ${noisyDelivery.ok.length} delivered in ${broadcastSeconds.toFixed(1)} s, busiest second ${noisyBusiest} msgs, ${noisyDelivery.lost} lost, ${noisyDelivery.duplicates} duplicates`,
      ],
    };
  } finally {
    dynamo.destroy();
    await stack.stop();
  }
}
