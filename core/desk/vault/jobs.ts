import * as z from 'zod/mini';
import { LANGUAGES } from '../../platform/i18n/index.js';
import { defineJob } from '../../platform/jobs/index.js';

/** A secret's name: what the user calls it (`binance_api`, `okx-secret`…). */
export const SECRET_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const name = z.string().check(z.regex(SECRET_NAME, 'a secret name'));
const lang = z.enum(LANGUAGES);
/** `service`: a deployment-wide credential (admins only; the webhook checks). Absent: the user's own. */
const scope = z.optional(z.enum(['user', 'service']));

/**
 * Store a secret the webhook sealed to the intake key (`core/platform/keys/intake.ts`): the value travels
 * and rests only as ciphertext, never in the clear, in the queue, the DLQ or the session.
 */
export const SecretStoreJob = defineJob('secret.store', 'vault', () =>
  z.object({ name, sealed: z.string().check(z.minLength(1), z.maxLength(8_192)), lang, scope }),
);

/** List the user's secrets, masked. */
export const SecretListJob = defineJob('secret.list', 'vault', () => z.object({ lang, scope }));

/** Delete one of the user's secrets. */
export const SecretDeleteJob = defineJob('secret.delete', 'vault', () => z.object({ name, lang, scope }));

/** Open one of the user's secrets (through KMS) and report that it is intact, masked. */
export const SecretCheckJob = defineJob('secret.check', 'vault', () => z.object({ name, lang, scope }));
