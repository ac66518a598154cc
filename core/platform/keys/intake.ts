import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  type KeyObject,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import { ConfigError, ValidationError } from '../errors.js';
import { canonicalContext, IV_BYTES, strictBase64, TAG_BYTES } from './envelope.js';
import { CiphertextRejectedError } from './errors.js';
import type { EncryptionContext, IntakeKeyService } from './ports.js';

/**
 * The intake format (v1): a value sealed to the intake key by a function with no KMS client
 * (the webhook, holding only the public key), opened later by one allowed `kms:Decrypt` on it.
 *
 * ```
 * offset  size  field
 * 0       2     length r of the RSA ciphertext (big-endian; 256, 384 or 512)
 * 2       r     RSA-OAEP-SHA256 encryption of a random AES-256 key, under the intake public key
 * ..      12    AES-GCM IV
 * ..      n     AES-256-GCM ciphertext of the UTF-8 plaintext (n <= 4,096)
 * end-16  16    GCM tag
 * ```
 *
 * The GCM AAD is the canonical encryption context, so a value opens only for the context it was
 * sealed for. Stored as text: `in1:` followed by the standard, padded base64 of the bytes.
 */
export const INTAKE_TEXT_PREFIX = 'in1:';
/** Most UTF-8 bytes a sealed intake value may hold: API keys and seed phrases fit easily. */
export const MAX_INTAKE_PLAINTEXT_BYTES = 4096;
/** RSA key sizes KMS offers for the intake key (2048, 3072, 4096 bits): one ciphertext each. */
const RSA_CIPHERTEXT_BYTES = new Set([256, 384, 512]);
const MIN_RSA_BITS = 2048;
const AES_KEY_BYTES = 32;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8 = new TextEncoder();

/** The RSA public key of `der` (SPKI), or a `ConfigError` if it is not one of at least 2048 bits. */
function rsaPublicKey(der: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (error) {
    throw new ConfigError('Intake public key is not a DER SubjectPublicKeyInfo', { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError('Intake public key is not an RSA key');
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) throw new ConfigError(`Intake public key must have at least ${MIN_RSA_BITS} bits`);
  return key;
}

/**
 * Checks that `der` is an RSA SubjectPublicKeyInfo of at least 2048 bits (`ConfigError`
 * otherwise) and returns it re-encoded in canonical DER. Adapters use it on `GetPublicKey`.
 */
export function validateIntakePublicKey(der: Uint8Array): Uint8Array {
  const exported = rsaPublicKey(der).export({ type: 'spki', format: 'der' });
  return new Uint8Array(exported);
}

/**
 * The intake public key from configuration (base64 of its DER SubjectPublicKeyInfo, as KMS
 * `GetPublicKey` returns it). Throws `ConfigError` unless it is an RSA key of at least 2048 bits.
 */
export function parseIntakePublicKey(base64Der: string): Uint8Array {
  const trimmed = typeof base64Der === 'string' ? base64Der.trim() : '';
  let der: Uint8Array;
  try {
    der = strictBase64(trimmed, '', 'base64 public key');
  } catch (error) {
    throw new ConfigError('Intake public key is not base64', { cause: error });
  }
  if (der.length === 0) throw new ConfigError('Intake public key is empty');
  return validateIntakePublicKey(der);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Seals `plaintext` to the intake key for `context`, with node:crypto only: a fresh AES-256 key
 * encrypts the text (GCM, AAD = canonical context) and is itself encrypted with RSA-OAEP-SHA256
 * under the intake public key. Only `openIntake`, through KMS, can read the result.
 *
 * Throws `ValidationError`: `vault.too_large` above 4,096 UTF-8 bytes, `vault.invalid_text` for a
 * string that is not well-formed Unicode (it would not survive UTF-8 unchanged),
 * `vault.invalid_context` for an invalid context; `ConfigError` for an unusable public key.
 */
export function sealForIntake(publicKeyDer: Uint8Array, plaintext: string, context: EncryptionContext): string {
  if (typeof plaintext !== 'string' || LONE_SURROGATE.test(plaintext)) {
    throw new ValidationError('vault.invalid_text', 'Value is not well-formed text');
  }
  const data = utf8.encode(plaintext);
  if (data.length > MAX_INTAKE_PLAINTEXT_BYTES) {
    throw new ValidationError('vault.too_large', `Value exceeds ${MAX_INTAKE_PLAINTEXT_BYTES} bytes`);
  }
  const aad = canonicalContext(context);
  const publicKey = rsaPublicKey(publicKeyDer);
  const key = randomBytes(AES_KEY_BYTES);
  try {
    const wrapped = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      key,
    );
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const length = Buffer.of(wrapped.length >>> 8, wrapped.length & 0xff);
    const bytes = Buffer.concat([length, wrapped, iv, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    return INTAKE_TEXT_PREFIX + bytes.toString('base64');
  } finally {
    key.fill(0);
    data.fill(0);
  }
}

/**
 * Opens a value sealed by {@link sealForIntake} for `context`: the AES key through the intake
 * key service (KMS `Decrypt`), the text locally. Malformed input, tampering and a wrong context
 * are all `CiphertextRejectedError`; key service failures propagate as the adapter raised them.
 */
export async function openIntake(
  intake: IntakeKeyService,
  sealed: string,
  context: EncryptionContext,
): Promise<string> {
  const aad = canonicalContext(context);
  const bytes = strictBase64(sealed, INTAKE_TEXT_PREFIX, 'sealed intake value');
  if (bytes.length < 2) throw new CiphertextRejectedError('Sealed intake value is truncated');
  const r = (bytes[0]! << 8) | bytes[1]!;
  if (!RSA_CIPHERTEXT_BYTES.has(r)) throw new CiphertextRejectedError('Sealed intake value has an invalid key length');
  const bodyStart = 2 + r + IV_BYTES;
  if (bytes.length < bodyStart + TAG_BYTES) throw new CiphertextRejectedError('Sealed intake value is truncated');
  const textBytes = bytes.length - bodyStart - TAG_BYTES;
  if (textBytes > MAX_INTAKE_PLAINTEXT_BYTES) throw new CiphertextRejectedError('Sealed intake value is too large');
  const wrapped = bytes.slice(2, 2 + r);
  const iv = bytes.subarray(2 + r, bodyStart);
  const ciphertext = bytes.subarray(bodyStart, bytes.length - TAG_BYTES);
  const tag = bytes.subarray(bytes.length - TAG_BYTES);

  const key = await intake.decrypt(wrapped);
  try {
    if (!(key instanceof Uint8Array) || key.length !== AES_KEY_BYTES) {
      throw new CiphertextRejectedError('Sealed intake value holds a key of the wrong size');
    }
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (error) {
      throw new CiphertextRejectedError('Sealed intake value failed authentication', { cause: error });
    }
    try {
      return strictUtf8.decode(plain);
    } catch (error) {
      throw new CiphertextRejectedError('Sealed intake value is not UTF-8', { cause: error });
    } finally {
      plain.fill(0);
    }
  } finally {
    if (key instanceof Uint8Array) key.fill(0);
  }
}
