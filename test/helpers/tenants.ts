import { randomBytes } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { treasuryAddress } from '../../core/desk/solana/index.js';
import { Table } from '../../core/platform/adapters/index.js';
import { createEnvelopeVault, type KeyVault, KmsDataKeys } from '../../core/platform/keys/index.js';
import { KmsTreasuryKeys, webhookSecretOf } from '../../core/platform/onboarding/index.js';
import {
  DynamoTenantRegistry,
  scopeToTenant,
  type TenantId,
  type TenantRecord,
} from '../../core/platform/tenants/index.js';
import { localClientConfig } from '../../local/aws/common.js';
import type { LocalStack } from '../../local/index.js';
import { type KmsEmulator, startKmsEmulator } from '../../local/kms/index.js';
import { startTelegramPeer, type TelegramPeer } from '../../local/telegram/index.js';
import { registerSecret } from '../setup/secrets.js';
import { type LocalTable, startLocalTable } from './local-table.js';

/** A valid active tenant record (a fake envelope: the registry stores it as text). */
export function tenantRecord(id: string, overrides: Partial<TenantRecord> = {}): TenantRecord {
  return {
    id,
    username: `bot_${id}_bot`,
    name: `Bot ${id}`,
    status: 'active',
    plan: 'free',
    languages: ['en', 'zh'],
    operators: [7001],
    adminChatId: null,
    adminUserIds: [],
    features: { payouts: false, assistant: true, watches: true, broadcasts: false },
    sealedToken: 'wd1:AAAA',
    treasury: null,
    createdAt: 1_000,
    ...overrides,
  };
}

/** What onboarding needs, on the local emulators: a table, KMS (a data key and treasury keys), the registry. */
export interface TenantWorld {
  readonly local: LocalTable;
  readonly kms: KmsEmulator;
  readonly kmsClient: KMSClient;
  readonly dataKeyId: string;
  readonly registry: DynamoTenantRegistry;
  readonly table: Table;
  readonly vault: KeyVault;
  readonly treasuryKeys: KmsTreasuryKeys;
  stop(): Promise<void>;
}

export async function startTenantWorld(name: string): Promise<TenantWorld> {
  const local = await startLocalTable(name);
  const kms = await startKmsEmulator();
  const kmsClient = new KMSClient({ ...localClientConfig(kms.endpoint), maxAttempts: 1 });
  const dataKeyId = await kms.ensureKey(`alias/${name}`, 'SYMMETRIC_DEFAULT');
  return {
    local,
    kms,
    kmsClient,
    dataKeyId,
    registry: new DynamoTenantRegistry({ client: local.client, tableName: local.tableName }),
    table: new Table(local.client, local.tableName, Date.now),
    vault: createEnvelopeVault(new KmsDataKeys({ client: kmsClient, keyId: dataKeyId })),
    treasuryKeys: new KmsTreasuryKeys({
      client: kmsClient,
      aliasPrefix: `alias/${name}-tenant-`,
      addressOf: treasuryAddress,
    }),
    async stop() {
      kmsClient.destroy();
      await kms.stop();
      await local.stop();
    },
  };
}

/** A bot on its own local Telegram peer: its token, its id and the peer. */
export interface LocalBot {
  readonly id: string;
  readonly token: string;
  readonly peer: TelegramPeer;
}

/** Starts a peer for a new bot `id` (`@<username>`, "Desk <id>"). */
export async function startLocalBot(id: number, username = `desk_${id}_bot`): Promise<LocalBot> {
  const token = `${id}:TEST${randomBytes(24).toString('base64url')}`;
  registerSecret(token);
  const peer = await startTelegramPeer({ token, bot: { id, username, first_name: `Desk ${id}` } });
  return { id: String(id), token, peer };
}

/** The tenant (a bot id) of unit tests' jobs and stores, where which bot does not matter. */
export const TEST_TENANT = '1001';

/** The local stack's own bot as a tenant: its bot id. */
export const homeTenant = (stack: LocalStack): TenantId => String(stack.bot.id);

/** `client` scoped to the stack's own bot: the table as that bot's functions see it (`session#…`, not `t<botId>/session#…`). */
export const homeScope = (stack: LocalStack, client: DynamoDBClient): DynamoDBClient =>
  scopeToTenant(client, homeTenant(stack));

/** POSTs `body` to the stack's webhook as Telegram does for its own bot: on `/telegram/<botId>`, with the bot's derived secret unless `secret` is given. */
export function postToWebhook(
  stack: LocalStack,
  body: unknown,
  secret = webhookSecretOf(stack.bot.webhookSecret, homeTenant(stack)),
): Promise<Response> {
  return fetch(`${stack.webhookUrl}/${homeTenant(stack)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
