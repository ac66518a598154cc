/**
 * What the platform needs from a key service (AWS KMS; the local emulator in `local/kms/`).
 * Adapters own the SDK and translate its errors into the errors of `./errors.ts`, so no SDK
 * error, and no key material, crosses these ports.
 */

/**
 * Binds a ciphertext to why and for whom it was made. KMS authenticates it with the data key,
 * and IAM policies can require it (`kms:EncryptionContext:purpose`), so a secret sealed for one
 * owner or purpose can never be opened as another's.
 */
export interface EncryptionContext {
  /** What the secret is for, e.g. `user-secret`. */
  readonly purpose: string;
  /** Whose it is: a Telegram user id, or `service` for deployment-wide credentials. */
  readonly ownerId: string;
}

/** A fresh AES-256 data key: its plaintext (to use, then forget) and its KMS-encrypted copy (to store). */
export interface DataKey {
  readonly plaintext: Uint8Array;
  readonly encrypted: Uint8Array;
}

/** The symmetric customer-managed key, used only through data keys (envelope encryption). */
export interface DataKeySource {
  /** `GenerateDataKey` (AES_256) under `context`. */
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  /** `Decrypt` of a data key made under `context`; a different context fails as `CiphertextRejectedError`. */
  decryptDataKey(encrypted: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/**
 * The intake key: an RSA key pair whose private half never leaves KMS. Anyone holding the public
 * key (the webhook, from config) can seal a value to it without a KMS client; only a function
 * allowed `kms:Decrypt` on this key can open it.
 */
export interface IntakeKeyService {
  /** `Decrypt` with `RSAES_OAEP_SHA_256`. */
  decrypt(ciphertext: Uint8Array): Promise<Uint8Array>;
}

/** An Ed25519 key whose private half never leaves KMS (the treasury wallet). */
export interface SigningKey {
  /** The raw 32-byte Ed25519 public key (from `GetPublicKey`'s SubjectPublicKeyInfo). */
  publicKey(): Promise<Uint8Array>;
  /** `Sign` with `ED25519_SHA_512` over the raw message (`MessageType: RAW`): a 64-byte signature. */
  sign(message: Uint8Array): Promise<Uint8Array>;
}
