/**
 * The emulated KMS operations: each takes a parsed JSON body and answers KMS's response shape,
 * or throws the `KmsError` KMS would answer with. Blobs travel as base64 strings.
 */
import {
  constants,
  createPublicKey,
  type KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../aws/common.js';
import { open, parseBlob, seal } from './ciphertext.js';
import { invalidCiphertext, invalidKeyUsage, KmsError, unsupported, validation } from './errors.js';
import {
  CreateAliasRequest,
  CreateKeyRequest,
  DecryptRequest,
  type EncryptionAlgorithm,
  EncryptRequest,
  GenerateDataKeyRequest,
  KeyIdRequest,
  ListAliasesRequest,
  parseRequest,
  type SigningAlgorithm,
  SignRequest,
  VerifyRequest,
} from './schemas.js';
import { EMULATED_KEY_SPECS, type EmulatedKeySpec, type Key, type KeyStore, USAGE_OF_SPEC } from './store.js';

/** One operation: a JSON body in, a JSON response out. */
export type Operation = (body: unknown) => Promise<object>;

const RSA_ENCRYPTION_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
const ED25519_SIGNING_ALGORITHMS = ['ED25519_SHA_512', 'ED25519_PH_SHA_512'] as const;

/** Largest plaintext RSA-2048 OAEP can take: 256 − 2 × hash length − 2. */
const RSA_MAX_PLAINTEXT = { RSAES_OAEP_SHA_1: 214, RSAES_OAEP_SHA_256: 190 } as const;
const OAEP_HASH = { RSAES_OAEP_SHA_1: 'sha1', RSAES_OAEP_SHA_256: 'sha256' } as const;

/** Key usages KMS accepts per spec (the emulator implements `USAGE_OF_SPEC` only). */
const KMS_USAGES: Record<EmulatedKeySpec, readonly string[]> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
};

/** A customer alias name, as CreateAlias accepts it. */
const ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]+$/;

const b64 = (bytes: Buffer): string => bytes.toString('base64');

function encryptionAlgorithms(key: Key): readonly EncryptionAlgorithm[] | undefined {
  if (key.usage !== 'ENCRYPT_DECRYPT') return undefined;
  return key.record.spec === 'SYMMETRIC_DEFAULT' ? ['SYMMETRIC_DEFAULT'] : RSA_ENCRYPTION_ALGORITHMS;
}

function signingAlgorithms(key: Key): readonly SigningAlgorithm[] | undefined {
  return key.usage === 'SIGN_VERIFY' ? ED25519_SIGNING_ALGORITHMS : undefined;
}

/** The deprecated `CustomerMasterKeySpec` twin of `KeySpec`, which has no Ed25519 value. */
function legacySpec(key: Key): { CustomerMasterKeySpec?: string } {
  return key.record.spec === 'ECC_NIST_EDWARDS25519' ? {} : { CustomerMasterKeySpec: key.record.spec };
}

function publicKeyOf(key: Key): KeyObject {
  return createPublicKey(key.privateKey!);
}

function keyMetadata(store: KeyStore, key: Key): object {
  const { record } = key;
  const encryption = encryptionAlgorithms(key);
  const signing = signingAlgorithms(key);
  return {
    AWSAccountId: LOCAL_ACCOUNT_ID,
    KeyId: record.id,
    Arn: store.arns.key(record.id),
    CreationDate: record.creationDate,
    Enabled: true,
    Description: record.description,
    KeyUsage: key.usage,
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    ...legacySpec(key),
    KeySpec: record.spec,
    MultiRegion: false,
    ...(encryption ? { EncryptionAlgorithms: encryption } : {}),
    ...(signing ? { SigningAlgorithms: signing } : {}),
  };
}

function requireUsage(key: Key, usage: Key['usage'], store: KeyStore): void {
  if (key.usage !== usage) {
    throw invalidKeyUsage(
      `${store.arns.key(key.record.id)} key usage is ${key.usage} which is not valid for this operation`,
    );
  }
}

function requireSymmetric(key: Key, store: KeyStore): void {
  requireUsage(key, 'ENCRYPT_DECRYPT', store);
  if (key.record.spec !== 'SYMMETRIC_DEFAULT') {
    throw invalidKeyUsage(`${store.arns.key(key.record.id)} key spec is ${key.record.spec}, not SYMMETRIC_DEFAULT`);
  }
}

