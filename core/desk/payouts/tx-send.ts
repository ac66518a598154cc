import * as z from 'zod/mini';
import { PoisonJobError, TransientError } from '../../platform/errors.js';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob, emitFrom, handle, type JobQueue } from '../../platform/jobs/index.js';
import { notice } from '../../platform/telegram/index.js';
import { jobTranslator } from '../i18n.js';
import type { SolanaGateway, TxStatus, TxStore } from '../solana/index.js';
import { firstSignature, MAX_TRANSACTION_BYTES } from '../solana/index.js';
import { PayoutIdSchema, PayoutSettleJob } from './jobs.js';

/**
 * Sends an already signed transaction and follows it to a final status. Whoever signs (the KMS
 * signer, for payouts) enqueues this with the signed bytes and the blockhash's
 * `lastValidBlockHeight`; this job never signs anything.
 */
export const TxSendJob = defineJob('tx.send', 'rpc', () =>
  z.object({
    /** Signed wire bytes, base64. */
    transaction: z.string().check(z.minLength(1), z.maxLength(Math.ceil(MAX_TRANSACTION_BYTES / 3) * 4)),
    lastValidBlockHeight: z.int().check(z.minimum(0)),
    /** Who to tell the outcome, if anyone. */
    notify: z.optional(z.object({ chatId: z.int(), lang: z.enum(LANGUAGES) })),
    /** The payout this transaction pays: its outcome goes back to the signer as `payout.settle`. */
    payoutId: z.optional(PayoutIdSchema),
  }),
);

export interface TxSendDeps {
  solana: SolanaGateway;
  store: TxStore;
  queue: JobQueue;
  /** Time one invocation may spend resending before handing the job back to the queue. */
  budgetMs: number;
  /** Pause between resends of the same bytes (Solana drops unconfirmed transactions readily). */
  resendEveryMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * `tx.send`: records the signature and `lastValidBlockHeight` first, then resends the same
 * signed bytes until the signature is confirmed or the block height passes the limit, and
 * records the outcome once. A redelivered job finds its record and resumes with the same bytes
 * (or just reports a final outcome); it can never send a different transaction, since the
 * record fixes the signature. When the invocation's budget runs out first, the job fails as
 * transient and SQS brings it back to continue.
 */
export function txSendHandler(deps: TxSendDeps) {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  async function follow(
    signature: string,
    bytes: Uint8Array,
    lastValidBlockHeight: number,
  ): Promise<Exclude<TxStatus, 'sending'>> {
    const deadline = now() + deps.budgetMs;
    for (;;) {
      const status = await deps.solana.getSignatureStatus(signature);
      if (status && status.status !== 'processed') return status.failed ? 'failed' : 'confirmed';
      if ((await deps.solana.getBlockHeight()) > lastValidBlockHeight) {
        // The blockhash expired: one last look, since it may have landed in the final blocks.
        const last = await deps.solana.getSignatureStatus(signature);
        if (!last) return 'expired';
        if (last.status !== 'processed') return last.failed ? 'failed' : 'confirmed';
      } else {
        await deps.solana.sendRawTransaction(bytes);
      }
      if (now() + deps.resendEveryMs > deadline) {
        throw new TransientError('tx.pending', `transaction ${signature} not final yet; will continue`);
      }
      await sleep(deps.resendEveryMs);
    }
  }

  return handle(TxSendJob, async (job, log) => {
    const bytes = Buffer.from(job.payload.transaction, 'base64');
    const signature = firstSignature(bytes);
    const record = await deps.store.begin({
      jobId: job.id,
      signature,
      lastValidBlockHeight: job.payload.lastValidBlockHeight,
    });
    if (record.signature !== signature) {
      // The store fixes one signature per job: never send a second, different transaction.
      throw new PoisonJobError('tx.resigned', `job ${job.id} already sent ${record.signature}`);
    }
    const outcome =
      record.status === 'sending' ? await follow(signature, bytes, record.lastValidBlockHeight) : record.status;
    await deps.store.finish(job.id, outcome);
    log.info('tx.final', { signature, outcome });
    const target = job.payload.notify;
    const { payoutId } = job.payload;
    await emitFrom(deps.queue, job, [
      ...(target
        ? [notice(target.chatId, job.userId, jobTranslator(target.lang)(`tx.${outcome}`, { signature }))]
        : []),
      ...(payoutId
        ? [{ job: PayoutSettleJob, payload: { payoutId, signature, outcome }, chatId: null, userId: job.userId }]
        : []),
    ]);
  });
}
