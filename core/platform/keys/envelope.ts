import { ValidationError } from '../errors.js';
import { CiphertextRejectedError } from './errors.js';
import type { EncryptionContext } from './ports.js';

/**
 * The envelope format (v1) of secrets sealed by the vault, in bytes:
 *
 * ```
 * offset  size  field
 * 0       3     magic "WDE"
 * 3       1     version 0x01
 * 4       1+p   purpose: length p (1..255), then p bytes of UTF-8
 * ..      1+o   ownerId: length o (1..255), then o bytes of UTF-8
 * ..      2+k   KMS-encrypted data key: length k (1..6144, big-endian), then k bytes
 * ..      12    AES-GCM IV
 * ..      n     AES-256-GCM ciphertext of the plaintext (n >= 0)
 * end-16  16    GCM tag
 * ```
 *
 * Everything before the ciphertext (the header) is the GCM additional authenticated data, so
 * changing any header byte, the context included, makes the envelope fail authentication. The
 * context fields are the canonical form of {@link canonicalContext}, so one context has exactly
 * one encoding. Stored as text: `wd1:` followed by the standard, padded base64 of the bytes.
 */
export interface Envelope {
  readonly context: EncryptionContext;
  /** The data key as KMS encrypted it (under `context`). */
  readonly encryptedDataKey: Uint8Array;
  readonly iv: Uint8Array;
  /** Ciphertext without the tag. */
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

/** A decoded envelope and the exact header bytes it was read from (the GCM AAD). */
export interface DecodedEnvelope extends Envelope {
  readonly header: Uint8Array;
}

export const ENVELOPE_MAGIC = Uint8Array.of(0x57, 0x44, 0x45); // "WDE"
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_TEXT_PREFIX = 'wd1:';
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
/** Each context field is at most this many UTF-8 bytes (one length byte). */
export const MAX_CONTEXT_FIELD_BYTES = 255;
/** KMS ciphertext blobs are at most 6,144 bytes. */
export const MAX_ENCRYPTED_DATA_KEY_BYTES = 6144;
/**
 * Largest ciphertext an envelope may carry (64 KiB): per-user secrets are API keys and seeds,
 * and a bound keeps a forged length from making the decoder or GCM work on megabytes.
 */
export const MAX_ENVELOPE_PLAINTEXT_BYTES = 64 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

function reject(message: string): never {
  throw new CiphertextRejectedError(message);
}

/**
 * The UTF-8 of a context field, or undefined when it is empty, too long, or not well-formed
 * (a lone surrogate would be replaced by U+FFFD, so two strings could share one encoding).
 */
function fieldBytes(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const bytes = utf8.encode(value);
  if (bytes.length > MAX_CONTEXT_FIELD_BYTES) return undefined;
  if (strictUtf8.decode(bytes) !== value) return undefined;
  return bytes;
}

/** Whether `context` can be encoded: both fields non-empty, well-formed, at most 255 UTF-8 bytes. */
export function isValidContext(context: EncryptionContext): boolean {
  return fieldBytes(context?.purpose) !== undefined && fieldBytes(context?.ownerId) !== undefined;
}

/**
 * The one byte form of a context: `len(purpose) purpose len(ownerId) ownerId` (UTF-8, one length
 * byte each). Injective, so two contexts share a form only if they are equal; used in the
 * envelope header, as the intake AAD and in cache keys. Throws `ValidationError`
 * (`vault.invalid_context`) for a context that cannot be encoded (see {@link isValidContext}).
 */
export function canonicalContext(context: EncryptionContext): Uint8Array {
  const purpose = fieldBytes(context?.purpose);
  const owner = fieldBytes(context?.ownerId);
  if (!purpose || !owner) {
    throw new ValidationError('vault.invalid_context', 'Encryption context fields must be 1-255 bytes of UTF-8');
  }
  const out = new Uint8Array(2 + purpose.length + owner.length);
  out[0] = purpose.length;
  out.set(purpose, 1);
  out[1 + purpose.length] = owner.length;
  out.set(owner, 2 + purpose.length);
  return out;
}

/** Whether two contexts are the same (field by field). */
export function sameContext(a: EncryptionContext, b: EncryptionContext): boolean {
  return a.purpose === b.purpose && a.ownerId === b.ownerId;
}

/**
 * The header (GCM AAD) of an envelope for `context` and `encryptedDataKey`: magic, version,
 * canonical context, the data key's length and bytes, and the IV.
 */
export function encodeEnvelopeHeader(
  context: EncryptionContext,
  encryptedDataKey: Uint8Array,
  iv: Uint8Array,
): Uint8Array {
  const ctx = canonicalContext(context);
  const k = encryptedDataKey.length;
  if (k < 1 || k > MAX_ENCRYPTED_DATA_KEY_BYTES) reject('Encrypted data key has an invalid length');
  if (iv.length !== IV_BYTES) reject('IV has an invalid length');
  const out = new Uint8Array(ENVELOPE_MAGIC.length + 1 + ctx.length + 2 + k + IV_BYTES);
  let at = 0;
  out.set(ENVELOPE_MAGIC, at);
  at += ENVELOPE_MAGIC.length;
  out[at++] = ENVELOPE_VERSION;
  out.set(ctx, at);
  at += ctx.length;
  out[at++] = k >>> 8;
  out[at++] = k & 0xff;
  out.set(encryptedDataKey, at);
  at += k;
  out.set(iv, at);
  return out;
}

/** The bytes of an envelope: its header, then ciphertext and tag. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  if (envelope.tag.length !== TAG_BYTES) reject('Tag has an invalid length');
  if (envelope.ciphertext.length > MAX_ENVELOPE_PLAINTEXT_BYTES) reject('Envelope is too large');
  const header = encodeEnvelopeHeader(envelope.context, envelope.encryptedDataKey, envelope.iv);
  const out = new Uint8Array(header.length + envelope.ciphertext.length + TAG_BYTES);
  out.set(header, 0);
  out.set(envelope.ciphertext, header.length);
  out.set(envelope.tag, header.length + envelope.ciphertext.length);
  return out;
}

/**
 * Reads envelope bytes, checking every length against what is left and every bound of the
 * format. Anything malformed (wrong magic or version, a length past the end, an empty or
 * ill-formed context field, a short tag) is a `CiphertextRejectedError`. Decoding does not
 * authenticate: only opening with the data key does. Returned fields are copies.
 */
export function decodeEnvelope(bytes: Uint8Array): DecodedEnvelope {
  let at = 0;
  const take = (n: number): Uint8Array => {
    if (n < 0 || at + n > bytes.length) reject('Envelope is truncated');
    const part = bytes.slice(at, at + n);
    at += n;
    return part;
  };
  const byte = (): number => take(1)[0]!;

  const magic = take(ENVELOPE_MAGIC.length);
  if (!magic.every((b, i) => b === ENVELOPE_MAGIC[i])) reject('Not an envelope');
  if (byte() !== ENVELOPE_VERSION) reject('Unsupported envelope version');
  const field = (): string => {
    const length = byte();
    if (length === 0) reject('Envelope context field is empty');
    try {
      return strictUtf8.decode(take(length));
    } catch (error) {
      if (error instanceof CiphertextRejectedError) throw error;
      throw new CiphertextRejectedError('Envelope context is not UTF-8', { cause: error });
    }
  };
  const purpose = field();
  const ownerId = field();
  const k = (byte() << 8) | byte();
  if (k < 1 || k > MAX_ENCRYPTED_DATA_KEY_BYTES) reject('Encrypted data key has an invalid length');
  const encryptedDataKey = take(k);
  const iv = take(IV_BYTES);
  const headerLength = at;
  const rest = bytes.length - at;
  if (rest < TAG_BYTES) reject('Envelope is truncated');
  if (rest - TAG_BYTES > MAX_ENVELOPE_PLAINTEXT_BYTES) reject('Envelope is too large');
  const ciphertext = take(rest - TAG_BYTES);
  const tag = take(TAG_BYTES);
  return { context: { purpose, ownerId }, encryptedDataKey, iv, ciphertext, tag, header: bytes.slice(0, headerLength) };
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Envelope bytes as storable text: `wd1:` + padded standard base64. */
export function envelopeToText(bytes: Uint8Array): string {
  return ENVELOPE_TEXT_PREFIX + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/**
 * The bytes of an envelope's text form. Only `wd1:` followed by canonical padded base64 (no
 * whitespace, no URL alphabet, no stray bits in the padding) is accepted; anything else is a
 * `CiphertextRejectedError`.
 */
export function envelopeFromText(text: string): Uint8Array {
  return strictBase64(text, ENVELOPE_TEXT_PREFIX, 'vault envelope');
}

/**
 * Decodes `prefix` + canonical padded base64, rejecting anything else. Shared with the intake
 * format. `what` names the format in the error message.
 */
export function strictBase64(text: string, prefix: string, what: string): Uint8Array {
  if (typeof text !== 'string' || !text.startsWith(prefix)) reject(`The text is not a ${what}`);
  const body = text.slice(prefix.length);
  if (!BASE64.test(body)) reject(`The ${what} is not valid base64`);
  const bytes = Buffer.from(body, 'base64');
  // Buffer ignores set bits after the last full byte; a canonical text round-trips exactly.
  if (bytes.toString('base64') !== body) reject(`The ${what} is not canonical base64`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}