/** The RSA algorithm of a request on an RSA key: required, and one the key supports. */
function rsaAlgorithm(
  key: Key,
  algorithm: EncryptionAlgorithm | undefined,
  context: Record<string, string> | undefined,
): (typeof RSA_ENCRYPTION_ALGORITHMS)[number] {
  if (algorithm === undefined) {
    throw validation('EncryptionAlgorithm is required for asymmetric KMS keys');
  }
  if (algorithm !== 'RSAES_OAEP_SHA_1' && algorithm !== 'RSAES_OAEP_SHA_256') {
    throw invalidKeyUsage(`${algorithm} is not a valid encryption algorithm for key spec ${key.record.spec}`);
  }
  if (context !== undefined && Object.keys(context).length > 0) {
    throw validation('EncryptionContext is not supported with asymmetric KMS keys');
  }
  return algorithm;
}

/** The symmetric algorithm of a request on a symmetric key: absent or `SYMMETRIC_DEFAULT`. */
function symmetricAlgorithm(algorithm: EncryptionAlgorithm | undefined): 'SYMMETRIC_DEFAULT' {
  if (algorithm !== undefined && algorithm !== 'SYMMETRIC_DEFAULT') {
    throw invalidKeyUsage(`${algorithm} is not a valid encryption algorithm for key spec SYMMETRIC_DEFAULT`);
  }
  return 'SYMMETRIC_DEFAULT';
}

/**
 * Checks a Sign/Verify request against what KMS allows for an Ed25519 key: an algorithm of the key,
 * `ED25519_SHA_512` only with `RAW` messages, `ED25519_PH_SHA_512` only with 64-byte `DIGEST`s.
 */
function checkSigning(
  key: Key,
  store: KeyStore,
  algorithm: SigningAlgorithm,
  messageType: 'RAW' | 'DIGEST' | 'EXTERNAL_MU' | undefined,
  message: Buffer,
): void {
  requireUsage(key, 'SIGN_VERIFY', store);
  if (!signingAlgorithms(key)?.includes(algorithm)) {
    throw invalidKeyUsage(`${algorithm} is not a valid signing algorithm for key spec ${key.record.spec}`);
  }
  const type = messageType ?? 'RAW';
  if (algorithm === 'ED25519_SHA_512' && type !== 'RAW') {
    throw validation('ED25519_SHA_512 signing algorithm requires MessageType RAW');
  }
  if (algorithm === 'ED25519_PH_SHA_512') {
    if (type !== 'DIGEST') throw validation('ED25519_PH_SHA_512 signing algorithm requires MessageType DIGEST');
    if (message.length !== 64) throw validation('Digest length must be 64 bytes for ED25519_PH_SHA_512');
    throw unsupported('ED25519_PH_SHA_512 is not implemented by the local KMS emulator; use ED25519_SHA_512');
  }
}

