import { DynamoDepositStore, DynamoLedger, DynamoTxStore } from '../../core/adapters/dynamodb-ledger.js';
import { DynamoPayoutStore, DynamoWalletBook } from '../../core/adapters/dynamodb-payouts.js';
import { DynamoRpcCache } from '../../core/adapters/dynamodb-rpc-cache.js';
import { DynamoWatchStore } from '../../core/adapters/dynamodb-watch-store.js';
import { Web3SolanaGateway } from '../../core/adapters/solana-web3.js';
import { SqsJobQueue } from '../../core/adapters/sqs.js';
import type { RpcWorkerConfig } from '../../core/config.js';
import { depositScanHandler } from '../../core/deposit/scan.js';
import { ledgerHandlers } from '../../core/ledger/handlers.js';
import type { Logger } from '../../core/log.js';
import { payoutChainHandlers } from '../../core/payouts/handlers.js';
import { fifoQueues } from '../../core/settings.js';
import { parseRpcEndpoints } from '../../core/solana/endpoints.js';
import { createRpcPool } from '../../core/solana/pool.js';
import { txSendHandler } from '../../core/solana/tx-send.js';
import { walletBalanceHandler, walletUnlinkHandler, walletVerifyHandler } from '../../core/wallet/handlers.js';
import { watchHandlers } from '../../core/watch/handlers.js';
import { composeConsumer } from './compose.js';
import { dynamoClient, sqsClient } from './runtime.js';

/**
 * The rpc worker's object graph: one RPC pool per container (its rate share is
 * cap ÷ the queue's maximum concurrency), the web3.js gateway over it, and the job handlers.
 * Kept apart from `compose.ts` so web3.js never reaches the webhook bundle.
 */
export function composeRpcWorker(config: RpcWorkerConfig, log: Logger) {
  const { settings, tableName } = config;
  const dynamo = dynamoClient();
  const pool = createRpcPool({
    endpoints: parseRpcEndpoints(config.solanaRpcUrls),
    maxConcurrency: settings.queues.rpc.maxConcurrency,
    settings: settings.solana,
    cache: new DynamoRpcCache({ client: dynamo, tableName }),
    log,
  });
  const solana = new Web3SolanaGateway({ fetch: pool.fetch, commitment: settings.solana.commitment });
  const queue = new SqsJobQueue({ client: sqsClient(), queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const book = new DynamoWalletBook({ client: dynamo, tableName });
  const ledger = new DynamoLedger({ client: dynamo, tableName });
  const handlers = [
    walletVerifyHandler({ solana, queue, book }),
    walletBalanceHandler({ solana, queue }),
    walletUnlinkHandler({ book }),
    depositScanHandler({
      solana,
      queue,
      deposits: new DynamoDepositStore({ client: dynamo, tableName }),
      treasury: config.treasuryAddress,
    }),
    txSendHandler({
      solana,
      queue,
      store: new DynamoTxStore({ client: dynamo, tableName }),
      // Leave a third of the function timeout for the rest of the batch and the shutdown.
      budgetMs: (settings.queues.rpc.timeoutSeconds * 1000 * 2) / 3,
      resendEveryMs: 2_000,
    }),
    ...watchHandlers({ store: new DynamoWatchStore({ client: dynamo, tableName }), solana, queue }),
    ...ledgerHandlers({ ledger, queue }),
    ...payoutChainHandlers({
      ledger,
      store: new DynamoPayoutStore({ client: dynamo, tableName }),
      book,
      solana,
      queue,
      settings: settings.payouts,
      treasury: config.treasuryAddress,
    }),
  ];
  return { consume: composeConsumer('rpc', config, handlers, log), pool };
}
