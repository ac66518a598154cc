import {
  adminStatsHandler,
  adminUserHandlers,
  DynamoSeenUsers,
  DynamoStatsCounters,
  rpcCounterFlusher,
  userSeenHandler,
} from '../../core/desk/admin/index.js';
import {
  DepositCheckJob,
  DepositPollJob,
  DepositRequestJob,
  DynamoDepositStore,
  depositHandlers,
  TreasuryQrJob,
  treasuryQrHandler,
} from '../../core/desk/deposits/index.js';
import { idleTick, switchedOff } from '../../core/desk/features.js';
import { DynamoLedger, LedgerHistoryJob, ledgerHandlers } from '../../core/desk/ledger/index.js';
import {
  DynamoPayoutStore,
  PayoutCancelJob,
  PayoutCooledJob,
  PayoutPrepareJob,
  PayoutRequestJob,
  payoutChainHandlers,
  txSendHandler,
} from '../../core/desk/payouts/index.js';
import { createPriceSource, PRICED_MINTS } from '../../core/desk/prices/index.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { DynamoTxStore, Web3SolanaGateway } from '../../core/desk/solana/index.js';
import {
  DynamoWalletBook,
  walletBalanceHandler,
  walletUnlinkHandler,
  walletVerifyHandler,
} from '../../core/desk/wallets/index.js';
import {
  DynamoWatchStore,
  WatchAddJob,
  WatchCheckJob,
  WatchLangJob,
  WatchListJob,
  WatchPollJob,
  WatchRemoveJob,
  watchHandlers,
} from '../../core/desk/watches/index.js';
import { type InspectedQueues, type JobHandler, SqsJobQueue, SqsQueueDepths } from '../../core/platform/jobs/index.js';
import type { Logger } from '../../core/platform/log.js';
import { createRpcPool, DynamoRpcCache, parseRpcEndpoints } from '../../core/platform/rpc/index.js';
import { DynamoSessionStore } from '../../core/platform/sessions/index.js';
import { DynamoTenantRegistry, scopeToTenant, type TenantId } from '../../core/platform/tenants/index.js';
import { DynamoUserDirectory } from '../../core/platform/users/index.js';
import { composeConsumer } from './compose.js';
import type { RpcWorkerConfig } from './config.js';
import { tenantQuotas } from './quota.js';
import { dynamoClient, sqsClient } from './runtime.js';
import { tenantSettings } from './tenants.js';

/**
 * The rpc worker's object graph: one RPC pool per container (its rate share is
 * cap ÷ the queue's maximum concurrency), the web3.js gateway over it, the price source under the
 * same rules (and the same shared cache), and the job handlers.
 * Kept apart from `compose.ts` so web3.js never reaches the webhook bundle.
 *
 * It also answers the admins' `/stats` (it alone may read the depth of every queue, `inspected`)
 * and moves the pool's counters into the shared stats counters (`counters.flush()`: the handler
 * calls it after a batch at most once a minute, and `/stats` before it reads).
 */
