import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings, type VaultSettings } from '../../../../core/desk/settings.js';
import { SERVICE_SECRET_CONTEXT, userSecretContext } from '../../../../core/desk/vault/context.js';
import { maskSecret, secretBytes, vaultHandlers } from '../../../../core/desk/vault/handlers.js';
import { SecretCheckJob, SecretDeleteJob, SecretListJob, SecretStoreJob } from '../../../../core/desk/vault/jobs.js';
import { type BatchResult, createConsumer, type QueueRecord } from '../../../../core/platform/jobs/consumer.js';
import type { DeadLetterQueue, ParkReason } from '../../../../core/platform/jobs/dead-letters.js';
import { type JobDraft, sealJobs } from '../../../../core/platform/jobs/envelope.js';
import { DynamoSecretStore } from '../../../../core/platform/keys/dynamodb-secrets.js';
import { ENVELOPE_TEXT_PREFIX } from '../../../../core/platform/keys/envelope.js';
import { sealForIntake } from '../../../../core/platform/keys/intake.js';
import { KmsDataKeys, KmsIntakeKey } from '../../../../core/platform/keys/kms.js';
import { createEnvelopeVault } from '../../../../core/platform/keys/vault.js';
import {
  DynamoQuotaMeter,
  meteredQuota,
  PLANS,
  type TenantQuota,
  UNLIMITED,
} from '../../../../core/platform/quotas/index.js';
import { scopeToTenant } from '../../../../core/platform/tenants/index.js';
import { type KmsEmulator, startKmsEmulator } from '../../../../local/kms/index.js';
import { MemoryJobQueue, memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';
import { TEST_TENANT } from '../../../helpers/tenants.js';

let table: LocalTable;
let kms: KmsEmulator;
let client: KMSClient;
let intake: KmsIntakeKey;
let intakePublicKey: Uint8Array;

beforeAll(async () => {
  [table, kms] = await Promise.all([startLocalTable('vault-handlers'), startKmsEmulator()]);
  client = new KMSClient({ ...kmsClientConfig(kms.endpoint), maxAttempts: 1 });
  await kms.ensureKey('alias/t', 'SYMMETRIC_DEFAULT');
  await kms.ensureKey('alias/i', 'RSA_2048');
  intake = new KmsIntakeKey({ client, keyId: 'alias/i' });
  intakePublicKey = await intake.publicKey();
});
afterEach(() => {
  kms.setFault(null);
});
afterAll(async () => {
  client?.destroy();
  await Promise.all([kms?.stop(), table?.stop()]);
});

const kmsClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
});

/** Each test gets users of its own: the table is shared by the file. */
let nextUser = 10_000;
const newUser = () => nextUser++;
/** 2024-05-17T12:00:00Z: an injected clock, so stored dates are known. */
const STORED_AT = Date.UTC(2024, 4, 17, 12);
let batch = 0;

