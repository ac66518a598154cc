/**
 * More bots on the local stack, onboarded exactly as `npm run bot:add` onboards one on a deployed
 * stage (`onboardBot`: getMe, setWebhook with the bot's derived secret on `/telegram/<botId>`,
 * setMyCommands, its treasury key in KMS, its token sealed in the registry), against the local
 * Telegram peer, KMS and DynamoDB. Offboarding likewise (`offboardBot`).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { commandMenus } from '../../core/desk/bot/index.js';
import type { StageSettings } from '../../core/desk/settings.js';
import { treasuryAddress } from '../../core/desk/solana/index.js';
import { createEnvelopeVault, KmsDataKeys } from '../../core/platform/keys/index.js';
import {
  botSetupApi,
  DEFAULT_REMOVAL_GRACE_SECONDS,
  KmsTreasuryKeys,
  type OffboardOutcome,
  offboardBot,
  onboardBot,
} from '../../core/platform/onboarding/index.js';
import {
  DynamoTenantRegistry,
  type TenantFeatures,
  type TenantPlan,
  type TenantRecord,
} from '../../core/platform/tenants/index.js';
import { localClientConfig } from '../aws/common.js';
import type { TelegramPeer } from '../telegram/index.js';

/** A bot to add: who runs it and what it offers. */
export interface LocalBotRequest {
  readonly username: string;
  readonly name?: string;
  /** The Telegram user who registers it (its operator). */
  readonly operator: number;
  readonly plan?: TenantPlan;
  /** Default: every feature on (payouts with its own treasury key). */
  readonly features?: Partial<TenantFeatures>;
  readonly adminChatId?: number | null;
  readonly adminUserIds?: readonly number[];
}

/** A bot the local stack added: its identity and its registry record. */
export interface LocalBot {
  readonly id: number;
  readonly token: string;
  readonly username: string;
  readonly record: TenantRecord;
}

export interface LocalTenantsOptions {
  readonly peer: TelegramPeer;
  readonly dynamodbEndpoint: string;
  readonly tableName: string;
  readonly kmsEndpoint: string;
  readonly projectKeyId: string;
  /** The alias prefix of tenants' treasury keys (as the deploy scripts name them). */
  readonly treasuryAliasPrefix: string;
  readonly settings: StageSettings;
  /** The webhook route's URL (`http://127.0.0.1:PORT/telegram`). */
  readonly webhookUrl: string;
  /** The deployment's webhook secret, from which each bot's is derived. */
  readonly masterSecret: string;
}

/** Local bot ids start here (the home bot's is 123456789). */
const FIRST_LOCAL_BOT_ID = 700_000_001;

export function localTenants(options: LocalTenantsOptions) {
  const dynamo = new DynamoDBClient(localClientConfig(options.dynamodbEndpoint));
  const kms = new KMSClient(localClientConfig(options.kmsEndpoint));
  const registry = new DynamoTenantRegistry({ client: dynamo, tableName: options.tableName });
  const vault = createEnvelopeVault(new KmsDataKeys({ client: kms, keyId: options.projectKeyId }));
  const telegram = (token: string) => botSetupApi(token, { apiRoot: options.peer.apiRoot });
  let next = FIRST_LOCAL_BOT_ID + options.peer.bots().length - 1;

  return {
    async add(request: LocalBotRequest): Promise<LocalBot> {
      next += 1;
      const id = next;
      const token = `${id}:LOCAL${randomBytes(24).toString('base64url')}`;
      options.peer.addBot({
        token,
        bot: { id, username: request.username, first_name: request.name ?? request.username },
      });
      // Its admin chat has the bot as a member before onboarding sets that chat's command menu, as on Telegram.
      if (request.adminChatId != null) {
        options.peer.group(request.adminChatId, `${request.username} admins`, { bots: [id] });
      }
      const features = { payouts: true, assistant: true, watches: true, broadcasts: true, ...request.features };
      const outcome = await onboardBot(
        {
          token,
          operatorUserId: request.operator,
          plan: request.plan ?? 'starter',
          features,
          adminChatId: request.adminChatId ?? null,
          adminUserIds: [...(request.adminUserIds ?? [])],
          // Its admin chat's menu only when it has one.
          commands:
            request.adminChatId == null
              ? commandMenus(0, features).filter((menu) => menu.scope?.type !== 'chat')
              : commandMenus(request.adminChatId, features),
        },
        {
          registry,
          vault,
          treasuryKeys: new KmsTreasuryKeys({
            client: kms,
            aliasPrefix: options.treasuryAliasPrefix,
            addressOf: treasuryAddress,
          }),
          telegram,
          webhook: {
            baseUrl: options.webhookUrl.replace(/\/telegram$/, ''),
            masterSecret: options.masterSecret,
            allowedUpdates: options.settings.webhook.allowedUpdates,
            maxConnections: options.settings.webhook.maxConnections,
          },
          now: Date.now,
        },
      );
      if (outcome.kind !== 'onboarded') throw new Error(`onboarding @${request.username} failed: ${outcome.kind}`);
      return { id, token, username: request.username, record: outcome.tenant };
    },

    /** Offboards a bot as its operator would (`npm run bot:remove`): webhook deleted, data kept for the grace period. */
    remove(botId: number, operator: number): Promise<OffboardOutcome> {
      return offboardBot(String(botId), operator, {
        registry,
        vault,
        telegram,
        removalGraceSeconds: DEFAULT_REMOVAL_GRACE_SECONDS,
        now: Date.now,
      });
    },

    async stop(): Promise<void> {
      dynamo.destroy();
      kms.destroy();
    },
  };
}

export type LocalTenants = ReturnType<typeof localTenants>;
