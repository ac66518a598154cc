/**
 * Puts a Telegram bot on a deployed stage (`onboardBot`): checks its token with Telegram, points its
 * webhook at the stage, sets its command menus, makes its treasury key when it has payouts, seals
 * the token under the stage's project key and writes its record.
 *
 * Usage:
 *   npm run bot:add -- --stage <stage> --table <table> --url <webhook base URL> --operator <user id>
 *     [--plan free|starter|pro|business] [--features payouts,assistant,watches,broadcasts]
 *     [--languages en,zh] [--admin-chat <chat id>] [--admin-users <id,id>] [--app <app>] [--region <region>]
 *   and the token on standard input (one line), never as an argument, so it stays out of shell
 *   history and process lists: `npm run bot:add -- … < token.txt`, or paste it when asked.
 *
 * `--table` is the Storage stack's `TableName` output, `--url` the API's webhook base URL (a bot's
 * webhook is `<url>/telegram/<botId>`). Running it again for the same bot (a retry, a new token
 * after a revocation, other features) is safe. See scripts/tenant-stage.ts for regions and credentials.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { commandMenus } from '../core/desk/bot/index.js';
import { stageSettings } from '../core/desk/settings.js';
import { treasuryAddress } from '../core/desk/solana/index.js';
import { isLanguage, type Language } from '../core/platform/i18n/index.js';
import { botSetupApi, KmsTreasuryKeys, type OnboardOutcome, onboardBot } from '../core/platform/onboarding/index.js';
import { TENANT_PLANS, type TenantFeatures, type TenantPlan, tenantOfToken } from '../core/platform/tenants/index.js';
import {
  oneLine,
  STAGE_OPTIONS,
  type StageArgs,
  stageArgs,
  stageServices,
  TELEGRAM_API_ROOT,
  type TenantScriptDeps,
} from './tenant-stage.js';

const USAGE =
  'usage: npm run bot:add -- --stage <stage> --table <table> --url <webhook base URL> --operator <user id> ' +
  '[--plan free|starter|pro|business] [--features payouts,assistant,watches,broadcasts] [--languages en,zh] ' +
  '[--admin-chat <chat id>] [--admin-users <id,id>] [--app <app>] [--region <region>] < token';

const FEATURE_NAMES = ['payouts', 'assistant', 'watches', 'broadcasts'] as const;

interface AddArgs extends StageArgs {
  readonly url: string;
  readonly operator: number;
  readonly plan: TenantPlan;
  readonly features: TenantFeatures;
  readonly languages: Language[];
  readonly adminChatId: number | null;
  readonly adminUserIds: number[];
}

function parse(argv: readonly string[]): AddArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...STAGE_OPTIONS,
      url: { type: 'string' },
      operator: { type: 'string' },
      plan: { type: 'string', default: 'free' },
      features: { type: 'string', default: '' },
      languages: { type: 'string', default: 'en,zh' },
      'admin-chat': { type: 'string' },
      'admin-users': { type: 'string', default: '' },
    },
    strict: true,
    allowPositionals: false,
  });
  const stage = stageArgs(values);
  if (values.url === undefined || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(values.url)) {
    throw new Error('--url must be the webhook base URL, https://…');
  }
  const operator = userId(values.operator, '--operator');
  if (!(TENANT_PLANS as readonly string[]).includes(values.plan))
    throw new Error(`--plan must be ${TENANT_PLANS.join('|')}`);
  const features = list(values.features);
  const unknown = features.filter((f) => !(FEATURE_NAMES as readonly string[]).includes(f));
  if (unknown.length > 0) throw new Error(`--features takes ${FEATURE_NAMES.join(',')}`);
  const languages = list(values.languages);
  if (languages.length === 0 || !languages.every(isLanguage)) throw new Error('--languages takes en,zh');
  const adminChat = values['admin-chat'];
  if (adminChat !== undefined && !/^-?[1-9]\d{0,15}$/.test(adminChat))
    throw new Error('--admin-chat must be a chat id');
  return {
    ...stage,
    url: values.url,
    operator,
    plan: values.plan as TenantPlan,
    features: Object.fromEntries(FEATURE_NAMES.map((f) => [f, features.includes(f)])) as unknown as TenantFeatures,
    languages: languages as Language[],
    adminChatId: adminChat === undefined ? null : Number(adminChat),
    adminUserIds: list(values['admin-users']).map((id) => userId(id, '--admin-users')),
  };
}

const list = (text: string): string[] =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

function userId(text: string | undefined, flag: string): number {
  if (text === undefined || !/^[1-9]\d{0,15}$/.test(text)) throw new Error(`${flag} takes Telegram user ids`);
  return Number(text);
}

/** The first line of `input` (the token), trimmed. */
async function firstLine(input: AsyncIterable<string | Buffer>): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