/** A vault worker as the vault function builds it: a fresh data key cache, a store on DynamoDB, KMS for keys. */
function worker(
  settings: Partial<VaultSettings> = {},
  dataKeys = new KmsDataKeys({ client, keyId: 'alias/t' }),
  admins: ReadonlySet<number> = new Set(),
  quotaOf: (queue: MemoryJobQueue) => TenantQuota = () => UNLIMITED,
) {
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  const secrets = new DynamoSecretStore({ client: table.client, tableName: table.tableName });
  const vault = createEnvelopeVault(dataKeys);
  const parked: ParkReason[] = [];
  const deadLetters: DeadLetterQueue = { park: async (_, reason) => void parked.push(reason) };
  const consume = createConsumer(
    vaultHandlers({
      admins,
      secrets,
      vault,
      intake,
      queue,
      settings: { ...stageSettings('test').vault, ...settings },
      quota: quotaOf(queue),
      now: () => STORED_AT,
    }),
    log,
    deadLetters,
  );
  /** SQS records for drafts, as the vault queue delivers them. */
  const records = (drafts: readonly JobDraft[]): QueueRecord[] => {
    const prefix = `b${batch++}`;
    return sealJobs(drafts, { idPrefix: prefix, traceId: prefix, tenant: TEST_TENANT, now: new Date() }).map(
      (job, i) => ({
        messageId: `${prefix}-m${i}`,
        receiptHandle: `${prefix}-r${i}`,
        body: JSON.stringify(job.envelope),
        attributes: { ApproximateReceiveCount: '1' },
      }),
    );
  };
  const run = (drafts: readonly JobDraft[]): Promise<BatchResult> => consume(records(drafts));
  /** The texts sent to `chatId`, in order. */
  const replies = (chatId?: number) =>
    queue.sent
      .filter((j) => j.envelope.type === 'telegram.send' && (chatId === undefined || j.envelope.chatId === chatId))
      .map((j) => (j.envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text);
  const last = (chatId: number) => replies(chatId).at(-1) ?? '';
  return { queue, log, secrets, vault, consume, records, run, replies, last, parked };
}

const lang = 'en' as const;
const store = (userId: number, name: string, value: string, sealedFor = userId): JobDraft => ({
  job: SecretStoreJob,
  payload: { name, sealed: sealForIntake(intakePublicKey, value, userSecretContext(sealedFor)), lang },
  chatId: userId,
  userId,
});
const check = (userId: number, name: string): JobDraft => ({
  job: SecretCheckJob,
  payload: { name, lang },
  chatId: userId,
  userId,
});
const list = (userId: number): JobDraft => ({ job: SecretListJob, payload: { lang }, chatId: userId, userId });
const remove = (userId: number, name: string): JobDraft => ({
  job: SecretDeleteJob,
  payload: { name, lang },
  chatId: userId,
  userId,
});

/** The item as it rests in DynamoDB. */
async function rawItem(userId: number, name: string) {
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: { pk: { S: `secrets#${userId}` }, sk: { S: name } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** Rewrites the stored envelope of a secret (what an attacker with table access could do). */
async function rewriteEnvelope(userId: number, name: string, envelope: string) {
  const item = await rawItem(userId, name);
  if (!item) throw new Error('no such item');
  await table.client.send(
    new PutItemCommand({ TableName: table.tableName, Item: { ...item, envelope: { S: envelope } } }),
  );
}

/** The envelope's bytes with one byte flipped at `index` (negative: from the end). */
function flipByte(envelope: string, index: number): string {
  const bytes = Buffer.from(envelope.slice(ENVELOPE_TEXT_PREFIX.length), 'base64');
  const at = index < 0 ? bytes.length + index : index;
  bytes[at] = bytes[at]! ^ 0x01;
  return ENVELOPE_TEXT_PREFIX + bytes.toString('base64');
}

const LONG = 'sk-live-0123456789abcdefwxyz';
const noFailures = { batchItemFailures: [] };

describe('maskSecret', () => {
  it('shows the last 4 characters of a long value behind 6 dots', () => {
    expect(maskSecret(LONG)).toBe('••••••wxyz');
    expect(maskSecret('123456789abc')).toBe('••••••9abc');
  });

  it('shows only dots, at most 8, for a value under 12 characters', () => {
    expect(maskSecret('short')).toBe('•••••');
    expect(maskSecret('12345678901')).toBe('••••••••');
  });

  it('counts characters, not UTF-16 units', () => {
    expect(maskSecret('🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑')).toBe('••••••🔑🔑🔑🔑');
  });
});

describe('secret.store', () => {
  it('keeps a service credential under the owner `service`, apart from the admin’s own secrets', async () => {
    const admin = newUser();
    const w = worker({}, undefined, new Set([admin]));
    const sealed = sealForIntake(intakePublicKey, 'sk-service-0123456789abcd', SERVICE_SECRET_CONTEXT);
    const scope = 'service' as const;
    await w.run([
      { job: SecretStoreJob, payload: { name: 'openai', sealed, lang, scope }, chatId: admin, userId: admin },
    ]);
    expect(w.last(admin)).toBe('🔐 Stored <b>openai</b>: <code>••••••abcd</code>');
    expect((await w.secrets.list('service')).map((x) => x.name)).toContain('openai');
    expect(await w.secrets.list(String(admin))).toEqual([]);
    await w.run([{ job: SecretCheckJob, payload: { name: 'openai', lang, scope }, chatId: admin, userId: admin }]);
    expect(w.last(admin)).toContain('opens correctly');
    // Without the scope, the same name is the admin's own, and there is none.
    await w.run([check(admin, 'openai')]);
    expect(w.last(admin)).toContain('no secret named');
  });

  it('parks a service credential job of someone who is not an admin, and stores, opens or deletes nothing', async () => {
    const admin = newUser();
    const w = worker({}, undefined, new Set([admin]));
    const sealed = sealForIntake(intakePublicKey, 'sk-service-0123456789abcd', SERVICE_SECRET_CONTEXT);
    await w.run([
      {
        job: SecretStoreJob,
        payload: { name: 'openai', sealed, lang, scope: 'service' },
        chatId: admin,
        userId: admin,
      },
    ]);
    const intruder = newUser();
    const scope = 'service' as const;
    const forged = { chatId: intruder, userId: intruder };
    expect(
      await w.run([
        { job: SecretStoreJob, payload: { name: 'openai', sealed, lang, scope }, ...forged },
        { job: SecretCheckJob, payload: { name: 'openai', lang, scope }, ...forged },
        { job: SecretListJob, payload: { lang, scope }, ...forged },
        { job: SecretDeleteJob, payload: { name: 'openai', lang, scope }, ...forged },
      ]),
    ).toEqual(noFailures);
    expect(w.parked.map((p) => p.code)).toEqual([
      'admin.not_admin',
      'admin.not_admin',
      'admin.not_admin',
      'admin.not_admin',
    ]);
    expect(w.replies(intruder)).toEqual([]);
    expect((await w.secrets.list('service')).map((x) => x.name)).toEqual(['openai']);
  });

  it('stores an envelope that is text, bound to the user and free of the plaintext, and answers with the mask', async () => {
    const w = worker();
    const user = newUser();
    expect(await w.run([store(user, 'binance_api', LONG)])).toEqual(noFailures);

    const item = await rawItem(user, 'binance_api');
    expect(item?.masked?.S).toBe('••••••wxyz');
    expect(item?.storedAt?.N).toBe(String(STORED_AT));
    const envelope = item?.envelope?.S ?? '';
    expect(envelope.startsWith('wd1:')).toBe(true);
    expect(envelope).not.toContain(LONG);
    const bytes = Buffer.from(envelope.slice(4), 'base64');
    expect(bytes.includes(Buffer.from(LONG))).toBe(false);
    expect(bytes.includes(Buffer.from(LONG.slice(-8)))).toBe(false);
    // The envelope opens for its owner only.
    expect(Buffer.from(await w.vault.open(envelope, userSecretContext(user))).toString()).toBe(LONG);

    expect(w.replies(user)).toEqual(['🔐 Stored <b>binance_api</b>: <code>••••••wxyz</code>']);
    expect(w.queue.sent[0]?.envelope).toMatchObject({ chatId: user, userId: user, type: 'telegram.send' });
  });

  it('masks a short value with dots only', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'pin', 'k9#x')]);
    expect((await rawItem(user, 'pin'))?.masked?.S).toBe('••••');
    expect(w.last(user)).toBe('🔐 Stored <b>pin</b>: <code>••••</code>');
    expect(w.last(user)).not.toContain('k9#x');
  });

  it('replaces a secret of the same name', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'okx', 'first-value-1111')]);
    await w.run([store(user, 'okx', 'second-value-2222')]);
    expect(await w.secrets.list(String(user))).toHaveLength(1);
    expect(w.last(user)).toContain('<code>••••••2222</code>');
    await w.run([check(user, 'okx')]);
    expect(w.last(user)).toContain('17 characters, <code>••••••2222</code>');
  });

  it('refuses a new name at the limit, still allowing replacements, and stores nothing for it', async () => {
    const w = worker({ maxSecretsPerUser: 2 });
    const user = newUser();
    await w.run([store(user, 'a', 'value-a-0001')]);
    await w.run([store(user, 'b', 'value-b-0002')]);
    await w.run([store(user, 'c', 'value-c-0003')]);
    expect(w.last(user)).toBe('You already keep 2 secrets. Delete one with /delsecret first.');
    expect(await rawItem(user, 'c')).toBeUndefined();
    await w.run([store(user, 'a', 'value-a-0004')]);
    expect(w.last(user)).toContain('Stored <b>a</b>');
    expect((await w.secrets.list(String(user))).map((s) => [s.name, s.masked])).toEqual([
      ['a', '••••••0004'],
      ['b', '••••••0002'],
    ]);
    // Another user's count is their own.
    const other = newUser();
    await w.run([store(other, 'c', 'value-c-0005')]);
    expect(w.last(other)).toContain('Stored <b>c</b>');
  });

  it('rejects a value sealed for another user, storing nothing for either', async () => {
    const w = worker();
    const [victim, thief] = [newUser(), newUser()];
    // The thief replays a value sealed for the victim's context in a job of their own.
    const result = await w.run([store(thief, 'stolen', LONG, victim)]);
    expect(result).toEqual(noFailures);
    expect(await rawItem(thief, 'stolen')).toBeUndefined();
    expect(await rawItem(victim, 'stolen')).toBeUndefined();
    expect(w.replies(thief)).toEqual(['⚠️ <b>stolen</b> could not be opened. Store it again with /setsecret stolen.']);
    expect(w.replies(victim)).toEqual([]);
    expect(w.log.lines.map((l) => l.event)).toContain('secret.intake_rejected');
  });

  it('rejects a sealed value that was altered', async () => {
    const w = worker();
    const user = newUser();
    const draft = store(user, 'x', LONG);
    const sealed = (draft.payload as { sealed: string }).sealed;
    const bytes = Buffer.from(sealed.slice(4), 'base64');
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x80;
    await w.run([{ ...draft, payload: { ...(draft.payload as object), sealed: `in1:${bytes.toString('base64')}` } }]);
    expect(await rawItem(user, 'x')).toBeUndefined();
    expect(w.last(user)).toContain('could not be opened');
  });

  it('fails the record while KMS is unavailable, storing nothing, and stores it when the same job comes back', async () => {
    const w = worker();
    const user = newUser();
    const records = w.records([store(user, 'later', LONG)]);
    kms.setFault('unavailable');
    expect(await w.consume(records)).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]!.messageId }] });
    expect(await rawItem(user, 'later')).toBeUndefined();
    expect(w.replies(user)).toEqual([]);
    kms.setFault(null);
    expect(await w.consume(records)).toEqual(noFailures);
    expect((await rawItem(user, 'later'))?.masked?.S).toBe('••••••wxyz');
    expect(w.replies(user)).toEqual(['🔐 Stored <b>later</b>: <code>••••••wxyz</code>']);
  });

  it('fails the record, storing nothing, when the intake opened but no data key can be had', async () => {
    // A second KMS for data keys only, so the intake key keeps working while this one is down.
    const dataKms = await startKmsEmulator();
    const dataClient = new KMSClient({ ...kmsClientConfig(dataKms.endpoint), maxAttempts: 1 });
    try {
      await dataKms.ensureKey('alias/t', 'SYMMETRIC_DEFAULT');
      const w = worker({}, new KmsDataKeys({ client: dataClient, keyId: 'alias/t' }));
      const user = newUser();
      const records = w.records([store(user, 'api', LONG)]);
      dataKms.setFault('unavailable');
      kms.resetStats();
      expect((await w.consume(records)).batchItemFailures).toHaveLength(1);
      expect(kms.stats()).toEqual({ Decrypt: 1 });
      expect(dataKms.stats()).toEqual({ GenerateDataKey: 1 });
      expect(await rawItem(user, 'api')).toBeUndefined();
      expect(w.replies(user)).toEqual([]);
      dataKms.setFault(null);
      expect(await w.consume(records)).toEqual(noFailures);
      expect(w.replies(user)).toEqual(['🔐 Stored <b>api</b>: <code>••••••wxyz</code>']);
    } finally {
      dataClient.destroy();
      await dataKms.stop();
    }
  });

  it('fails the record when KMS throttles, storing nothing', async () => {
    const w = worker();
    const user = newUser();
    kms.setFault('throttle');
    const result = await w.run([store(user, 'busy', LONG)]);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(await rawItem(user, 'busy')).toBeUndefined();
    expect(w.replies(user)).toEqual([]);
  });
});

