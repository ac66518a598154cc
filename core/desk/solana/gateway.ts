/**
 * What the platform asks of the Solana chain, in domain terms. Implemented over
 * `@solana/web3.js` and the RPC pool (`core/desk/solana/web3.ts`); core code depends on
 * this port only. Addresses and signatures are base58 strings; amounts are integer strings or
 * bigints of the smallest unit (lamports, token base units), never floats.
 *
 * Errors: transient trouble (every endpoint rate-limited, down or answering garbage) surfaces
 * as a `TransientError`, so the job is retried; anything else is a bug or bad input.
 */
export interface SolanaGateway {
  /** One account, or null when it does not exist (never funded, or closed). */
  getAccount(address: string): Promise<AccountSummary | null>;
  /** Up to 100 accounts in one call, in order; null where an account does not exist. */
  getAccounts(addresses: readonly string[]): Promise<(AccountSummary | null)[]>;
  /** Token accounts of `owner` under both the Token and Token-2022 programs. */
  getTokenBalances(owner: string): Promise<TokenBalance[]>;
  /**
   * Signatures involving `address` (any account key of a transaction, signer or not), newest
   * first, stopping before `until` (exclusive); at the gateway's commitment unless `finalized` is asked.
   */
  getSignatures(
    address: string,
    page: { before?: string; until?: string; limit: number; commitment?: 'finalized' },
  ): Promise<SignatureInfo[]>;
  /**
   * The lamport movements of a confirmed (or, when asked, finalized) transaction, or null if it
   * is not known (yet) at that commitment.
   */
  getTransfer(signature: string, options?: { commitment?: 'finalized' }): Promise<TransactionMovements | null>;
  /** A recent blockhash and the last block height at which a transaction using it can land. */
  getLatestBlockhash(): Promise<{ blockhash: string; lastValidBlockHeight: number }>;
  getBlockHeight(): Promise<number>;
  /** Sends signed transaction bytes as they are (no preflight re-signing); returns the signature. */
  sendRawTransaction(bytes: Uint8Array): Promise<string>;
  /** Status of a signature: null when the cluster has never seen it. */
  getSignatureStatus(signature: string): Promise<SignatureStatus | null>;
}

export const SYSTEM_PROGRAM = '11111111111111111111111111111111';
export const TOKEN_PROGRAM = 'TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA';
export const TOKEN_2022_PROGRAM = 'TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb';

export interface AccountSummary {
  address: string;
  lamports: bigint;
  /** The program that owns the account. */
  owner: string;
  executable: boolean;
  /** Bytes of account data. */
  space: number;
}

export interface TokenBalance {
  /** The token account holding the balance. */
  account: string;
  mint: string;
  /** Base units, as an integer string. */
  amount: string;
  decimals: number;
  program: 'token' | 'token-2022';
}

export interface SignatureInfo {
  signature: string;
  slot: number;
  /** Unix seconds, when the cluster knows it. */
  blockTime: number | null;
  failed: boolean;
}

export interface TransactionMovements {
  signature: string;
  slot: number;
  blockTime: number | null;
  failed: boolean;
  /** Net lamport change per account of the transaction (fees included for the payer). */
  deltas: Record<string, bigint>;
  /** Accounts that signed the transaction. */
  signers: string[];
  /** Every account key of the transaction (lookup-table keys included), in order. */
  accountKeys: string[];
}

export interface SignatureStatus {
  slot: number;
  confirmations: number | null;
  status: 'processed' | 'confirmed' | 'finalized';
  failed: boolean;
}
