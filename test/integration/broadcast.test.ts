import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastCancelJob } from '../../core/desk/broadcasts/jobs.js';
import { QUEUE_NAMES, type QueueName } from '../../core/desk/settings.js';
import { sealJobs } from '../../core/platform/jobs/envelope.js';
import { SqsJobQueue } from '../../core/platform/jobs/sqs.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  localClientConfig,
  type PeerUser,
  startLocalStack,
} from '../../local/index.js';

let stack: LocalStack;
let sqs: SQSClient;
let users: PeerUser[];
let blockedUser: PeerUser;

/** Messages on the notify queue, visible or in flight (a held digest opener counts). */
async function queuedNotifications(): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: stack.sqs.queueUrls.notify,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
}

/** Waits until every update was delivered and the notify queue is empty. */
async function settle(timeoutMs = 30_000): Promise<void> {
  await stack.telegram.idle(timeoutMs);
  const deadline = Date.now() + timeoutMs;
  while ((await queuedNotifications()) > 0) {
    if (Date.now() > deadline) throw new Error('the notify queue did not drain');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const USER_IDS = Array.from({ length: 12 }, (_, i) => 7_001 + i);

/**
 * Starts the webhook and the notify worker without touching the directory or the digest: a
 * group chat message, and a cancel of a broadcast that does not exist. (A worker that starts
 * cold after a digest window ended splits that window's events into several late digests.)
 */
async function warmUp(): Promise<void> {
  await stack.telegram.group(-1_002_000_000_001, 'Lounge').sendText(stack.telegram.user(7_999), 'hello');
  const fifo = Object.fromEntries(QUEUE_NAMES.map((q) => [q, stack.settings.queues[q].fifo])) as Record<
    QueueName,
    boolean
  >;
  await new SqsJobQueue({ client: sqs, queueUrls: stack.sqs.queueUrls, fifo }).send(
    sealJobs([{ job: BroadcastCancelJob, payload: { id: 'warm-up' }, chatId: null, userId: LOCAL_ADMIN_USER_ID }], {
      idPrefix: 'warm',
      traceId: 'warm',
      tenant: String(stack.bot.id),
      now: new Date(),
    }),
  );
  await settle();
}

/** Waits for the start of the next digest window, so a quick burst of events falls in one. */
async function windowStart(): Promise<void> {
  const windowMs = stack.settings.notify.digestWindowSeconds * 1000;
  await new Promise((resolve) => setTimeout(resolve, windowMs - (Date.now() % windowMs) + 50));
}

beforeAll(async () => {
  stack = await startLocalStack({ telegramLimits: true, onFunctionLog: () => undefined });
  sqs = new SQSClient(localClientConfig(stack.sqs.endpoint));
  users = USER_IDS.map((id) => stack.telegram.user(id, { first_name: `User${id}` }));
  await warmUp();
  await windowStart();
  for (const user of users) await user.sendText('/start');
  await stack.telegram.waitFor(() => users.every((u) => u.lastBotMessage() !== undefined), 60_000);
  // The directory entries (`user.status`) and the digest, whose opener is held until its window ends.
  await settle();
  blockedUser = users.at(-1)!;
  await blockedUser.block();
  await settle();
}, 150_000);
afterAll(() => stack?.stop());

const adminMessages = () => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID);

describe('broadcast on the local stack', () => {
  it('tells the admins about the new users in one digest (two when a window boundary splits them)', () => {
    const digests = adminMessages().filter((m) => m.text.includes('New users'));
    expect(digests.length).toBeGreaterThanOrEqual(1);
    expect(digests.length).toBeLessThanOrEqual(2);
    const counted = digests.reduce((sum, m) => sum + Number(/New users · (\d+)/.exec(m.text)?.[1] ?? 0), 0);
    expect(counted).toBe(12);
    for (const id of USER_IDS) {
      expect(digests.filter((m) => m.text.includes(`user ${id}`))).toHaveLength(1);
    }
  });

  it('takes /broadcast outside the admin chat as an unknown command and sends nothing', async () => {
    const outsider = users[0]!;
    const before = stack.telegram.sent().length;
    await outsider.sendText('/broadcast hi');
    const answer = await stack.telegram.waitFor(
      () =>
        outsider.botMessages().find((m) => m.text === 'I did not understand that. Send /menu to see what I can do.'),
      10_000,
    );
    expect(answer.reply_markup).toBeUndefined();
    await settle();
    const after = stack.telegram.sent().slice(before);
    expect(after.map((m) => [m.chatId, m.text])).toEqual([[outsider.id, answer.text]]);
  });

  it('sends an admin broadcast, formatting kept, once to every active user, skips the blocked one, and finishes within the limits', async () => {
    const group = stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
    const admin = stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Ada' });
    // Formatting comes as the admin's own entities (offsets in UTF-16 code units, after emoji and
    // Chinese); tags and `&` typed in the text are text, and reach users as typed.
    const text = '🎉 新功能 <b>all</b> & more: fees drop on Monday, see docs';
    const command = `/broadcast ${text}`;
    const at = (part: string) => command.indexOf(part);
    const formatting = [
      { type: 'bold', offset: at('fees drop'), length: 'fees drop'.length },
      { type: 'italic', offset: at('Monday'), length: 'Monday'.length },
      { type: 'text_link', offset: at('docs'), length: 4, url: 'https://example.com/docs' },
    ];
    const shifted = formatting.map((e) => ({ ...e, offset: e.offset - '/broadcast '.length }));
    const before = adminMessages().length;
    await group.sendText(admin, command, formatting);
    const confirm = await stack.telegram.waitFor(
      () =>
        adminMessages().find((m) => m.reply_markup?.inline_keyboard.flat().some((b) => b.callback_data === 'bc:go')),
      10_000,
    );
    const replies = adminMessages().slice(before);
    expect(replies.map((m) => m.text)).toEqual([text, confirm.text]);
    // The preview is the message as sent: the same text, the same formatting.
    expect(replies[0]?.entities).toEqual(shifted);
    expect(text.slice(shifted[0]!.offset, shifted[0]!.offset + shifted[0]!.length)).toBe('fees drop');
    expect(confirm.text).toContain('Send it?');

    const rejected = stack.telegramLimits!.stats().tooManyRequests;
    await group.pressButton(admin, confirm.message_id, 'bc:go');
    const done = await stack.telegram.waitFor(() => {
      const m = adminMessages().find((x) => x.message_id === confirm.message_id);
      return m?.text.startsWith('✅') ? m : undefined;
    }, 60_000);
    expect(done.text).toMatch(/^✅ Broadcast b\d+ finished: sent 11 \/ 11, 0 blocked, 0 failed$/);
    expect(done.reply_markup).toBeUndefined();
    // While it ran, the message showed progress with a cancel button for this broadcast.
    const id = /Broadcast (b\d+)/.exec(done.text)?.[1];
    expect(done.history.some((v) => v.reply_markup?.inline_keyboard.flat()[0]?.callback_data === `bc:stop:${id}`)).toBe(
      true,
    );

    await settle();
    for (const user of users) {
      const got = user.botMessages().filter((m) => m.text === text);
      expect(got, `user ${user.id}`).toHaveLength(user === blockedUser ? 0 : 1);
      for (const m of got) expect(m.entities, `user ${user.id}`).toEqual(shifted);
    }
    expect(admin.botMessages()).toEqual([]);
    expect(stack.telegramLimits!.stats().tooManyRequests - rejected).toBe(0);
  });

  it('refuses formatting out of the text with a clear message, and drafts nothing', async () => {
    const group = stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
    const admin = stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Ada' });
    const before = adminMessages().length;
    await group.sendText(admin, '/broadcast 你好', [{ type: 'bold', offset: 11, length: 5 }]);
    const refusal = await stack.telegram.waitFor(() => adminMessages().at(before), 10_000);
    expect(refusal.text).toBe(
      'The "bold" formatting at 0 (length 5) lies outside the message (2 characters). Nothing was queued.',
    );
    expect(refusal.reply_markup).toBeUndefined();
  });
});
