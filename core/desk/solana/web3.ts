import { type Commitment, Connection, type ConnectionConfig, PublicKey, SolanaJSONRPCError } from '@solana/web3.js';
import { AppError, TransientError } from '../../platform/errors.js';
import {
  type AccountSummary,
  type SignatureInfo,
  type SignatureStatus,
  type SolanaGateway,
  TOKEN_2022_PROGRAM,
  TOKEN_PROGRAM,
  type TokenBalance,
  type TransactionMovements,
} from './gateway.js';

/** The cluster refused a request for a reason retrying cannot fix (invalid params, preflight failure…). */
export class SolanaRpcError extends AppError {
  constructor(
    readonly rpcCode: number,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super('solana.rpc_error', message, options);
  }
}

/**
 * Translates what web3.js throws: our own transient errors (from the RPC pool) pass through;
 * a JSON-RPC error becomes `SolanaRpcError`; anything else (a response web3.js could not
 * validate, a network failure outside the pool) is treated as transient so the job retries.
 */
function translate(operation: string, error: unknown): Error {
  if (error instanceof AppError) return error;
  if (error instanceof SolanaJSONRPCError) {
    return new SolanaRpcError(typeof error.code === 'number' ? error.code : 0, `${operation}: ${error.message}`, {
      cause: error,
    });
  }
  const message = error instanceof Error ? error.message.slice(0, 200) : String(error);
  return new TransientError('solana.bad_response', `${operation} failed: ${message}`, { cause: error });
}

interface ParsedTokenAccount {
  mint: string;
  tokenAmount: { amount: string; decimals: number };
}

/**
 * `SolanaGateway` over @solana/web3.js v1. The `Connection` is given the RPC pool's `fetch`,
 * so every call is rate-capped, cached where allowed, and fails over between endpoints.
 */
export class Web3SolanaGateway implements SolanaGateway {
  private readonly connection: Connection;

  constructor(options: { fetch: typeof fetch; commitment: Commitment }) {
    // The URL is a placeholder: the pool chooses the endpoint. Retries are the pool's job too.
    this.connection = new Connection('http://rpc.pool', {
      fetch: options.fetch as unknown as ConnectionConfig['fetch'],
      commitment: options.commitment,
      disableRetryOnRateLimit: true,
    });
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw translate(operation, error);
    }
  }

  getAccount(address: string): Promise<AccountSummary | null> {
    return this.call('getAccountInfo', async () => {
      // The *AndContext calls keep web3.js's error types (the plain ones wrap them in Error).
      const { value } = await this.connection.getAccountInfoAndContext(new PublicKey(address));
      return value ? summary(address, value) : null;
    });
  }

  getAccounts(addresses: readonly string[]): Promise<(AccountSummary | null)[]> {
    if (addresses.length > 100) throw new RangeError('getMultipleAccounts takes at most 100 addresses');
    return this.call('getMultipleAccounts', async () => {
      const { value: infos } = await this.connection.getMultipleAccountsInfoAndContext(
        addresses.map((a) => new PublicKey(a)),
      );
      return infos.map((info, index) => (info ? summary(addresses[index]!, info) : null));
    });
  }

  getTokenBalances(owner: string): Promise<TokenBalance[]> {
    return this.call('getTokenAccountsByOwner', async () => {
      const key = new PublicKey(owner);
      const programs = [
        ['token', TOKEN_PROGRAM],
        ['token-2022', TOKEN_2022_PROGRAM],
      ] as const;
      const results = await Promise.all(
        programs.map(async ([program, id]) => {
          const { value } = await this.connection.getParsedTokenAccountsByOwner(key, { programId: new PublicKey(id) });
          return value.map(({ pubkey, account }) => {
            const info = (account.data as { parsed: { info: ParsedTokenAccount } }).parsed.info;
            return {
              account: pubkey.toBase58(),
              mint: info.mint,
              amount: info.tokenAmount.amount,
              decimals: info.tokenAmount.decimals,
              program,
            } satisfies TokenBalance;
          });
        }),
      );
      return results.flat();
    });
  }

  getSignatures(
    address: string,
    page: { before?: string; until?: string; limit: number; commitment?: 'finalized' },
  ): Promise<SignatureInfo[]> {
    const { commitment, ...options } = page;
    return this.call('getSignaturesForAddress', async () => {
      const list = await this.connection.getSignaturesForAddress(new PublicKey(address), options, commitment);
      return list.map((s) => ({
        signature: s.signature,
        slot: s.slot,
        blockTime: s.blockTime ?? null,
        failed: s.err !== null,
      }));
    });
  }

  getTransfer(signature: string, options: { commitment?: 'finalized' } = {}): Promise<TransactionMovements | null> {
    return this.call('getTransaction', async () => {
      const tx = await this.connection.getTransaction(signature, {
        maxSupportedTransactionVersion: 0,
        commitment: options.commitment ?? 'confirmed',
      });
      if (!tx?.meta) return null;
      const keys = tx.transaction.message.getAccountKeys({ accountKeysFromLookups: tx.meta.loadedAddresses ?? null });
      const deltas: Record<string, bigint> = {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys.get(i)!.toBase58();
        deltas[key] = (deltas[key] ?? 0n) + BigInt(tx.meta.postBalances[i] ?? 0) - BigInt(tx.meta.preBalances[i] ?? 0);
      }
      const signerCount = tx.transaction.message.header.numRequiredSignatures;
      return {
        signature,
        slot: tx.slot,
        blockTime: tx.blockTime ?? null,
        failed: tx.meta.err !== null,
        deltas,
        signers: Array.from({ length: signerCount }, (_, i) => keys.get(i)!.toBase58()),
        accountKeys: Array.from({ length: keys.length }, (_, i) => keys.get(i)!.toBase58()),
      };
    });
  }

  getLatestBlockhash() {
    return this.call('getLatestBlockhash', async () => (await this.connection.getLatestBlockhashAndContext()).value);
  }

  getBlockHeight() {
    return this.call('getBlockHeight', () => this.connection.getBlockHeight());
  }

  sendRawTransaction(bytes: Uint8Array): Promise<string> {
    // No retries by the node: resending the same bytes until expiry is the job's decision.
    return this.call('sendTransaction', () =>
      this.connection.sendRawTransaction(bytes, { skipPreflight: true, maxRetries: 0 }),
    );
  }

  getSignatureStatus(signature: string): Promise<SignatureStatus | null> {
    return this.call('getSignatureStatuses', async () => {
      const { value } = await this.connection.getSignatureStatuses([signature], { searchTransactionHistory: true });
      const status = value[0];
      if (!status) return null;
      return {
        slot: status.slot,
        confirmations: status.confirmations,
        status: status.confirmationStatus ?? 'processed',
        failed: status.err !== null,
      };
    });
  }
}

function summary(
  address: string,
  info: { lamports: number; owner: PublicKey; executable: boolean; data: Buffer | Uint8Array },
): AccountSummary {
  return {
    address,
    lamports: BigInt(info.lamports),
    owner: info.owner.toBase58(),
    executable: info.executable,
    space: info.data.length,
  };
}