describe('secret.list', () => {
  it('lists the user’s secrets by name, masked, with the date stored, and no one else’s', async () => {
    const w = worker();
    const [user, other] = [newUser(), newUser()];
    await w.run([store(user, 'zeta', LONG), store(user, 'alpha', 'tiny'), store(other, 'theirs', 'other-user-9999')]);
    await w.run([list(user)]);
    expect(w.last(user)).toBe(
      [
        '🔐 <b>Your secrets</b>',
        '• <b>alpha</b>  <code>••••</code>  (2024-05-17)',
        '• <b>zeta</b>  <code>••••••wxyz</code>  (2024-05-17)',
      ].join('\n'),
    );
    expect(w.last(user)).not.toContain('theirs');
  });

  it('says there are none when the user has none', async () => {
    const w = worker();
    const user = newUser();
    await w.run([list(user)]);
    expect(w.last(user)).toBe('You have no stored secrets. Store one with /setsecret &lt;name&gt;.');
  });
});

describe('secret.check', () => {
  it('opens the secret through KMS and answers with its length and mask', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG), store(user, 'pin', '🔑🔑🔑')]);
    const checker = worker();
    kms.resetStats();
    await checker.run([check(user, 'api')]);
    await checker.run([check(user, 'pin')]);
    expect(checker.replies(user)).toEqual([
      `✅ <b>api</b> opens correctly: ${LONG.length} characters, <code>••••••wxyz</code>.`,
      '✅ <b>pin</b> opens correctly: 3 characters, <code>•••</code>.',
    ]);
    // One data key per user: the second secret is opened with the cached key.
    expect(kms.stats()).toEqual({ Decrypt: 1 });
  });

  it('says so when there is no such secret', async () => {
    const w = worker();
    const user = newUser();
    await w.run([check(user, 'nope')]);
    expect(w.last(user)).toBe('You have no secret named <b>nope</b>.');
  });

  it('answers "could not be opened", without throwing, when the stored ciphertext was altered', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    const envelope = (await rawItem(user, 'api'))?.envelope?.S ?? '';
    await rewriteEnvelope(user, 'api', flipByte(envelope, -1));
    const checker = worker();
    expect(await checker.run([check(user, 'api')])).toEqual(noFailures);
    expect(checker.replies(user)).toEqual(['⚠️ <b>api</b> could not be opened. Store it again with /setsecret api.']);
    expect(checker.log.lines.map((l) => JSON.stringify(l)).join('\n')).toContain('vault.rejected');
  });

  it('answers "could not be opened" when the stored data key was altered (KMS refuses it)', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    const envelope = (await rawItem(user, 'api'))?.envelope?.S ?? '';
    // The data key starts after magic (3), version (1), purpose (1 + 11), owner (1 + 5) and its length (2).
    const keyStart = 3 + 1 + 1 + 'user-secret'.length + 1 + String(user).length + 2;
    await rewriteEnvelope(user, 'api', flipByte(envelope, keyStart + 10));
    const checker = worker();
    kms.resetStats();
    expect(await checker.run([check(user, 'api')])).toEqual(noFailures);
    expect(kms.stats()).toEqual({ Decrypt: 1 });
    expect(checker.last(user)).toContain('<b>api</b> could not be opened');
  });

  it('answers "could not be opened" when another user’s envelope is copied into this user’s item', async () => {
    const w = worker();
    const [owner, thief] = [newUser(), newUser()];
    await w.run([store(owner, 'api', LONG), store(thief, 'api', 'thief-own-value-0000')]);
    const stolen = (await rawItem(owner, 'api'))?.envelope?.S ?? '';
    await rewriteEnvelope(thief, 'api', stolen);
    const checker = worker();
    kms.resetStats();
    expect(await checker.run([check(thief, 'api')])).toEqual(noFailures);
    expect(checker.replies(thief)).toEqual(['⚠️ <b>api</b> could not be opened. Store it again with /setsecret api.']);
    expect(checker.replies(owner)).toEqual([]);
    // Told apart by the envelope's header, before KMS is asked.
    expect(kms.stats()).toEqual({});
    expect(JSON.stringify(checker.log.lines)).toContain('vault.wrong_context');
  });

  it('answers "could not be opened" when the header of a copied envelope is rewritten to this user (KMS refuses the context)', async () => {
    const w = worker();
    const [owner, thief] = [newUser(), newUser()];
    expect(String(owner).length).toBe(String(thief).length);
    await w.run([store(owner, 'api', LONG), store(thief, 'api', 'thief-own-value-0000')]);
    const stolen = (await rawItem(owner, 'api'))?.envelope?.S ?? '';
    const bytes = Buffer.from(stolen.slice(4), 'base64');
    const ownerAt = 3 + 1 + 1 + 'user-secret'.length + 1;
    Buffer.from(String(thief)).copy(bytes, ownerAt);
    await rewriteEnvelope(thief, 'api', ENVELOPE_TEXT_PREFIX + bytes.toString('base64'));
    const checker = worker();
    expect(await checker.run([check(thief, 'api')])).toEqual(noFailures);
    expect(checker.last(thief)).toContain('could not be opened');
    expect(checker.last(thief)).not.toContain('wxyz');
  });

  it('answers "could not be opened" when the stored envelope is not an envelope at all', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    await rewriteEnvelope(user, 'api', 'wd1:not base64!');
    const checker = worker();
    expect(await checker.run([check(user, 'api')])).toEqual(noFailures);
    expect(checker.last(user)).toContain('could not be opened');
  });

  it('fails the record for a retry, and does not call the secret broken, while KMS is unavailable', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    const checker = worker();
    kms.setFault('unavailable');
    const result = await checker.run([check(user, 'api')]);
    expect(result.batchItemFailures).toHaveLength(1);
    expect(checker.replies(user)).toEqual([]);
    kms.setFault(null);
    expect(await checker.run([check(user, 'api')])).toEqual(noFailures);
    expect(checker.last(user)).toContain('opens correctly');
  });

  it('costs one KMS Decrypt per user for 1,000 checks across 50 users', async () => {
    const users = Array.from({ length: 50 }, newUser);
    const w = worker();
    expect(await w.run(users.map((u) => store(u, 'api', `value-of-${u}-abcd`)))).toEqual(noFailures);

    const checker = worker();
    kms.resetStats();
    const checks = Array.from({ length: 1_000 }, (_, i) => check(users[i % users.length]!, 'api'));
    for (let i = 0; i < checks.length; i += 100) {
      expect(await checker.run(checks.slice(i, i + 100))).toEqual(noFailures);
    }
    const replies = checker.replies();
    expect(replies).toHaveLength(1_000);
    expect(replies.every((r) => r.startsWith('✅ <b>api</b> opens correctly'))).toBe(true);
    // No intake decrypts here (checks never touch the intake key): every Decrypt is a data key's.
    const stats = kms.stats();
    expect(stats.Decrypt).toBeLessThanOrEqual(50);
    expect(stats.Decrypt).toBe(50);
    expect(stats.GenerateDataKey).toBeUndefined();
    expect(checker.vault.stats().kmsCalls).toBe(50);
  });
});

