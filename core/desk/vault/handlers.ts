import { PoisonJobError } from '../../platform/errors.js';
import type { JobEnvelope, JobQueue } from '../../platform/jobs/index.js';
import { emitFrom, handle, type JobHandler } from '../../platform/jobs/index.js';
import type { IntakeKeyService, KeyVault, SecretStore } from '../../platform/keys/index.js';
import {
  CiphertextRejectedError,
  openIntake,
  type StoredSecret,
  WrongContextError,
} from '../../platform/keys/index.js';
import type { TenantQuota } from '../../platform/quotas/index.js';
import { notice } from '../../platform/telegram/index.js';
import { assertAdmin } from '../admin/index.js';
import { jobTranslator } from '../i18n.js';
import type { VaultSettings } from '../settings.js';
import { type SecretScope, secretContext } from './context.js';
import { SecretCheckJob, SecretDeleteJob, SecretListJob, SecretStoreJob } from './jobs.js';

export interface VaultDeps {
  /** The admins (`ADMIN_USER_IDS`): only they may touch service credentials (`scope: service`). */
  admins: ReadonlySet<number>;
  secrets: SecretStore;
  vault: KeyVault;
  intake: IntakeKeyService;
  queue: JobQueue;
  settings: VaultSettings;
  /** The bot's plan: each stored secret holds its bytes of `storedBytes`. */
  quota: TenantQuota;
  now?: () => number;
}

/** What a stored secret holds of the bot's plan is named by its owner and name. */
const quotaKey = (ownerId: string, name: string) => `secret.${ownerId}.${name}`;

/**
 * A stored secret's size as DynamoDB counts an item: the UTF-8 bytes of every attribute name and
 * string value (keys included), and 8 for the time (a number of 13 digits).
 */
export function secretBytes(ownerId: string, secret: StoredSecret): number {
  const strings = ['pk', `secrets#${ownerId}`, 'sk', secret.name, 'envelope', secret.envelope, 'masked', secret.masked];
  return strings.reduce((sum, text) => sum + Buffer.byteLength(text, 'utf8'), Buffer.byteLength('storedAt') + 8);
}

/** What may be shown of a secret: its last 4 characters, and only when it is long enough to spare them. */
export function maskSecret(value: string): string {
  const chars = [...value];
  if (chars.length < 12) return '•'.repeat(Math.min(chars.length, 8));
  return `${'•'.repeat(6)}${chars.slice(-4).join('')}`;
}

/**
 * Who a vault job acts for and whose secrets it touches: every vault job is someone's, in their
 * private chat; a service credential's job must be an admin's (else it is poison).
 */
function owner(job: JobEnvelope<{ scope?: SecretScope }>, admins: ReadonlySet<number>) {
  if (job.userId === null || job.chatId === null)
    throw new PoisonJobError('secret.no_user', 'a vault job needs a user');
  if (job.payload.scope === 'service') assertAdmin(admins, job);
  const context = secretContext(job.payload.scope, job.userId);
  return { userId: job.userId, chatId: job.chatId, ownerId: context.ownerId, context };
}

/**
 * The vault worker's use cases. `secret.store` opens what the webhook sealed to the intake key
 * and seals it again under a data key of the project key, bound to `{purpose: user-secret,
 * ownerId}`; only the envelope and a mask are stored, each holding its bytes of the bot's
 * `storedBytes` (refused over the plan, given back on `secret.delete`). `secret.check` opens a stored secret through
 * KMS and answers with its mask. Plaintext lives only in memory, for the length of one job, and
 * appears in no message, log line or error.
 */
