import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoSessionStore } from '../../core/platform/sessions/dynamodb-store.js';
import { DynamoUserDirectory } from '../../core/platform/users/dynamodb-directory.js';
import {
  LOCAL_ADMIN_CHAT_ID,
  LOCAL_ADMIN_USER_ID,
  type LocalStack,
  type LogLine,
  localClientConfig,
  type PeerUser,
  startLocalStack,
} from '../../local/index.js';
import { unexpectedProblems } from '../helpers/stack-chat.js';
import { homeScope } from '../helpers/tenants.js';

let stack: LocalStack;
let directory: DynamoUserDirectory;
let sessions: DynamoSessionStore;
const logs: LogLine[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ onFunctionLog: (line) => logs.push(line) });
  const raw = new DynamoDBClient({ ...localClientConfig(stack.dynamodb.endpoint), maxAttempts: 1 });
  // The stack's own bot's stores, as its functions build them.
  const stores = { client: homeScope(stack, raw), tableName: stack.dynamodb.tableName };
  directory = new DynamoUserDirectory(stores);
  sessions = new DynamoSessionStore({ ...stores, sessionIdleSeconds: 86_400, updateDedupeSeconds: 3_600 });
});
afterAll(() => stack?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls an async read until it yields something. */
async function eventually<T>(read: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`nothing after ${timeoutMs} ms`);
    await sleep(100);
  }
}
const group = () => stack.telegram.group(LOCAL_ADMIN_CHAT_ID, 'Desk admins');
const admin = (language_code?: string) =>
  stack.telegram.user(LOCAL_ADMIN_USER_ID, { first_name: 'Admin', ...(language_code ? { language_code } : {}) });
const adminTexts = () => stack.telegram.sent(LOCAL_ADMIN_CHAT_ID).map((m) => m.text);

/** The admin chat's next message starting with `prefix`, after the `seen` it had. */
async function nextAdminReply(seen: number, prefix: string): Promise<string> {
  return stack.telegram.waitFor(
    () =>
      adminTexts()
        .slice(seen)
        .find((text) => text.startsWith(prefix)),
    30_000,
  );
}

/** An admin command in the admin chat, and the bot's answer to it there. */
async function adminSays(text: string, prefix: string, language_code?: string): Promise<string> {
  const seen = adminTexts().length;
  await group().sendText(admin(language_code), text);
  return nextAdminReply(seen, prefix);
}

async function pressAnswer(user: PeerUser, messageId: number, data: string): Promise<string | undefined> {
  const update = await user.pressButton(messageId, data);
  const query = await stack.telegram.waitFor(() => {
    const state = stack.telegram.callbackQuery(update.callback_query!.id);
    return state?.answered ? state : undefined;
  }, 20_000);
  return query.answer?.text;
}

