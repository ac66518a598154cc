import type { EncryptionContext } from '../keys/ports.js';
import { USER_SECRET_PURPOSE } from '../settings.js';

/** The encryption context of a user's secrets; IAM lets only the vault worker use the key under it. */
export const userSecretContext = (userId: number): EncryptionContext => ({
  purpose: USER_SECRET_PURPOSE,
  ownerId: String(userId),
});
