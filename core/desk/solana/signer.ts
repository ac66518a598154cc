/**
 * Signs Solana transactions with a `SigningKey` (the treasury's KMS Ed25519 key) instead of an
 * in-process `Keypair`: the private key never leaves KMS, so web3.js's own `sign` cannot be used.
 * This adapter feeds KMS exactly the bytes web3.js would sign, attaches the signature where the
 * message expects it, and checks it locally before anything can be sent.
 *
 * Loads @solana/web3.js: only the signer side imports it, never the webhook.
 */
import { ed25519 } from '@noble/curves/ed25519';
import {
  PublicKey,
  SystemProgram,
  Transaction,
  TransactionInstruction,
  type VersionedTransaction,
} from '@solana/web3.js';
import { AppError } from '../../platform/errors.js';
import type { SigningKey } from '../../platform/keys/index.js';
import { checkAddress, encodeBase58 } from './address.js';

/** The SPL Memo program (v2): its data is UTF-8 text, recorded in the transaction's logs. */
export const MEMO_PROGRAM_ID = 'MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr';

/** Largest serialized transaction a validator accepts (IPv6 MTU minus headers). */
const PACKET_DATA_SIZE = 1_232;
const U64_MAX = (1n << 64n) - 1n;
const SIGNATURE_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;

/** A request to sign was malformed (bad address, amount, blockhash or memo; a message that cannot be compiled). */
export class SignerInputError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('signer.invalid_input', message, options);
  }
}

/** The key is not among the message's required signers, so its signature would have no slot. */
export class NotASignerError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('signer.not_a_signer', message, options);
  }
}

/**
 * The key service answered with a signature that does not verify under the key's public key.
 * Never retried: the transaction is not sent.
 */
export class BadSignatureError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('signer.bad_signature', message, options);
  }
}

/** The key service answered `GetPublicKey` with something other than a raw 32-byte Ed25519 key. */
export class BadPublicKeyError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('signer.bad_public_key', message, options);
  }
}

/**
 * The key's Solana address: its raw Ed25519 public key in base58. Fails with
 * `signer.bad_public_key` when the key service returns anything but 32 bytes.
 */
export async function treasuryAddress(key: SigningKey): Promise<string> {
  return encodeBase58(await rawPublicKey(key));
}

async function rawPublicKey(key: SigningKey): Promise<Uint8Array> {
  const raw = await key.publicKey();
  if (raw.length !== PUBLIC_KEY_BYTES) {
    throw new BadPublicKeyError(`The signing key's public key is ${raw.length} bytes, not 32`);
  }
  return raw;
}

/**
 * Adds `key`'s signature to `tx` in place, signing through the port.
 *
 * Invariants: the bytes signed are exactly those web3.js signs (the serialized message); `key` must
 * be one of the message's required signers (`signer.not_a_signer` otherwise, before any signing);
 * the signature is verified locally against the key's public key before it is attached, so a key
 * service returning garbage fails as `signer.bad_signature` and `tx` is left as it was. Other
 * signers' signatures are kept. Errors of the `SigningKey` (e.g. `KeyServiceUnavailableError`)
 * propagate unchanged.
 */
export async function signTransaction(tx: Transaction | VersionedTransaction, key: SigningKey): Promise<void> {
  await signAs(tx, key, new PublicKey(await rawPublicKey(key)));
}

async function signAs(tx: Transaction | VersionedTransaction, key: SigningKey, publicKey: PublicKey): Promise<void> {
  if (tx instanceof Transaction) {
    const message = compileLegacy(tx);
    if (!tx.signatures.some((pair) => pair.publicKey.equals(publicKey))) throw notASigner(publicKey);
    const signature = await signVerified(key, message, publicKey);
    tx.addSignature(publicKey, Buffer.from(signature));
    return;
  }
  const { header, staticAccountKeys } = tx.message;
  const index = staticAccountKeys.slice(0, header.numRequiredSignatures).findIndex((k) => k.equals(publicKey));
  if (index < 0) throw notASigner(publicKey);
  const signature = await signVerified(key, tx.message.serialize(), publicKey);
  tx.signatures[index] = signature;
}

/** The legacy message bytes; compiling also lines `tx.signatures` up with the required signers. */
function compileLegacy(tx: Transaction): Uint8Array {
  try {
    return tx.serializeMessage();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SignerInputError(`The transaction cannot be compiled: ${reason}`, { cause: error });
  }
}

function notASigner(publicKey: PublicKey): NotASignerError {
  return new NotASignerError(`${publicKey.toBase58()} is not a required signer of this transaction`);
}

