/**
 * Moves the messages of one queue's DLQ back to the queue, after the cause of their failure is fixed
 * (an RPC provider back, a bug deployed away): `core/platform/jobs/sqs-redrive.ts` does the moving.
 *
 * Usage: `npm run dlq:redrive -- <queue> [--stage <stage>] [--region <region>] [--max <n>] [--dry-run]`
 *
 * `<queue>` is one of the stage's queues (rpc, notify, ai, vault, payouts); the DLQ and the queue are
 * found by the names the stacks give them (`<stage>-<queue>-dlq`, `.fifo` for FIFO queues), in the
 * stage's region as `sst` resolves it (stacks/app.ts: `--region`, else the app's region), whatever
 * `AWS_REGION` or the profile says; credentials come from the default AWS chain.
 * `AWS_ENDPOINT_URL_SQS` points it at another endpoint (the local stack's SQS, printed by
 * `npm run dev`). `--stage` defaults to `local`, the local stack's stage, in the local stack's region.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QUEUE_NAMES, type QueueName, stageSettings } from '../core/desk/settings.js';
import { redriveDeadLetters } from '../core/platform/jobs/index.js';
import { deployRegion } from '../stacks/app.js';
import { queueResourceNames } from '../stacks/manifest.js';

/** The stage `npm run dev` runs by default (`local/dev.ts`), never deployed by `sst`. */
const LOCAL_STAGE = 'local';

const USAGE = `usage: npm run dlq:redrive -- <${QUEUE_NAMES.join('|')}> [--stage <stage>] [--region <region>] [--max <n>] [--dry-run]`;

export interface RedriveDeps {
  /** The SQS client (default: an `SQSClient` in the stage's region, credentials from the environment). */
  readonly client?: SQSClient;
  readonly write?: (text: string) => void;
  readonly writeError?: (text: string) => void;
}

interface Args {
  queue: QueueName;
  stage: string;
  /** `--region`, if given. */
  region: string | undefined;
  max: number | undefined;
  dryRun: boolean;
}

function parse(argv: readonly string[]): Args {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      stage: { type: 'string', default: 'local' },
      region: { type: 'string' },
      max: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [queue, ...rest] = positionals;
  if (queue === undefined || rest.length > 0) throw new Error('name exactly one queue');
  if (!(QUEUE_NAMES as readonly string[]).includes(queue)) throw new Error(`unknown queue "${queue.slice(0, 40)}"`);
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(values.stage)) throw new Error('--stage must be letters, digits and hyphens');
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) throw new Error('--max must be a whole number > 0');
  return {
    queue: queue as QueueName,
    stage: values.stage,
    region: values.region === undefined ? undefined : deployRegion(values.region),
    max,
    dryRun: values['dry-run'] ?? false,
  };
}

/** Redrives one DLQ; resolves to the process exit code (1 when anything could not be moved). */
export async function main(argv: readonly string[], deps: RedriveDeps = {}): Promise<number> {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const writeError = deps.writeError ?? ((text: string) => process.stderr.write(text));
  let args: Args;
  try {
    args = parse(argv);
  } catch (error) {
    writeError(`dlq:redrive: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 1;
  }
  const settings = stageSettings(args.stage).queues[args.queue];
  const names = queueResourceNames(args.stage, args.queue, settings);
  // The local stack's SQS keeps queues per region, its own; loaded only for it (it is heavy).
  const region =
    args.region ?? (args.stage === LOCAL_STAGE ? (await import('../local/index.js')).LOCAL_REGION : deployRegion());
  const client = deps.client ?? new SQSClient({ region });
  try {
    const urlOf = async (name: string) => (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
    const [from, to] = await Promise.all([urlOf(names.dlq), urlOf(names.queue)]);
    const result = await redriveDeadLetters({
      client,
      from,
      to,
      fifo: settings.fifo,
      ...(args.max === undefined ? {} : { max: args.max }),
      dryRun: args.dryRun,
    });
    const reasons = Object.entries(result.reasons)
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    write(
      args.dryRun
        ? `${names.dlq}: ${result.seen} message(s) would go back to ${names.queue}${reasons ? ` (${reasons})` : ''}\n`
        : `${names.dlq} → ${names.queue}: ${result.moved} moved, ${result.failed} failed${reasons ? ` (${reasons})` : ''}\n`,
    );
    return result.failed > 0 ? 1 : 0;
  } catch (error) {
    const message = error instanceof Error ? error.message || error.name : String(error);
    writeError(`dlq:redrive: ${names.dlq} in ${region}: ${message.replace(/\s+/g, ' ').slice(0, 300)}\n`);
    return 1;
  } finally {
    if (!deps.client) client.destroy();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
