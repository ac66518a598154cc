import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledInputs, forbiddenInputs } from '../../bench/bundle.js';
import { type BuiltFunction, buildFunction } from '../../local/lambda/build.js';
import { FUNCTIONS } from '../../stacks/manifest.js';

describe('webhook bundle', () => {
  let outdir: string;
  let webhook: BuiltFunction;
  beforeAll(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'bundle-'));
    webhook = await buildFunction(FUNCTIONS.webhook.entry, { outdir, target: 'node22', minify: true });
  });
  afterAll(() => rm(outdir, { recursive: true, force: true }));

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
  it('draws deposit and treasury QR codes with the small encoder it carries, and fetches prices', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'bundle-'));
    try {
      const rpc = await buildFunction(FUNCTIONS.rpcWorker.entry, { outdir, target: 'node22', minify: true });
      const inputs = bundledInputs(rpc.metafile);
      expect(inputs).toContain('core/platform/qr/png.ts');
      expect(inputs).toContain('core/desk/prices/source.ts');
      expect(inputs.some((i) => i.includes('node_modules/uqr/'))).toBe(true);
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
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
