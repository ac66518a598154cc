import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519';
import { Keypair, PublicKey, SystemProgram, Transaction, TransactionInstruction } from '@solana/web3.js';
import { stageSettings } from '../core/desk/settings.js';

import { buildSignedTransfer, MEMO_PROGRAM_ID } from '../core/desk/solana/index.js';
import { userSecretContext } from '../core/desk/vault/index.js';
import type { EncryptionContext } from '../core/platform/keys/index.js';
import { createEnvelopeVault, type KeyVault, KmsDataKeys, KmsSigningKey } from '../core/platform/keys/index.js';
import { type KmsEmulator, localClientConfig, startKmsEmulator } from '../local/index.js';

import { formatNumber, goalRow, percentile, type Row } from './stats.js';

/** What the key benchmarks measure. */
export interface KeysBenchOptions {
  /** Users whose secrets are read. */
  readonly users: number;
  /** Secrets each user has sealed before the reads. */
  readonly secretsPerUser: number;
  /** `vault.open` calls per pass, over all secrets in a random order. */
  readonly reads: number;
  /** Passes of each read scenario, alternating; the median total is reported. */
  readonly rounds: number;
  /** Signatures per signing path, interleaved one by one. */
  readonly signatures: number;
}

export const DEFAULT_KEYS_BENCH: KeysBenchOptions = {
  users: 50,
  secretsPerUser: 3,
  reads: 1_000,
  rounds: 3,
  signatures: 200,
};

const SIGN_WARMUP = 20;

