import type { EncryptionContext } from '../../platform/keys/index.js';
import { SERVICE_SECRET_PURPOSE, USER_SECRET_PURPOSE } from '../settings.js';

/** Whose a secret is: the user's own, or the deployment's (a service credential, stored by an admin). */
export type SecretScope = 'user' | 'service';

/** The encryption context of a user's secrets; IAM lets only the vault worker use the key under it. */
export const userSecretContext = (userId: number): EncryptionContext => ({
  purpose: USER_SECRET_PURPOSE,
  ownerId: String(userId),
});

/** Service credentials have one owner, `service`, and a purpose of their own. */
export const SERVICE_SECRET_CONTEXT: EncryptionContext = { purpose: SERVICE_SECRET_PURPOSE, ownerId: 'service' };

/** The context a secret of `scope` is sealed for, when `userId` stores or reads it. */
export const secretContext = (scope: SecretScope | undefined, userId: number): EncryptionContext =>
  scope === 'service' ? SERVICE_SECRET_CONTEXT : userSecretContext(userId);
