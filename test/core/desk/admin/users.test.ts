import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminBlockJob, AdminUserJob, adminUserHandlers, type UserTarget } from '../../../../core/desk/admin/users.js';
import { DynamoDepositStore } from '../../../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoWalletBook } from '../../../../core/desk/wallets/dynamodb-book.js';
import { SessionConflictError } from '../../../../core/platform/errors.js';
import type { Language } from '../../../../core/platform/i18n/index.js';
import { createConsumer } from '../../../../core/platform/jobs/consumer.js';
import { type JobDraft, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { DynamoSessionStore } from '../../../../core/platform/sessions/dynamodb-store.js';
import type { SessionStore } from '../../../../core/platform/sessions/store.js';
import { DynamoUserDirectory } from '../../../../core/platform/users/dynamodb-directory.js';
import { ensureTable } from '../../../../local/aws/dynamodb.js';
import { creditDeposit } from '../../../helpers/deposits.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

const ADMIN_CHAT = -100_123;
const ADMIN = 900;
const WALLET_A = 'So11111111111111111111111111111111111111112';
const WALLET_B = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';

let local: LocalTable;
let tables = 0;
beforeAll(async () => {
  local = await startLocalTable('admin-users');
});
afterAll(() => local?.stop());

/** A fresh table (users share one partition, so each test gets its own) and the handlers over it. */
async function setup(options: { sessions?: (real: DynamoSessionStore) => SessionStore; maxAttempts?: number } = {}) {
  const tableName = `admin-users-${++tables}`;
  await ensureTable(local.client, tableName);
  const stores = { client: local.client, tableName };
  const directory = new DynamoUserDirectory(stores);
  const sessions = new DynamoSessionStore({ ...stores, sessionIdleSeconds: 86_400, updateDedupeSeconds: 3_600 });
  const ledger = new DynamoLedger(stores);
  const deposits = new DynamoDepositStore(stores);
  const wallets = new DynamoWalletBook(stores);
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const consume = createConsumer(
    adminUserHandlers({
      admins: new Set([ADMIN, 901]),
      directory,
      sessions: options.sessions ? options.sessions(sessions) : sessions,
      ledger,
      wallets,
      queue,
      maxAttempts: options.maxAttempts,
      sleep: async () => {},
    }),
    log,
  );
  let batch = 0;
  const run = async (draft: JobDraft, id = `j${batch++}`) => {
    const [job] = sealJobs([draft], { idPrefix: id, traceId: id, tenant: TEST_TENANT, now: new Date() });
    return consume([
      {
        messageId: id,
        receiptHandle: 'r',
        body: JSON.stringify(job!.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      },
    ]);
  };
  /** The texts sent to the admin chat, in order. */
  const replies = () =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && j.envelope.chatId === ADMIN_CHAT)
      .map((j) => (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text);
  const lastReply = () => replies().at(-1) ?? '';
  /** Credits `lamports` to the user's internal balance the way a confirmed deposit does. */
  const credit = async (userId: number, lamports: bigint, signature: string) => {
    await creditDeposit(deposits, { signature, userId, lamports, by: ADMIN });
  };
  return { directory, sessions, wallets, queue, log, run, replies, lastReply, credit };
}

const lookup = (target: UserTarget, lang: Language = 'en'): JobDraft => ({
  job: AdminUserJob,
  payload: { target, lang },
  chatId: ADMIN_CHAT,
  userId: ADMIN,
});
const blockJob = (target: UserTarget, block = true, lang: Language = 'en'): JobDraft => ({
  job: AdminBlockJob,
  payload: { target, block, lang },
  chatId: ADMIN_CHAT,
  userId: ADMIN,
});
const key = (userId: number) => `${userId}:${userId}`;

/** Everyone a broadcast would reach. */
async function reachable(directory: DynamoUserDirectory): Promise<number[]> {
  return (await directory.activePage(null, 100)).chatIds;
}

describe('admin jobs not made by an admin', () => {
  it('are poison: no lookup answered, no block written', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 501, active: true, lang: 'en', username: 'Alice_W' });
    const forged = (draft: JobDraft): JobDraft => ({ ...draft, userId: 4242 });
    expect((await h.run(forged(lookup({ id: 501 })))).batchItemFailures).toHaveLength(1);
    expect((await h.run(forged(blockJob({ id: 501 })))).batchItemFailures).toHaveLength(1);
    expect((await h.run({ ...blockJob({ id: 501 }), userId: null })).batchItemFailures).toHaveLength(1);
    expect(h.replies()).toEqual([]);
    expect(await h.directory.get(501)).not.toHaveProperty('blocked');
    expect((await h.sessions.load(key(501))).data).toBeUndefined();
    expect(h.log.lines.filter((l) => l.event === 'job.poison')).toHaveLength(3);
  });

  it('never block an admin of the worker’s own list, whatever the job says', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 901, active: true, lang: 'en', username: 'second_boss' });
    // An older job still carrying its own (empty) admins list: the field is ignored.
    await h.run({
      ...blockJob({ username: 'second_boss' }),
      payload: { ...(blockJob({ id: 1 }).payload as object), target: { username: 'second_boss' }, admins: [] },
    });
    expect(h.lastReply()).toBe('901 (@second_boss) is an admin: admins cannot be blocked.');
    expect(await h.directory.get(901)).not.toHaveProperty('blocked');
  });
});

