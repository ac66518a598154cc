import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminBlockJob } from '../../core/desk/admin/users.js';
import { BroadcastStartJob } from '../../core/desk/broadcasts/jobs.js';
import { DepositDecideJob } from '../../core/desk/deposits/jobs.js';
import { PayoutDecideJob } from '../../core/desk/payouts/jobs.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { type JobDraft, sealJobs } from '../../core/platform/jobs/envelope.js';
import { SqsJobQueue } from '../../core/platform/jobs/sqs.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  type LogLine,
  localClientConfig,
  startLocalStack,
  type TgUpdate,
} from '../../local/index.js';
import { unexpectedProblems } from '../helpers/stack-chat.js';
import { homeTenant, postToWebhook } from '../helpers/tenants.js';

let stack: LocalStack;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
}, 120_000);
afterAll(() => stack?.stop());

const REFUSAL = 'Sorry, only the bot’s admins can do that.';
const ADDRESS = 'So11111111111111111111111111111111111111112';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const adminGroup = () => stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
const admin = () => stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin' });
const adminTexts = () => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).map((m) => m.text);

interface JobLine {
  functionName: string;
  correlationId?: string;
  type?: string;
  event?: string;
  reason?: { code?: string };
  code?: string;
}
/** Every JSON log line of the workers (the webhook's own lines are left out). */
function workerLines(): JobLine[] {
  return logs
    .filter((l) => !l.functionName.includes('webhook'))
    .flatMap((l) => {
      try {
        return [{ ...(JSON.parse(l.line) as object), functionName: l.functionName } as JobLine];
      } catch {
        return [];
      }
    });
}
/** The job types that reached any worker from these updates (job ids start with `u<update_id>.`). */
const jobsFrom = (updates: readonly TgUpdate[]) =>
  workerLines()
    .filter((l) => updates.some((u) => l.correlationId?.startsWith(`u${u.update_id}.`)))
    .map((l) => l.type);

async function settle(): Promise<void> {
  await stack.telegram.idle(30_000);
  await sleep(2_000); // room for anything queued to reach a worker
}

async function answerOf(update: TgUpdate): Promise<string | undefined> {
  const state = await stack.telegram.waitFor(() => {
    const s = stack.telegram.callbackQuery(update.callback_query!.id);
    return s?.answered ? s : undefined;
  }, 20_000);
  return state.answer?.text;
}

