import * as z from 'zod/mini';
import { KNOWN_MINTS } from '../solana/index.js';

/** The currencies values are shown in: USD for everyone, CNY too for 中文 users. */
export const FIATS = ['usd', 'cny'] as const;
export type Fiat = (typeof FIATS)[number];

/** A mint's price per whole token in each currency the source gave (positive, finite). */
export type MintPrice = Partial<Record<Fiat, number>>;
/** Prices by mint; a mint the source does not know is absent. */
export type PriceTable = ReadonlyMap<string, MintPrice>;

/** Wrapped SOL: the mint price sources quote SOL under. */
export const WSOL_MINT = 'So11111111111111111111111111111111111111112';

const price = z.number().check(z.positive(), z.lt(1e15));

/**
 * The answer of CoinGecko's `GET /simple/token_price/solana?contract_addresses=…&vs_currencies=usd,cny`
 * (and of the local price peer, which speaks the same shape): `{ "<mint>": { "usd": 1.0, "cny": 7.2 } }`.
 * Other fields (`last_updated_at`, other currencies) are dropped; a mint the source does not know is
 * simply absent; anything else (a non-object, a key that is no address such as an error's `status`,
 * a non-positive price) fails the whole answer.
 */
/** A mint address as a key (letters and digits only: some platforms lowercase it, so not strictly base58). */
const mintKey = z.string().check(z.regex(/^[0-9A-Za-z]{32,44}$/));
const TokenPriceAnswer = z.record(mintKey, z.object({ usd: z.optional(price), cny: z.optional(price) }));

/** The URL of one request for `mints` to a source configured as `base` (its query string, e.g. an API key, kept). */
export function tokenPriceUrl(base: string, mints: readonly string[]): string {
  const url = new URL(base);
  url.searchParams.set('contract_addresses', mints.join(','));
  url.searchParams.set('vs_currencies', FIATS.join(','));
  return url.toString();
}

/**
 * The prices of `mints` in a source's answer, or `undefined` when it is malformed. Keys are matched
 * without regard to case (CoinGecko lowercases contract addresses on some platforms); keys that are
 * none of `mints` are ignored.
 */
export function parseTokenPrices(raw: unknown, mints: readonly string[]): PriceTable | undefined {
  const parsed = TokenPriceAnswer.safeParse(raw);
  if (!parsed.success) return undefined;
  const byKey = new Map(mints.map((mint) => [mint.toLowerCase(), mint]));
  const table = new Map<string, MintPrice>();
  for (const [key, quote] of Object.entries(parsed.data)) {
    const mint = byKey.get(key.toLowerCase());
    const known: MintPrice = {};
    for (const fiat of FIATS) if (quote[fiat] !== undefined) known[fiat] = quote[fiat];
    if (mint && Object.keys(known).length > 0) table.set(mint, known);
  }
  return table;
}

/** The mints whose prices are asked (always all of them, so one cached answer serves every balance): the well-known ones. */
export const PRICED_MINTS: readonly string[] = Object.keys(KNOWN_MINTS);