describe('admin.user', () => {
  it('answers a lookup by id with the user’s name, language, status, balance and verified wallets', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 501, active: true, lang: 'zh', username: 'Alice_W' });
    await h.credit(501, 1_500_000_000n, 'sigA1');
    await h.wallets.add(501, WALLET_A);
    await h.wallets.add(501, WALLET_B);
    expect(await h.run(lookup({ id: 501 }))).toEqual({ batchItemFailures: [] });
    expect(h.replies()).toEqual([
      [
        '👤 <b>User <code>501</code></b>',
        'Username: @Alice_W',
        'Language: 中文',
        'Status: active',
        'Internal balance: <b>1.5 SOL</b>',
        'Verified wallets: 2',
        `• <code>${WALLET_A}</code>`,
        `• <code>${WALLET_B}</code>`,
      ].join('\n'),
    ]);
  });

  it('finds a user by @username in any case, and answers in the admin’s language', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 502, active: true, lang: 'en', username: 'Bob_Trader' });
    await h.run(lookup({ username: 'bob_trader' }, 'zh'));
    expect(h.lastReply()).toContain('👤 <b>用户 <code>502</code></b>');
    expect(h.lastReply()).toContain('用户名：@Bob_Trader');
    expect(h.lastReply()).toContain('内部余额：<b>0 SOL</b>');
    expect(h.lastReply()).toContain('已验证钱包：0 个');
  });

  it('says "no such user" for an unknown id or username', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 503, active: true, lang: 'en' });
    await h.run(lookup({ id: 504 }));
    await h.run(lookup({ username: 'nobody_here' }));
    await h.run(lookup({ username: 'nobody_here' }, 'zh'));
    expect(h.replies()).toEqual([
      'No such user: 504. Only users who have talked to the bot can be found.',
      'No such user: @nobody_here. Only users who have talked to the bot can be found.',
      '没有这个用户：@nobody_here。只能查到与机器人对话过的用户。',
    ]);
  });

  it('follows usernames as they change hands: the newest holder answers, an abandoned name nobody', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 511, active: true, username: 'first_name' });
    // 511 renames; 512 then takes 511's old name, and 513 takes a name 512 had before.
    await h.directory.upsert({ chatId: 511, active: true, username: 'second_name' });
    await h.run(lookup({ username: 'first_name' }));
    expect(h.lastReply()).toContain('No such user: @first_name');
    await h.directory.upsert({ chatId: 512, active: true, username: 'First_Name' });
    await h.run(lookup({ username: 'first_name' }));
    expect(h.lastReply()).toContain('User <code>512</code>');
    await h.run(lookup({ username: 'second_name' }));
    expect(h.lastReply()).toContain('User <code>511</code>');
  });

  it('shows who blocked the bot and who an admin blocked', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 521, active: true });
    await h.directory.setActive(521, false);
    await h.run(lookup({ id: 521 }));
    expect(h.lastReply()).toContain('Username: —\nLanguage: —\nStatus: blocked the bot');
    await h.run(blockJob({ id: 521 }));
    await h.run(lookup({ id: 521 }));
    expect(h.lastReply()).toContain('Status: blocked by an admin, blocked the bot');
  });
});

