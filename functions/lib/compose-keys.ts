import { commandMenus } from '../../core/desk/bot/index.js';
import {
  DepositCreditJob,
  DepositDecideJob,
  DynamoDepositStore,
  depositDecisionHandlers,
} from '../../core/desk/deposits/index.js';
import { switchedOff } from '../../core/desk/features.js';
import { DynamoLedger } from '../../core/desk/ledger/index.js';
import {
  DynamoPayoutStore,
  PayoutDecideJob,
  PayoutSettleJob,
  type PayoutSigner,
  PayoutSignJob,
  payoutSignerHandlers,
} from '../../core/desk/payouts/index.js';
import { fifoQueues } from '../../core/desk/settings.js';
import { buildSignedTransfer, treasuryAddress } from '../../core/desk/solana/index.js';
import { vaultHandlers } from '../../core/desk/vault/index.js';
import { SqsJobQueue } from '../../core/platform/jobs/index.js';
import type { SigningKey } from '../../core/platform/keys/index.js';
import {
  createEnvelopeVault,
  DynamoSecretStore,
  KmsDataKeys,
  KmsIntakeKey,
  KmsSigningKey,
} from '../../core/platform/keys/index.js';
import type { Logger } from '../../core/platform/log.js';
import { onboardingHandlers } from '../../core/platform/manager/index.js';
import { botSetupApi, DEFAULT_REMOVAL_GRACE_SECONDS, KmsTreasuryKeys } from '../../core/platform/onboarding/index.js';
import { DynamoTenantRegistry, scopeToTenant, type TenantId } from '../../core/platform/tenants/index.js';
import { DynamoUserDirectory } from '../../core/platform/users/index.js';
import { composeConsumer, consumeBySource } from './compose.js';
import type { SignerConfig, VaultWorkerConfig } from './config.js';
import { kmsClient } from './kms.js';
import { tenantQuotas } from './quota.js';
import { dynamoClient, sqsClient } from './runtime.js';
import { tenantSettings } from './tenants.js';

/**
 * The object graphs of the two functions that use KMS for keys and signatures, kept apart from
 * `compose.ts` so the KMS client (and web3.js, for the signer) never reach the webhook bundle.
 */

