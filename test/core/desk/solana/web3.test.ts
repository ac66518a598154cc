import { Connection, Keypair, SolanaJSONRPCError } from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { RpcUnavailableError } from '../../../../core/platform/rpc/errors.js';
import { createRpcPool, type RpcPool } from '../../../../core/platform/rpc/pool.js';
import { type JsonRpcTestServer, startJsonRpcServer } from '../../../helpers/jsonrpc-server.js';

let server: JsonRpcTestServer;
let pool: RpcPool;
let connection: Connection;
const blockhash = Keypair.generate().publicKey.toBase58();
const owner = Keypair.generate().publicKey;

beforeAll(async () => {
  server = await startJsonRpcServer();
  server.on('getBalance', () => ({ context: { slot: 42 }, value: 5_000 }));
  server.on('getLatestBlockhash', () => ({ context: { slot: 42 }, value: { blockhash, lastValidBlockHeight: 150 } }));
  server.on('getTransaction', () => null);
  pool = createRpcPool({
    endpoints: [{ url: server.url, rps: 1000, methodRps: {}, priority: 0 }],
    maxConcurrency: 1,
    settings: { ...stageSettings('test').solana, maxAttempts: 2 },
    sleep: async () => undefined,
  });
  // The URL is a placeholder: the pool picks the endpoint.
  connection = new Connection('http://rpc.pool.invalid', {
    fetch: pool.fetch,
    commitment: 'confirmed',
    disableRetryOnRateLimit: true,
  });
});
afterAll(() => server.close());

describe('RpcPool.fetch under @solana/web3.js', () => {
  it('serves getBalance and getLatestBlockhash in the shapes web3.js validates', async () => {
    expect(await connection.getBalance(owner)).toBe(5_000);
    expect(await connection.getLatestBlockhash()).toEqual({ blockhash, lastValidBlockHeight: 150 });
    expect(server.requests.find((r) => r.method === 'getBalance')?.params).toEqual([
      owner.toBase58(),
      { commitment: 'confirmed' },
    ]);
  });

  it('answers web3.js batch calls in order', async () => {
    const before = server.count('getTransaction');
    expect(await connection.getParsedTransactions(['sig1', 'sig2'])).toEqual([null, null]);
    expect(server.count('getTransaction') - before).toBe(2);
  });

  it('surfaces a JSON-RPC error as web3.js SolanaJSONRPCError, sent once', async () => {
    const before = server.count();
    server.script({ kind: 'rpc-error', code: -32602, message: 'Invalid param: WrongSize' });
    const error = await connection.getBalanceAndContext(owner).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SolanaJSONRPCError);
    expect(error).toMatchObject({ code: -32602 });
    expect(server.count() - before).toBe(1);
  });

  it('lets the pool’s RpcUnavailableError through web3.js unchanged', async () => {
    server.script({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const error = await connection.getBalanceAndContext(owner).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect(error).toMatchObject({ code: 'solana.rpc_unavailable' });
  });
});
