import {
  DecryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  type KMSClient,
  SignCommand,
} from '@aws-sdk/client-kms';
import { AppError } from '../errors.js';
import { CiphertextRejectedError, KeyServiceError, KeyServiceUnavailableError } from './errors.js';
import { validateIntakePublicKey } from './intake.js';
import type { DataKey, DataKeySource, EncryptionContext, IntakeKeyService, SigningKey } from './ports.js';

/** A KMS client and the key (id, ARN or `alias/...`) an adapter works with. */
export interface KmsKeyOptions {
  client: KMSClient;
  keyId: string;
}

/** KMS refused the ciphertext itself: altered, under another key, or for another context. */
const REJECTED = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);
/** KMS or the way to it failed in a way a later retry can fix. */
const UNAVAILABLE = new Set([
  'ThrottlingException',
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
  'ServiceUnavailableException',
  'InternalFailure',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
/** KMS refused for good: the code each refusal gets. */
const REFUSED: Readonly<Record<string, string>> = {
  AccessDeniedException: 'keys.denied',
  UnrecognizedClientException: 'keys.denied',
  InvalidSignatureException: 'keys.denied',
  IncompleteSignature: 'keys.denied',
  ExpiredTokenException: 'keys.denied',
  NotFoundException: 'keys.not_found',
  InvalidArnException: 'keys.not_found',
  DisabledException: 'keys.disabled',
  KMSInvalidStateException: 'keys.disabled',
  InvalidKeyUsageException: 'keys.invalid',
  InvalidGrantTokenException: 'keys.invalid',
  ValidationException: 'keys.invalid',
  UnsupportedOperationException: 'keys.invalid',
};

interface SdkErrorShape {
  name?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/**
 * Translates whatever a KMS call threw into the errors of `core/platform/keys/errors.ts`. The message
 * names the operation and the error's name only: never the request, the response or the SDK's
 * message. Errors with no HTTP status never reached KMS (refused connection, DNS, timeout) and
 * count as unavailable, like throttling, server faults and 5xx answers.
 */
export function translateKmsError(operation: string, error: unknown): AppError {
  if (error instanceof AppError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = typeof shape.name === 'string' && /^[A-Za-z0-9_.]{1,80}$/.test(shape.name) ? shape.name : 'Error';
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : undefined;
  const message = `KMS ${operation} failed: ${name}`;
  if (REJECTED.has(name))
    return new CiphertextRejectedError(`KMS ${operation} rejected the ciphertext: ${name}`, { cause: error });
  const refused = REFUSED[name];
  if (refused) return new KeyServiceError(refused, message, { cause: error });
  if (UNAVAILABLE.has(name) || shape.$fault === 'server' || status === undefined || status === 429 || status >= 500) {
    return new KeyServiceUnavailableError(message, { cause: error });
  }
  if (status === 403) return new KeyServiceError('keys.denied', message, { cause: error });
  return new KeyServiceError('keys.invalid', message, { cause: error });
}

async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translateKmsError(operation, error);
  }
}

/** Runs `fetch` once and keeps its result; a failure is not kept, so the next caller tries again. */
function memoize<T>(fetch: () => Promise<T>): () => Promise<T> {
  let kept: Promise<T> | undefined;
  return () => {
    if (!kept) {
      const current = fetch();
      kept = current;
      current.catch(() => {
        if (kept === current) kept = undefined;
      });
    }
    return kept;
  };
}

function kmsContext(context: EncryptionContext): Record<string, string> {
  return { purpose: context.purpose, ownerId: context.ownerId };
}

function malformed(operation: string, what: string): KeyServiceError {
  return new KeyServiceError('keys.invalid', `KMS ${operation} returned ${what}`);
}

/**
 * Data keys from the symmetric customer-managed key: `GenerateDataKey` (AES_256) and `Decrypt`,
 * both under the encryption context `{ purpose, ownerId }`, so KMS itself refuses to decrypt a
 * data key for any other context, and IAM conditions on `kms:EncryptionContext:*` apply.
 * `Decrypt` names the key, so a data key of another key is refused too (`IncorrectKeyException`).
 */
export class KmsDataKeys implements DataKeySource {
  constructor(private readonly options: KmsKeyOptions) {}

  async generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const result = await call('GenerateDataKey', () =>
      this.options.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.options.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: kmsContext(context),
        }),
      ),
    );
    if (result.Plaintext?.length !== 32 || !result.CiphertextBlob?.length) {
      result.Plaintext?.fill(0);
      throw malformed('GenerateDataKey', 'no usable data key');
    }
    return { plaintext: result.Plaintext, encrypted: result.CiphertextBlob };
  }

  async decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const result = await call('Decrypt', () =>
      this.options.client.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: encrypted,
          EncryptionContext: kmsContext(context),
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        }),
      ),
    );
    if (!result.Plaintext) throw malformed('Decrypt', 'no plaintext');
    return result.Plaintext;
  }
}

