import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Metafile } from 'esbuild';
import { type BuiltFunction, buildFunction } from '../local/index.js';
import { FUNCTIONS } from '../stacks/manifest.js';
import { formatNumber, median, pairedRatio, type Row, ratioRow } from './stats.js';

const run = promisify(execFile);

/** What a minimal telegraf bot on DynamoDB + SQS would ship: the baseline the webhook is held to. */
const BASELINE_SOURCE = `
import { Telegraf } from 'telegraf';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
const bot = new Telegraf(process.env.TOKEN ?? '1:x');
const dynamo = new DynamoDBClient({});
const sqs = new SQSClient({});
export const handler = async (u) => {
  await dynamo.send(new GetItemCommand({ TableName: 't', Key: {} }));
  await dynamo.send(new PutItemCommand({ TableName: 't', Item: {} }));
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: 'q', Entries: [] }));
  return bot.handleUpdate(u);
};
`;

/** Packages that must never be in the webhook bundle (cold start and least privilege). */
export const FORBIDDEN_IN_WEBHOOK = ['@solana/web3.js', '@aws-sdk/client-kms'];

/** Source files that contributed bytes to a bundle (esbuild lists tree-shaken inputs too, with 0 bytes). */
export function bundledInputs(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path),
  );
}

export function forbiddenInputs(inputs: readonly string[]): string[] {
  return inputs.filter((input) => FORBIDDEN_IN_WEBHOOK.some((pkg) => input.includes(`node_modules/${pkg}/`)));
}

/** A package (`node_modules/<name>`, the innermost when nested), or a layer of the project's own code (`core/desk`). */
function moduleOf(input: string): string {
  const nested = input.split('node_modules/');
  if (nested.length > 1) {
    const [scope, name] = nested.at(-1)!.split('/');
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  return input.split('/').slice(0, 2).join('/');
}

/** The `count` modules (see `moduleOf`) that put the most bytes into a bundle, largest first. */
export function largestModules(metafile: Metafile, count: number): { module: string; bytes: number }[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs))
      bytes.set(moduleOf(path), (bytes.get(moduleOf(path)) ?? 0) + input.bytesInOutput);
  return [...bytes]
    .map(([module, size]) => ({ module, bytes: size }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}

/** Median time of a fresh `node` process importing `file` (module evaluation, top-level await included). */
async function importMs(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  return Number(stdout);
}

/**
 * Webhook bundle size and cold import time against a baseline bundle built in the same run, and
 * the five modules that weigh most in the webhook bundle (`notes`). The webhook is bundled as
 * deployed (the project's `BUNDLE_ALIASES` and `BUNDLE_OPTIONS`), the baseline as SST bundles a bare bot.
 * Each round imports both, each first every other round; the ratio is the median of the rounds'
 * ratios (`pairedRatio`), so machine noise hits both sides alike.
 */
export async function benchBundle(
  env: Record<string, string>,
  rounds = 15,
): Promise<{ rows: Row[]; forbidden: string[]; notes: string[] }> {
  const outdir = join('.build', 'bench');
  await mkdir(outdir, { recursive: true });
  const baselineEntry = join(outdir, 'baseline.ts');
  await writeFile(baselineEntry, BASELINE_SOURCE);
  const options = { outdir, target: 'node20', minify: true };
  const [webhook, baseline] = [
    await buildFunction(FUNCTIONS.webhook.entry, options),
    // As SST bundles with no options: no aliases, and its default `keepNames`.
    await buildFunction(baselineEntry, { ...options, alias: {}, keepNames: true }),
  ];
  const pairs: [ours: number, theirs: number][] = [];
  for (let i = 0; i < rounds; i++) {
    // Each goes first every other round, so neither is always the one a busy machine slows.
    const order = i % 2 === 0 ? [webhook, baseline] : [baseline, webhook];
    const times = new Map<BuiltFunction, number>();
    for (const built of order) times.set(built, await importMs(built.outfile, env));
    pairs.push([times.get(webhook)!, times.get(baseline)!]);
  }
  const ours = pairs.map(([time]) => time);
  const theirs = pairs.map(([, time]) => time);
  return {
    rows: [
      ratioRow('webhook bundle size', webhook.bytes / 1024, baseline.bytes / 1024, 'KB', 1.1),
      ratioRow(
        'webhook cold import (median; ratio of pairs)',
        median(ours),
        median(theirs),
        'ms',
        1.1,
        pairedRatio(pairs),
      ),
    ],
    forbidden: forbiddenInputs(bundledInputs(webhook.metafile)),
    notes: [
      'webhook bundle, largest modules:',
      ...largestModules(webhook.metafile, 5).map(
        ({ module, bytes }) => `  ${formatNumber(bytes / 1024)} KB  ${module}`,
      ),
    ],
  };
}
