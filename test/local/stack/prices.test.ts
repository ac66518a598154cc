import { describe, expect, it } from 'vitest';
import { parseRpcEndpoints } from '../../../core/platform/rpc/index.js';
import { priceUrls, startStackPrices } from '../../../local/stack/prices.js';
import { reachable } from './reachable.js';

describe('startStackPrices', () => {
  it('starts the price peer, whose endpoint is a valid PRICE_URLS, and stops it', async () => {
    const peer = await startStackPrices();
    try {
      expect(await reachable(peer.url)).toBe(true);
      expect(parseRpcEndpoints(priceUrls(peer, 10), 'PRICE_URLS')).toEqual([
        { url: peer.url, rps: 10, methodRps: {}, priority: 0 },
      ]);
    } finally {
      await peer.stop();
    }
    expect(await reachable(peer.url)).toBe(false);
  });
});
