import { randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { ed25519 } from '@noble/curves/ed25519';
import {
  Connection,
  Keypair,
  PublicKey,
  SystemInstruction,
  SystemProgram,
  Transaction,
  TransactionMessage,
  VersionedTransaction,
} from '@solana/web3.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase58, encodeBase58 } from '../../../../core/desk/solana/address.js';
import {
  buildSignedTransfer,
  MEMO_PROGRAM_ID,
  signTransaction,
  treasuryAddress,
} from '../../../../core/desk/solana/signer.js';
import { AppError } from '../../../../core/platform/errors.js';
import { KeyServiceUnavailableError } from '../../../../core/platform/keys/errors.js';
import { KmsSigningKey } from '../../../../core/platform/keys/kms.js';
import type { SigningKey } from '../../../../core/platform/keys/ports.js';
import { localClientConfig } from '../../../../local/aws/common.js';
import { type KmsEmulator, startKmsEmulator } from '../../../../local/kms/index.js';
import { type SolanaPeer, startSolanaPeer } from '../../../../local/solana/index.js';
import { keyAlias } from '../../../../stacks/manifest.js';

const BLOCKHASH = encodeBase58(Uint8Array.from(randomBytes(32)));
const U64_MAX = (1n << 64n) - 1n;

/** An in-memory `SigningKey` over a noble Ed25519 key, counting `sign` calls; `sign` can be replaced. */
function fakeKey(seed = Uint8Array.from(randomBytes(32))) {
  const publicKey = ed25519.getPublicKey(seed);
  const key = {
    signCalls: 0,
    keypair: Keypair.fromSeed(seed),
    publicKey: async () => publicKey,
    sign: async (message: Uint8Array) => {
      key.signCalls++;
      return ed25519.sign(message, seed);
    },
  } satisfies SigningKey & Record<string, unknown>;
  return key;
}

function legacyTransfer(from: PublicKey, to = Keypair.generate().publicKey, feePayer = from): Transaction {
  return new Transaction({ feePayer, blockhash: BLOCKHASH, lastValidBlockHeight: 100 }).add(
    SystemProgram.transfer({ fromPubkey: from, toPubkey: to, lamports: 1_000 }),
  );
}

function versionedTransfer(from: PublicKey, payer = from): VersionedTransaction {
  const message = new TransactionMessage({
    payerKey: payer,
    recentBlockhash: BLOCKHASH,
    instructions: [SystemProgram.transfer({ fromPubkey: from, toPubkey: Keypair.generate().publicKey, lamports: 7 })],
  }).compileToV0Message();
  return new VersionedTransaction(message);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('treasuryAddress', () => {
  it('returns the base58 of the raw public key, as a Keypair with the same seed has', async () => {
    const key = fakeKey();
    expect(await treasuryAddress(key)).toBe(key.keypair.publicKey.toBase58());
  });

  it('fails with signer.bad_public_key when the key service returns other than 32 bytes', async () => {
    const key = { ...fakeKey(), publicKey: async () => new Uint8Array(44) };
    expect(await codeOf(treasuryAddress(key))).toBe('signer.bad_public_key');
  });
});

describe('signTransaction', () => {
  it('signs a legacy transaction exactly as an in-process Keypair would', async () => {
    const key = fakeKey();
    const to = Keypair.generate().publicKey;
    const tx = legacyTransfer(key.keypair.publicKey, to);
    const reference = legacyTransfer(key.keypair.publicKey, to);
    reference.sign(key.keypair);

    await signTransaction(tx, key);

    expect(tx.verifySignatures()).toBe(true);
    expect(tx.signature).not.toBeNull();
    expect(Buffer.from(tx.signature!).equals(reference.signature!)).toBe(true);
    expect(tx.serialize().equals(reference.serialize())).toBe(true);
  });

  it("keeps other signers' signatures when the key is one of several signers", async () => {
    const key = fakeKey();
    const payer = Keypair.generate();
    const tx = legacyTransfer(key.keypair.publicKey, undefined, payer.publicKey);
    tx.partialSign(payer);

    await signTransaction(tx, key);

    expect(tx.signatures.map((s) => s.publicKey.toBase58())).toEqual([
      payer.publicKey.toBase58(),
      key.keypair.publicKey.toBase58(),
    ]);
    expect(tx.verifySignatures()).toBe(true);
  });

  it("places the signature at the key's index in a versioned transaction", async () => {
    const key = fakeKey();
    const payer = Keypair.generate();
    const tx = versionedTransfer(key.keypair.publicKey, payer.publicKey);
    const reference = new VersionedTransaction(tx.message);
    reference.sign([key.keypair]);

    await signTransaction(tx, key);

    expect(tx.signatures[0]).toEqual(new Uint8Array(64)); // the payer's slot is still empty
    const signature = tx.signatures[1]!;
    expect(ed25519.verify(signature, tx.message.serialize(), key.keypair.publicKey.toBytes())).toBe(true);
    expect(Buffer.from(signature).equals(Buffer.from(reference.signatures[1]!))).toBe(true);
  });

  it('fails with signer.bad_signature and leaves the transaction unsigned when the signer returns garbage', async () => {
    const key = { ...fakeKey(), sign: async () => Uint8Array.from(randomBytes(64)) };
    const legacy = legacyTransfer(key.keypair.publicKey);
    const versioned = versionedTransfer(key.keypair.publicKey);

    expect(await codeOf(signTransaction(legacy, key))).toBe('signer.bad_signature');
    expect(await codeOf(signTransaction(versioned, key))).toBe('signer.bad_signature');
    expect(legacy.signature).toBeNull();
    expect(versioned.signatures[0]).toEqual(new Uint8Array(64));
  });

  it('fails with signer.bad_signature when the signer returns a valid signature of other bytes', async () => {
    const honest = fakeKey();
    const key = { ...honest, sign: (message: Uint8Array) => honest.sign(Uint8Array.from([...message, 0])) };
    expect(await codeOf(signTransaction(legacyTransfer(honest.keypair.publicKey), key))).toBe('signer.bad_signature');
  });

  it('fails with signer.not_a_signer without signing when the key is not a required signer', async () => {
    const key = fakeKey();
    const stranger = Keypair.generate().publicKey;

    expect(await codeOf(signTransaction(legacyTransfer(stranger), key))).toBe('signer.not_a_signer');
    expect(await codeOf(signTransaction(versionedTransfer(stranger), key))).toBe('signer.not_a_signer');
    expect(key.signCalls).toBe(0);
  });

  it('fails with signer.invalid_input when a legacy transaction cannot be compiled', async () => {
    const key = fakeKey();
    const noPayer = new Transaction({ blockhash: BLOCKHASH, lastValidBlockHeight: 1 }).add(
      SystemProgram.transfer({
        fromPubkey: key.keypair.publicKey,
        toPubkey: Keypair.generate().publicKey,
        lamports: 1,
      }),
    );
    expect(await codeOf(signTransaction(noPayer, key))).toBe('signer.invalid_input');
  });

  it("propagates the signing key's own errors unchanged", async () => {
    const failure = new KeyServiceUnavailableError('KMS is unreachable');
    const key = {
      ...fakeKey(),
      sign: async () => {
        throw failure;
      },
    };
    await expect(signTransaction(legacyTransfer(key.keypair.publicKey), key)).rejects.toBe(failure);
  });
});

describe('buildSignedTransfer', () => {
  it('builds a signed transfer of exactly the lamports, from the treasury as fee payer, with the memo', async () => {
    const key = fakeKey();
    const to = Keypair.generate().publicKey.toBase58();

    const signed = await buildSignedTransfer({
      key,
      to,
      lamports: 1_234_567n,
      blockhash: BLOCKHASH,
      lastValidBlockHeight: 4_321,
      memo: 'payout:01J9Z — ✓',
    });

    expect(signed.lastValidBlockHeight).toBe(4_321);
    const tx = Transaction.from(signed.bytes);
    expect(encodeBase58(tx.signature!)).toBe(signed.signature);
    expect(tx.verifySignatures()).toBe(true);
    expect(tx.feePayer?.toBase58()).toBe(key.keypair.publicKey.toBase58());
    expect(tx.recentBlockhash).toBe(BLOCKHASH);
    expect(tx.instructions).toHaveLength(2);
    const [transfer, memo] = tx.instructions;
    expect(SystemInstruction.decodeInstructionType(transfer!)).toBe('Transfer');
    const decoded = SystemInstruction.decodeTransfer(transfer!);
    expect(decoded.fromPubkey.toBase58()).toBe(key.keypair.publicKey.toBase58());
    expect(decoded.toPubkey.toBase58()).toBe(to);
    expect(BigInt(decoded.lamports)).toBe(1_234_567n);
    expect(memo!.programId.toBase58()).toBe(MEMO_PROGRAM_ID);
    expect(memo!.keys).toEqual([]);
    expect(memo!.data.toString('utf8')).toBe('payout:01J9Z — ✓');
  });

  it('carries only the transfer when no memo is given, and accepts the u64 maximum', async () => {
    const key = fakeKey();
    const signed = await buildSignedTransfer({
      key,
      to: Keypair.generate().publicKey.toBase58(),
      lamports: U64_MAX,
      blockhash: BLOCKHASH,
      lastValidBlockHeight: 0,
    });
    const tx = Transaction.from(signed.bytes);
    expect(tx.instructions).toHaveLength(1);
    expect(BigInt(SystemInstruction.decodeTransfer(tx.instructions[0]!).lamports)).toBe(U64_MAX);
    expect(decodeBase58(signed.signature)).toEqual(Uint8Array.from(tx.signature!));
  });

  it('accepts a recipient that is not on the curve (a program-derived address)', async () => {
    const [pda] = PublicKey.findProgramAddressSync([Buffer.from('vault')], SystemProgram.programId);
    expect(PublicKey.isOnCurve(pda.toBytes())).toBe(false);
    const signed = await buildSignedTransfer({
      key: fakeKey(),
      to: pda.toBase58(),
      lamports: 1n,
      blockhash: BLOCKHASH,
      lastValidBlockHeight: 1,
    });
    expect(SystemInstruction.decodeTransfer(Transaction.from(signed.bytes).instructions[0]!).toPubkey.equals(pda)).toBe(
      true,
    );
  });

  it.each([
    ['a recipient that is not base58', { to: `0OIl${'a'.repeat(40)}` }],
    ['a recipient of the wrong length', { to: encodeBase58(new Uint8Array(31).fill(7)) }],
    ['a recipient padded with spaces', { to: ` ${Keypair.generate().publicKey.toBase58()}` }],
    ['zero lamports', { lamports: 0n }],
    ['negative lamports', { lamports: -5n }],
    ['lamports above u64', { lamports: U64_MAX + 1n }],
    ['a bad blockhash', { blockhash: 'not-a-hash' }],
    ['a negative block height', { lastValidBlockHeight: -1 }],
    ['an empty memo', { memo: '' }],
    ['a memo too long for one packet', { memo: 'x'.repeat(1_100) }],
  ])('fails with signer.invalid_input before signing for %s', async (_name, override) => {
    const key = fakeKey();
    const input = {
      key,
      to: Keypair.generate().publicKey.toBase58(),
      lamports: 10n,
      blockhash: BLOCKHASH,
      lastValidBlockHeight: 10,
      ...override,
    };
    expect(await codeOf(buildSignedTransfer(input))).toBe('signer.invalid_input');
    expect(key.signCalls).toBe(0);
  });

  it('signs a memo that fills the packet exactly and refuses one byte more', async () => {
    const key = fakeKey();
    const base = {
      key,
      to: Keypair.generate().publicKey.toBase58(),
      lamports: 10n,
      blockhash: BLOCKHASH,
      lastValidBlockHeight: 10,
    };
    // With a 1-byte memo the data length takes 1 byte; from 128 bytes on it takes 2, so beyond that
    // every memo byte adds one wire byte on top of this size.
    const short = (await buildSignedTransfer({ ...base, memo: 'm' })).bytes.length;
    const longest = 1_232 - short;
    expect(longest).toBeGreaterThan(128);

    const full = await buildSignedTransfer({ ...base, memo: 'm'.repeat(longest) });
    expect(full.bytes.length).toBe(1_232);
    expect(Transaction.from(full.bytes).verifySignatures()).toBe(true);
    const calls = key.signCalls;
    expect(await codeOf(buildSignedTransfer({ ...base, memo: 'm'.repeat(longest + 1) }))).toBe('signer.invalid_input');
    expect(key.signCalls).toBe(calls);
  });
});

describe('solana signer over KMS (local emulator)', () => {
  const alias = keyAlias('wallet-desk', 'signer-test', 'treasury');
  let kms: KmsEmulator;
  let client: KMSClient;
  let key: KmsSigningKey;

  beforeAll(async () => {
    kms = await startKmsEmulator();
    await kms.ensureKey(alias, 'ECC_NIST_EDWARDS25519');
    client = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
    key = new KmsSigningKey({ client, keyId: alias });
  });
  afterAll(async () => {
    client?.destroy();
    await kms?.stop();
  });

  it('signs a legacy transaction so that web3.js verifies it', async () => {
    const treasury = new PublicKey(await treasuryAddress(key));
    const tx = legacyTransfer(treasury);
    kms.resetStats();
    await signTransaction(tx, key);
    expect(tx.verifySignatures()).toBe(true);
    expect(kms.stats().Sign).toBe(1);
  });

  it("signs a versioned transaction at the key's index", async () => {
    const treasury = new PublicKey(await treasuryAddress(key));
    const payer = Keypair.generate();
    const tx = versionedTransfer(treasury, payer.publicKey);
    tx.sign([payer]);
    await signTransaction(tx, key);
    const message = tx.message.serialize();
    expect(ed25519.verify(tx.signatures[1]!, message, treasury.toBytes())).toBe(true);
    expect(ed25519.verify(tx.signatures[0]!, message, payer.publicKey.toBytes())).toBe(true);
  });

  it('fails with signer.not_a_signer without calling Sign when the KMS key is not a signer', async () => {
    await key.publicKey();
    kms.resetStats();
    expect(await codeOf(signTransaction(legacyTransfer(Keypair.generate().publicKey), key))).toBe(
      'signer.not_a_signer',
    );
    expect(kms.stats().Sign ?? 0).toBe(0);
  });

  it('fails with keys.unavailable and leaves the transaction unsigned when KMS is down', async () => {
    const treasury = new PublicKey(await treasuryAddress(key));
    const tx = legacyTransfer(treasury);
    kms.setFault('unavailable');
    try {
      const error = await signTransaction(tx, key).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KeyServiceUnavailableError);
      expect((error as KeyServiceUnavailableError).code).toBe('keys.unavailable');
      // A key that has not cached its public key fails the same way, before any signing.
      const fresh = new KmsSigningKey({ client, keyId: alias });
      const early = await buildSignedTransfer({
        key: fresh,
        to: Keypair.generate().publicKey.toBase58(),
        lamports: 1n,
        blockhash: BLOCKHASH,
        lastValidBlockHeight: 1,
      }).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(KeyServiceUnavailableError);
    } finally {
      kms.setFault(null);
    }
    expect(tx.signature).toBeNull();
  });

  describe('with the local Solana peer', () => {
    let peer: SolanaPeer;
    let connection: Connection;

    beforeAll(async () => {
      peer = await startSolanaPeer({
        endpoints: 1,
        slotMs: 50,
        confirmAfterMs: 50,
        finalizeAfterMs: 400,
        treasury: { address: await treasuryAddress(key), lamports: 10_000_000_000n },
      });
      connection = new Connection(peer.urls[0]!, { commitment: 'confirmed', disableRetryOnRateLimit: true });
    });
    afterAll(async () => {
      await peer?.stop();
    });

    it('lands a KMS-signed transfer with its memo, moving exactly the lamports and charging the fee to the treasury', async () => {
      const treasury = new PublicKey(await treasuryAddress(key));
      const to = Keypair.generate().publicKey;
      const before = await connection.getBalance(treasury);
      const { blockhash, lastValidBlockHeight } = await connection.getLatestBlockhash();

      const signed = await buildSignedTransfer({
        key,
        to: to.toBase58(),
        lamports: 2_000_000n,
        blockhash,
        lastValidBlockHeight,
        memo: 'payout:01J9Z',
      });
      const sent = await connection.sendRawTransaction(signed.bytes);
      expect(sent).toBe(signed.signature);

      let status = null;
      for (let i = 0; i < 200 && status?.confirmationStatus !== 'confirmed'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        status = (await connection.getSignatureStatuses([sent])).value[0];
      }
      expect(status?.confirmationStatus).toBe('confirmed');
      expect(status?.err).toBeNull();
      expect(await connection.getBalance(to)).toBe(2_000_000);
      expect(await connection.getBalance(treasury)).toBe(before - 2_000_000 - 5_000);
      const [history] = await connection.getSignaturesForAddress(treasury, { limit: 1 });
      expect(history?.signature).toBe(signed.signature);
      expect(history?.memo).toBe('[12] payout:01J9Z');
    });
  });
});
