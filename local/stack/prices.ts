/** The stack's prices: the offline price peer, and its endpoint as the functions see it in `PRICE_URLS`. */
import { type PricePeer, startPricePeer } from '../prices/index.js';

/** Starts the price peer. */
export function startStackPrices(): Promise<PricePeer> {
  return startPricePeer();
}

/** `PRICE_URLS`: the peer's one endpoint, declared at `rps`. */
export function priceUrls(peer: Pick<PricePeer, 'url'>, rps: number): string {
  return JSON.stringify([{ url: peer.url, rps, priority: 0 }]);
}
