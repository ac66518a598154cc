/**
 * KMS error answers: the exception name KMS puts in `__type` (and `x-amzn-errortype`), a message
 * and the HTTP status. Messages never carry key material, plaintext or request values.
 */

/** The exception names the emulator answers with (KMS's own, plus the generic AWS ones). */
export type KmsErrorType =
  | 'AlreadyExistsException'
  | 'IncorrectKeyException'
  | 'InvalidCiphertextException'
  | 'InvalidKeyUsageException'
  | 'KMSInternalException'
  | 'KMSInvalidSignatureException'
  | 'NotFoundException'
  | 'SerializationException'
  | 'ThrottlingException'
  | 'UnsupportedOperationException'
  | 'ValidationException';

/** An error answer, thrown by request validation and operations, written by the server. */
export class KmsError extends Error {
  readonly type: KmsErrorType;
  readonly status: number;

  constructor(type: KmsErrorType, message: string, status = 400) {
    super(message);
    this.name = 'KmsError';
    this.type = type;
    this.status = status;
  }

  /** The JSON 1.1 error body. */
  toBody(): { __type: KmsErrorType; message: string } {
    return { __type: this.type, message: this.message };
  }
}

export const validation = (message: string): KmsError => new KmsError('ValidationException', message);
export const serialization = (message: string): KmsError => new KmsError('SerializationException', message);
export const notFound = (message: string): KmsError => new KmsError('NotFoundException', message);
export const invalidKeyUsage = (message: string): KmsError => new KmsError('InvalidKeyUsageException', message);
export const unsupported = (message: string): KmsError => new KmsError('UnsupportedOperationException', message);
/** Deliberately vague, as KMS is: a malformed blob, a tampered one and a wrong context look the same. */
export const invalidCiphertext = (): KmsError =>
  new KmsError('InvalidCiphertextException', 'The ciphertext is invalid or does not match the encryption context');