describe('admin gate on the local stack', () => {
  it('refuses a member of the admin chat who is not an admin: nothing queued, nothing sent to users', {
    timeout: 120_000,
  }, async () => {
    const user = stack.telegram.user(1_501, { first_name: 'Ulla' });
    await user.sendText('/start');
    await stack.telegram.waitFor(() => user.lastBotMessage(), 20_000);
    await settle();
    const userMessages = user.botMessages().length;

    const mallory = stack.telegram.user(1_502, { first_name: 'Mallory' });
    const group = adminGroup();
    const before = adminTexts().length;
    const commands: TgUpdate[] = [];
    for (const text of ['/broadcast Claim your airdrop at evil.example', '/user 1501', '/block 1501', '/stats']) {
      commands.push(await group.sendText(mallory, text));
    }
    await stack.telegram.waitFor(
      () =>
        adminTexts()
          .slice(before)
          .filter((t) => t === REFUSAL).length === 4
          ? true
          : undefined,
      20_000,
    );

    // Buttons with forged data (a modified client can send any), on a bot message in the admin chat.
    const target = stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).at(-1)!;
    const presses: TgUpdate[] = [];
    for (const data of ['bc:go', 'bc:drop', 'bc:stop:b1', 'po:ok:abcdefghijklmnop', 'dp:ok:abcdefghijklmnop']) {
      presses.push(forgedPress(mallory.id, target.message_id, data));
    }
    for (const press of presses) expect(await answerOf(press)).toBe(REFUSAL);
    await settle();

    expect(jobsFrom([...commands, ...presses]).filter((t) => t !== 'telegram.send')).toEqual([]);
    expect(user.botMessages()).toHaveLength(userMessages);
    // Only refusals (admin digests of new users may come and go).
    expect(
      adminTexts()
        .slice(before)
        .filter((t) => t !== REFUSAL && !t.startsWith('📋 Admin digest')),
    ).toEqual([]);
  });

  it('stops a blocked user in a group: commands, chain queries, buttons, inline queries reach no worker', {
    timeout: 180_000,
  }, async () => {
    const eve = stack.telegram.user(1_601, { first_name: 'Eve' });
    const friend = stack.telegram.user(1_602, { first_name: 'Finn' });
    await eve.sendText('/start');
    await stack.telegram.waitFor(() => eve.lastBotMessage(), 20_000);
    const seen = adminTexts().length;
    await adminGroup().sendText(admin(), '/block 1601');
    await stack.telegram.waitFor(
      () =>
        adminTexts()
          .slice(seen)
          .find((t) => t.startsWith('🚫')),
      30_000,
    );

    const lounge = stack.telegram.group(-1_002_000_000_777, 'Lounge');
    const bot = stack.bot.botUsername;
    // A menu with buttons in the group, from a user who is not blocked.
    await lounge.sendText(friend, `/menu@${bot}`);
    const menu = await stack.telegram.waitFor(() => lounge.botMessages().find((m) => m.reply_markup), 20_000);
    const button = menu.reply_markup!.inline_keyboard.flat()[0]!.callback_data!;
    await settle();
    const groupMessages = lounge.botMessages().length;

    const updates = [
      await lounge.sendText(eve, `/verify@${bot} ${ADDRESS}`),
      await lounge.sendText(eve, `/balance@${bot} ${ADDRESS}`),
      await lounge.sendText(eve, `/start@${bot}`),
    ];
    const press = await lounge.pressButton(eve, menu.message_id, button);
    expect(await answerOf(press)).toBe('Not available.');
    const inline = await postUpdate({
      update_id: 9_900_001,
      inline_query: { id: 'iq1', from: { id: 1_601, is_bot: false, first_name: 'Eve' }, query: ADDRESS, offset: '' },
    });
    expect(inline).toBe(200);
    await settle();

    expect(jobsFrom([...updates, press, { update_id: 9_900_001 } as TgUpdate])).toEqual([]);
    expect(lounge.botMessages()).toHaveLength(groupMessages);
    // No user.seen for Eve since the block (user.seen jobs carry her id as their user).
    const seenJobs = workerLines().filter(
      (l) => l.type === 'user.seen' && updates.some((u) => l.correlationId?.startsWith(`u${u.update_id}.`)),
    );
    expect(seenJobs).toEqual([]);

    // The same commands from a user who is not blocked do reach the rpc worker.
    const control = await lounge.sendText(friend, `/verify@${bot} ${ADDRESS}`);
    await stack.telegram.waitFor(() => (jobsFrom([control]).includes('wallet.verify') ? true : undefined), 30_000);
  });

  it('parks decision jobs forged straight onto the queues, and changes nothing', { timeout: 60_000 }, async () => {
    const victim = stack.telegram.user(1_701, { first_name: 'Vic' });
    await victim.sendText('/start');
    await stack.telegram.waitFor(() => victim.lastBotMessage(), 20_000);
    await settle();
    const victimMessages = victim.botMessages().length;

    const queue = new SqsJobQueue({
      client: new SQSClient(localClientConfig(stack.sqs.endpoint)),
      queueUrls: stack.sqs.queueUrls,
      fifo: fifoQueues(stack.settings),
    });
    const mallory = 1_502;
    const drafts: JobDraft[] = [
      {
        job: PayoutDecideJob,
        payload: { payoutId: 'abcdefghijklmnop', approve: true, adminId: mallory, adminName: 'M' },
        chatId: null,
        userId: mallory,
      },
      {
        job: DepositDecideJob,
        payload: { depositId: 'abcdefghijklmnop', approve: true, adminId: LOCAL_ADMIN_USER_ID, adminName: 'A' },
        chatId: null,
        userId: mallory,
      },
      {
        job: BroadcastStartJob,
        payload: {
          id: 'bforged',
          message: { text: 'Claim your airdrop', entities: [] },
          adminChatId: LOCAL_ADMIN_CHAT_ID,
          progressMessageId: 1,
          lang: 'en',
        },
        chatId: null,
        userId: mallory,
      },
      {
        job: AdminBlockJob,
        payload: { target: { id: 1_701 }, block: true, lang: 'en' },
        chatId: LOCAL_ADMIN_CHAT_ID,
        userId: mallory,
      },
    ];
    await queue.send(
      sealJobs(drafts, { idPrefix: 'forged', traceId: 'forged', tenant: homeTenant(stack), now: new Date() }),
    );

    // Each is parked in its queue's DLQ with the reason, and nothing else happens.
    const sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
    const parked = new Map<string, string>();
    const deadline = Date.now() + 30_000;
    while (parked.size < drafts.length && Date.now() < deadline) {
      for (const q of ['decisions', 'rpc', 'notify'] as const) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: stack.sqs.dlqUrls[q],
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            VisibilityTimeout: 60,
          }),
        );
        for (const m of Messages) {
          const envelope = JSON.parse(m.Body ?? '{}') as { id?: string; type?: string };
          if (envelope.id?.startsWith('forged.')) {
            parked.set(envelope.type ?? '?', m.MessageAttributes?.reason?.StringValue ?? '?');
          }
        }
      }
      await sleep(200);
    }
    expect(Object.fromEntries(parked)).toEqual({
      'payout.decide': 'admin.not_admin',
      'deposit.decide': 'admin.not_admin',
      'broadcast.start': 'admin.not_admin',
      'admin.block': 'admin.not_admin',
    });
    await settle();
    expect(victim.botMessages()).toHaveLength(victimMessages);
    // Not blocked: the victim is still answered.
    await victim.sendText('/help');
    await stack.telegram.waitFor(() => victim.botMessages().at(victimMessages), 20_000);
  });

  it('logged no unexpected warning or error but the parked forgeries and the inline query', () => {
    const { problems } = unexpectedProblems(logs);
    const unexpected = (problems as { event?: string; reason?: { code?: string }; code?: string }[]).filter(
      (p) =>
        !(p.event === 'job.poison' && p.reason?.code === 'admin.not_admin') &&
        p.code !== 'admin.not_admin' &&
        // The inline query: not an update kind the bot takes (200, nothing run).
        p.event !== 'update.unsupported',
    );
    expect(unexpected).toEqual([]);
  });
});

/** A callback query as a modified client could send it: any data, on any bot message of the admin chat. */
function forgedPress(fromId: number, messageId: number, data: string): TgUpdate {
  const peer = stack.telegram;
  const from = peer.user(fromId).info;
  const query = peer.store.newCallbackQuery(LOCAL_ADMIN_CHAT_ID, messageId, from, data);
  return peer.enqueue({
    update_id: peer.store.nextUpdateId(),
    callback_query: {
      id: query.id,
      from,
      message: peer.store.toTgMessage(peer.store.message(LOCAL_ADMIN_CHAT_ID, messageId)!),
      chat_instance: peer.store.chatInstance(LOCAL_ADMIN_CHAT_ID),
      data,
    },
  });
}

/** Posts a raw update to the webhook, as Telegram would, with the secret token. */
async function postUpdate(update: object): Promise<number> {
  return (await postToWebhook(stack, update)).status;
}