/** Adds the bot whose token is on standard input; resolves to the process exit code. */
export async function main(argv: readonly string[], deps: TenantScriptDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const writeError = deps.writeError ?? ((text: string) => process.stderr.write(text));
  let args: AddArgs;
  try {
    args = parse(argv);
  } catch (error) {
    writeError(`bot:add: ${oneLine(error)}\n${USAGE}\n`);
    return 1;
  }
  const stdin = deps.stdin ?? process.stdin;
  if (stdin === process.stdin && process.stdin.isTTY) writeError('Paste the bot token from @BotFather, then Enter: ');
  const token = await firstLine(stdin);
  if (tenantOfToken(token) === undefined) {
    writeError(`bot:add: ${problem({ kind: 'invalid_token' })}\n`);
    return 1;
  }

  const services = stageServices(args, deps);
  try {
    const settings = stageSettings(args.stage).webhook;
    // Telegram's command lists name only what the bot offers.
    const menus = commandMenus(args.adminChatId ?? 0, args.features).filter(
      (menu) => args.adminChatId !== null || menu.scope.type !== 'chat',
    );
    const outcome = await onboardBot(
      {
        token,
        operatorUserId: args.operator,
        plan: args.plan,
        features: args.features,
        languages: args.languages,
        adminChatId: args.adminChatId,
        adminUserIds: args.adminUserIds,
        commands: menus,
      },
      {
        registry: services.registry,
        vault: services.vault,
        treasuryKeys: new KmsTreasuryKeys({
          client: services.kms,
          aliasPrefix: `alias/${args.app}-${args.stage}-treasury-`,
          addressOf: treasuryAddress,
        }),
        telegram: (t) => botSetupApi(t, { apiRoot: deps.apiRoot ?? TELEGRAM_API_ROOT }),
        webhook: {
          baseUrl: args.url,
          masterSecret: await services.masterSecret(),
          allowedUpdates: settings.allowedUpdates,
          maxConnections: settings.maxConnections,
        },
        now: deps.now ?? Date.now,
      },
    );
    if (outcome.kind === 'onboarded') {
      write(report(outcome, args));
      return 0;
    }
    writeError(`bot:add: ${problem(outcome)}\n`);
    return 1;
  } catch (error) {
    writeError(`bot:add: ${oneLine(error)}\n`);
    return 1;
  } finally {
    services.close();
  }
}

function report(outcome: Extract<OnboardOutcome, { kind: 'onboarded' }>, args: AddArgs): string {
  const { tenant } = outcome;
  const lines = [
    `${outcome.created ? 'Added' : 'Updated'} @${tenant.username} (bot ${tenant.id}) on stage ${args.stage}, plan ${tenant.plan}.`,
    `  webhook: ${args.url.replace(/\/+$/, '')}/telegram/${tenant.id}`,
    `  features: ${FEATURE_NAMES.filter((f) => tenant.features[f]).join(', ') || 'none'}`,
  ];
  if (tenant.treasury) lines.push(`  treasury address: ${tenant.treasury.address} (KMS key ${tenant.treasury.keyId})`);
  return `${lines.join('\n')}\n`;
}

function problem(outcome: Exclude<OnboardOutcome, { kind: 'onboarded' }>): string {
  switch (outcome.kind) {
    case 'invalid_token':
      return 'standard input holds no bot token (<bot id>:<secret>, as @BotFather gives it)';
    case 'invalid_request':
      return outcome.detail;
    case 'token_rejected':
      return 'Telegram rejected this token: check it in @BotFather (/token) and try again';
    case 'taken':
      return `bot ${outcome.botId} is already hosted here by another operator`;
    case 'unavailable':
      return `${outcome.step} failed for now [${outcome.code}]; nothing is half done that a retry will not finish: run it again`;
    case 'refused':
      return `${outcome.step} was refused [${outcome.code}]: ${oneLine(outcome.detail)}`;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
