/**
 * What `bot:add` and `bot:remove` share: the stage's options (`--stage`, `--app`, `--region`,
 * `--table`), its AWS clients in the stage's region (as `sst` resolves it, stacks/app.ts), its
 * tenant registry and token vault, the webhook master secret from the stage's SST secrets, and the
 * one-line error. Credentials come from the default AWS chain; `AWS_ENDPOINT_URL_DYNAMODB`,
 * `AWS_ENDPOINT_URL_KMS` and `AWS_ENDPOINT_URL_SSM` point it at other endpoints.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import * as z from 'zod/mini';
import { Table } from '../core/platform/adapters/index.js';
import { AppError } from '../core/platform/errors.js';
import { createEnvelopeVault, type KeyVault, KmsDataKeys } from '../core/platform/keys/index.js';
import { redact } from '../core/platform/log.js';
import { DynamoTenantRegistry } from '../core/platform/tenants/index.js';
import { readSecrets, secretRoots, ssmReader } from '../functions/lib/secrets.js';
import { APP_NAME, deployRegion } from '../stacks/app.js';
import { keyAlias } from '../stacks/manifest.js';

/** The stage secret each bot's webhook secret is derived from (`npx sst secrets set TELEGRAM_WEBHOOK_SECRET <43+ chars>`). */
export const MASTER_SECRET_NAME = 'TELEGRAM_WEBHOOK_SECRET';

/** The Bot API, unless a test points the scripts at a local peer. */
export const TELEGRAM_API_ROOT = 'https://api.telegram.org';

/** What the scripts take from outside, for tests to replace. */
export interface TenantScriptDeps {
  /** Default: a `DynamoDBClient` in the stage's region. */
  readonly dynamodb?: DynamoDBClient;
  /** Default: a `KMSClient` in the stage's region. */
  readonly kms?: KMSClient;
  /** Default: `https://api.telegram.org`. */
  readonly apiRoot?: string;
  /** Default: the stage's `WEBHOOK_MASTER_SECRET` from SSM, read with the KMS client's credentials. */
  readonly masterSecret?: () => Promise<string>;
  /** Where `bot:add` reads the token (default: standard input). */
  readonly stdin?: AsyncIterable<string | Buffer>;
  readonly now?: () => number;
  readonly write?: (text: string) => void;
  readonly writeError?: (text: string) => void;
}

/** SST stage and app names: letters, digits and hyphens, starting with a letter. */
const NAME_RULE = 'letters, digits and hyphens, starting with a letter';
const Name = z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]*$/, NAME_RULE));
const TableName = z.string().check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/));

/** The options every tenant script takes. */
export const STAGE_OPTIONS = {
  stage: { type: 'string' },
  app: { type: 'string', default: APP_NAME },
  region: { type: 'string' },
  table: { type: 'string' },
} as const;

export interface StageArgs {
  readonly stage: string;
  readonly app: string;
  readonly region: string;
  readonly table: string;
}

/** Checks the stage options (throws an `Error` whose message is the problem). */
export function stageArgs(values: { stage?: string; app?: string; region?: string; table?: string }): StageArgs {
  if (values.stage === undefined) throw new Error('--stage is required');
  if (!Name.safeParse(values.stage).success || !Name.safeParse(values.app).success) {
    throw new Error(`--stage and --app must be ${NAME_RULE}`);
  }
  if (values.table === undefined) throw new Error("--table is required (the Storage stack's TableName output)");
  if (!TableName.safeParse(values.table).success) throw new Error('--table must be a DynamoDB table name');
  return { stage: values.stage, app: values.app ?? APP_NAME, region: deployRegion(values.region), table: values.table };
}

/** The stage's clients and the stores built on them; `close()` destroys the clients it made. */
export interface StageServices {
  readonly registry: DynamoTenantRegistry;
  readonly table: Table;
  readonly vault: KeyVault;
  readonly kms: KMSClient;
  readonly masterSecret: () => Promise<string>;
  close(): void;
}

export function stageServices(args: StageArgs, deps: TenantScriptDeps): StageServices {
  const dynamodb = deps.dynamodb ?? new DynamoDBClient({ region: args.region });
  const kms = deps.kms ?? new KMSClient({ region: args.region });
  return {
    registry: new DynamoTenantRegistry({ client: dynamodb, tableName: args.table }),
    table: new Table(dynamodb, args.table, deps.now ?? Date.now),
    vault: createEnvelopeVault(new KmsDataKeys({ client: kms, keyId: keyAlias(args.app, args.stage, 'project') })),
    kms,
    masterSecret: deps.masterSecret ?? (() => stageSecret(args, kms, MASTER_SECRET_NAME)),
    close() {
      if (!deps.dynamodb) dynamodb.destroy();
      if (!deps.kms) kms.destroy();
    },
  };
}

/** A stage secret from SSM (where `sst secrets set` put it), read with the credentials of the KMS client. */
async function stageSecret(args: StageArgs, kms: KMSClient, name: string): Promise<string> {
  const credentials = await kms.config.credentials();
  const read = ssmReader({
    AWS_REGION: args.region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_ENDPOINT_URL_SSM: process.env.AWS_ENDPOINT_URL_SSM,
  });
  const found = await readSecrets([name], secretRoots(args.app, `/sst/${args.app}/${args.stage}/`), read);
  const value = found.get(name);
  if (value === undefined) throw new AppError('config.invalid', `${name} is not set for stage ${args.stage}`);
  return value;
}

/** One line for stderr: the error's message and code, with anything shaped like a bot token scrubbed. */
export function oneLine(error: unknown): string {
  const code = error instanceof AppError ? ` [${error.code}]` : '';
  const message = error instanceof Error ? error.message || error.name : String(error);
  return `${String(redact(message)).replace(/\s+/g, ' ').trim().slice(0, 300)}${code}`;
}
