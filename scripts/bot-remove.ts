/**
 * Takes a bot off a deployed stage (`offboardBot`): at the request of one of its operators, deletes
 * its webhook and marks it removed; its data is kept for the grace period (30 days), during which
 * `bot:add` by the same operator restores it. With `--purge`, after the grace, deletes its data
 * (every item under `t<botId>/`) and its record (`purgeTenant`); this reads the whole table (a
 * Scan), so the caller needs `dynamodb:Scan`, which no function of the bot has. The bot's treasury
 * key stays in KMS: its address may still hold funds.
 *
 * Usage: `npm run bot:remove -- --stage <stage> --table <table> --bot <bot id> --operator <user id> [--purge] [--app <app>] [--region <region>]`
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  botSetupApi,
  DEFAULT_REMOVAL_GRACE_SECONDS,
  offboardBot,
  purgeTenant,
} from '../core/platform/onboarding/index.js';
import { TenantIdSchema } from '../core/platform/tenants/index.js';
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
  'usage: npm run bot:remove -- --stage <stage> --table <table> --bot <bot id> --operator <user id> [--purge] [--app <app>] [--region <region>]';

interface RemoveArgs extends StageArgs {
  readonly bot: string;
  readonly operator: number;
  readonly purge: boolean;
}

function parse(argv: readonly string[]): RemoveArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: { ...STAGE_OPTIONS, bot: { type: 'string' }, operator: { type: 'string' }, purge: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  });
  const stage = stageArgs(values);
  if (!TenantIdSchema.safeParse(values.bot).success) throw new Error("--bot takes the bot's numeric id");
  if (values.operator === undefined || !/^[1-9]\d{0,15}$/.test(values.operator)) {
    throw new Error('--operator takes your Telegram user id');
  }
  return { ...stage, bot: values.bot!, operator: Number(values.operator), purge: values.purge === true };
}

/** Removes (or purges) one bot; resolves to the process exit code. */
export async function main(argv: readonly string[], deps: TenantScriptDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const writeError = deps.writeError ?? ((text: string) => process.stderr.write(text));
  let args: RemoveArgs;
  try {
    args = parse(argv);
  } catch (error) {
    writeError(`bot:remove: ${oneLine(error)}\n${USAGE}\n`);
    return 1;
  }
  const services = stageServices(args, deps);
  const now = deps.now ?? Date.now;
  try {
    return args.purge
      ? await purge(args, services, now, write, writeError)
      : await remove(args, deps, services, now, write, writeError);
  } catch (error) {
    writeError(`bot:remove: ${oneLine(error)}\n`);
    return 1;
  } finally {
    services.close();
  }
}

type Services = ReturnType<typeof stageServices>;
type Write = (text: string) => void;

async function remove(
  args: RemoveArgs,
  deps: TenantScriptDeps,
  services: Services,
  now: () => number,
  write: Write,
  writeError: Write,
) {
  const outcome = await offboardBot(args.bot, args.operator, {
    registry: services.registry,
    vault: services.vault,
    telegram: (token) => botSetupApi(token, { apiRoot: deps.apiRoot ?? TELEGRAM_API_ROOT }),
    removalGraceSeconds: DEFAULT_REMOVAL_GRACE_SECONDS,
    now,
  });
  switch (outcome.kind) {
    case 'removed':
      write(
        `Removed bot ${args.bot} from stage ${args.stage}; its data is purged after ${iso(outcome.purgeAfter)} (bot:remove --purge).\n`,
      );
      return 0;
    case 'already_removed':
      write(`Bot ${args.bot} was already removed; purge after ${iso(outcome.purgeAfter)}.\n`);
      return 0;
    case 'not_found':
      writeError(`bot:remove: bot ${args.bot} is not hosted on stage ${args.stage}\n`);
      return 1;
    case 'not_operator':
      writeError(`bot:remove: user ${args.operator} is not an operator of bot ${args.bot}\n`);
      return 1;
    case 'unavailable':
      writeError(`bot:remove: ${outcome.step} failed for now [${outcome.code}]; run it again\n`);
      return 1;
    case 'refused':
      writeError(`bot:remove: ${outcome.step} was refused [${outcome.code}]: ${oneLine(outcome.detail)}\n`);
      return 1;
  }
}

async function purge(args: RemoveArgs, services: Services, now: () => number, write: Write, writeError: Write) {
  const record = await services.registry.get(args.bot);
  if (record && !record.operators.includes(args.operator)) {
    writeError(`bot:remove: user ${args.operator} is not an operator of bot ${args.bot}\n`);
    return 1;
  }
  const outcome = await purgeTenant(args.bot, { registry: services.registry, table: services.table, now });
  switch (outcome.kind) {
    case 'purged': {
      const treasury = outcome.treasury
        ? ` Its treasury key ${outcome.treasury.keyId} (${outcome.treasury.address}) is kept in KMS.`
        : '';
      write(`Purged bot ${args.bot}: ${outcome.items} item(s) and its record.${treasury}\n`);
      return 0;
    }
    case 'not_found':
      writeError(`bot:remove: bot ${args.bot} is not hosted on stage ${args.stage}\n`);
      return 1;
    case 'not_removed':
      writeError(`bot:remove: bot ${args.bot} is not removed; remove it first (without --purge)\n`);
      return 1;
    case 'too_early':
      writeError(`bot:remove: bot ${args.bot} may be purged after ${iso(outcome.purgeAfter)}\n`);
      return 1;
  }
}

const iso = (ms: number | undefined) => (ms === undefined ? 'its grace period' : new Date(ms).toISOString());

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
