import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Keypair } from '@solana/web3.js';
import { DynamoDepositStore } from '../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import { payoutChainHandlers, payoutIdOf, payoutSignerHandlers } from '../../core/desk/payouts/handlers.js';
import { PayoutDecideJob, PayoutRequestJob } from '../../core/desk/payouts/jobs.js';
import { txSendHandler } from '../../core/desk/payouts/tx-send.js';
import { type PayoutSettings, stageSettings } from '../../core/desk/settings.js';
import { encodeBase58 } from '../../core/desk/solana/address.js';
import { DynamoTxStore } from '../../core/desk/solana/dynamodb-tx-store.js';
import { firstSignature } from '../../core/desk/solana/transaction.js';
import { DynamoWalletBook } from '../../core/desk/wallets/dynamodb-book.js';
import { type BatchResult, createConsumer, type QueueRecord } from '../../core/platform/jobs/consumer.js';
import type { ParkReason } from '../../core/platform/jobs/dead-letters.js';
import { type JobDraft, type JobEnvelope, sealJobs } from '../../core/platform/jobs/envelope.js';
import { KeyServiceUnavailableError } from '../../core/platform/keys/errors.js';
import type { SigningKey } from '../../core/platform/keys/ports.js';
import { kmsPayoutSigner } from '../../functions/lib/compose-keys.js';
import { creditDeposit } from './deposits.js';
import { MemoryJobQueue, memoryLogger } from './fakes.js';
import type { LocalTable } from './local-table.js';
import { FakeSolana } from './solana-fake.js';
import { TEST_TENANT } from './tenants.js';

/** The admins the signer of payout tests knows (`ADMIN_USER_IDS`). */
export const PAYOUT_TEST_ADMINS: ReadonlySet<number> = new Set([42, 43, 44]);

/** What a sent transaction does on the fake chain: lands, lands failed, or is dropped until its blockhash expires. */
export type Landing = 'confirm' | 'fail' | 'drop';

/**
 * The fake chain of the payout tests: real-looking blockhashes (base58 of 32 bytes, a new one per
 * call), and sent transactions that land (or fail, or are dropped) as `landing` says.
 */
export class PayoutChain extends FakeSolana {
  landing: Landing = 'confirm';
  readonly blockhashes: string[] = [];

  override async getLatestBlockhash() {
    const blockhash = encodeBase58(createHash('sha256').update(`blockhash ${this.blockhashes.length}`).digest());
    this.blockhashes.push(blockhash);
    return { blockhash, lastValidBlockHeight: this.blockHeight + 150 };
  }

  override async sendRawTransaction(bytes: Uint8Array) {
    this.sent.push(bytes);
    const signature = firstSignature(bytes);
    if (this.landing === 'drop')
      this.blockHeight += 1_000; // the blockhash expires before it lands
    else
      this.statuses.set(signature, { slot: 1, confirmations: 1, status: 'confirmed', failed: this.landing === 'fail' });
    return signature;
  }
}

/**
 * An Ed25519 `SigningKey` held in memory (standing in for the treasury's KMS key): real,
 * deterministic signatures. `down` makes it fail as KMS does when unreachable: only `sign`, or
 * `publicKey` too (a cold signer that has not cached it).
 */
export function memorySigningKey() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  const state = { down: false as false | 'sign' | 'all', signs: 0 };
  const unavailable = () => new KeyServiceUnavailableError('KMS Sign: the key service is unavailable');
  const key: SigningKey = {
    async publicKey() {
      if (state.down === 'all') throw unavailable();
      return raw.slice();
    },
    async sign(message) {
      if (state.down) throw unavailable();
      state.signs++;
      return new Uint8Array(sign(null, message, privateKey));
    },
  };
  return { key, state, address: encodeBase58(raw) };
}

const HANDLED = new Set([
  'payout.request',
  'payout.cooled',
  'payout.cancel',
  'payout.decide',
  'payout.prepare',
  'payout.sign',
  'payout.settle',
  'tx.send',
]);
let harnesses = 0;

