import { startLocalStack } from '../local/index.js';
import { benchAssistant } from './assistant.js';
import { benchBundle } from './bundle.js';
import { benchKeys, DEFAULT_KEYS_BENCH, type KeysBenchOptions } from './keys.js';
import { benchPayouts } from './payouts.js';
import { benchRpc, DEFAULT_RPC_BENCH, type RpcBenchOptions } from './rpc.js';
import { formatTable, type Row } from './stats.js';
import { benchTelegram, type TelegramBenchOptions } from './telegram.js';
import { benchTenants, type TenantsBenchOptions } from './tenants.js';
import { benchWebhookPath } from './webhook.js';

/** What a section measured: rows for the table, and notes printed under it. */
export interface SectionReport {
  readonly rows: Row[];
  readonly notes: string[];
}

/** `full` is what `npm run bench` runs; `tiny` is what the test suite runs so that no section rots. */
export type Scale = 'full' | 'tiny';

/** A section run at one of its two sizes. */
type Section = (scale: Scale) => Promise<SectionReport>;

function section<Size>(sizes: Readonly<Record<Scale, Size>>, run: (size: Size) => Promise<SectionReport>): Section {
  return (scale) => run(sizes[scale]);
}

const sizeFromEnv = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/**
 * Every section of `npm run bench`, in the order the table shows them. Each starts (and stops) what
 * it measures on; sizes are its parameters, e.g. the users a broadcast goes to.
 */
export const SECTIONS = {
  webhook: section(
    { full: { updates: 600, users: 100 }, tiny: { updates: 20, users: 5 } },
    async ({ updates, users }) => {
      const stack = await startLocalStack({ functions: false });
      try {
        return { rows: await benchWebhookPath(stack, updates, users), notes: [] };
      } finally {
        await stack.stop();
      }
    },
  ),
  bundle: section({ full: { rounds: 31 }, tiny: { rounds: 1 } }, async ({ rounds }) => {
    // The webhook bundle reads its configuration when imported (a stack's environment), and
    // connects to nothing: the stack is stopped before the imports, so that its JVM (DynamoDB
    // Local) takes no core from them.
    const stack = await startLocalStack({ functions: false });
    const env = { ...stack.env };
    await stack.stop();
    const bundle = await benchBundle(env, rounds);
    if (bundle.forbidden.length > 0) throw new Error(`webhook bundle contains ${bundle.forbidden.join(', ')}`);
    return { rows: bundle.rows, notes: ['webhook bundle: no @solana/web3.js, no KMS client', ...bundle.notes] };
  }),
  rpc: section<RpcBenchOptions>(
    {
      full: { ...DEFAULT_RPC_BENCH, rps: sizeFromEnv('BENCH_RPC_RPS', DEFAULT_RPC_BENCH.rps) },
      tiny: { rps: 150, burstJobs: 10, cacheJobs: 10, watchAddresses: 20 },
    },
    benchRpc,
  ),
  telegram: section<TelegramBenchOptions>(
    // At Telegram's 30 msg/s a 10,000-user broadcast takes about 6 minutes per sender measured.
    { full: { users: sizeFromEnv('BENCH_BROADCAST_USERS', 10_000) }, tiny: { users: 20 } },
    benchTelegram,
  ),
  keys: section<KeysBenchOptions>(
    { full: DEFAULT_KEYS_BENCH, tiny: { users: 2, secretsPerUser: 2, reads: 10, rounds: 1, signatures: 3 } },
    async (options) => ({ rows: await benchKeys(options), notes: [] }),
  ),
  payouts: section({ full: { samples: 8 }, tiny: { samples: 3 } }, ({ samples }) => benchPayouts(samples)),
  assistant: section({ full: { users: sizeFromEnv('BENCH_ASSISTANT_USERS', 200) }, tiny: { users: 5 } }, ({ users }) =>
    benchAssistant(users),
  ),
  tenants: section<TenantsBenchOptions>(
    {
      // Issue 17 asks for 100 bots × 100 users and a 10,000-user broadcast: on a shared 2-core machine the
      // local stack sends about 13 msg/s for 20 bots together, so the full size is scaled down (a note says so).
      full: {
        bots: sizeFromEnv('BENCH_TENANT_BOTS', 20),
        users: sizeFromEnv('BENCH_TENANT_USERS', 50),
        broadcastUsers: sizeFromEnv('BENCH_TENANT_BROADCAST_USERS', 1_000),
        quietUsers: 10,
        quietRounds: 10,
      },
      tiny: { bots: 3, users: 5, broadcastUsers: 30, quietUsers: 2, quietRounds: 2 },
    },
    benchTenants,
  ),
} satisfies Record<string, Section>;

export type SectionName = keyof typeof SECTIONS;
export const SECTION_NAMES = Object.keys(SECTIONS) as SectionName[];

const isSection = (name: string): name is SectionName => Object.hasOwn(SECTIONS, name);

/** The sections named on the command line (all of them when none is); throws on a name that is not one. */
export function sectionsFrom(args: readonly string[]): SectionName[] {
  const unknown = args.filter((arg) => !isSection(arg));
  if (unknown.length > 0) {
    throw new Error(`unknown bench section ${unknown.join(', ')}; valid sections: ${SECTION_NAMES.join(', ')}`);
  }
  return args.length === 0 ? SECTION_NAMES : (args as SectionName[]);
}

export function runSection(name: SectionName, scale: Scale): Promise<SectionReport> {
  return SECTIONS[name](scale);
}

/** What a bench run prints: the table with the notes under it, and each section that failed, with why. */
export interface BenchOutput {
  readonly output: string;
  readonly failures: string[];
}

/** Runs `names` one after another; a section that fails is reported, and the others still run. */
export async function runBench(
  names: readonly SectionName[],
  run: (name: SectionName) => Promise<SectionReport> = (name) => runSection(name, 'full'),
): Promise<BenchOutput> {
  const reports: SectionReport[] = [];
  const failures: string[] = [];
  for (const name of names) {
    try {
      reports.push(await run(name));
    } catch (error) {
      failures.push(`section ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    }
  }
  const notes = reports.flatMap((report) => report.notes);
  const table = formatTable(reports.flatMap((report) => report.rows));
  return { output: notes.length > 0 ? `${table}\n\n${notes.join('\n')}` : table, failures };
}