export function composeRpcWorker(config: RpcWorkerConfig, log: Logger, inspected: InspectedQueues) {
  const { settings, tableName } = config;
  // Deployment-wide: the RPC pool, its cache and its counters serve every tenant.
  const dynamo = dynamoClient();
  const shared = { client: dynamo, tableName };
  const sqs = sqsClient();
  const cache = new DynamoRpcCache(shared);
  const pool = createRpcPool({
    endpoints: parseRpcEndpoints(config.solanaRpcUrls),
    maxConcurrency: settings.queues.rpc.maxConcurrency,
    settings: settings.solana,
    cache,
    log,
  });
  const prices = createPriceSource({
    sources: parseRpcEndpoints(config.priceUrls, 'PRICE_URLS'),
    mints: PRICED_MINTS,
    maxConcurrency: settings.queues.rpc.maxConcurrency,
    cache,
    log,
  });
  const solana = new Web3SolanaGateway({ fetch: pool.fetch, commitment: settings.solana.commitment });
  const queue = new SqsJobQueue({ client: sqs, queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const rpcCounters = new DynamoStatsCounters(shared);
  const counters = rpcCounterFlusher({ stats: () => pool.stats(), counters: rpcCounters, log });
  /** One tenant's handlers: its own items (scoped keys) over the shared pool. */
  const settingsOf = tenantSettings({
    client: dynamo,
    tableName,
    home: { adminUserIds: config.adminUserIds, treasury: { address: config.treasuryAddress } },
  });
  const quotaOf = tenantQuotas({ ...shared, queue, log });
  const handlers = async (tenant: TenantId): Promise<readonly JobHandler[]> => {
    const { adminUserIds: admins, treasury, features, record } = await settingsOf(tenant);
    const quota = quotaOf(tenant, record);
    const stores = { client: scopeToTenant(dynamo, tenant), tableName };
    const statsCounters = new DynamoStatsCounters(stores);
    const seen = new DynamoSeenUsers(stores);
    const users = new DynamoUserDirectory(stores);
    const book = new DynamoWalletBook(stores);
    const ledger = new DynamoLedger(stores);
    const payouts = new DynamoPayoutStore(stores);
    // The webhook's sessions: an admin's block is a flag in them, and a linked non-wallet leaves them.
    const sessions = new DynamoSessionStore({
      ...stores,
      sessionIdleSeconds: settings.retention.sessionIdleSeconds,
      updateDedupeSeconds: settings.retention.updateDedupeSeconds,
    });
    return [
      walletVerifyHandler({ solana, queue, book, sessions }),
      walletBalanceHandler({ solana, queue, prices }),
      walletUnlinkHandler({ book }),
      // The bot's own treasury: deposits to it, its QR, payouts from it, and the ledger they move. A bot
      // without payouts has none: a job of theirs is parked (`feature.off`), and its deposit poll (the
      // schedule's tick, fanned out to every bot) has nothing to scan.
      ...(treasury
        ? [
            ...depositHandlers({
              solana,
              queue,
              deposits: new DynamoDepositStore(stores),
              treasury: treasury.address,
              settings: settings.deposits,
            }),
            treasuryQrHandler({ admins, queue, treasury: treasury.address }),
            ...payoutChainHandlers({
              ledger,
              store: payouts,
              book,
              solana,
              queue,
              settings: settings.payouts,
              treasury: treasury.address,
            }),
            ...ledgerHandlers({ ledger, queue, payouts, prices }),
          ]
        : [
            ...switchedOff('payouts', [
              DepositRequestJob,
              DepositCheckJob,
              TreasuryQrJob,
              PayoutRequestJob,
              PayoutCooledJob,
              PayoutCancelJob,
              PayoutPrepareJob,
              LedgerHistoryJob,
            ]),
            idleTick(DepositPollJob),
          ]),
      txSendHandler({
        solana,
        queue,
        store: new DynamoTxStore(stores),
        // Leave a third of the function timeout for the rest of the batch and the shutdown.
        budgetMs: (settings.queues.rpc.timeoutSeconds * 1000 * 2) / 3,
        resendEveryMs: settings.solana.resendEveryMs,
      }),
      // A bot without watches: its watch jobs are parked, its poll (the schedule's tick) has nothing to do.
      ...(features.watches
        ? watchHandlers({
            store: new DynamoWatchStore(stores),
            solana,
            queue,
            pollMinutes: settings.solana.watchPollMinutes,
            quota,
          })
        : [
            ...switchedOff('watches', [WatchAddJob, WatchRemoveJob, WatchListJob, WatchCheckJob, WatchLangJob]),
            idleTick(WatchPollJob),
          ]),
      ...adminUserHandlers({
        admins,
        directory: users,
        sessions,
        ledger,
        wallets: book,
        queue,
      }),
      adminStatsHandler({
        admins,
        users,
        seen,
        queues: new SqsQueueDepths({ client: sqs, queues: inspected }),
        // The RPC pool's counters are the deployment's (one pool for every tenant); Telegram's, the bot's own.
        counters: {
          totals: (series, since) => (series === 'rpc' ? rpcCounters : statsCounters).totals(series, since),
        },
        pending: { deposits: () => ledger.pendingDeposits(), payouts: () => payouts.countOpen() },
        wallets: () => book.count(),
        queue,
        flush: () => counters.flush(),
      }),
      userSeenHandler(seen),
    ];
  };
  // A schedule's tick (watch and deposit polls) runs once for every active tenant.
  const registry = new DynamoTenantRegistry(shared);
  const fanOut = { tenants: () => registry.active(), queue, queueName: 'rpc' };
  return { consume: composeConsumer('rpc', config, handlers, log, fanOut), pool, counters };
}
