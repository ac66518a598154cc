import { TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID } from '@solana/spl-token';
import {
  type Commitment,
  Connection,
  Keypair,
  LAMPORTS_PER_SOL,
  type PublicKey,
  SendTransactionError,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SolanaPeer, startSolanaPeer } from '../../../local/solana/index.js';

const FEE = 5_000;
/** Rent-exempt minimum of an empty account: a transfer creating one must bring at least this much. */
const RENT = 890_880;

let peer: SolanaPeer;
let connection: Connection;
const running: SolanaPeer[] = [];

beforeAll(async () => {
  peer = await startSolanaPeer({ slotMs: 50, confirmAfterMs: 50, finalizeAfterMs: 400 });
  running.push(peer);
  connection = connect(peer.urls[0]!);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
});

function connect(url: string, commitment: Commitment = 'confirmed'): Connection {
  return new Connection(url, { commitment, disableRetryOnRateLimit: true });
}

async function funded(lamports = LAMPORTS_PER_SOL): Promise<Keypair> {
  const keypair = Keypair.generate();
  await peer.svm.airdrop(keypair.publicKey, lamports);
  return keypair;
}

/** A signed system transfer with a fresh blockhash from `conn`. */
async function transfer(conn: Connection, from: Keypair, to: PublicKey, lamports: number): Promise<Transaction> {
  const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash();
  const tx = new Transaction({ blockhash, lastValidBlockHeight, feePayer: from.publicKey }).add(
    SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: to, lamports }),
  );
  tx.sign(from);
  return tx;
}

