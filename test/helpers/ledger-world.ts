import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Keypair, SystemInstruction, SystemProgram, Transaction } from '@solana/web3.js';
import { DynamoDepositStore } from '../../core/desk/deposits/dynamodb-store.js';
import { DynamoLedger } from '../../core/desk/ledger/dynamodb-ledger.js';
import { DynamoPayoutStore } from '../../core/desk/payouts/dynamodb-store.js';
import { payoutChainHandlers, payoutIdOf, payoutSignerHandlers } from '../../core/desk/payouts/handlers.js';
import { PayoutCancelJob, PayoutDecideJob, PayoutRequestJob } from '../../core/desk/payouts/jobs.js';
import { txSendHandler } from '../../core/desk/payouts/tx-send.js';
import { type PayoutSettings, stageSettings } from '../../core/desk/settings.js';
import { DynamoTxStore } from '../../core/desk/solana/dynamodb-tx-store.js';
import { firstSignature } from '../../core/desk/solana/transaction.js';
import { DynamoWalletBook } from '../../core/desk/wallets/dynamodb-book.js';
import { TransientError } from '../../core/platform/errors.js';
import { createConsumer } from '../../core/platform/jobs/consumer.js';
import { type JobDraft, type JobEnvelope, sealJobs } from '../../core/platform/jobs/envelope.js';
import { kmsPayoutSigner } from '../../functions/lib/compose-keys.js';
import { localClientConfig } from '../../local/aws/common.js';
import { creditDeposit } from './deposits.js';
import { MemoryJobQueue, memoryLogger } from './fakes.js';
import type { LocalTable } from './local-table.js';
import { type Landing, memorySigningKey, PayoutChain } from './payout-fakes.js';
import { TEST_TENANT } from './tenants.js';

/** The job types of the money flow that the world's one consumer runs. */
const MONEY_JOBS = new Set([
  'payout.request',
  'payout.cooled',
  'payout.cancel',
  'payout.decide',
  'payout.prepare',
  'payout.sign',
  'payout.settle',
  'tx.send',
]);

/**
 * A crash injected into the next delivery: the `at`-th DynamoDB call fails, before it reaches the
 * table or after the table applied it (the worker dies before it hears back).
 */
export interface Crash {
  readonly at: number;
  readonly applied: boolean;
}

let worlds = 0;

/**
 * Several users, the treasury and the whole money flow (the rpc worker's and the signer's payout
 * handlers, `tx.send`) over real DynamoDB adapters on dynalite, a fake chain, an in-memory Ed25519
 * key and an SQS-like queue that the test drives: it picks which pending job is delivered, delivers
 * done jobs again (at-least-once delivery), and crashes workers mid-job. Every DynamoDB call goes
 * through a client whose middleware can fail the n-th call.
 */
