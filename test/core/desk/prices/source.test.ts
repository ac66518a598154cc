import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPriceSource, type PriceSourceOptions, WSOL_MINT } from '../../../../core/desk/prices/index.js';
import { DynamoRpcCache, type RpcEndpoint } from '../../../../core/platform/rpc/index.js';
import { type PricePeer, startPricePeer } from '../../../../local/prices/index.js';
import { memoryLogger } from '../../../helpers/fakes.js';
import { type LocalTable, startLocalTable } from '../../../helpers/local-table.js';

const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const BONK = 'DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263';
const MINTS = [WSOL_MINT, USDC, BONK];

let primary: PricePeer;
let backup: PricePeer;
let table: LocalTable;

beforeAll(async () => {
  [primary, backup, table] = await Promise.all([startPricePeer(), startPricePeer(), startLocalTable('prices')]);
});
afterAll(() => Promise.all([primary?.stop(), backup?.stop(), table?.stop()]));
afterEach(() => {
  primary.reset();
  backup.reset();
});

const endpoint = (peer: PricePeer, priority: number, rps = 100): RpcEndpoint => ({
  url: peer.url,
  rps,
  methodRps: {},
  priority,
});

/** A clock that only moves when told to (or when the source waits for a rate token). */
function manualClock() {
  const clock = {
    time: 1_000_000,
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.time += ms;
    },
  };
  return clock;
}

const source = (options: Partial<PriceSourceOptions> = {}) =>
  createPriceSource({
    sources: [endpoint(primary, 0), endpoint(backup, 1)],
    mints: MINTS,
    maxConcurrency: 1,
    requestTimeoutMs: 300,
    budgetMs: 1_000,
    ...options,
  });

describe('createPriceSource', () => {
  it('prices only the mints the source knows, in USD and CNY', async () => {
    const prices = await source().prices();
    expect(prices?.get(WSOL_MINT)).toEqual({ usd: 150, cny: 1080 });
    expect(prices?.get(USDC)).toEqual({ usd: 1, cny: 7.2 });
    // The local peer does not know BONK: no value rather than a guess.
    expect(prices?.has(BONK)).toBe(false);
    expect([primary.requests(), backup.requests()]).toEqual([1, 0]);
  });

  it('shares one answer through the cache, across containers, until it expires', async () => {
    const cache = new DynamoRpcCache({ client: table.client, tableName: table.tableName });
    // Two containers (two sources, as two cold starts build them), one cache.
    const [a, b] = [source({ cache, cacheSeconds: 1 }), source({ cache, cacheSeconds: 1 })];
    expect((await a.prices())?.get(WSOL_MINT)?.usd).toBe(150);
    primary.setPrices({ [WSOL_MINT]: { usd: 151, cny: 1087 } });
    expect((await b.prices())?.get(WSOL_MINT)?.usd).toBe(150);
    expect(primary.requests()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the cache's TTL is wall-clock time in DynamoDB
    expect((await b.prices())?.get(WSOL_MINT)?.usd).toBe(151);
    expect(primary.requests()).toBe(2);
  });

  it('shares one request among identical calls in flight', async () => {
    const prices = source();
    const answers = await Promise.all([prices.prices(), prices.prices(), prices.prices()]);
    expect(answers.every((a) => a?.get(USDC)?.usd === 1)).toBe(true);
    expect(primary.requests()).toBe(1);
  });

  it('keeps to its share of a source’s rate: the next call fails over, or waits for a token', async () => {
    const clock = manualClock();
    // 2 req/s shared by 2 containers: this one may make 1 call per second.
    const prices = source({ sources: [endpoint(primary, 0, 2)], maxConcurrency: 2, ...clock, budgetMs: 500 });
    expect(await prices.prices()).toBeDefined();
    // Within the same second, with no cache: no token before the budget runs out, so no call.
    expect(await prices.prices()).toBeUndefined();
    expect(primary.requests()).toBe(1);
    // With a budget that reaches the next window, it waits for the token instead.
    const patient = source({ sources: [endpoint(primary, 0, 2)], maxConcurrency: 2, ...clock, budgetMs: 2_000 });
    const start = clock.time;
    expect(await patient.prices()).toBeDefined();
    await patient.prices();
    expect(clock.time - start).toBeGreaterThanOrEqual(1_000);
    expect(primary.requests()).toBe(3);
    // Over the limit with a backup: the backup answers.
    const both = source({ sources: [endpoint(primary, 0, 1), endpoint(backup, 1)], ...clock, budgetMs: 500 });
    await both.prices();
    await both.prices();
    expect([primary.requests(), backup.requests()]).toEqual([4, 1]);
  });

  it.each([
    ['down (503)', 'down'],
    ['malformed', 'malformed'],
    ['too slow', 'timeout'],
  ] as const)('fails over when the preferred source is %s', async (_, outage) => {
    primary.setOutage(outage);
    const log = memoryLogger();
    const prices = await source({ log }).prices();
    expect(prices?.get(WSOL_MINT)).toEqual({ usd: 150, cny: 1080 });
    expect(backup.requests()).toBe(1);
    const warned = log.lines.filter((l) => String(l.event).startsWith('prices.'));
    expect(warned).toHaveLength(1);
    // The source is named by its origin only (a URL may carry an API key).
    expect(warned[0]!.source).toBe(new URL(primary.url).origin);
  });

  it('fails over on 429 without counting it against the source’s health', async () => {
    primary.setRateLimit(1);
    const prices = source();
    await fetch(`${primary.url}?contract_addresses=${USDC}&vs_currencies=usd`); // takes the peer's only slot
    expect((await prices.prices())?.get(USDC)).toEqual({ usd: 1, cny: 7.2 });
    expect(backup.requests()).toBe(1);
  });

  it('stops asking a source that keeps failing (its breaker opens)', async () => {
    primary.setOutage('down');
    const prices = source();
    for (let i = 0; i < 5; i++) await prices.prices();
    // Three failures open the breaker: the next calls go straight to the backup.
    expect(primary.requests()).toBe(3);
    expect(backup.requests()).toBe(5);
  });

  it('answers undefined, within its budget, when every source is down', async () => {
    primary.setOutage('down');
    backup.setOutage('timeout');
    const started = Date.now();
    expect(await source({ requestTimeoutMs: 200, budgetMs: 600 }).prices()).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('treats an unreadable cache as a miss, never as a failure', async () => {
    const dead = new DynamoRpcCache({ client: table.client, tableName: 'no-such-table' });
    expect((await source({ cache: dead }).prices())?.get(USDC)?.usd).toBe(1);
  });
});
