/**
 * The emulator's ciphertext blob for symmetric keys (its own format, as KMS's is opaque):
 *
 *   version (1 byte, 0x01) | key id length (1 byte) | key id (UTF-8) | IV (12 bytes) | ciphertext | GCM tag (16 bytes)
 *
 * AES-256-GCM under the key's secret. The header (version and key id) and the canonical encryption
 * context are the additional authenticated data, so a changed byte anywhere, another key id or another
 * context fails authentication, which is how KMS treats them: `InvalidCiphertextException`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A blob split into its parts (nothing is authenticated yet). */
export interface ParsedBlob {
  readonly keyId: string;
  readonly header: Buffer;
  readonly iv: Buffer;
  readonly body: Buffer;
  readonly tag: Buffer;
}

/**
 * The context as authenticated bytes: entries sorted by key, so the order a caller lists them in
 * does not matter. An empty context is the same as none, as in KMS.
 */
export function canonicalContext(context: Readonly<Record<string, string>> | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(entries), 'utf8');
}

function headerFor(keyId: string): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  if (id.length > 255) throw new Error('key id too long for the ciphertext header');
  return Buffer.concat([Buffer.from([VERSION, id.length]), id]);
}

/** Encrypts `plaintext` under a key's secret, bound to `context`. */
export function seal(
  keyId: string,
  secret: Buffer,
  plaintext: Buffer,
  context: Readonly<Record<string, string>> | undefined,
): Buffer {
  const header = headerFor(keyId);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
}

/** Splits a blob, or `undefined` when it is not one of ours. */
export function parseBlob(blob: Buffer): ParsedBlob | undefined {
  if (blob.length < 2 || blob[0] !== VERSION) return undefined;
  const idLength = blob[1]!;
  const headerLength = 2 + idLength;
  if (blob.length < headerLength + IV_BYTES + TAG_BYTES) return undefined;
  return {
    keyId: blob.subarray(2, headerLength).toString('utf8'),
    header: blob.subarray(0, headerLength),
    iv: blob.subarray(headerLength, headerLength + IV_BYTES),
    body: blob.subarray(headerLength + IV_BYTES, blob.length - TAG_BYTES),
    tag: blob.subarray(blob.length - TAG_BYTES),
  };
}

/** Decrypts a parsed blob, or `undefined` when authentication fails (tampering, wrong key or context). */
export function open(
  parsed: ParsedBlob,
  secret: Buffer,
  context: Readonly<Record<string, string>> | undefined,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.concat([parsed.header, canonicalContext(context)]));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.body), decipher.final()]);
  } catch {
    return undefined;
  }
}