describe('stored secrets and the bot’s plan (storedBytes)', () => {
  let tenants = 0;
  /** A vault worker of a bot of its own on a plan allowing `limit` stored bytes, and its gauge. */
  function planned(limit: number, settings: Partial<VaultSettings> = {}) {
    const tenant = `77${++tenants}`;
    const plan = { ...PLANS.free, limits: { ...PLANS.free.limits, storedBytes: limit } };
    const meter = new DynamoQuotaMeter({
      client: scopeToTenant(table.client, tenant),
      tableName: table.tableName,
      plan,
    });
    const w = worker(settings, undefined, new Set(), (queue) =>
      meteredQuota({ meter, plan, tenant, bot: 'desk_bot', operators: [7001], queue, log: memoryLogger() }),
    );
    const gauge = async () => (await meter.usage()).metrics.find((m) => m.metric === 'storedBytes')?.used;
    return { ...w, gauge };
  }

  it('holds each secret’s bytes as stored, once for a redelivered job, resized on replace, given back on delete', async () => {
    const w = planned(PLANS.free.limits.storedBytes);
    const user = newUser();
    const records = w.records([store(user, 'api', LONG)]);
    await w.consume(records);
    const size = secretBytes(String(user), (await w.secrets.get(String(user), 'api'))!);
    expect(size).toBeGreaterThan(LONG.length);
    expect(await w.gauge()).toBe(size);
    await w.consume(records);
    expect(await w.gauge()).toBe(size);
    await w.run([store(user, 'api', `${LONG}${LONG}`)]);
    const bigger = secretBytes(String(user), (await w.secrets.get(String(user), 'api'))!);
    expect(bigger).toBeGreaterThan(size);
    expect(await w.gauge()).toBe(bigger);
    const removal = w.records([remove(user, 'api')]);
    await w.consume(removal);
    await w.consume(removal);
    expect(await w.gauge()).toBe(0);
  });

  it('refuses a new secret past the plan with a clear answer, storing nothing; within it stores', async () => {
    const probe = planned(PLANS.free.limits.storedBytes);
    const someone = newUser();
    await probe.run([store(someone, 'api', LONG)]);
    const one = (await probe.gauge())!;
    const w = planned(one + 10);
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    expect(w.last(user)).toContain('Stored');
    expect(await w.gauge()).toBe(one);
    await w.run([store(user, 'other', LONG)]);
    expect(w.last(user)).toBe(
      '🔐 Not stored: this bot cannot store more right now. Delete a secret you no longer need with /delsecret, or try again later.',
    );
    expect(await rawItem(user, 'other')).toBeUndefined();
    expect(await w.gauge()).toBe(one);
    // The operators are told.
    expect(w.replies(7001).at(-1)).toContain('of stored data');
    await w.run([remove(user, 'api')]);
    await w.run([store(user, 'other', LONG)]);
    expect(await rawItem(user, 'other')).toBeDefined();
  });

  it('gives back what a secret the per-user limit keeps out held', async () => {
    const w = planned(PLANS.free.limits.storedBytes, { maxSecretsPerUser: 1 });
    const user = newUser();
    await w.run([store(user, 'a', LONG)]);
    const one = await w.gauge();
    await w.run([store(user, 'b', LONG)]);
    expect(w.last(user)).toBe('You already keep 1 secrets. Delete one with /delsecret first.');
    expect(await w.gauge()).toBe(one);
  });
});