describe('admin desk: users on the local stack', () => {
  it('looks a user up by @username, blocks them (the bot goes silent), and unblocks them', {
    timeout: 180_000,
  }, async () => {
    const user = stack.telegram.user(1301, { first_name: 'Zoe', username: 'Zoe_E2E' });
    await user.sendText('/start');
    const languages = await stack.telegram.waitFor(() => user.lastBotMessage(), 20_000);
    expect(languages.text).toContain('Choose your language');
    // The directory learns the username from the first update, through the notify queue.
    await eventually(() => directory.findByUsername('zoe_e2e'));

    // Someone in the admin chat who is not an admin is refused (checked in admin-gate.test.ts), and queues nothing.
    const outsider = stack.telegram.user(1302, { first_name: 'Eve' });
    const before = adminTexts().length;
    await group().sendText(outsider, '/user @zoe_e2e');
    await group().sendText(outsider, '/block 1301');

    const card = await adminSays('/user @zoe_e2e', '👤');
    expect(card).toBe(
      [
        '👤 User 1301',
        'Username: @Zoe_E2E',
        'Language: English',
        'Status: active',
        'Internal balance: 0 SOL',
        'Verified wallets: 0',
      ].join('\n'),
    );
    await stack.telegram.idle(30_000);
    await sleep(1_000);
    // Only the admin's card answered (admin digests about new users may come and go).
    expect(
      adminTexts()
        .slice(before)
        .filter((t) => /^👤|^🚫|No such user|\/user|\/block/.test(t)),
    ).toEqual([card]);
    expect(await directory.get(1301)).not.toHaveProperty('blocked');

    const blocked = await adminSays('/block @zoe_e2e', '🚫');
    expect(blocked).toBe(
      '🚫 Blocked 1301 (@Zoe_E2E). The bot ignores their messages and buttons, and broadcasts skip them; they are told so once, when they next write. /unblock 1301 lets them back.',
    );
    expect(await directory.get(1301)).toMatchObject({ blocked: true });
    expect((await sessions.load('1301:1301')).data).toMatchObject({ blocked: true, joined: true });
    expect((await directory.activePage(null, 1_000)).chatIds).not.toContain(1301);

    // The blocked user writes and presses: told once that they are blocked, then nothing answers.
    const sentBefore = user.botMessages().length;
    const hello = await user.sendText('hello?');
    const menu = await user.sendText('/menu');
    expect(await pressAnswer(user, languages.message_id, 'lang:zh')).toBe('Not available.');
    await stack.telegram.idle(30_000);
    await sleep(1_500); // room for anything queued to arrive through the notify queue
    expect(
      user
        .botMessages()
        .slice(sentBefore)
        .map((m) => m.text),
    ).toEqual([
      '⛔ An admin has blocked your account at this desk, so I no longer answer your messages. If you think this is a mistake, contact the desk’s admins.',
    ]);
    const session = await sessions.load('1301:1301');
    expect(session.data).toMatchObject({ blocked: true, blockNoticed: true });
    expect(session.data).not.toHaveProperty('lang');
    // Both were taken (their ids recorded) and queued nothing (the outbox kept is the latest update's).
    const ids = session.processed.map((p) => p.updateId);
    for (const update of [hello, menu]) expect(ids).toContain(update.update_id);
    const kept = session.processed.filter((p) => p.outbox);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.outbox?.jobs).toEqual([]);

    // A Chinese-speaking admin looks them up, and sees the block.
    const cardZh = await adminSays('/user 1301', '👤', 'zh');
    expect(cardZh).toContain('状态：已被管理员封禁');

    const unblocked = await adminSays('/unblock @ZOE_E2E', '✅', 'en');
    expect(unblocked).toBe('✅ Unblocked 1301 (@Zoe_E2E). The bot answers them again.');
    expect(await directory.get(1301)).not.toHaveProperty('blocked');
    expect((await directory.activePage(null, 1_000)).chatIds).toContain(1301);

    expect((await sessions.load('1301:1301')).data).not.toHaveProperty('blockNoticed');
    await user.sendText('/help');
    const help = await stack.telegram.waitFor(() => user.botMessages().at(sentBefore + 1), 20_000);
    expect(help.text).toContain('Help');
  });

  it('shows the language a user picked with /lang, not the one they first came with', { timeout: 90_000 }, async () => {
    const user = stack.telegram.user(1311, { first_name: 'Li', language_code: 'en' });
    await user.sendText('/menu');
    await stack.telegram.waitFor(() => user.lastBotMessage(), 20_000);
    expect((await eventually(() => directory.get(1311))).lang).toBe('en');
    await user.sendText('/lang');
    const languages = await stack.telegram.waitFor(
      () => user.botMessages().find((m) => m.text.includes('Choose your language')),
      20_000,
    );
    expect(await pressAnswer(user, languages.message_id, 'lang:zh')).toBe('语言已设置为中文。');
    await eventually(async () => ((await directory.get(1311))?.lang === 'zh' ? true : undefined));
    expect(await adminSays('/user 1311', '👤')).toContain('Language: 中文');
  });

  it('refuses to block an admin and says "no such user" for a stranger', { timeout: 60_000 }, async () => {
    expect(await adminSays(`/block ${LOCAL_ADMIN_USER_ID}`, String(LOCAL_ADMIN_USER_ID))).toBe(
      `${LOCAL_ADMIN_USER_ID} is an admin: admins cannot be blocked.`,
    );
    expect(await adminSays('/user @nobody_at_all', 'No such user')).toBe(
      'No such user: @nobody_at_all. Only users who have talked to the bot can be found.',
    );
    expect(await adminSays('/block 424242', '没有这个用户', 'zh')).toBe(
      '没有这个用户：424242。只能查到与机器人对话过的用户。',
    );
  });

  it('ran every update and job without an error or a warning', () => {
    const { lines, problems } = unexpectedProblems(logs);
    expect(lines).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