async function signVerified(key: SigningKey, message: Uint8Array, publicKey: PublicKey): Promise<Uint8Array> {
  const signature = await key.sign(message);
  if (
    !(signature instanceof Uint8Array) ||
    signature.length !== SIGNATURE_BYTES ||
    !verifies(signature, message, publicKey)
  ) {
    throw new BadSignatureError(
      `The key service returned a signature that does not verify for ${publicKey.toBase58()}`,
    );
  }
  return signature;
}

function verifies(signature: Uint8Array, message: Uint8Array, publicKey: PublicKey): boolean {
  try {
    // Strict RFC 8032 checks (no ZIP-215 leniency): whatever passes here, validators accept too.
    return ed25519.verify(signature, message, publicKey.toBytes(), { zip215: false });
  } catch {
    return false;
  }
}

/** What to pay out of the treasury. */
export interface SignedTransferInput {
  /** The treasury key: the transfer's source and its fee payer. */
  readonly key: SigningKey;
  /** Recipient address (base58, 32 bytes; it need not be on the curve, e.g. a PDA). */
  readonly to: string;
  /** Amount, 1 ≤ lamports ≤ 2⁶⁴ − 1. */
  readonly lamports: bigint;
  /** Recent blockhash (base58) the transaction is built on. */
  readonly blockhash: string;
  /** Last block height at which `blockhash` is still accepted; returned as given. */
  readonly lastValidBlockHeight: number;
  /** Optional memo recorded on chain (e.g. the payout id), as an SPL Memo instruction. */
  readonly memo?: string;
}

/** A transaction ready for `sendRawTransaction`. */
export interface SignedTransfer {
  /** The wire bytes. */
  readonly bytes: Uint8Array;
  /** The treasury's signature in base58: the transaction id. */
  readonly signature: string;
  /** Past this block height the transaction can never land; resend a new one after it. */
  readonly lastValidBlockHeight: number;
}

/**
 * Builds and signs a SOL transfer out of the treasury: one `SystemProgram.transfer` (treasury →
 * `to`, treasury pays the fee), then the memo if given. Inputs are checked before the key service
 * is called (`signer.invalid_input`), including that the signed transaction fits in one packet.
 * The returned signature identifies the transaction, so a caller can record it before sending and
 * look it up after a crash instead of paying twice.
 */
export async function buildSignedTransfer(input: SignedTransferInput): Promise<SignedTransfer> {
  const to = parseAddress('to', input.to);
  const blockhash = parseAddress('blockhash', input.blockhash);
  if (typeof input.lamports !== 'bigint' || input.lamports <= 0n || input.lamports > U64_MAX) {
    throw new SignerInputError('lamports must be an integer from 1 to 2^64 - 1');
  }
  if (!Number.isSafeInteger(input.lastValidBlockHeight) || input.lastValidBlockHeight < 0) {
    throw new SignerInputError('lastValidBlockHeight must be a non-negative integer');
  }
  if (input.memo !== undefined && (typeof input.memo !== 'string' || input.memo.length === 0)) {
    throw new SignerInputError('memo must be a non-empty string when given');
  }

  const treasury = new PublicKey(await rawPublicKey(input.key));
  const tx = new Transaction({
    feePayer: treasury,
    blockhash: blockhash.toBase58(),
    lastValidBlockHeight: input.lastValidBlockHeight,
  }).add(SystemProgram.transfer({ fromPubkey: treasury, toPubkey: to, lamports: input.lamports }));
  if (input.memo !== undefined) {
    tx.add(
      new TransactionInstruction({
        programId: new PublicKey(MEMO_PROGRAM_ID),
        keys: [],
        data: Buffer.from(input.memo, 'utf8'),
      }),
    );
  }
  // One signature: a compact-u16 count of 1 byte, then 64 bytes, then the message.
  const size = 1 + SIGNATURE_BYTES + compileLegacy(tx).length;
  if (size > PACKET_DATA_SIZE) {
    throw new SignerInputError(
      `The transfer would be ${size} bytes, over the ${PACKET_DATA_SIZE}-byte limit; shorten the memo`,
    );
  }

  await signAs(tx, input.key, treasury);
  const signature = tx.signatures[0]?.signature;
  if (!signature) throw new BadSignatureError('The treasury signature is missing after signing');
  return {
    bytes: new Uint8Array(tx.serialize()),
    signature: encodeBase58(signature),
    lastValidBlockHeight: input.lastValidBlockHeight,
  };
}

function parseAddress(field: string, text: string): PublicKey {
  const check = typeof text === 'string' ? checkAddress(text) : undefined;
  if (!check?.ok || check.address !== text) {
    throw new SignerInputError(`${field} must be a base58 string of 32 bytes`);
  }
  return new PublicKey(check.bytes);
}