/**
 * The RSA intake key: `Decrypt` with `RSAES_OAEP_SHA_256`, and its public key (`GetPublicKey`,
 * DER SubjectPublicKeyInfo, checked to be RSA of at least 2048 bits and cached) for whoever
 * configures the sealing side.
 */
export class KmsIntakeKey implements IntakeKeyService {
  private readonly cachedPublicKey = memoize(() => this.fetchPublicKey());

  constructor(private readonly options: KmsKeyOptions) {}

  async decrypt(ciphertext: Uint8Array): Promise<Uint8Array> {
    const result = await call('Decrypt', () =>
      this.options.client.send(
        new DecryptCommand({
          KeyId: this.options.keyId,
          CiphertextBlob: ciphertext,
          EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      ),
    );
    if (!result.Plaintext) throw malformed('Decrypt', 'no plaintext');
    return result.Plaintext;
  }

  /** The DER SubjectPublicKeyInfo of the intake key (a copy; fetched once). */
  async publicKey(): Promise<Uint8Array> {
    return new Uint8Array(await this.cachedPublicKey());
  }

  private async fetchPublicKey(): Promise<Uint8Array> {
    const result = await call('GetPublicKey', () =>
      this.options.client.send(new GetPublicKeyCommand({ KeyId: this.options.keyId })),
    );
    if (!result.PublicKey) throw malformed('GetPublicKey', 'no public key');
    try {
      return validateIntakePublicKey(result.PublicKey);
    } catch (error) {
      throw new KeyServiceError('keys.invalid', 'KMS GetPublicKey returned no RSA key of at least 2048 bits', {
        cause: error,
      });
    }
  }
}

/**
 * The Ed25519 signing key (`ECC_NIST_EDWARDS25519`): its raw public key, fetched once with
 * `GetPublicKey`, and `Sign` with `ED25519_SHA_512` over the raw message.
 */
export class KmsSigningKey implements SigningKey {
  private readonly cachedPublicKey = memoize(() => this.fetchPublicKey());

  constructor(private readonly options: KmsKeyOptions) {}

  async publicKey(): Promise<Uint8Array> {
    return new Uint8Array(await this.cachedPublicKey());
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    const result = await call('Sign', () =>
      this.options.client.send(
        new SignCommand({
          KeyId: this.options.keyId,
          Message: message,
          MessageType: 'RAW',
          SigningAlgorithm: 'ED25519_SHA_512',
        }),
      ),
    );
    if (result.Signature?.length !== 64) throw malformed('Sign', 'no 64-byte signature');
    return result.Signature;
  }

  private async fetchPublicKey(): Promise<Uint8Array> {
    const result = await call('GetPublicKey', () =>
      this.options.client.send(new GetPublicKeyCommand({ KeyId: this.options.keyId })),
    );
    if (!result.PublicKey) throw malformed('GetPublicKey', 'no public key');
    try {
      return ed25519PublicKeyFromSpki(result.PublicKey);
    } catch (error) {
      throw new KeyServiceError('keys.invalid', 'KMS GetPublicKey returned no Ed25519 key', { cause: error });
    }
  }
}

/** DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): SEQUENCE, AlgorithmIdentifier 1.3.101.112, BIT STRING of 32 bytes. */
const ED25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);

/**
 * The raw 32-byte public key of an Ed25519 SubjectPublicKeyInfo (44 bytes: the fixed 12-byte
 * prefix, then the key). Throws `KeyServiceError` (`keys.invalid`) for anything else.
 */
export function ed25519PublicKeyFromSpki(der: Uint8Array): Uint8Array {
  const ok =
    der instanceof Uint8Array &&
    der.length === ED25519_SPKI_PREFIX.length + 32 &&
    ED25519_SPKI_PREFIX.every((b, i) => der[i] === b);
  if (!ok) throw new KeyServiceError('keys.invalid', 'Public key is not an Ed25519 SubjectPublicKeyInfo');
  return der.slice(ED25519_SPKI_PREFIX.length);
}
