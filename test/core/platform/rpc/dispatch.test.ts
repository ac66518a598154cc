import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stageSettings } from '../../../../core/desk/settings.js';
import { createRpcPool, type RpcEndpoint, type RpcPool } from '../../../../core/platform/rpc/index.js';
import { maxInWindow, seeded, VirtualClock } from '../../../helpers/virtual-clock.js';

/**
 * The pool's dispatcher on virtual time, against endpoints that live on the same clock: how many
 * calls reach each endpoint in any second, and how much of their caps a load uses.
 */

/** When a call reaches its endpoint and when its answer comes back, in ms after it was sent. */
interface Timing {
  readonly arrivalMs: number;
  readonly latencyMs: number;
}

/**
 * `count` endpoints on `clock` (`http://endpoint-<i>.test/`): a call reaches endpoint `i` (noted
 * in `arrivals[i]`) and is answered (its result is `i`) as `timing` says.
 */
function virtualEndpoints(clock: VirtualClock, count: number, timing: () => Timing = () => ZERO) {
  const arrivals: number[][] = Array.from({ length: count }, () => []);
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const index = Number(/endpoint-(\d+)/.exec(String(input))![1]);
    const { id } = JSON.parse(String(init?.body)) as { id: number };
    const { arrivalMs, latencyMs } = timing();
    if (arrivalMs > 0) await clock.sleep(arrivalMs);
    arrivals[index]!.push(clock.now());
    if (latencyMs > arrivalMs) await clock.sleep(latencyMs - arrivalMs);
    return new Response(JSON.stringify({ jsonrpc: '2.0', id, result: index }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { arrivals, fetch, url: (i: number) => `http://endpoint-${i}.test/` };
}

const ZERO: Timing = { arrivalMs: 0, latencyMs: 0 };

/** Settings whose request timeout no virtual run reaches (a burst queues for many virtual seconds). */
const settings = { ...stageSettings('test').solana, requestTimeoutMs: 600_000 };

/** `containers` pools sharing `endpoints`, each with its share of their caps. */
function containers(
  clock: VirtualClock,
  fetch: typeof globalThis.fetch,
  endpoints: RpcEndpoint[],
  count: number,
): RpcPool[] {
  return Array.from({ length: count }, () =>
    createRpcPool({ endpoints, maxConcurrency: count, settings, fetch, now: clock.now, sleep: clock.sleep }),
  );
}

/** Distinct reads (identical ones in flight would share a call). */
let reads = 0;
const read = (pool: RpcPool) => pool.request('getBalance', [`owner-${++reads}`]);

/** Calls per second an endpoint's limiter can start when it has all of `rps`: one per paced interval. */
const pacedRate = (rps: number) => 1000 / Math.ceil(1000 / Math.floor(rps));

/**
 * `workers` callers on one pool, each sending its next read as soon as the last was answered,
 * for `durationMs` of virtual time: the reads started.
 */
async function closedLoop(clock: VirtualClock, pool: RpcPool, workers: number, durationMs: number): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (clock.now() < durationMs) {
      started++;
      await read(pool);
    }
  };
  await clock.run(Promise.all(Array.from({ length: workers }, worker)));
  return started;
}

describe('RPC dispatch across endpoints', () => {
  it('keeps two endpoints of 30 rps, the second one preferred less, busy with only five callers', async () => {
    const clock = new VirtualClock();
    const peer = virtualEndpoints(clock, 2);
    const [pool] = containers(
      clock,
      peer.fetch,
      [0, 1].map((i) => ({ url: peer.url(i), rps: 30, methodRps: {}, priority: i })),
      1,
    );
    await closedLoop(clock, pool!, 5, 10_000);
    const [first, second] = peer.arrivals.map((times) => times.filter((t) => t < 10_000).length);
    // Both caps used (29.4 calls/s each on the paced schedule), neither passed: not the preferred
    // endpoint alone while the other idles.
    expect(first! / 10).toBeGreaterThanOrEqual(0.9 * 30);
    expect(second! / 10).toBeGreaterThanOrEqual(0.9 * 30);
    expect(peer.arrivals.map((times) => maxInWindow(times, 1000))).toEqual([30, 30]);
  });

  it('sends every call to the preferred endpoint while it can start it at once', async () => {
    const clock = new VirtualClock();
    const peer = virtualEndpoints(clock, 2);
    const [pool] = containers(
      clock,
      peer.fetch,
      [0, 1].map((i) => ({ url: peer.url(i), rps: 30, methodRps: {}, priority: 1 - i })),
      1,
    );
    // One call every 100 ms: well within the preferred endpoint's pace.
    await clock.run(
      (async () => {
        for (let i = 0; i < 20; i++) {
          await read(pool!);
          await clock.sleep(100);
        }
      })(),
    );
    expect(peer.arrivals.map((times) => times.length)).toEqual([0, 20]);
  });

  it('under a closed loop uses at least 0.9 of every endpoint’s paced cap, whatever the caps and priorities', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ rps: fc.integer({ min: 5, max: 40 }), priority: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 3, max: 8 }),
        async (caps, perEndpoint) => {
          const clock = new VirtualClock();
          const peer = virtualEndpoints(clock, caps.length);
          const endpoints = caps.map((c, i) => ({ url: peer.url(i), rps: c.rps, methodRps: {}, priority: c.priority }));
          const [pool] = containers(clock, peer.fetch, endpoints, 1);
          const durationMs = 5_000;
          await closedLoop(clock, pool!, perEndpoint * caps.length, durationMs);
          for (const [i, c] of caps.entries()) {
            const calls = peer.arrivals[i]!.filter((t) => t < durationMs).length;
            expect(calls / (durationMs / 1000)).toBeGreaterThanOrEqual(0.9 * pacedRate(c.rps));
            expect(maxInWindow(peer.arrivals[i]!, 1000)).toBeLessThanOrEqual(c.rps);
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 60_000);

  // A cap below the number of containers (a share under one call per second) holds over a longer
  // window only (`shareOf`): containers that cannot talk to each other may each send their one call
  // in the same second.
  it('never lets the containers together send an endpoint more than its cap in any second, whatever the delays', async () => {
    const setups = fc.integer({ min: 1, max: 4 }).chain((count) =>
      fc.tuple(
        fc.array(fc.record({ rps: fc.integer({ min: count, max: 40 }), priority: fc.integer({ min: 0, max: 2 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.constant(count),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        setups,
        fc.integer({ min: 20, max: 120 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer(),
        async ([caps, count], calls, maxLatencyMs, seed) => {
          const clock = new VirtualClock();
          const random = seeded(seed >>> 0);
          // Each call reaches its endpoint anywhere between its send and its answer.
          const peer = virtualEndpoints(clock, caps.length, () => {
            const latencyMs = Math.round(random() * maxLatencyMs);
            return { latencyMs, arrivalMs: Math.round(random() * latencyMs) };
          });
          const endpoints = caps.map((c, i) => ({ url: peer.url(i), rps: c.rps, methodRps: {}, priority: c.priority }));
          const pools = containers(clock, peer.fetch, endpoints, count);
          // A burst at once, then the rest at random times over 3 s.
          const answers = await clock.run(
            Promise.all(
              Array.from({ length: calls }, async (_, i) => {
                if (i % 2 === 1) await clock.sleep(Math.round(random() * 3_000));
                return read(pools[i % count]!);
              }),
            ),
          );
          expect(answers).toHaveLength(calls);
          for (const [i, c] of caps.entries()) {
            expect(maxInWindow(peer.arrivals[i]!, 1000)).toBeLessThanOrEqual(c.rps);
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