describe('secret.delete', () => {
  it('deletes a secret and says so, then says there is none', async () => {
    const w = worker();
    const user = newUser();
    await w.run([store(user, 'api', LONG)]);
    await w.run([remove(user, 'api')]);
    expect(w.last(user)).toBe('🗑 Deleted <b>api</b>.');
    expect(await rawItem(user, 'api')).toBeUndefined();
    await w.run([remove(user, 'api')]);
    expect(w.last(user)).toBe('You have no secret named <b>api</b>.');
  });

  it('deletes only the asking user’s secret of that name', async () => {
    const w = worker();
    const [user, other] = [newUser(), newUser()];
    await w.run([store(user, 'api', LONG), store(other, 'api', LONG)]);
    await w.run([remove(user, 'api')]);
    expect(await rawItem(other, 'api')).toBeDefined();
  });
});

describe('vault jobs', () => {
  it('parks a vault job that names no user, answering no one', async () => {
    const w = worker();
    const result = await w.run([{ ...list(1), chatId: null, userId: null }]);
    expect(result).toEqual(noFailures);
    expect(w.parked.map((p) => p.code)).toEqual(['secret.no_user']);
    expect(w.queue.sent).toEqual([]);
  });

  it('parks a job with an invalid secret name', async () => {
    const w = worker();
    const user = newUser();
    const [record] = w.records([check(user, 'x')]);
    const body = JSON.parse(record!.body) as { payload: { name: string } };
    body.payload.name = 'no spaces';
    expect(await w.consume([{ ...record!, body: JSON.stringify(body) }])).toEqual(noFailures);
    expect(w.queue.sent).toEqual([]);
    expect(w.parked.map((p) => p.code)).toEqual(['job.invalid_payload']);
  });

  it('never put the plaintext in a job, a reply or a log line, whatever happens', async () => {
    const secret = 'PLAINTEXT-canary-7f3e9b21c4d5';
    const w = worker({ maxSecretsPerUser: 1 });
    const [user, other] = [newUser(), newUser()];
    const drafts = [store(user, 'canary', secret)];
    await w.run(drafts);
    await w.run([check(user, 'canary'), list(user)]);
    await w.run([store(user, 'second', secret)]); // over the limit
    await w.run([store(other, 'canary', secret, user)]); // sealed for someone else
    kms.setFault('unavailable');
    await w.run([store(user, 'canary', secret)]);
    await worker().run([check(user, 'canary')]);
    kms.setFault(null);
    await w.run([store(user, 'canary', `${secret}${'x'.repeat(2_000)}`)]); // too long for the vault
    await w.run([remove(user, 'canary')]);

    expect(w.replies().length).toBeGreaterThanOrEqual(6);
    const everything = JSON.stringify({
      drafts: drafts.map((d) => d.payload),
      sent: w.queue.sent,
      lines: w.log.lines,
    });
    for (const part of [secret, secret.slice(0, 12), secret.slice(-8)]) {
      expect(everything).not.toContain(part);
      expect(everything).not.toContain(Buffer.from(part).toString('base64'));
    }
    // The log did see the failures (so this checks real lines, not an empty log).
    expect(everything).toContain('keys.unavailable');
  });

  it('refuses a value over maxSecretBytes and stores nothing', async () => {
    const w = worker({ maxSecretBytes: 16 });
    const user = newUser();
    await w.run([store(user, 'big', 'x'.repeat(17))]);
    expect(await rawItem(user, 'big')).toBeUndefined();
    expect(w.last(user)).toBe('That value is too long (at most 16 bytes). Nothing was stored.');
  });
});