export interface PayoutHarnessOptions {
  /** Lamports in the treasury (default 100 SOL). */
  treasuryLamports?: bigint;
  settings?: Partial<PayoutSettings>;
  /** The configured treasury address, when it should differ from the signing key's. */
  treasury?: string;
  /** The user's internal balance, credited through a confirmed deposit (default 1,000 SOL). */
  balanceLamports?: bigint;
  /** The explorer link template (`EXPLORER_TX_URL`); `null`: none. */
  explorerTxUrl?: string | null;
}

/**
 * The whole payout flow on one in-process "queue": the rpc worker's and the signer's payout
 * handlers and `tx.send`, behind one consumer, over real DynamoDB adapters (dynalite), a fake
 * chain and an in-memory Ed25519 key. Each harness has its own user and job ids, so tests can
 * share one table.
 */
export function payoutHarness(table: LocalTable, options: PayoutHarnessOptions = {}) {
  const n = ++harnesses;
  const userId = 7_000 + n;
  // No cooling-off unless a test asks for it (its own tests do).
  const settings: PayoutSettings = { ...stageSettings('test').payouts, coolingSeconds: 0, ...options.settings };
  const db = { client: table.client, tableName: table.tableName };
  const store = new DynamoPayoutStore(db);
  const book = new DynamoWalletBook(db);
  const ledger = new DynamoLedger(db);
  const solana = new PayoutChain();
  const signingKey = memorySigningKey();
  const treasury = options.treasury ?? signingKey.address;
  solana.wallet(signingKey.address, options.treasuryLamports ?? 100_000_000_000n);
  if (treasury !== signingKey.address) solana.wallet(treasury, options.treasuryLamports ?? 100_000_000_000n);
  const queue = new MemoryJobQueue();
  const log = memoryLogger();
  /** Added to the wall clock the handlers see (not to job `createdAt`s, which are real). */
  const clock = { offsetMs: 0 };
  const now = () => Date.now() + clock.offsetMs;
  const parked: { record: QueueRecord; reason: ParkReason }[] = [];
  const delayed: { messageIds: string[]; seconds: number }[] = [];
  const explorerTxUrl =
    options.explorerTxUrl === null ? undefined : (options.explorerTxUrl ?? 'https://explorer.test/tx/{signature}');

  const consume = createConsumer(
    [
      ...payoutChainHandlers({ store, ledger, book, solana, queue, settings, treasury, now }),
      ...payoutSignerHandlers({
        admins: PAYOUT_TEST_ADMINS,
        store,
        ledger,
        signer: kmsPayoutSigner(signingKey.key),
        queue,
        settings,
        treasury,
        explorerTxUrl,
        now,
      }),
      txSendHandler({
        solana,
        store: new DynamoTxStore(db),
        queue,
        budgetMs: 60_000,
        resendEveryMs: 0,
        sleep: async () => {},
      }),
    ],
    log,
    { park: async (record, reason) => void parked.push({ record, reason }) },
    {
      retryAfter: async (records, seconds) =>
        void delayed.push({ messageIds: records.map((r) => r.messageId), seconds }),
    },
  );

  let deliveries = 0;
  /** Delivers jobs as one batch (one record each), as SQS would. */
  const deliver = (...envelopes: JobEnvelope[]): Promise<BatchResult> =>
    consume(
      envelopes.map((envelope) => ({
        messageId: `m${++deliveries}:${envelope.id}`,
        receiptHandle: `r${deliveries}`,
        body: JSON.stringify(envelope),
        attributes: { ApproximateReceiveCount: '1' },
      })),
    );

  const taken = new Set<number>();
  /** Jobs the handlers emitted for the payout flow that no one has delivered yet, in order. */
  const pending = (type?: string): JobEnvelope[] =>
    queue.sent
      .map((job, index) => ({ envelope: job.envelope, index }))
      .filter(
        ({ envelope, index }) => !taken.has(index) && HANDLED.has(envelope.type) && (!type || envelope.type === type),
      )
      .map(({ envelope }) => envelope);
  /** Takes the pending jobs of `type` out of the queue (for a test to deliver as it likes). */
  const take = (type: string): JobEnvelope[] => {
    const out: JobEnvelope[] = [];
    queue.sent.forEach((job, index) => {
      if (!taken.has(index) && job.envelope.type === type) {
        taken.add(index);
        out.push(job.envelope);
      }
    });
    return out;
  };
  /**
   * Delivers pending flow jobs one at a time, and what they emit, until none is left but those of
   * the `stopAt` types. Returns the batch failures seen (none, normally).
   */
  async function drain(stopAt: readonly string[] = []): Promise<string[]> {
    const failures: string[] = [];
    for (;;) {
      const index = queue.sent.findIndex(
        (job, i) => !taken.has(i) && HANDLED.has(job.envelope.type) && !stopAt.includes(job.envelope.type),
      );
      if (index < 0) return failures;
      taken.add(index);
      const result = await deliver(queue.sent[index]!.envelope);
      failures.push(...result.batchItemFailures.map((f) => f.itemIdentifier));
    }
  }

  /** Every job of `type` emitted so far (delivered or not). */
  const emitted = (type: string): JobEnvelope[] =>
    queue.sent.filter((job) => job.envelope.type === type).map((job) => job.envelope);
  /** Messages to the user: their job ids and texts. */
  const notices = () =>
    emitted('telegram.send').map((envelope) => ({
      id: envelope.id,
      chatId: envelope.chatId,
      text: (envelope.payload as { calls: { params: { text: string } }[] }).calls[0]!.params.text,
    }));
  /** Admin events: their job ids and payloads. */
  const events = () =>
    emitted('admin.event').map((envelope) => ({
      id: envelope.id,
      ...(envelope.payload as {
        kind: string;
        facts: [string, string][];
        actions?: { text: string; data: string }[];
      }),
    }));

  let sealed = 0;
  const seal = (draft: JobDraft, idPrefix = `h${n}-${++sealed}`, at = new Date()): JobEnvelope =>
    sealJobs([draft], { idPrefix, traceId: idPrefix, tenant: TEST_TENANT, now: at })[0]!.envelope;

  /** A verified wallet of the harness's user. */
  const recipient = Keypair.generate().publicKey.toBase58();
  const ready = Promise.all([book.add(userId, recipient), credit(options.balanceLamports ?? 1_000_000_000_000n)]);

  /** Credits the user's internal balance the way users get one: a deposit, confirmed. */
  async function credit(lamports: bigint): Promise<void> {
    if (lamports === 0n) return;
    const signature = `harness-deposit-${userId}`;
    await creditDeposit(new DynamoDepositStore(db), { signature, userId, lamports });
  }

  /** A `payout.request` job of the user (not delivered), and the id of the payout it makes. */
  async function request(lamports: bigint, wallet = recipient) {
    await ready;
    const job = seal({
      job: PayoutRequestJob,
      payload: { wallet, lamports: String(lamports), lang: 'en' },
      chatId: userId,
      userId,
    });
    return { job, payoutId: payoutIdOf(job.id) };
  }

  /** The job an admin's button press makes (not delivered); the admin gate puts the acting admin in `userId` too. */
  const decide = (payoutId: string, approve: boolean, adminId = 42, adminName = 'Ann') =>
    seal({ job: PayoutDecideJob, payload: { payoutId, approve, adminId, adminName }, chatId: null, userId: adminId });

  /** Whether `lamports` more would still fit in the user's cap today (probes with a throwaway reservation). */
  async function capRoom(lamports: bigint, day = new Date().toISOString().slice(0, 10)): Promise<boolean> {
    const probe = { userId, day, payoutId: `probe${++sealed}`, lamports };
    const result = await store.reserve({ ...probe, capLamports: BigInt(settings.dailyCapLamports) });
    if (result.ok) await store.release(probe);
    return result.ok;
  }

  return {
    ledger,
    userId,
    settings,
    store,
    book,
    solana,
    signingKey,
    treasury,
    queue,
    log,
    clock,
    parked,
    delayed,
    recipient,
    explorerTxUrl,
    deliver,
    pending,
    take,
    drain,
    emitted,
    notices,
    events,
    seal,
    request,
    decide,
    capRoom,
  };
}

export type PayoutHarness = ReturnType<typeof payoutHarness>;