describe('admin.block', () => {
  it('blocks a user found by @username: directory and private-chat session, and tells the admin chat only', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 601, active: true, lang: 'en', username: 'carol' });
    await h.directory.upsert({ chatId: 602, active: true });
    await h.sessions.save({
      key: key(601),
      data: { lang: 'zh', joined: true, wallets: [] },
      expectedVersion: 0,
      update: { updateId: 41, outbox: { jobs: [] } },
      processed: [{ updateId: 40 }],
    });
    const before = await h.sessions.load(key(601));

    await h.run(blockJob({ username: 'carol' }));
    expect(h.replies()).toEqual([
      '🚫 Blocked 601 (@carol). The bot ignores their messages and buttons, and broadcasts skip them; they are told so once, when they next write. /unblock 601 lets them back.',
    ]);
    // Nothing goes to the blocked user.
    expect(h.queue.sent.filter((j) => j.envelope.chatId === 601)).toEqual([]);
    const after = await h.sessions.load(key(601));
    expect(after.data).toEqual({ lang: 'zh', joined: true, wallets: [], blocked: true });
    expect(after.version).toBe(before.version + 1);
    expect(after.processed).toEqual(before.processed);
    expect(await h.directory.get(601)).toMatchObject({ chatId: 601, active: true, blocked: true });
    expect(await reachable(h.directory)).toEqual([602]);
    expect(await h.directory.countActive()).toBe(1);
  });

  it('unblocks: clears the session flag and the directory’s block, keeping the rest', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 611, active: true, lang: 'zh' });
    await h.run(blockJob({ id: 611 }));
    await h.run(blockJob({ id: 611 }, false, 'zh'));
    expect(h.lastReply()).toBe('✅ 已解除封禁 611。机器人会重新回复该用户。');
    // Blocked with no session yet: one was started, already joined; unblocking leaves just that.
    expect((await h.sessions.load(key(611))).data).toEqual({ joined: true });
    expect(await h.directory.get(611)).toEqual({ chatId: 611, active: true, lang: 'zh' });
    expect(await reachable(h.directory)).toEqual([611]);
  });

  it('clears the "told they are blocked" flag on unblock, so a new block is told afresh', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 612, active: true });
    await h.sessions.save({
      key: key(612),
      data: { joined: true, blocked: true, blockNoticed: true },
      expectedVersion: 0,
      update: { updateId: 1 },
      processed: [],
    });
    await h.run(blockJob({ id: 612 }, false));
    expect((await h.sessions.load(key(612))).data).toEqual({ joined: true });
    await h.run(blockJob({ id: 612 }));
    expect((await h.sessions.load(key(612))).data).toEqual({ joined: true, blocked: true });
  });

  it('completes a block on redelivery without a second write or a second confirmation id', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 621, active: true });
    await h.run(blockJob({ id: 621 }), 'same');
    const once = await h.sessions.load(key(621));
    await h.run(blockJob({ id: 621 }), 'same');
    expect((await h.sessions.load(key(621))).version).toBe(once.version);
    const ids = h.queue.sent.map((j) => j.envelope.id);
    expect(new Set(ids).size).toBe(1);
  });

  it('never blocks an admin, whether named by id or by username', async () => {
    const h = await setup();
    await h.directory.upsert({ chatId: 901, active: true, username: 'second_boss' });
    await h.run(blockJob({ username: 'second_boss' }));
    await h.run(blockJob({ id: 901 }));
    expect(h.replies()).toEqual([
      '901 (@second_boss) is an admin: admins cannot be blocked.',
      '901 (@second_boss) is an admin: admins cannot be blocked.',
    ]);
    expect(await h.directory.get(901)).not.toHaveProperty('blocked');
    expect((await h.sessions.load(key(901))).version).toBe(0);
  });

  it('says "no such user" and writes nothing for a user the directory does not know', async () => {
    const h = await setup();
    await h.run(blockJob({ id: 631 }));
    expect(h.lastReply()).toBe('No such user: 631. Only users who have talked to the bot can be found.');
    expect(await h.directory.get(631)).toBeUndefined();
    expect((await h.sessions.load(key(631))).version).toBe(0);
  });

  it('retries the session write when the user’s own update commits in between, keeping both', async () => {
    let conflicts = 0;
    const h = await setup({
      sessions: (real) => ({
        load: (k) => real.load(k),
        async save(save) {
          if (conflicts === 0) {
            // The user's update lands between the job's read and its write.
            const current = await real.load(save.key);
            await real.save({
              key: save.key,
              data: { ...(current.data as object), lang: 'zh' },
              expectedVersion: current.version,
              update: { updateId: 77 },
              processed: current.processed,
            });
          }
          try {
            return await real.save(save);
          } catch (error) {
            if (error instanceof SessionConflictError) conflicts++;
            throw error;
          }
        },
      }),
    });
    await h.directory.upsert({ chatId: 641, active: true });
    await h.sessions.save({
      key: key(641),
      data: { lang: 'en', joined: true },
      expectedVersion: 0,
      update: { updateId: 76 },
      processed: [],
    });
    expect(await h.run(blockJob({ id: 641 }))).toEqual({ batchItemFailures: [] });
    expect(conflicts).toBe(1);
    const session = await h.sessions.load(key(641));
    expect(session.data).toEqual({ lang: 'zh', joined: true, blocked: true });
    expect(session.processed.map((p) => p.updateId)).toEqual([76, 77]);
    expect(session.version).toBe(3);
  });

  it('fails the job as transient (to be retried) when the session stays contended', async () => {
    let saves = 0;
    const h = await setup({
      maxAttempts: 3,
      sessions: (real) => ({
        load: (k) => real.load(k),
        async save(save) {
          saves++;
          throw new SessionConflictError(save.key);
        },
      }),
    });
    await h.directory.upsert({ chatId: 651, active: true });
    const result = await h.run(blockJob({ id: 651 }), 'contended');
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'contended' }]);
    expect(saves).toBe(3);
    expect(h.replies()).toEqual([]);
    expect(h.log.lines.find((l) => l.event === 'job.failed')).toMatchObject({
      error: { code: 'session.contended' },
    });
  });
});