export function ledgerWorld(table: LocalTable, options: { users: number; settings?: Partial<PayoutSettings> }) {
  const n = ++worlds;
  const crash = { left: -1, applied: false };
  const client = new DynamoDBClient({ ...localClientConfig(table.db.endpoint), maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      if (crash.left < 0) return next(args);
      if (crash.left-- > 0) return next(args);
      crash.left = -1;
      if (!crash.applied) throw new Error('worker crashed before the call');
      await next(args);
      throw new Error('worker crashed after the call');
    },
    { step: 'initialize', name: 'crashInjector' },
  );
  const db = { client, tableName: table.tableName };
  const settings: PayoutSettings = { ...stageSettings('test').payouts, ...options.settings };
  const store = new DynamoPayoutStore(db);
  const book = new DynamoWalletBook(db);
  const ledger = new DynamoLedger(db);
  const deposits = new DynamoDepositStore(db);
  const chain = new PayoutChain();
  const key = memorySigningKey();
  const treasury = key.address;
  const queue = new MemoryJobQueue();
  const consume = createConsumer(
    [
      ...payoutChainHandlers({ store, ledger, book, solana: chain, queue, settings, treasury }),
      ...payoutSignerHandlers({
        store,
        ledger,
        signer: kmsPayoutSigner(key.key),
        queue,
        settings,
        treasury,
        explorerTxUrl: 'https://explorer.test/tx/{signature}',
        admins: new Set([42]),
      }),
      txSendHandler({
        solana: chain,
        store: new DynamoTxStore(db),
        queue,
        budgetMs: 60_000,
        resendEveryMs: 0,
        sleep: async () => {},
      }),
    ],
    memoryLogger(),
    { park: async () => undefined },
    { retryAfter: async () => undefined },
  );

  const users = Array.from({ length: options.users }, (_, i) => ({
    id: 90_000 + n * 100 + i,
    wallet: Keypair.generate().publicKey.toBase58(),
  }));
  const ready = Promise.all(users.map((u) => book.add(u.id, u.wallet)));

  /** Jobs sent and not yet handled successfully, and those handled (which SQS may still deliver again). */
  const pending: JobEnvelope[] = [];
  const done: JobEnvelope[] = [];
  let taken = 0;
  let deliveries = 0;
  /** What the model knows: lamports credited to each user by deposits, and every payout id asked for. */
  const credited = new Map<number, bigint>();
  const payoutIds: string[] = [];
  let sealed = 0;

  const collect = () => {
    for (; taken < queue.sent.length; taken++) {
      const job = queue.sent[taken]!.envelope;
      if (MONEY_JOBS.has(job.type)) pending.push(job);
    }
  };
  const seal = (draft: JobDraft): JobEnvelope =>
    sealJobs([draft], { idPrefix: `w${n}-${++sealed}`, traceId: `w${n}`, tenant: TEST_TENANT, now: new Date() })[0]!
      .envelope;

  /** Delivers one job; true when it was handled (it then counts as done), false when it failed and stays pending. */
  async function deliver(job: JobEnvelope, fault?: Crash): Promise<boolean> {
    if (fault) Object.assign(crash, { left: fault.at, applied: fault.applied });
    try {
      const result = await consume([
        {
          messageId: `m${++deliveries}`,
          receiptHandle: `r${deliveries}`,
          body: JSON.stringify(job),
          attributes: { ApproximateReceiveCount: '1' },
        },
      ]);
      return result.batchItemFailures.length === 0;
    } finally {
      crash.left = -1;
      collect();
    }
  }

  return {
    ledger,
    store,
    chain,
    treasury,
    users,
    settings,
    pending,
    done,
    credited,
    payoutIds,
    ready,
    /**
     * Credits a user the way a confirmed deposit does (its own signature, credited once); a transient
     * failure (a transaction cancelled by a conflict) is tried again, as SQS redelivers the deposit's job.
     */
    async deposit(user: number, lamports: bigint, signature = `w${n}-deposit-${++sealed}`) {
      const u = users[user]!;
      let decision: Awaited<ReturnType<typeof creditDeposit>> | undefined;
      for (let tries = 1; decision === undefined; tries++) {
        try {
          decision = await creditDeposit(deposits, { signature, userId: u.id, lamports });
        } catch (error) {
          if (!(error instanceof TransientError) || tries === 20) throw error;
        }
      }
      if (decision.outcome === 'credited') credited.set(u.id, (credited.get(u.id) ?? 0n) + lamports);
      return decision.outcome;
    },
    /** The user asks to withdraw (the job is queued, not delivered). */
    withdraw(user: number, lamports: bigint) {
      const u = users[user]!;
      const job = seal({
        job: PayoutRequestJob,
        payload: { wallet: u.wallet, lamports: String(lamports), lang: 'en' },
        chatId: u.id,
        userId: u.id,
      });
      payoutIds.push(payoutIdOf(job.id));
      pending.push(job);
    },
    decide(payout: number, approve: boolean, adminId = 42) {
      const payoutId = payoutIds[payout % payoutIds.length]!;
      pending.push(
        seal({
          job: PayoutDecideJob,
          payload: { payoutId, approve, adminId, adminName: 'Ann' },
          chatId: null,
          userId: null,
        }),
      );
    },
    cancel(payout: number, user: number) {
      const payoutId = payoutIds[payout % payoutIds.length]!;
      const u = users[user]!;
      pending.push(seal({ job: PayoutCancelJob, payload: { payoutId }, chatId: u.id, userId: u.id }));
    },
    /** Delivers the `index`-th pending job (modulo), optionally crashing the worker mid-job. */
    async deliverPending(index: number, fault?: Crash) {
      if (pending.length === 0) return;
      const [job] = pending.splice(index % pending.length, 1);
      if (await deliver(job!, fault)) done.push(job!);
      else pending.push(job!);
    },
    /** SQS delivers an already handled job again; should that delivery fail, the message comes back until handled. */
    async redeliver(index: number) {
      if (done.length === 0) return;
      const job = done[index % done.length]!;
      if (!(await deliver(job))) pending.push(job);
    },
    setTreasury(lamports: bigint) {
      chain.wallet(treasury, lamports);
    },
    setLanding(landing: Landing) {
      chain.landing = landing;
    },
    /** Delivers every pending job, without faults, until none is left (bounded). */
    async drain(maxSteps = 500) {
      for (let step = 0; pending.length > 0 && step < maxSteps; step++) await this.deliverPending(0);
      return pending.length;
    },
    /** Lamports that left the treasury in transactions that landed. */
    outflow(): bigint {
      const landed = new Map<string, bigint>();
      for (const bytes of chain.sent) {
        const signature = firstSignature(bytes);
        const status = chain.statuses.get(signature);
        if (!status || status.failed) continue;
        const tx = Transaction.from(Buffer.from(bytes));
        const transfer = tx.instructions.find((i) => i.programId.equals(SystemProgram.programId));
        if (transfer) landed.set(signature, BigInt(SystemInstruction.decodeTransfer(transfer).lamports));
      }
      return [...landed.values()].reduce((a, b) => a + b, 0n);
    },
    stop: () => client.destroy(),
  };
}

export type LedgerWorld = ReturnType<typeof ledgerWorld>;
