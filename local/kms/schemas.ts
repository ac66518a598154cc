/**
 * Request shapes of the emulated operations, as the KMS API defines them (names, enums, lengths),
 * and the mapping of a failed parse to KMS's answers: a missing member or a broken constraint is a
 * `ValidationException`, a member of the wrong JSON type or a blob that is not base64 a
 * `SerializationException`. Unknown members are ignored (grant tokens, dry runs, tags...).
 */
import * as z from 'zod/mini';
import { serialization, validation } from './errors.js';

export const KEY_SPECS = [
  'ECC_NIST_EDWARDS25519',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'ML_DSA_44',
  'ML_DSA_65',
  'ML_DSA_87',
  'ML_KEM_1024',
  'ML_KEM_512',
  'ML_KEM_768',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'SM2',
  'SYMMETRIC_DEFAULT',
] as const;

export const KEY_USAGES = [
  'ENCAPSULATE_DECAPSULATE',
  'ENCRYPT_DECRYPT',
  'GENERATE_VERIFY_MAC',
  'KEY_AGREEMENT',
  'SIGN_VERIFY',
] as const;
export type KeyUsage = (typeof KEY_USAGES)[number];

export const ENCRYPTION_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE', 'SYMMETRIC_DEFAULT'] as const;
export type EncryptionAlgorithm = (typeof ENCRYPTION_ALGORITHMS)[number];

export const SIGNING_ALGORITHMS = [
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'ED25519_PH_SHA_512',
  'ED25519_SHA_512',
  'ML_DSA_SHAKE_256',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'SM2DSA',
] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A base64 blob member, decoded, of `min`..`max` bytes. */
const blob = (min: number, max: number) =>
  z
    .pipe(
      z.string().check(z.regex(BASE64)),
      z.transform((text: string) => Buffer.from(text, 'base64')),
    )
    .check(
      z.refine((bytes: Buffer) => bytes.length >= min && bytes.length <= max, {
        message: `Member must have length between ${min} and ${max} bytes`,
      }),
    );

const KeyId = z.string().check(z.minLength(1), z.maxLength(2048));
const EncryptionContext = z.optional(z.record(z.string(), z.string()));

export const CreateKeyRequest = z.object({
  Description: z.optional(z.string().check(z.maxLength(8192))),
  KeyUsage: z.optional(z.enum(KEY_USAGES)),
  KeySpec: z.optional(z.enum(KEY_SPECS)),
  CustomerMasterKeySpec: z.optional(z.enum(KEY_SPECS)),
  Origin: z.optional(z.enum(['AWS_CLOUDHSM', 'AWS_KMS', 'EXTERNAL', 'EXTERNAL_KEY_STORE'])),
  MultiRegion: z.optional(z.boolean()),
});

export const KeyIdRequest = z.object({ KeyId });

export const CreateAliasRequest = z.object({
  AliasName: z.string().check(z.minLength(1), z.maxLength(256)),
  TargetKeyId: KeyId,
});

export const ListAliasesRequest = z.object({
  KeyId: z.optional(KeyId),
  Limit: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
  Marker: z.optional(z.string()),
});

export const EncryptRequest = z.object({
  KeyId,
  Plaintext: blob(1, 4096),
  EncryptionContext,
  EncryptionAlgorithm: z.optional(z.enum(ENCRYPTION_ALGORITHMS)),
});

export const DecryptRequest = z.object({
  CiphertextBlob: blob(1, 6144),
  KeyId: z.optional(KeyId),
  EncryptionContext,
  EncryptionAlgorithm: z.optional(z.enum(ENCRYPTION_ALGORITHMS)),
});

export const GenerateDataKeyRequest = z.object({
  KeyId,
  EncryptionContext,
  NumberOfBytes: z.optional(z.int().check(z.minimum(1), z.maximum(1024))),
  KeySpec: z.optional(z.enum(['AES_128', 'AES_256'])),
});

export const SignRequest = z.object({
  KeyId,
  Message: blob(1, 4096),
  MessageType: z.optional(z.enum(['DIGEST', 'EXTERNAL_MU', 'RAW'])),
  SigningAlgorithm: z.enum(SIGNING_ALGORITHMS),
});

export const VerifyRequest = z.object({
  KeyId,
  Message: blob(1, 4096),
  MessageType: z.optional(z.enum(['DIGEST', 'EXTERNAL_MU', 'RAW'])),
  Signature: blob(1, 6144),
  SigningAlgorithm: z.enum(SIGNING_ALGORITHMS),
});

type Issue = z.core.$ZodIssue;

function valueAt(body: unknown, path: readonly PropertyKey[]): unknown {
  let value = body;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** Describes an issue without quoting the offending value (it may be key material or plaintext). */
function describe(issue: Issue, body: unknown): { serialization: boolean; text: string } {
  const at = `'${issue.path.map(String).join('.')}'`;
  switch (issue.code) {
    case 'invalid_type':
      return valueAt(body, issue.path) == null
        ? { serialization: false, text: `Value null at ${at} failed to satisfy constraint: Member must not be null` }
        : { serialization: true, text: `Value at ${at} is not of the expected type ${issue.expected}` };
    case 'invalid_format':
      return { serialization: true, text: `Value at ${at} is not valid base64` };
    case 'invalid_value':
      return {
        serialization: false,
        text: `Value at ${at} failed to satisfy constraint: Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`,
      };
    case 'too_small':
      return {
        serialization: false,
        text: `Value at ${at} failed to satisfy constraint: Member must be at least ${String(issue.minimum)}`,
      };
    case 'too_big':
      return {
        serialization: false,
        text: `Value at ${at} failed to satisfy constraint: Member must be at most ${String(issue.maximum)}`,
      };
    default:
      return { serialization: false, text: `Value at ${at} failed to satisfy constraint: ${issue.message}` };
  }
}

/**
 * Parses a request body against its operation's shape; throws the `KmsError` KMS would answer with.
 */
export function parseRequest<T extends z.ZodMiniType>(schema: T, body: unknown): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const described = result.error.issues.map((issue) => describe(issue, body));
  const wrongType = described.find((entry) => entry.serialization);
  if (wrongType !== undefined) throw serialization(wrongType.text);
  const count = described.length;
  const prefix = count === 1 ? '1 validation error detected: ' : `${count} validation errors detected: `;
  throw validation(prefix + described.map((entry) => entry.text).join('; '));
}