/** Polls `getSignatureStatuses` until the signature reaches `commitment`. */
async function waitFor(conn: Connection, signature: string, commitment: 'confirmed' | 'finalized' = 'confirmed') {
  const order = ['processed', 'confirmed', 'finalized'];
  for (let i = 0; i < 100; i++) {
    const { value } = await conn.getSignatureStatuses([signature]);
    const status = value[0];
    if (status?.confirmationStatus && order.indexOf(status.confirmationStatus) >= order.indexOf(commitment)) {
      return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${signature} did not reach ${commitment}`);
}

describe('SolanaPeer', () => {
  it('credits an airdrop that getBalance then reports', async () => {
    const wallet = Keypair.generate();
    const signature = await connection.requestAirdrop(wallet.publicKey, 2 * LAMPORTS_PER_SOL);
    expect(await connection.getBalance(wallet.publicKey)).toBe(2 * LAMPORTS_PER_SOL);
    const status = await waitFor(connection, signature);
    expect(status.err).toBeNull();
    expect(await connection.getBalance(Keypair.generate().publicKey)).toBe(0);
  });

  it('moves lamports and charges the fee when a signed system transfer is sent', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const signature = await connection.sendRawTransaction(
      (await transfer(connection, from, to, 1_234_567)).serialize(),
    );
    expect(await connection.getBalance(to)).toBe(1_234_567);
    expect(await connection.getBalance(from.publicKey)).toBe(LAMPORTS_PER_SOL - 1_234_567 - FEE);
    expect((await waitFor(connection, signature)).err).toBeNull();
  });

  it('rejects a transaction whose signature does not verify, with or without preflight', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const bytes = (await transfer(connection, from, to, 1_000)).serialize();
    bytes[10] = (bytes[10] ?? 0) ^ 0xff; // inside the first signature
    for (const skipPreflight of [false, true]) {
      await expect(connection.sendRawTransaction(bytes, { skipPreflight })).rejects.toThrow(
        'Transaction signature verification failure',
      );
    }
    expect(await connection.getBalance(to)).toBe(0);
    expect(peer.calls({ method: 'sendTransaction' }).at(-1)?.outcome).toEqual({
      kind: 'error',
      code: -32003,
      message: 'Transaction signature verification failure',
    });
  });

  it('shows Token and Token-2022 accounts through getTokenAccountsByOwner with amounts and decimals', async () => {
    const owner = Keypair.generate().publicKey;
    const mint = await peer.svm.createMint({ decimals: 6 });
    const mint22 = await peer.svm.createMint({ decimals: 2, program: 'token-2022' });
    await peer.svm.mintTo(mint, owner, 1_500_000n);
    await peer.svm.mintTo(mint22, owner, 12_345n);

    const classic = await connection.getParsedTokenAccountsByOwner(owner, { programId: TOKEN_PROGRAM_ID });
    expect(classic.value).toHaveLength(1);
    expect(classic.value[0]?.account.data.program).toBe('spl-token');
    expect(classic.value[0]?.account.data.parsed).toMatchObject({
      type: 'account',
      info: {
        mint: mint.toBase58(),
        owner: owner.toBase58(),
        state: 'initialized',
        tokenAmount: { amount: '1500000', decimals: 6, uiAmount: 1.5, uiAmountString: '1.5' },
      },
    });
    const t22 = await connection.getParsedTokenAccountsByOwner(owner, { mint: mint22 });
    expect(t22.value).toHaveLength(1);
    expect(t22.value[0]?.account.owner.equals(TOKEN_2022_PROGRAM_ID)).toBe(true);
    expect(t22.value[0]?.account.data.parsed.info.tokenAmount).toEqual({
      amount: '12345',
      decimals: 2,
      uiAmount: 123.45,
      uiAmountString: '123.45',
    });
    const raw = await connection.getTokenAccountsByOwner(owner, { programId: TOKEN_2022_PROGRAM_ID });
    expect(raw.value[0]?.account.data.length).toBeGreaterThanOrEqual(165);
    const mintInfo = await connection.getParsedAccountInfo(mint22);
    expect(mintInfo.value?.data).toMatchObject({
      program: 'spl-token-2022',
      parsed: { type: 'mint', info: { supply: '12345' } },
    });
  });

  it('returns accounts in order from getMultipleAccounts and refuses more than 100 keys', async () => {
    const a = await funded(5_000_000);
    const missing = Keypair.generate().publicKey;
    const infos = await connection.getMultipleAccountsInfo([a.publicKey, missing, SystemProgram.programId]);
    expect(infos[0]?.lamports).toBe(5_000_000);
    expect(infos[1]).toBeNull();
    expect(infos[2]?.executable).toBe(true);
    const tooMany = Array.from({ length: 101 }, () => Keypair.generate().publicKey);
    await expect(connection.getMultipleAccountsInfo(tooMany)).rejects.toThrow('Too many inputs provided; max 100');
  });

  it('pages getSignaturesForAddress newest first with before, until and limit', async () => {
    const from = await funded();
    const signatures: string[] = [];
    for (let i = 0; i < 4; i++) {
      signatures.push(await peer.svm.transfer(from, Keypair.generate().publicKey, RENT + i));
    }
    await waitFor(connection, signatures.at(-1)!);
    const all = await connection.getSignaturesForAddress(from.publicKey);
    // Four transfers plus the airdrop that funded the wallet, newest first.
    expect(all.map((s) => s.signature).slice(0, 4)).toEqual([...signatures].reverse());
    expect(all).toHaveLength(5);
    expect(all[0]).toMatchObject({ err: null, confirmationStatus: expect.stringMatching(/confirmed|finalized/) });
    expect(all[0]?.blockTime).toBeGreaterThan(0);

    const first = await connection.getSignaturesForAddress(from.publicKey, { limit: 2 });
    expect(first.map((s) => s.signature)).toEqual([signatures[3], signatures[2]]);
    const next = await connection.getSignaturesForAddress(from.publicKey, { limit: 2, before: signatures[2] });
    expect(next.map((s) => s.signature)).toEqual([signatures[1], signatures[0]]);
    const since = await connection.getSignaturesForAddress(from.publicKey, { until: signatures[1] });
    expect(since.map((s) => s.signature)).toEqual([signatures[3], signatures[2]]);
    await expect(connection.getSignaturesForAddress(from.publicKey, { limit: 1001 })).rejects.toThrow(
      'Invalid limit; max 1000',
    );
  });

  it('returns a landed transaction with pre and post balances from getTransaction', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const signature = await connection.sendRawTransaction((await transfer(connection, from, to, RENT)).serialize());
    await waitFor(connection, signature);
    const tx = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
    expect(tx?.version).toBe('legacy');
    expect(tx?.meta).toMatchObject({
      err: null,
      fee: FEE,
      preBalances: [LAMPORTS_PER_SOL, 0, 1],
      postBalances: [LAMPORTS_PER_SOL - RENT - FEE, RENT, 1],
      preTokenBalances: [],
      postTokenBalances: [],
    });
    expect(tx?.meta?.logMessages).toContain('Program 11111111111111111111111111111111 success');
    expect(tx?.transaction.message.staticAccountKeys.map((k) => k.toBase58())).toEqual([
      from.publicKey.toBase58(),
      to.toBase58(),
      SystemProgram.programId.toBase58(),
    ]);
    const parsed = await connection.getParsedTransaction(signature, { maxSupportedTransactionVersion: 0 });
    expect(parsed?.transaction.message.instructions[0]).toMatchObject({
      program: 'system',
      parsed: {
        type: 'transfer',
        info: { source: from.publicKey.toBase58(), destination: to.toBase58(), lamports: RENT },
      },
    });
  });

  it('requires maxSupportedTransactionVersion to return a v0 transaction', async () => {
    const from = await funded();
    const { blockhash } = await connection.getLatestBlockhash();
    const message = new TransactionMessage({
      payerKey: from.publicKey,
      recentBlockhash: blockhash,
      instructions: [
        SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: Keypair.generate().publicKey, lamports: RENT }),
      ],
    }).compileToV0Message();
    const tx = new VersionedTransaction(message);
    tx.sign([from]);
    const signature = await connection.sendTransaction(tx);
    await waitFor(connection, signature);
    await expect(connection.getTransaction(signature)).rejects.toThrow('maxSupportedTransactionVersion');
    const found = await connection.getTransaction(signature, { maxSupportedTransactionVersion: 0 });
    expect(found?.version).toBe(0);
    expect(found?.meta?.loadedAddresses).toEqual({ writable: [], readonly: [] });
  });

  it('lands a transaction that fails in a program with its error and fee, and refuses it at preflight', async () => {
    const from = await funded(1_000_000);
    const to = Keypair.generate().publicKey;
    const tooMuch = await transfer(connection, from, to, 5_000_000);
    const preflight = connection.sendRawTransaction(tooMuch.serialize());
    await expect(preflight).rejects.toBeInstanceOf(SendTransactionError);
    await expect(preflight).rejects.toThrow('Error processing Instruction 0: custom program error: 0x1');
    expect(await connection.getBalance(from.publicKey)).toBe(1_000_000);

    const signature = await connection.sendRawTransaction(tooMuch.serialize(), { skipPreflight: true });
    const status = await waitFor(connection, signature);
    expect(status.err).toEqual({ InstructionError: [0, { Custom: 1 }] });
    expect(await connection.getBalance(from.publicKey)).toBe(1_000_000 - FEE);
    expect(await connection.getBalance(to)).toBe(0);
  });

  it('lands resent bytes once and keeps answering with the same signature', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const bytes = (await transfer(connection, from, to, RENT)).serialize();
    const first = await connection.sendRawTransaction(bytes, { skipPreflight: true });
    expect(await connection.sendRawTransaction(bytes, { skipPreflight: true })).toBe(first);
    await waitFor(connection, first);
    expect(await connection.sendRawTransaction(bytes, { skipPreflight: true })).toBe(first);
    // With preflight at a commitment it already reached, Solana answers AlreadyProcessed.
    await expect(connection.sendRawTransaction(bytes, { preflightCommitment: 'confirmed' })).rejects.toThrow(
      'This transaction has already been processed',
    );
    expect(await connection.getBalance(to)).toBe(RENT);
    expect(await connection.getBalance(from.publicKey)).toBe(LAMPORTS_PER_SOL - RENT - FEE);
  });

  it('gives dropped transactions a signature but lands them only when resent', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const bytes = (await transfer(connection, from, to, RENT)).serialize();
    peer.dropNextTransactions(1);
    const signature = await connection.sendRawTransaction(bytes);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const { value } = await connection.getSignatureStatuses([signature], { searchTransactionHistory: true });
    expect(value[0]).toBeNull();
    expect(await connection.getBalance(to)).toBe(0);
    expect(await connection.sendRawTransaction(bytes)).toBe(signature);
    expect((await waitFor(connection, signature)).err).toBeNull();
    expect(await connection.getBalance(to)).toBe(RENT);
  });

  it('answers the cluster, fee, simulation and token-balance methods in the shapes web3.js checks', async () => {
    expect(await connection.getMinimumBalanceForRentExemption(165)).toBe(2_039_280);
    const epoch = await connection.getEpochInfo();
    expect(epoch).toMatchObject({ epoch: 0, slotsInEpoch: 432_000, absoluteSlot: epoch.blockHeight });
    expect((await connection.getVersion())['solana-core']).toMatch(/^\d+\.\d+\.\d+$/);
    const from = await funded();
    const tx = await transfer(connection, from, Keypair.generate().publicKey, RENT);
    expect((await connection.getFeeForMessage(tx.compileMessage())).value).toBe(FEE);
    const simulated = await connection.simulateTransaction(tx);
    expect(simulated.value.err).toBeNull();
    expect(simulated.value.logs).toContain('Program 11111111111111111111111111111111 success');
    expect(await connection.getBalance(from.publicKey)).toBe(LAMPORTS_PER_SOL); // nothing committed

    const owner = Keypair.generate().publicKey;
    const mint = await peer.svm.createMint({ decimals: 3 });
    await peer.svm.mintTo(mint, owner, 2_500n);
    const [account] = (await connection.getTokenAccountsByOwner(owner, { mint })).value;
    expect((await connection.getTokenAccountBalance(account!.pubkey)).value).toEqual({
      amount: '2500',
      decimals: 3,
      uiAmount: 2.5,
      uiAmountString: '2.5',
    });
    await expect(connection.getTokenAccountBalance(from.publicKey)).rejects.toThrow('not a Token account');
  });

  it('accepts base58 transactions and serves base58 account data with a data slice', async () => {
    const from = await funded();
    const to = Keypair.generate().publicKey;
    const tx = await transfer(connection, from, to, RENT);
    const { base58Encode } = await import('../../../local/solana/codec.js');
    const rpc = async (method: string, params: unknown[]) => {
      const res = await fetch(peer.urls[1]!, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      });
      return (await res.json()) as { result?: { value: { data: unknown } | null } | string; error?: unknown };
    };
    const sent = await rpc('sendTransaction', [base58Encode(tx.serialize())]);
    expect(sent.result).toBe(base58Encode(tx.signature!));
    const mint = await peer.svm.createMint({ decimals: 9 });
    const sliced = await rpc('getAccountInfo', [
      mint.toBase58(),
      { encoding: 'base58', dataSlice: { offset: 44, length: 2 } },
    ]);
    // Bytes 44 and 45 of a mint: decimals (9) and is_initialized (1).
    expect((sliced.result as { value: { data: unknown } }).value.data).toEqual([
      base58Encode(Uint8Array.from([9, 1])),
      'base58',
    ]);
    const whole = await rpc('getAccountInfo', [mint.toBase58(), { encoding: 'base58' }]);
    expect(whole.error).toBeUndefined(); // 82 bytes: under Solana's 128-byte base58 cap
    const wallet = await rpc('getAccountInfo', [from.publicKey.toBase58(), { encoding: 'jsonParsed' }]);
    expect((wallet.result as { value: { data: unknown } }).value.data).toEqual(['', 'base64']);
  });

  it('funds the treasury given at start without recording a transaction', async () => {
    const keypair = Keypair.generate();
    const other = await startSolanaPeer({ endpoints: 1, treasury: { keypair, lamports: 7n * 10n ** 9n } });
    running.push(other);
    const conn = connect(other.urls[0]!);
    expect(other.treasury?.address).toBe(keypair.publicKey.toBase58());
    expect(other.treasury?.keypair).toBe(keypair);
    expect(await conn.getBalance(keypair.publicKey)).toBe(7 * LAMPORTS_PER_SOL);
    expect(await conn.getSignaturesForAddress(keypair.publicKey)).toEqual([]);
  });
});

describe('SolanaPeer block production', () => {
  let fast: SolanaPeer;
  let conn: Connection;

  beforeAll(async () => {
    fast = await startSolanaPeer({ endpoints: 1, slotMs: 4, confirmAfterMs: 150, finalizeAfterMs: 400 });
    running.push(fast);
    conn = connect(fast.urls[0]!);
  });

  it('refuses a transaction whose blockhash is more than 150 blocks old with Blockhash not found', async () => {
    const from = Keypair.generate();
    await fast.svm.airdrop(from.publicKey, LAMPORTS_PER_SOL);
    const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash();
    expect(lastValidBlockHeight - (await conn.getBlockHeight())).toBeGreaterThan(140);
    const tx = new Transaction({ blockhash, lastValidBlockHeight, feePayer: from.publicKey }).add(
      SystemProgram.transfer({ fromPubkey: from.publicKey, toPubkey: Keypair.generate().publicKey, lamports: RENT }),
    );
    tx.sign(from);
    expect((await conn.isBlockhashValid(blockhash)).value).toBe(true);
    while ((await conn.getBlockHeight()) <= lastValidBlockHeight) await new Promise((r) => setTimeout(r, 50));
    expect((await conn.isBlockhashValid(blockhash)).value).toBe(false);
    await expect(conn.sendRawTransaction(tx.serialize())).rejects.toThrow('Blockhash not found');
    // Without preflight it is accepted, and never lands.
    const signature = await conn.sendRawTransaction(tx.serialize(), { skipPreflight: true });
    const { value } = await conn.getSignatureStatuses([signature], { searchTransactionHistory: true });
    expect(value[0]).toBeNull();
  });

  it('reports a transaction processed, then confirmed, then finalized', async () => {
    const from = Keypair.generate();
    await fast.svm.airdrop(from.publicKey, LAMPORTS_PER_SOL);
    const tx = await transfer(conn, from, Keypair.generate().publicKey, RENT);
    const signature = await conn.sendRawTransaction(tx.serialize());
    const seen = new Set<string>();
    for (let i = 0; i < 400 && !seen.has('finalized'); i++) {
      const { value } = await conn.getSignatureStatuses([signature]);
      if (value[0]?.confirmationStatus) seen.add(value[0].confirmationStatus);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([...seen]).toEqual(['processed', 'confirmed', 'finalized']);
    const finalized = connect(fast.urls[0]!, 'finalized');
    expect(await finalized.getTransaction(signature, { maxSupportedTransactionVersion: 0 })).not.toBeNull();
  });
});