/** The vault worker: opens intake-sealed values and keeps them as envelopes under the project key. */
export function composeVaultWorker(config: VaultWorkerConfig, log: Logger) {
  const { settings, tableName } = config;
  const kms = kmsClient();
  const vault = createEnvelopeVault(new KmsDataKeys({ client: kms, keyId: config.keys.project }), {
    maxAgeMs: settings.vault.dataKeyMaxAgeSeconds * 1000,
    maxUses: settings.vault.dataKeyMaxUses,
  });
  const dynamo = dynamoClient();
  const intake = new KmsIntakeKey({ client: kms, keyId: config.keys.intake });
  const queue = new SqsJobQueue({ client: sqsClient(), queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const settingsOf = tenantSettings({
    client: dynamo,
    tableName,
    home: { adminUserIds: config.adminUserIds, treasury: undefined },
  });
  const manager = managerOnboarding(config, { kms, vault, intake, queue, dynamo });
  const quotaOf = tenantQuotas({ client: dynamo, tableName, queue, log });
  const handlers = async (tenant: TenantId) => {
    const { adminUserIds: admins, record } = await settingsOf(tenant);
    return [
      ...vaultHandlers({
        admins,
        quota: quotaOf(tenant, record),
        secrets: new DynamoSecretStore({ client: scopeToTenant(dynamo, tenant), tableName }),
        vault,
        intake,
        queue,
        settings: settings.vault,
      }),
      // Only the manager bot's webhook (the deployment's own bot) queues these.
      ...manager,
    ];
  };
  return composeConsumer('vault', config, handlers, log);
}

/**
 * The manager bot's jobs in the vault worker, which alone opens what the webhook seals to the intake
 * key: onboarding a bot from its token (a new bot gets the desk's user menus; its admin chat, if any,
 * is set later) and removing one. The webhook's base URL is the one the deploy recorded.
 */
function managerOnboarding(
  config: VaultWorkerConfig,
  deps: {
    kms: ReturnType<typeof kmsClient>;
    vault: ReturnType<typeof createEnvelopeVault>;
    intake: KmsIntakeKey;
    queue: SqsJobQueue;
    dynamo: ReturnType<typeof dynamoClient>;
  },
) {
  const { settings, onboarding } = config;
  const registry = new DynamoTenantRegistry({ client: deps.dynamo, tableName: config.tableName });
  const telegram = (token: string) => botSetupApi(token, { apiRoot: onboarding.apiRoot });
  const treasuryKeys = new KmsTreasuryKeys({
    client: deps.kms,
    aliasPrefix: onboarding.treasuryAliasPrefix,
    addressOf: treasuryAddress,
  });
  return onboardingHandlers({
    intake: deps.intake,
    queue: deps.queue,
    commands: commandMenus(0).filter((menu) => menu.scope.type !== 'chat'),
    onboard: { registry, vault: deps.vault, treasuryKeys, telegram, now: Date.now },
    webhook: async () => {
      const baseUrl = await registry.webhookBase();
      return baseUrl === undefined
        ? undefined
        : {
            baseUrl,
            masterSecret: onboarding.masterSecret,
            allowedUpdates: settings.webhook.allowedUpdates,
            maxConnections: settings.webhook.maxConnections,
          };
    },
    offboard: {
      registry,
      vault: deps.vault,
      telegram,
      removalGraceSeconds: DEFAULT_REMOVAL_GRACE_SECONDS,
      now: Date.now,
    },
  });
}

/** The treasury's signer: payout transfers built with web3.js, signed by the KMS Ed25519 key. */
export function kmsPayoutSigner(key: SigningKey): PayoutSigner {
  let address: Promise<string> | undefined;
  return {
    address: () => {
      address ??= treasuryAddress(key).catch((error: unknown) => {
        address = undefined;
        throw error;
      });
      return address;
    },
    signTransfer: (input) => buildSignedTransfer({ key, ...input }),
  };
}

/**
 * The signer: KMS signatures and outcomes from the payouts queue, and the admins' payout and deposit
 * decisions from the decisions queue, which only the webhook may send to. A decision job on the
 * payouts queue (which the rpc worker may send to) has no handler there: it is parked, never run.
 */
export function composeSigner(config: SignerConfig, log: Logger) {
  const { settings } = config;
  const dynamo = dynamoClient();
  const queue = new SqsJobQueue({ client: sqsClient(), queueUrls: config.queueUrls, fifo: fifoQueues(settings) });
  const kms = kmsClient();
  const settingsOf = tenantSettings({
    client: dynamo,
    tableName: config.tableName,
    home: {
      adminUserIds: config.adminUserIds,
      treasury: { address: config.treasuryAddress, keyId: config.treasuryKeyId },
    },
  });
  const signers = new Map<string, PayoutSigner>();
  /** Each bot signs with its own treasury key (the stage's own bot with the stage's). */
  const signerOf = (keyId: string) => {
    let signer = signers.get(keyId);
    if (!signer) {
      signer = kmsPayoutSigner(new KmsSigningKey({ client: kms, keyId }));
      signers.set(keyId, signer);
    }
    return signer;
  };
  const payoutHandlers = async (tenant: TenantId) => {
    const { adminUserIds: admins, treasury } = await settingsOf(tenant);
    // A bot without payouts has no treasury: its payout jobs are parked (`feature.off`), never run.
    if (!treasury?.keyId) return switchedOff('payouts', [PayoutSignJob, PayoutSettleJob, PayoutDecideJob]);
    const stores = { client: scopeToTenant(dynamo, tenant), tableName: config.tableName };
    return payoutSignerHandlers({
      admins,
      store: new DynamoPayoutStore(stores),
      ledger: new DynamoLedger(stores),
      signer: signerOf(treasury.keyId),
      queue,
      settings: settings.payouts,
      treasury: treasury.address,
      explorerTxUrl: config.explorerTxUrl,
    });
  };
  const decisionHandlers = async (tenant: TenantId) => {
    const { adminUserIds: admins, features } = await settingsOf(tenant);
    const stores = { client: scopeToTenant(dynamo, tenant), tableName: config.tableName };
    const decisions = (await payoutHandlers(tenant)).filter((handler) => handler.job === PayoutDecideJob);
    if (!features.payouts) return [...decisions, ...switchedOff('payouts', [DepositDecideJob, DepositCreditJob])];
    return [
      ...decisions,
      ...depositDecisionHandlers({
        deposits: new DynamoDepositStore(stores),
        queue,
        admins,
        users: new DynamoUserDirectory(stores),
      }),
    ];
  };
  return consumeBySource([
    {
      queueUrl: config.queueUrl,
      consume: composeConsumer(
        'payouts',
        config,
        async (tenant) => (await payoutHandlers(tenant)).filter((handler) => handler.job !== PayoutDecideJob),
        log,
      ),
    },
    {
      queueUrl: config.decisions.queueUrl,
      consume: composeConsumer('decisions', { ...config, ...config.decisions }, decisionHandlers, log),
    },
  ]);
}
