import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_PRICES, type PricePeer, startPricePeer, TOKEN_PRICE_PATH } from '../../../local/prices/index.js';

const SOL = 'So11111111111111111111111111111111111111112';
const USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const UNKNOWN = 'DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263';

let peer: PricePeer;
beforeAll(async () => {
  peer = await startPricePeer();
});
afterAll(() => peer?.stop());
afterEach(() => peer.reset());

const ask = (mints: string[], fiats = 'usd,cny') =>
  fetch(`${peer.url}?contract_addresses=${mints.join(',')}&vs_currencies=${fiats}`);

describe('the local price peer', () => {
  it('answers CoinGecko’s token_price shape: the known mints, in the asked currencies', async () => {
    expect(new URL(peer.url).pathname).toBe(TOKEN_PRICE_PATH);
    const response = await ask([SOL, USDC, UNKNOWN], 'usd');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ [SOL]: { usd: LOCAL_PRICES[SOL]!.usd }, [USDC]: { usd: 1 } });
    expect(peer.requests()).toBe(1);
  });

  it('refuses a request without mints or currencies, and other paths', async () => {
    expect((await ask([], 'usd')).status).toBe(400);
    expect((await fetch(new URL('/api/v3/ping', peer.url))).status).toBe(404);
  });

  it('serves the prices it is given until reset', async () => {
    peer.setPrices({ [UNKNOWN]: { usd: 0.00002 } });
    expect(await (await ask([SOL, UNKNOWN])).json()).toEqual({ [UNKNOWN]: { usd: 0.00002 } });
    peer.reset();
    expect(await (await ask([UNKNOWN])).json()).toEqual({});
  });

  it('goes down, answers malformed bodies, or holds requests, by switch', async () => {
    peer.setOutage('down');
    expect((await ask([SOL])).status).toBe(503);
    peer.setOutage('malformed');
    const malformed = await ask([SOL]);
    expect(malformed.status).toBe(200);
    expect(await malformed.json()).not.toHaveProperty(SOL);
    peer.setOutage('timeout');
    const held = ask([SOL]);
    const raced = await Promise.race([held.then(() => 'answered'), new Promise((r) => setTimeout(r, 200, 'held'))]);
    expect(raced).toBe('held');
    peer.setOutage(null);
    expect(await (await held).json()).toEqual({ [SOL]: LOCAL_PRICES[SOL] });
  });

  it('answers 429 with Retry-After above its rate', async () => {
    peer.setRateLimit(1);
    expect((await ask([SOL])).status).toBe(200);
    const limited = await ask([SOL]);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(() => peer.setRateLimit(0)).toThrow(RangeError);
  });
});
