import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledInputs, forbiddenInputs, largestModules } from '../../bench/bundle.js';
import { CONVERSATION_CATALOGS, JOB_CATALOGS } from '../../core/desk/i18n.js';
import { type BuiltFunction, buildFunction } from '../../local/lambda/build.js';
import { FUNCTIONS } from '../../stacks/manifest.js';

const keysOf = (catalogs: readonly { en: object }[]) => new Set(catalogs.flatMap((c) => Object.keys(c.en)));
const conversationKeys = keysOf(CONVERSATION_CATALOGS);
const jobKeys = keysOf(JOB_CATALOGS);
/** Keys of the texts only the webhook says, and only the workers. */
const webhookOnly = [...conversationKeys].filter((key) => !jobKeys.has(key));
const workersOnly = [...jobKeys].filter((key) => !conversationKeys.has(key));

/** The catalog keys a bundle defines texts for (a key is a property, `"key":`; a job type of the same name is not). */
function catalogKeysIn(code: string, keys: readonly string[]): string[] {
  return keys.filter((key) => new RegExp(`["'\`]${key.replaceAll('.', '\\.')}["'\`]:`).test(code));
}

describe('webhook bundle', () => {
  let outdir: string;
  let webhook: BuiltFunction;
  let code: string;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'bundle-'));
    webhook = await buildFunction(FUNCTIONS.webhook.entry, { outdir, target: 'node22', minify: true });
    code = await readFile(webhook.outfile, 'utf8');
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

  it('carries the texts the webhook says and none that only the workers say', () => {
    expect(webhookOnly.length).toBeGreaterThan(50);
    expect(workersOnly.length).toBeGreaterThan(50);
    expect(catalogKeysIn(code, webhookOnly)).toEqual(webhookOnly);
    expect(catalogKeysIn(code, workersOnly)).toEqual([]);
  });

  it('carries no whatwg-url and no tr46: node-fetch takes Node’s URL (BUNDLE_ALIASES)', () => {
    const inputs = bundledInputs(webhook.metafile);
    expect(inputs.filter((i) => /node_modules\/(whatwg-url|tr46|webidl-conversions)\//.test(i))).toEqual([]);
    expect(inputs).toContain('functions/lib/whatwg-url.ts');
    // The stand-in offers only `URL`: node-fetch must stay its only user.
    const users = Object.entries(webhook.metafile.inputs)
      .filter(([, input]) => input.imports.some((i) => i.original === 'whatwg-url'))
      .map(([path]) => path.replace(/.*node_modules\//, ''));
    expect(users).toEqual(['node-fetch/lib/index.mjs']);
  });

  it('is ASCII only: one raw non-ASCII character makes Node decode, and V8 hold, the whole source as two-byte text', () => {
    expect(code.match(/\P{ASCII}.{0,20}/gu) ?? []).toEqual([]);
  });

  it('names its largest modules, largest first, a package by its name', () => {
    const largest = largestModules(webhook.metafile, 5);
    expect(largest).toHaveLength(5);
    expect(largest.map((m) => m.bytes)).toEqual(largest.map((m) => m.bytes).sort((a, b) => b - a));
    expect(largest.map((m) => m.module)).toContain('telegraf');
    expect(largest.filter((m) => m.module.includes('node_modules'))).toEqual([]);
  });

  it('contains no @solana/web3.js and no KMS client', () => {
    expect(forbiddenInputs(bundledInputs(webhook.metafile))).toEqual([]);
  });

  it('contains no SSM client, no zod locales, no curve arithmetic and no QR encoder (each weighs on every cold start)', () => {
    const inputs = bundledInputs(webhook.metafile);
    expect(inputs.filter((i) => i.includes('node_modules/uqr/') || i.startsWith('core/platform/qr/'))).toEqual([]);
    expect(inputs.filter((i) => i.includes('node_modules/@aws-sdk/client-ssm/'))).toEqual([]);
    expect(inputs.filter((i) => i.includes('node_modules/zod/v4/locales/'))).toEqual([]);
    expect(inputs.filter((i) => i.includes('node_modules/@noble/curves/'))).toEqual([]);
  });

  it('takes its AWS credentials from the environment alone: no SSO, INI, STS or instance-metadata provider (BUNDLE_ALIASES)', () => {
    const inputs = bundledInputs(webhook.metafile);
    expect(
      inputs.filter((i) =>
        /node_modules\/(@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|login|http)|nested-clients|token-providers)|@smithy\/credential-provider-imds)\//.test(
          i,
        ),
      ),
    ).toEqual([]);
    expect(inputs).toContain('functions/lib/aws-credentials.ts');
    expect(inputs.some((i) => i.includes('node_modules/@aws-sdk/credential-provider-env/'))).toBe(true);
  });

  it('contains no X-Ray SDK: Powertools Tracer is for the workers, its cold start cost kept off the webhook', () => {
    const inputs = bundledInputs(webhook.metafile);
    expect(inputs.filter((i) => /node_modules\/(aws-xray-sdk-core|@aws-lambda-powertools\/tracer)\//.test(i))).toEqual(
      [],
    );
    expect(inputs.some((i) => i.includes('node_modules/@aws-lambda-powertools/logger/'))).toBe(true);
  });

  it('fetches no prices: the price source and its adapter are the rpc worker’s alone', () => {
    const inputs = bundledInputs(webhook.metafile);
    expect(inputs.filter((i) => /^core\/desk\/prices\/(source|quote)\.ts$/.test(i))).toEqual([]);
  });

  it('flags a forbidden package when one is present', () => {
    expect(forbiddenInputs(['node_modules/@solana/web3.js/lib/index.esm.js', 'core/platform/log.ts'])).toHaveLength(1);
  });
});

describe('rpc worker bundle', () => {
  let outdir: string;
  let rpc: BuiltFunction;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'bundle-'));
    rpc = await buildFunction(FUNCTIONS.rpcWorker.entry, { outdir, target: 'node22', minify: true });
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

  it('draws deposit and treasury QR codes with the small encoder it carries, and fetches prices', () => {
    const inputs = bundledInputs(rpc.metafile);
    expect(inputs).toContain('core/platform/qr/png.ts');
    expect(inputs).toContain('core/desk/prices/source.ts');
    expect(inputs.some((i) => i.includes('node_modules/uqr/'))).toBe(true);
  });

  it('carries the workers’ texts and none that only the webhook says', async () => {
    const code = await readFile(rpc.outfile, 'utf8');
    expect(catalogKeysIn(code, workersOnly)).toEqual(workersOnly);
    expect(catalogKeysIn(code, webhookOnly)).toEqual([]);
  });
});

describe('alarm notifier bundle', () => {
  let outdir: string;
  let notifier: BuiltFunction;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'bundle-'));
    notifier = await buildFunction(FUNCTIONS.alarmNotifier.entry, { outdir, target: 'node22', minify: true });
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

  it('contains no @solana/web3.js and no KMS client', () => {
    expect(forbiddenInputs(bundledInputs(notifier.metafile))).toEqual([]);
  });

  it('contains no SDK client at all and no telegraf (it only posts over fetch)', () => {
    const inputs = bundledInputs(notifier.metafile);
    expect(inputs.filter((i) => /node_modules\/(@aws-sdk\/client-|telegraf\/)/.test(i))).toEqual([]);
    expect(inputs).toContain('functions/alarm-notifier.ts');
  });
});