async function createKeyOf(store: KeyStore, body: unknown): Promise<Key> {
  const request = parseRequest(CreateKeyRequest, body);
  if (request.KeySpec !== undefined && request.CustomerMasterKeySpec !== undefined) {
    throw validation('You cannot specify KeySpec and CustomerMasterKeySpec in the same request');
  }
  if (request.Origin !== undefined && request.Origin !== 'AWS_KMS') {
    throw unsupported(`Origin ${request.Origin} is not supported by the local KMS emulator`);
  }
  if (request.MultiRegion === true) throw unsupported('Multi-Region keys are not supported by the local KMS emulator');
  const spec = request.KeySpec ?? request.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
  const usage = request.KeyUsage ?? 'ENCRYPT_DECRYPT';
  if (!(EMULATED_KEY_SPECS as readonly string[]).includes(spec)) {
    throw unsupported(`KeySpec ${spec} is not supported by the local KMS emulator`);
  }
  const emulated = spec as EmulatedKeySpec;
  if (!KMS_USAGES[emulated].includes(usage)) {
    throw validation(`KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  }
  if (USAGE_OF_SPEC[emulated] !== usage) {
    throw unsupported(`KeySpec ${spec} with KeyUsage ${usage} is not supported by the local KMS emulator`);
  }
  return store.createKey(emulated, request.Description ?? '');
}

/** A symmetric data key operation shared by GenerateDataKey and GenerateDataKeyWithoutPlaintext. */
function generateDataKey(store: KeyStore, body: unknown): { key: Key; plaintext: Buffer; ciphertext: Buffer } {
  const request = parseRequest(GenerateDataKeyRequest, body);
  const key = store.resolve(request.KeyId);
  requireSymmetric(key, store);
  if ((request.NumberOfBytes === undefined) === (request.KeySpec === undefined)) {
    throw validation('Please specify either number of bytes or key spec.');
  }
  const size = request.NumberOfBytes ?? (request.KeySpec === 'AES_128' ? 16 : 32);
  const plaintext = randomBytes(size);
  const ciphertext = seal(key.record.id, key.secret!, plaintext, request.EncryptionContext);
  return { key, plaintext, ciphertext };
}

/** The operations by their `X-Amz-Target` name (`TrentService.<name>`). */
export function createOperations(store: KeyStore): ReadonlyMap<string, Operation> {
  const arn = (key: Key): string => store.arns.key(key.record.id);

  const operations: Record<string, Operation> = {
    async CreateKey(body) {
      return { KeyMetadata: keyMetadata(store, await createKeyOf(store, body)) };
    },

    async DescribeKey(body) {
      const request = parseRequest(KeyIdRequest, body);
      return { KeyMetadata: keyMetadata(store, store.resolve(request.KeyId)) };
    },

    async CreateAlias(body) {
      const request = parseRequest(CreateAliasRequest, body);
      const name = request.AliasName;
      if (!ALIAS_NAME.test(name)) {
        throw validation(`Alias must start with the prefix "alias/" and contain only alphanumerics, "/", "_" or "-"`);
      }
      if (name.startsWith('alias/aws/')) throw validation('Alias names cannot begin with alias/aws/ (reserved)');
      const key = store.resolve(request.TargetKeyId, { aliases: false });
      await store.createAlias(name, key.record.id);
      return {};
    },

    async ListAliases(body) {
      const request = parseRequest(ListAliasesRequest, body);
      const keyId =
        request.KeyId === undefined ? undefined : store.resolve(request.KeyId, { aliases: false }).record.id;
      const aliases = store
        .aliases()
        .filter((alias) => keyId === undefined || alias.keyId === keyId)
        .map((alias) => ({
          AliasName: alias.name,
          AliasArn: store.arns.alias(alias.name),
          TargetKeyId: alias.keyId,
          CreationDate: alias.creationDate,
          LastUpdatedDate: alias.creationDate,
        }));
      return { Aliases: aliases, Truncated: false };
    },

    async Encrypt(body) {
      const request = parseRequest(EncryptRequest, body);
      const key = store.resolve(request.KeyId);
      requireUsage(key, 'ENCRYPT_DECRYPT', store);
      if (key.record.spec === 'SYMMETRIC_DEFAULT') {
        const algorithm = symmetricAlgorithm(request.EncryptionAlgorithm);
        const blob = seal(key.record.id, key.secret!, request.Plaintext, request.EncryptionContext);
        return { CiphertextBlob: b64(blob), KeyId: arn(key), EncryptionAlgorithm: algorithm };
      }
      const algorithm = rsaAlgorithm(key, request.EncryptionAlgorithm, request.EncryptionContext);
      if (request.Plaintext.length > RSA_MAX_PLAINTEXT[algorithm]) {
        throw validation(`Plaintext must be at most ${RSA_MAX_PLAINTEXT[algorithm]} bytes for ${algorithm}`);
      }
      const blob = publicEncrypt(
        { key: publicKeyOf(key), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[algorithm] },
        request.Plaintext,
      );
      return { CiphertextBlob: b64(blob), KeyId: arn(key), EncryptionAlgorithm: algorithm };
    },

    async Decrypt(body) {
      const request = parseRequest(DecryptRequest, body);
      const named = request.KeyId === undefined ? undefined : store.resolve(request.KeyId);
      if (named !== undefined) requireUsage(named, 'ENCRYPT_DECRYPT', store);
      if (named !== undefined && named.record.spec !== 'SYMMETRIC_DEFAULT') {
        const algorithm = rsaAlgorithm(named, request.EncryptionAlgorithm, request.EncryptionContext);
        let plaintext: Buffer;
        try {
          plaintext = privateDecrypt(
            { key: named.privateKey!, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[algorithm] },
            request.CiphertextBlob,
          );
        } catch {
          throw invalidCiphertext();
        }
        return { KeyId: arn(named), Plaintext: b64(plaintext), EncryptionAlgorithm: algorithm };
      }
      if (named === undefined && (request.EncryptionAlgorithm ?? 'SYMMETRIC_DEFAULT') !== 'SYMMETRIC_DEFAULT') {
        throw validation('KeyId is required to decrypt with an asymmetric KMS key');
      }
      const algorithm = symmetricAlgorithm(request.EncryptionAlgorithm);
      const parsed = parseBlob(request.CiphertextBlob);
      if (parsed === undefined) throw invalidCiphertext();
      if (named !== undefined && parsed.keyId !== named.record.id) {
        throw new KmsError(
          'IncorrectKeyException',
          'The key ID in the request does not identify the key that was used to encrypt the ciphertext',
        );
      }
      const key = named ?? store.byId(parsed.keyId);
      if (key === undefined || key.secret === undefined) throw invalidCiphertext();
      const plaintext = open(parsed, key.secret, request.EncryptionContext);
      if (plaintext === undefined) throw invalidCiphertext();
      return { KeyId: arn(key), Plaintext: b64(plaintext), EncryptionAlgorithm: algorithm };
    },

    async GenerateDataKey(body) {
      const { key, plaintext, ciphertext } = generateDataKey(store, body);
      return { CiphertextBlob: b64(ciphertext), Plaintext: b64(plaintext), KeyId: arn(key) };
    },

    async GenerateDataKeyWithoutPlaintext(body) {
      const { key, ciphertext } = generateDataKey(store, body);
      return { CiphertextBlob: b64(ciphertext), KeyId: arn(key) };
    },

    async GetPublicKey(body) {
      const request = parseRequest(KeyIdRequest, body);
      const key = store.resolve(request.KeyId);
      if (key.privateKey === undefined) {
        throw unsupported(`${arn(key)} key usage is ENCRYPT_DECRYPT with a symmetric key spec: it has no public key`);
      }
      const encryption = encryptionAlgorithms(key);
      const signing = signingAlgorithms(key);
      return {
        KeyId: arn(key),
        PublicKey: b64(publicKeyOf(key).export({ type: 'spki', format: 'der' })),
        ...legacySpec(key),
        KeySpec: key.record.spec,
        KeyUsage: key.usage,
        ...(encryption ? { EncryptionAlgorithms: encryption } : {}),
        ...(signing ? { SigningAlgorithms: signing } : {}),
      };
    },

    async Sign(body) {
      const request = parseRequest(SignRequest, body);
      const key = store.resolve(request.KeyId);
      checkSigning(key, store, request.SigningAlgorithm, request.MessageType, request.Message);
      const signature = sign(null, request.Message, key.privateKey!);
      return { KeyId: arn(key), Signature: b64(signature), SigningAlgorithm: request.SigningAlgorithm };
    },

    async Verify(body) {
      const request = parseRequest(VerifyRequest, body);
      const key = store.resolve(request.KeyId);
      checkSigning(key, store, request.SigningAlgorithm, request.MessageType, request.Message);
      let valid: boolean;
      try {
        valid = verify(null, request.Message, publicKeyOf(key), request.Signature);
      } catch {
        valid = false;
      }
      if (!valid) throw new KmsError('KMSInvalidSignatureException', 'The signature is not valid for this message');
      return { KeyId: arn(key), SignatureValid: true, SigningAlgorithm: request.SigningAlgorithm };
    },
  };
  return new Map(Object.entries(operations));
}

/**
 * The id of the key `alias` names, creating a key of `spec` and the alias when it does not exist.
 * An existing alias on a key of another spec is a configuration mistake and throws.
 */
export async function ensureKey(store: KeyStore, alias: string, spec: EmulatedKeySpec): Promise<string> {
  if (!ALIAS_NAME.test(alias) || alias.startsWith('alias/aws/')) {
    throw new Error(`ensureKey: ${alias} is not a valid customer alias name (alias/<name>)`);
  }
  const existing = store.alias(alias);
  if (existing !== undefined) {
    const key = store.byId(existing.keyId);
    if (key === undefined) throw new Error(`ensureKey: ${alias} points at a missing key`);
    if (key.record.spec !== spec) {
      throw new Error(`ensureKey: ${alias} is a ${key.record.spec} key, not ${spec}`);
    }
    return key.record.id;
  }
  const key = await store.createKey(spec, `local ${alias}`);
  await store.createAlias(alias, key.record.id);
  return key.record.id;
}