/** A figure shown beside its same-run baseline, with no goal on it. */
function reportedRow(figure: string, value: number, baseline: number, unit: string): Row {
  return {
    figure,
    value: `${formatNumber(value)} ${unit}`,
    baseline: `${formatNumber(baseline)} ${unit}`,
    ratio: value / baseline,
    goal: '(reported)',
  };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so every run reads in the same order. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const median = (values: readonly number[]): number => percentile(values, 50);

interface Sealed {
  readonly envelope: string;
  readonly context: EncryptionContext;
}

/** Seals `secretsPerUser` secrets for each user with `vault` (one after another, as a warm vault worker would). */
async function sealAll(vault: KeyVault, options: KeysBenchOptions): Promise<Sealed[]> {
  const sealed: Sealed[] = [];
  for (let u = 0; u < options.users; u++) {
    const context = userSecretContext(700_000 + u);
    for (let s = 0; s < options.secretsPerUser; s++) {
      const plaintext = new TextEncoder().encode(`bench secret ${s} of user ${u}`);
      sealed.push({ envelope: await vault.seal(plaintext, context), context });
    }
  }
  return sealed;
}

/** Opens `order`'s secrets one after another with `vault`: KMS requests seen by the emulator, and the total time. */
async function readAll(
  kms: KmsEmulator,
  vault: KeyVault,
  order: readonly Sealed[],
): Promise<{ calls: number; ms: number }> {
  kms.resetStats();
  const started = performance.now();
  for (const { envelope, context } of order) {
    const plaintext = await vault.open(envelope, context);
    plaintext.fill(0);
  }
  const ms = performance.now() - started;
  const calls = Object.values(kms.stats()).reduce((sum, n) => sum + n, 0);
  return { calls, ms };
}

/**
 * KMS calls and time of `reads` secret reads across the users, through the vault as the vault
 * worker configures it (cached), and through the same vault with `maxUses: 1` (uncached: every
 * open decrypts its data key with KMS, everything else is the same code). Each pass gets a fresh
 * vault; passes alternate. Secrets are sealed twice: by one warm vault (a user's secrets share a
 * data key, the case the cache is built for) and by a vault with `maxUses: 1` (each secret under
 * its own data key: the cache's worst case).
 */
async function benchReads(kms: KmsEmulator, dataKeys: KmsDataKeys, options: KeysBenchOptions): Promise<Row[]> {
  const { vault: limits } = stageSettings('prod');
  const cachedVault = () =>
    createEnvelopeVault(dataKeys, { maxAgeMs: limits.dataKeyMaxAgeSeconds * 1000, maxUses: limits.dataKeyMaxUses });
  const uncachedVault = () => createEnvelopeVault(dataKeys, { maxUses: 1 });

  const shared = await sealAll(cachedVault(), options);
  const separate = await sealAll(uncachedVault(), options);
  const next = random(0x5ec2e7);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const sharedOrder = Array.from({ length: options.reads }, () => pick(shared));
  const separateOrder = Array.from({ length: options.reads }, () => pick(separate));

  // Warm the connection, the emulator and both paths.
  await readAll(kms, uncachedVault(), sharedOrder.slice(0, 100));
  await readAll(kms, cachedVault(), separateOrder.slice(0, 100));

  const cached: Array<{ calls: number; ms: number }> = [];
  const uncached: Array<{ calls: number; ms: number }> = [];
  const worstCase: Array<{ calls: number; ms: number }> = [];
  for (let round = 0; round < options.rounds; round++) {
    uncached.push(await readAll(kms, uncachedVault(), sharedOrder));
    cached.push(await readAll(kms, cachedVault(), sharedOrder));
    worstCase.push(await readAll(kms, cachedVault(), separateOrder));
  }
  const calls = (runs: typeof cached) => median(runs.map((r) => r.calls));
  const ms = (runs: typeof cached) => median(runs.map((r) => r.ms));
  const n = options.reads.toLocaleString('en-US');
  const scope = `${options.users} users × ${options.secretsPerUser}`;
  return [
    goalRow(`vault KMS calls / ${n} reads, ${scope} (cache ÷ maxUses 1)`, calls(cached), calls(uncached), 'calls', {
      label: '≤ 50 calls',
      met: () => calls(cached) <= 50,
    }),
    reportedRow(`vault ${n} reads: total time (cache ÷ maxUses 1)`, ms(cached), ms(uncached), 'ms'),
    reportedRow(
      'vault KMS calls, 1 data key per secret (cache ÷ maxUses 1)',
      calls(worstCase),
      calls(uncached),
      'calls',
    ),
  ];
}

/** The payout the signing benchmark signs: SOL to a recipient, with a memo, on a fixed blockhash. */
interface Payout {
  readonly to: string;
  readonly lamports: bigint;
  readonly blockhash: string;
  readonly lastValidBlockHeight: number;
  readonly memo: string;
}

/** The same transfer `buildSignedTransfer` makes, built and signed in process with a web3.js Keypair. */
function signInProcess(payer: Keypair, payout: Payout): Uint8Array {
  const tx = new Transaction({
    feePayer: payer.publicKey,
    blockhash: payout.blockhash,
    lastValidBlockHeight: payout.lastValidBlockHeight,
  })
    .add(
      SystemProgram.transfer({
        fromPubkey: payer.publicKey,
        toPubkey: new PublicKey(payout.to),
        lamports: payout.lamports,
      }),
    )
    .add(
      new TransactionInstruction({
        programId: new PublicKey(MEMO_PROGRAM_ID),
        keys: [],
        data: Buffer.from(payout.memo, 'utf8'),
      }),
    );
  tx.sign(payer);
  return tx.serialize();
}

/**
 * Signing one payout transfer through the KMS emulator (`buildSignedTransfer` with the treasury's
 * `KmsSigningKey`: build, `Sign` over HTTP, local verification, serialize) against building and
 * signing the same transfer in process with a web3.js `Keypair` (same instructions and size; the
 * key differs, as the KMS key cannot leave KMS), interleaved signature by signature. Also the raw
 * `Sign` call alone against one in-process Ed25519 signature of the same message bytes with
 * `@noble/curves`, the library web3.js's `Keypair` signs with.
 */
async function benchSigning(key: KmsSigningKey, options: KeysBenchOptions): Promise<Row[]> {
  const payer = Keypair.generate();
  const payout: Payout = {
    to: Keypair.generate().publicKey.toBase58(),
    lamports: 1_500_000n,
    blockhash: Keypair.generate().publicKey.toBase58(),
    lastValidBlockHeight: 1_000,
    memo: 'payout:0f8e6d4c-2b1a-4c3d-9e8f-7a6b5c4d3e2f',
  };
  const message = Transaction.from(signInProcess(payer, payout)).serializeMessage();
  const secret = payer.secretKey.slice(0, 32);

  const kms: number[] = [];
  const local: number[] = [];
  const kmsRaw: number[] = [];
  const localRaw: number[] = [];
  for (let i = -SIGN_WARMUP; i < options.signatures; i++) {
    let t = performance.now();
    await buildSignedTransfer({ key, ...payout });
    const a = performance.now() - t;
    t = performance.now();
    signInProcess(payer, payout);
    const b = performance.now() - t;
    t = performance.now();
    await key.sign(message);
    const c = performance.now() - t;
    t = performance.now();
    ed25519.sign(message, secret);
    const d = performance.now() - t;
    if (i < 0) continue;
    kms.push(a);
    local.push(b);
    kmsRaw.push(c);
    localRaw.push(d);
  }
  return [
    reportedRow('payout transfer sign p50 (KMS ÷ in-process Keypair)', median(kms), median(local), 'ms'),
    reportedRow('Ed25519 sign p50 (KMS Sign call ÷ in-process)', median(kmsRaw), median(localRaw), 'ms'),
  ];
}

/**
 * KMS figures on the real emulator (in a temporary directory): KMS calls and time of secret
 * reads with and without the vault's data key cache, and the cost of signing payouts through
 * KMS instead of in process. Ratios are against baselines measured in this run; nothing is asserted.
 */
export async function benchKeys(options: KeysBenchOptions = DEFAULT_KEYS_BENCH): Promise<Row[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-keys-'));
  const kms = await startKmsEmulator({ dataDir });
  const client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 2 });
  try {
    const project = await kms.ensureKey('alias/bench-project', 'SYMMETRIC_DEFAULT');
    const treasury = await kms.ensureKey('alias/bench-treasury', 'ECC_NIST_EDWARDS25519');
    const reads = await benchReads(kms, new KmsDataKeys({ client, keyId: project }), options);
    const signing = await benchSigning(new KmsSigningKey({ client, keyId: treasury }), options);
    return [...reads, ...signing];
  } finally {
    client.destroy();
    await kms.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
