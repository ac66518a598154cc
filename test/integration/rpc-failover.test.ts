import { Keypair } from '@solana/web3.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../core/desk/settings.js';
import { Web3SolanaGateway } from '../../core/desk/solana/web3.js';
import { createRpcPool } from '../../core/platform/rpc/pool.js';
import { type SolanaPeer, startSolanaPeer } from '../../local/solana/index.js';

/** The RPC pool and the web3.js gateway against the local Solana peer's two endpoints. */
let peer: SolanaPeer;
const settings = stageSettings('test').solana;
const address = Keypair.generate().publicKey.toBase58();

beforeAll(async () => {
  peer = await startSolanaPeer({ endpoints: 2 });
  await peer.svm.airdrop(address, 7_000_000_000n);
});
afterAll(() => peer.stop());
afterEach(async () => {
  for (const index of [0, 1]) {
    await peer.endpoint(index).setDown(false);
    peer.endpoint(index).setRateLimit(undefined);
  }
});

/** Most arrival times (ms) within any 1-s window. */
function busiestSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let end = 0, start = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1_000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

const distinctAddresses = (n: number) => Array.from({ length: n }, () => Keypair.generate().publicKey.toBase58());

function gateway(rps: [number, number], overrides: Partial<typeof settings> = {}) {
  const pool = createRpcPool({
    endpoints: peer.urls.map((url, priority) => ({ url, rps: rps[priority]!, methodRps: {}, priority })),
    maxConcurrency: 1,
    settings: { ...settings, cacheSeconds: 0, ...overrides },
  });
  return { pool, solana: new Web3SolanaGateway({ fetch: pool.fetch, commitment: 'confirmed' }) };
}

describe('RPC pool on the local Solana peer', () => {
  it('keeps answering through the second endpoint while the first refuses connections', async () => {
    await peer.endpoint(0).setDown('refuse');
    const { solana } = gateway([50, 50]);
    const before = peer.counters()[1]!.calls;
    expect((await solana.getAccount(address))?.lamports).toBe(7_000_000_000n);
    expect(peer.counters()[1]!.calls).toBeGreaterThan(before);
  });

  it('fails over when the first endpoint answers 503', async () => {
    await peer.endpoint(0).setDown('503');
    const { solana } = gateway([50, 50]);
    const results = await Promise.all([address, ...distinctAddresses(9)].map((a) => solana.getAccount(a)));
    expect(results[0]?.lamports).toBe(7_000_000_000n);
    expect(results).toHaveLength(10);
  });

  it('fails over when the first endpoint accepts the connection and never answers', async () => {
    await peer.endpoint(0).setDown('hang');
    const { pool, solana } = gateway([50, 50], { requestTimeoutMs: 2_000 });
    const started = Date.now();
    expect((await solana.getAccount(address))?.lamports).toBe(7_000_000_000n);
    // One attempt's timeout (half the request's bound), then the second endpoint.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(pool.stats().endpoints[0]!.failures.timeout).toBe(1);
  });

  it.each(['refuse', 'hang', '503'] as const)(
    'answers a burst within the survivor’s cap while the first endpoint is down (%s): every read, no 429',
    async (mode) => {
      await peer.endpoint(0).setDown(mode);
      peer.endpoint(1).setRateLimit(20);
      const { pool, solana } = gateway([20, 20], { requestTimeoutMs: 6_000 });
      const since = Date.now();
      const results = await Promise.all(distinctAddresses(40).map((a) => solana.getAccount(a)));
      expect(results).toEqual(Array.from({ length: 40 }, () => null));
      const survivor = peer.calls({ endpoint: 1 }).filter((call) => call.at >= since);
      expect(survivor.filter((call) => call.outcome.kind === 'rateLimited')).toEqual([]);
      expect(busiestSecond(survivor.map((call) => call.at))).toBeLessThanOrEqual(20);
      // The breaker took the dead endpoint out instead of trying it for every read: after its first
      // failures, or (hanging) once the calls holding all its tokens had timed out.
      expect(pool.stats().endpoints[0]!.breaker).toBe('open');
      expect(pool.stats().endpoints[0]!.calls).toBeLessThanOrEqual(
        mode === 'hang' ? 20 : settings.breaker.failureThreshold,
      );
    },
  );

  it('stays under a provider rate limit it was told about: no 429 at all', async () => {
    peer.endpoint(0).setRateLimit(20);
    peer.endpoint(1).setRateLimit(20);
    const { solana } = gateway([20, 20]);
    const before = peer.counters().map((c) => c.rateLimited);
    // Distinct reads (identical ones in flight would share one call).
    const results = await Promise.all(distinctAddresses(30).map((a) => solana.getAccount(a)));
    expect(results).toHaveLength(30);
    expect(peer.counters().map((c, i) => c.rateLimited - before[i]!)).toEqual([0, 0]);
    expect(peer.counters()[0]!.calls + peer.counters()[1]!.calls).toBeGreaterThanOrEqual(30);
  });

  it('routes around 429s from a provider whose real cap is lower than configured', async () => {
    peer.endpoint(0).setRateLimit(2, { retryAfterSeconds: 1 });
    const { solana } = gateway([50, 50]);
    const before = peer.counters()[0]!.rateLimited;
    const results = await Promise.all([address, ...distinctAddresses(19)].map((a) => solana.getAccount(a)));
    expect(results[0]?.lamports).toBe(7_000_000_000n);
    expect(results.slice(1).every((r) => r === null)).toBe(true);
    expect(peer.counters()[0]!.rateLimited - before).toBeGreaterThan(0);
  });

  it('gives up with a transient error when every endpoint is down, within the time bound', async () => {
    await peer.endpoint(0).setDown('refuse');
    await peer.endpoint(1).setDown('hang');
    const { solana } = gateway([50, 50], { requestTimeoutMs: 1_500 });
    const started = Date.now();
    await expect(solana.getAccount(address)).rejects.toMatchObject({ code: 'solana.rpc_unavailable' });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('surfaces a genuine JSON-RPC error without retrying it', async () => {
    const { solana } = gateway([50, 50]);
    const before = peer.counters()[0]!.calls + peer.counters()[1]!.calls;
    await expect(solana.getSignatureStatus('not-a-signature')).rejects.toMatchObject({ code: 'solana.rpc_error' });
    expect(peer.counters()[0]!.calls + peer.counters()[1]!.calls - before).toBe(1);
  });
});
