/**
 * The deploy's refusal: `sst deploy` of a stage whose functions would start without a secret they
 * need (SSM has no value for it) stops before anything is deployed, naming each missing secret with
 * the command that sets it, and for TREASURY_ADDRESS and VAULT_INTAKE_KEY the Keys-first order that
 * makes them. sst.config.ts runs it in `deploy` mode only (`sst deploy`, `sst build`, `sst diff`);
 * `sst dev`, `npm run synth` and the tests never do. It asks SSM whether each secret is set, with
 * decryption off, so no secret value is ever read, let alone printed.
 */
import { type App, Stack } from 'sst/constructs';
import { type ParameterReader, readSecrets, secretRoots, ssmReader } from '../functions/lib/secrets.js';
import { DEFAULT_REGION } from './app.js';
import { SECRETS, type SecretName } from './manifest.js';

/** The two secrets that are the public keys of the Keys stack's KMS keys (`npm run treasury:address`). */
const FROM_KEYS = ['TREASURY_ADDRESS', 'VAULT_INTAKE_KEY'] as const;
type FromKeys = (typeof FROM_KEYS)[number];
const fromKeys = (name: SecretName): name is FromKeys => (FROM_KEYS as readonly string[]).includes(name);

/** What to put in each `npx sst secrets set` command: placeholders (quoted, for the shell), never values. */
const HOW_TO_SET: Readonly<Record<Exclude<SecretName, FromKeys>, string>> = {
  TELEGRAM_BOT_TOKEN: "'<the token @BotFather gave you>'",
  TELEGRAM_WEBHOOK_SECRET: '"$(openssl rand -hex 32)"',
  TELEGRAM_BOT_USERNAME: "'<the bot username, without @>'",
  SOLANA_RPC_URLS: `'[{"url":"https://api.mainnet-beta.solana.com","rps":8,"priority":1}]'`,
  PRICE_URLS: `'[{"url":"https://api.coingecko.com/api/v3/simple/token_price/solana","rps":0.5,"priority":1}]'`,
  ADMIN_CHAT_ID: "'<the admin group id, e.g. -1001234567890>'",
  ADMIN_USER_IDS: "'<the admins’ user ids, comma-separated>'",
  AI_API_KEY: "'<the API key of the assistant provider>'",
};

/**
 * The secrets bound to the functions of the stacks this deploy updates (`isActive`: SST's own
 * `Stack.isActive`, false for the stacks `sst deploy <filter>` leaves out), read from SST's record
 * of each function's bindings: `sst deploy Keys` updates no function and needs none.
 */
export function secretsToDeploy(
  app: App,
  isActive: (stack: Stack) => boolean = (stack) => stack.isActive,
): SecretName[] {
  const bound = new Set(
    app.node.children
      .filter((child): child is Stack => child instanceof Stack && isActive(child))
      .flatMap((stack) => stack.getAllFunctions())
      .flatMap((fn) => fn.getConstructMetadata().data.secrets),
  );
  return SECRETS.filter((name) => bound.has(name));
}

/** The secrets of `required` with no value for `stage`, in the stage's path or the app's fallback. */
export async function unsetSecrets(
  required: readonly SecretName[],
  where: { app: string; stage: string },
  read: ParameterReader,
): Promise<SecretName[]> {
  if (required.length === 0) return [];
  const found = await readSecrets(required, secretRoots(where.app, `/sst/${where.app}/${where.stage}/`), read);
  return required.filter((name) => !found.has(name));
}

/** What the operator reads when secrets are missing: each command to run, in order. */
export function unsetSecretsMessage(where: { stage: string; region: string }, unset: readonly SecretName[]): string {
  const flags = `--stage ${where.stage}${where.region === DEFAULT_REGION ? '' : ` --region ${where.region}`}`;
  const set = (name: Exclude<SecretName, FromKeys>) => `  npx sst secrets set ${name} ${HOW_TO_SET[name]} ${flags}`;
  const plain = unset.filter((name): name is Exclude<SecretName, FromKeys> => !fromKeys(name));
  const keys = unset.filter(fromKeys);
  const lines = [
    `Not deploying stage ${where.stage} (${where.region}): its functions need secrets that are not set: ${unset.join(', ')}.`,
  ];
  if (plain.length > 0) lines.push(`Set ${plain.length > 1 ? 'them' : 'it'} first:`, ...plain.map(set));
  if (keys.length > 0) {
    lines.push(
      `${keys.join(' and ')} ${keys.length > 1 ? 'are' : 'is'} made from the stage's KMS keys, which only the Keys stack creates. Deploy it alone, then print the commands that set ${keys.length > 1 ? 'them' : 'it'} and run those:`,
      `  npx sst deploy Keys ${flags}`,
      `  npm run treasury:address -- ${flags}`,
    );
  }
  lines.push(`Then deploy again: npx sst deploy ${flags}`, 'Step by step: README.md, "Deploying".');
  return lines.join('\n');
}

/** How the deploy's check reaches SSM and stops the deploy. */
export interface DeployCheckDeps {
  /** SSM's GetParameters (`deployParameterReader`); a fake in tests. */
  readonly read: ParameterReader;
  /** The error that stops `sst` (its `VisibleError`, printed without a stack trace). */
  readonly refusal: (message: string) => Error;
  /** Which stacks this deploy updates (default: SST's `Stack.isActive`). */
  readonly isActive?: (stack: Stack) => boolean;
}

/**
 * In `deploy` mode, throws `refusal(message)` when a secret the deployed functions need is not set
 * for the stage; in any other mode (`sst dev`, `sst remove`) does nothing and asks nothing.
 */
export async function refuseUnsetSecrets(app: App, deps: DeployCheckDeps): Promise<void> {
  if (app.mode !== 'deploy') return;
  const unset = await unsetSecrets(secretsToDeploy(app, deps.isActive), { app: app.name, stage: app.stage }, deps.read);
  if (unset.length > 0) throw deps.refusal(unsetSecretsMessage({ stage: app.stage, region: app.region }, unset));
}

/**
 * SSM's `GetParameters` in `region` with the deploy's own credentials (SST resolves them from the
 * profile, role or environment), without decryption; `AWS_ENDPOINT_URL_SSM` is honoured.
 */
/** AWS credentials, as SST's `useAWSCredentials` resolves them. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export function deployParameterReader(
  region: string,
  credentials: () => Promise<Credentials>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ParameterReader {
  return async (names) => {
    const { accessKeyId, secretAccessKey, sessionToken } = await credentials();
    const read = ssmReader(
      {
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: accessKeyId,
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
        AWS_SESSION_TOKEN: sessionToken,
        AWS_ENDPOINT_URL_SSM: env.AWS_ENDPOINT_URL_SSM,
      },
      { decrypt: false },
    );
    return read(names);
  };
}