export function vaultHandlers(deps: VaultDeps): JobHandler[] {
  const now = deps.now ?? Date.now;
  const say = (job: JobEnvelope, chatId: number, userId: number, html: string) =>
    emitFrom(deps.queue, job, [notice(chatId, userId, html)]);

  const store = handle(SecretStoreJob, async (job, log) => {
    const { userId, chatId, ownerId, context } = owner(job, deps.admins);
    const t = jobTranslator(job.payload.lang);
    const { name } = job.payload;
    let value: string;
    try {
      value = await openIntake(deps.intake, job.payload.sealed, context);
    } catch (error) {
      // Not sealed for this user by our webhook (or the intake key was replaced): nothing to store.
      if (error instanceof CiphertextRejectedError) {
        log.warn('secret.intake_rejected', { name });
        return say(job, chatId, userId, t('secret.check_failed', { name }));
      }
      throw error;
    }
    if (Buffer.byteLength(value) > deps.settings.maxSecretBytes) {
      return say(job, chatId, userId, t('secret.too_long', { max: deps.settings.maxSecretBytes }));
    }
    const envelope = await deps.vault.seal(Buffer.from(value, 'utf8'), context);
    const masked = maskSecret(value);
    const secret = { name, envelope, masked, storedAt: now() };
    // Held before it is written (a redelivery holds the same bytes again, moving nothing); given
    // back when the per-user limit keeps it out.
    const held = await deps.quota.hold('storedBytes', quotaKey(ownerId, name), secretBytes(ownerId, secret));
    if (!held.ok) {
      log.info('secret.over_quota', { name });
      return say(job, chatId, userId, t('secret.quota'));
    }
    const stored = await deps.secrets.put(ownerId, secret, deps.settings.maxSecretsPerUser);
    if (stored === 'limit') await deps.quota.release('storedBytes', quotaKey(ownerId, name));
    log.info('secret.stored', { name, outcome: stored });
    await say(
      job,
      chatId,
      userId,
      stored === 'stored'
        ? t('secret.stored', { name, masked })
        : t('secret.limit', { max: deps.settings.maxSecretsPerUser }),
    );
  });

  const list = handle(SecretListJob, async (job) => {
    const { userId, chatId, ownerId } = owner(job, deps.admins);
    const t = jobTranslator(job.payload.lang);
    const secrets = await deps.secrets.list(ownerId);
    if (secrets.length === 0) return say(job, chatId, userId, t('secret.none'));
    const lines = secrets.map((secret) =>
      t('secret.item', {
        name: secret.name,
        masked: secret.masked,
        date: new Date(secret.storedAt).toISOString().slice(0, 10),
      }),
    );
    await say(job, chatId, userId, [t('secret.list_title'), ...lines].join('\n'));
  });

  const remove = handle(SecretDeleteJob, async (job) => {
    const { userId, chatId, ownerId } = owner(job, deps.admins);
    const t = jobTranslator(job.payload.lang);
    const { name } = job.payload;
    const deleted = await deps.secrets.delete(ownerId, name);
    // Given back even when an earlier delivery deleted it and failed before this.
    await deps.quota.release('storedBytes', quotaKey(ownerId, name));
    await say(job, chatId, userId, t(deleted ? 'secret.deleted' : 'secret.missing', { name }));
  });

  const check = handle(SecretCheckJob, async (job, log) => {
    const { userId, chatId, ownerId, context } = owner(job, deps.admins);
    const t = jobTranslator(job.payload.lang);
    const { name } = job.payload;
    const secret = await deps.secrets.get(ownerId, name);
    if (!secret) return say(job, chatId, userId, t('secret.missing', { name }));
    let plaintext: Uint8Array;
    try {
      plaintext = await deps.vault.open(secret.envelope, context);
    } catch (error) {
      if (error instanceof CiphertextRejectedError || error instanceof WrongContextError) {
        log.warn('secret.unreadable', { name, code: error.code });
        return say(job, chatId, userId, t('secret.check_failed', { name }));
      }
      throw error;
    }
    const value = Buffer.from(plaintext).toString('utf8');
    plaintext.fill(0);
    await say(
      job,
      chatId,
      userId,
      t('secret.check_ok', { name, length: [...value].length, masked: maskSecret(value) }),
    );
  });

  return [store, list, remove, check] as JobHandler[];
}
