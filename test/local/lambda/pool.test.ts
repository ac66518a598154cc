import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFunction } from '../../../local/lambda/build.js';
import { type FunctionDefinition, FunctionPool } from '../../../local/lambda/pool.js';
import type { BehaviourEvent } from '../../fixtures/functions/behaviour.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/functions/${name}`, import.meta.url));

let outdir: string;
let behaviour: string;
let initError: string;
let initBusy: string;
beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'pool-test-'));
  [behaviour, initError, initBusy] = (await Promise.all(
    ['behaviour.ts', 'init-error.ts', 'init-busy.ts'].map(
      async (name) => (await buildFunction(fixture(name), { outdir })).outfile,
    ),
  )) as [string, string, string];
});
afterAll(() => rm(outdir, { recursive: true, force: true }));

const pools: FunctionPool[] = [];
afterEach(async () => {
  for (const pool of pools.splice(0)) await pool.stop();
});

function pool(overrides: Partial<FunctionDefinition> = {}): FunctionPool {
  const created = new FunctionPool({
    name: 'test-behaviour',
    bundle: behaviour,
    env: { GREETING: 'hello' },
    timeoutMs: 2_000,
    memoryMb: 128,
    concurrency: 2,
    ...overrides,
  });
  pools.push(created);
  return created;
}

const invoke = (p: FunctionPool, event: BehaviourEvent) => p.invoke(event);

describe('FunctionPool', () => {
  it('keeps module scope between invocations of a warm environment', async () => {
    const p = pool();
    const first = await invoke(p, { action: 'count' });
    const second = await invoke(p, { action: 'count' });

    expect(first).toMatchObject({ ok: true, payload: { invocations: 1 }, coldStart: true });
    expect(second).toMatchObject({ ok: true, payload: { invocations: 2 }, coldStart: false });
    expect(p.stats()).toMatchObject({ invocations: 2, coldStarts: 1, environments: 1 });
  });

  it('gives each function its own environment variables without touching process.env', async () => {
    const a = pool({ name: 'fn-a', env: { GREETING: 'from-a' } });
    const b = pool({ name: 'fn-b', env: { GREETING: 'from-b' } });
    const names = ['GREETING', 'AWS_LAMBDA_FUNCTION_NAME', 'PATH'];

    const [resultA, resultB] = await Promise.all([
      invoke(a, { action: 'env', names }),
      invoke(b, { action: 'env', names }),
    ]);

    expect(resultA).toMatchObject({
      ok: true,
      payload: { GREETING: 'from-a', AWS_LAMBDA_FUNCTION_NAME: 'fn-a', PATH: null },
    });
    expect(resultB).toMatchObject({ ok: true, payload: { GREETING: 'from-b', AWS_LAMBDA_FUNCTION_NAME: 'fn-b' } });
    expect(process.env.GREETING).toBeUndefined();
  });

  it('passes a Lambda context with the request id, function identity and remaining time', async () => {
    const result = await invoke(pool({ timeoutMs: 1_500 }), { action: 'context' });
    if (!result.ok) throw new Error(result.error.errorMessage);
    const context = result.payload as Record<string, unknown>;

    expect(context.awsRequestId).toBe(result.requestId);
    expect(context).toMatchObject({
      functionName: 'test-behaviour',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-behaviour',
      memoryLimitInMB: '128',
      logGroupName: '/aws/lambda/test-behaviour',
    });
    expect(context.remainingMs).toBeGreaterThan(1_000);
    expect(context.remainingMs).toBeLessThanOrEqual(1_500);
  });

  it('returns a thrown error with its name and message and keeps the environment warm', async () => {
    const p = pool();
    const failed = await invoke(p, { action: 'throw', name: 'TransferError', message: 'insufficient funds' });
    const next = await invoke(p, { action: 'count' });

    expect(failed).toMatchObject({
      ok: false,
      kind: 'handler',
      error: { errorType: 'TransferError', errorMessage: 'insufficient funds' },
    });
    expect(next).toMatchObject({ ok: true, payload: { invocations: 2 }, coldStart: false });
  });

  it('kills the environment when the timeout passes and starts a fresh one for the next invocation', async () => {
    const p = pool({ timeoutMs: 200 });
    await invoke(p, { action: 'count' });
    const timedOut = await invoke(p, { action: 'sleep', ms: 5_000 });
    const next = await invoke(p, { action: 'count' });

    expect(timedOut).toMatchObject({
      ok: false,
      kind: 'timeout',
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.20 seconds' },
    });
    expect(timedOut.durationMs).toBeLessThan(1_000);
    expect(next).toMatchObject({ ok: true, payload: { invocations: 1 }, coldStart: true });
    expect(p.stats()).toMatchObject({ errors: 1, timeouts: 1, coldStarts: 2, environments: 1 });
  });

  it('fails the invocation when an uncaught exception takes the runtime down', async () => {
    const result = await invoke(pool(), { action: 'crash', message: 'stray async error' });
    expect(result).toMatchObject({ ok: false, kind: 'crash' });
    if (!result.ok) expect(result.error.errorMessage).toContain('stray async error');
  });

  it('fails with the init error when the module cannot load', async () => {
    const result = await pool({ bundle: initError }).invoke({});
    expect(result).toMatchObject({
      ok: false,
      kind: 'init',
      error: { errorType: 'Error', errorMessage: 'missing required configuration' },
    });
  });

  it('never runs more environments at once than its concurrency', async () => {
    const p = pool({ concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => invoke(p, { action: 'sleep', ms: 100 })));

    expect(results.every((r) => r.ok)).toBe(true);
    expect(p.stats()).toMatchObject({ maxBusy: 2, environments: 2, coldStarts: 2, invocations: 6 });
  });

  it('runs no more init phases at once than the machine has cores, so a burst of cold starts all pass the init limit', async () => {
    const p = pool({ name: 'test-init-busy', bundle: initBusy, env: { INIT_BUSY_MS: '300' }, concurrency: 12 });
    const results = await Promise.all(Array.from({ length: 12 }, () => p.invoke({})));
    expect(results.map((r) => (r.ok ? 'ok' : r.error.errorType))).toEqual(Array(12).fill('ok'));
    const inits = results.map((r) => (r.ok ? (r.payload as { initStart: number; initEnd: number }) : undefined));
    // The most init phases that ran at the same moment (each init's start, counted against the others).
    const overlap = Math.max(
      ...inits.map((a) => inits.filter((b) => b && a && b.initStart <= a.initStart && a.initStart < b.initEnd).length),
    );
    expect(overlap).toBeLessThanOrEqual(Math.max(2, availableParallelism()));
    expect(p.stats().coldStarts).toBe(12);
  });
});
